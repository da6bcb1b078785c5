"""What the screens and commands do with mail settings: save a template, save SMTP settings, list mails."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from juchu.mail.models import MailKind, MailTemplate, OutgoingMail, SmtpSecurity, SmtpSettings
from juchu.mail.rendering import check_template, template_texts
from juchu.shops.models import Shop


@dataclass(frozen=True)
class TemplateView:
    """One kind of mail of a shop as the template list shows it."""

    kind: str
    label: str
    subject: str
    body: str
    own: bool
    enabled: bool


def shop_templates(shop: Shop) -> list[TemplateView]:
    """The three mails of a shop with their current texts and whether the shop sends them."""
    views = []
    for kind in MailKind:
        subject, body, own = template_texts(shop, kind.value)
        views.append(TemplateView(kind.value, kind.label, subject, body, own, bool(getattr(shop, kind.value))))
    return views


def save_template(shop: Shop, kind: str, subject: str, body: str, actor: str, now: datetime) -> MailTemplate:
    """Check and store a shop's template; raises MailTemplateError (nothing saved) when it cannot render."""
    kind = MailKind(kind).value
    check_template(kind, subject, body)
    template, _ = MailTemplate.objects.update_or_create(
        shop=shop, kind=kind, defaults={"subject": subject, "body": body, "updated_at": now, "updated_by": actor}
    )
    return template


def reset_template(shop: Shop, kind: str) -> None:
    """Go back to the built-in text for ``kind``."""
    MailTemplate.objects.filter(shop=shop, kind=MailKind(kind).value).delete()


def save_smtp(
    shop: Shop,
    *,
    host: str,
    port: int,
    security: str,
    username: str,
    password: str | None,
    now: datetime,
) -> SmtpSettings:
    """Store a shop's SMTP settings; ``password=None`` keeps the stored one. Raises ValueError on bad values."""
    if not host.strip():
        raise ValueError("SMTPサーバーを入力してください")
    if not 0 < port < 65536:
        raise ValueError(f"ポート番号 {port} は 1〜65535 にしてください")
    security = SmtpSecurity(security).value
    smtp = SmtpSettings.objects.filter(shop=shop).first() or SmtpSettings(shop=shop)
    smtp.host, smtp.port, smtp.security, smtp.username, smtp.updated_at = host.strip(), port, security, username, now
    if password is not None:
        smtp.password = password
    smtp.save()
    return smtp


def remove_smtp(shop: Shop) -> None:
    """Send the shop's mails through the default mail backend again."""
    SmtpSettings.objects.filter(shop=shop).delete()


def outgoing_mails(shop: Shop | None = None, order_id: int | None = None) -> QuerySet[OutgoingMail]:
    """Mails newest first, of one shop and/or one order."""
    query = OutgoingMail.objects.select_related("order", "order__shop", "effect")
    if shop is not None:
        query = query.filter(order__shop=shop)
    if order_id is not None:
        query = query.filter(order_id=order_id)
    return query
