"""メール › テンプレート・SMTP設定 (administrators): each shop's three mails and its SMTP server.

Templates are checked by ``mail.services.save_template`` before they are saved; the プレビュー renders the
draft in the editor against a real order of the shop and saves nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from juchu.mail import services
from juchu.mail.models import MailKind, SmtpSettings
from juchu.mail.rendering import MailTemplateError, render_preview, template_texts
from juchu.mail.transport import smtp_password, suggested_settings
from juchu.orders.models import Order
from juchu.shops.models import Shop
from juchu.web.auth import admin_required
from juchu.web.forms_mail import SYNTAX_HELP, VARIABLES, SmtpForm, TemplateForm

#: Orders offered for the preview (the latest of the shop).
RECENT_ORDERS = 20


def _mail_kind(kind: str) -> MailKind:
    try:
        return MailKind(kind)
    except ValueError:
        raise Http404("unknown mail kind") from None


def _recent_orders(shop: Shop) -> list[Order]:
    return list(Order.objects.filter(shop=shop).order_by("-ordered_at", "-id")[:RECENT_ORDERS])


@admin_required
def index(request: HttpRequest) -> HttpResponse:
    """Every shop with its three mails (own text or built-in, sent or not) and its SMTP server."""
    smtp = {s.shop_id: s for s in SmtpSettings.objects.all()}
    shops = [(shop, services.shop_templates(shop), smtp.get(shop.pk)) for shop in Shop.objects.order_by("code")]
    return render(request, "juchu/mail/index.html", {"shops": shops})


def _template_page(request: HttpRequest, shop: Shop, kind: MailKind, form: TemplateForm) -> HttpResponse:
    _subject, _body, own = template_texts(shop, kind.value)
    context: dict[str, Any] = {
        "shop": shop,
        "kind": kind,
        "form": form,
        "own": own,
        "enabled": bool(getattr(shop, kind.value)),
        "recent_orders": _recent_orders(shop),
        "variables": VARIABLES,
        "syntax_help": SYNTAX_HELP,
    }
    return render(request, "juchu/mail/template_form.html", context)


@admin_required
def template_edit(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Edit one mail of a shop; saving checks the template first and refuses one that cannot render."""
    shop = get_object_or_404(Shop, pk=pk)
    mail_kind = _mail_kind(kind)
    if request.method == "POST":
        form = TemplateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.save_template(
                    shop, mail_kind.value, data["subject"], data["body"], request.user.get_username(), timezone.now()
                )
            except MailTemplateError as exc:
                form.add_error(None, f"保存できません: {exc}")
            else:
                messages.success(request, f"{shop.name} の{mail_kind.label}を保存しました")
                return redirect("mail-template", pk=shop.pk, kind=mail_kind.value)
    else:
        subject, body, _own = template_texts(shop, mail_kind.value)
        form = TemplateForm(initial={"subject": subject, "body": body})
    return _template_page(request, shop, mail_kind, form)


@admin_required
@require_POST
def template_preview(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """プレビュー (htmx): the draft in the editor rendered for a real order; nothing is saved."""
    shop = get_object_or_404(Shop, pk=pk)
    mail_kind = _mail_kind(kind)
    number = request.POST.get("order", "").strip()
    orders = Order.objects.filter(shop=shop).select_related("shop")
    order = orders.filter(mall_order_number=number).first() if number else orders.order_by("-ordered_at", "-id").first()
    context: dict[str, Any] = {"kind": mail_kind, "order": order}
    if order is None:
        missing = f"受注番号 {number} はこのショップにありません"
        context["error"] = missing if number else "このショップにはまだ受注がありません"
    else:
        try:
            context["subject"], context["body"] = render_preview(
                shop, mail_kind.value, order, request.POST.get("subject", ""), request.POST.get("body", "")
            )
        except MailTemplateError as exc:
            context["error"] = str(exc)
    return render(request, "juchu/mail/_preview.html", context)


@admin_required
@require_POST
def template_reset(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """初期値に戻す: forget the shop's own text for this mail."""
    shop = get_object_or_404(Shop, pk=pk)
    mail_kind = _mail_kind(kind)
    services.reset_template(shop, mail_kind.value)
    messages.success(request, f"{shop.name} の{mail_kind.label}を初期値に戻しました")
    return redirect("mail-template", pk=shop.pk, kind=mail_kind.value)


@sensitive_post_parameters()  # the typed keys never reach an error report
@admin_required
def smtp_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A shop's SMTP server; a Rakuten shop without settings starts from Rakuten's server."""
    shop = get_object_or_404(Shop, pk=pk)
    stored = SmtpSettings.objects.filter(shop=shop).first()
    if request.method == "POST":
        form = SmtpForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.save_smtp(
                    shop,
                    host=data["host"],
                    port=data["port"],
                    security=data["security"],
                    username=data["username"],
                    password=form.new_password(),
                    now=timezone.now(),
                )
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"{shop.name} のSMTP設定を保存しました")
                return redirect("mail-smtp", pk=shop.pk)
    elif stored is not None:
        initial = {"host": stored.host, "port": stored.port, "security": stored.security, "username": stored.username}
        form = SmtpForm(initial=initial)
    else:
        form = SmtpForm(initial=suggested_settings(shop))
    context = {
        "shop": shop,
        "form": form,
        "stored": stored,
        "has_password": stored is not None and bool(smtp_password(stored)),
        "suggested": not stored and bool(suggested_settings(shop)),
    }
    return render(request, "juchu/mail/smtp_form.html", context)


@admin_required
@require_POST
def smtp_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a shop's SMTP settings: its mails go through the default mail backend again."""
    shop = get_object_or_404(Shop, pk=pk)
    services.remove_smtp(shop)
    messages.success(request, f"{shop.name} のSMTP設定を削除しました (標準の送信方法で送ります)")
    return redirect("mail-smtp", pk=shop.pk)
