"""Which way a shop's mails go: its own SMTP server, else the Django mail backend (files in the demo).

Rakuten shops must send to the buyers' masked addresses (…@pc.fw.rakuten.ne.jp) through Rakuten's
authenticated SMTP server (``RAKUTEN_SMTP``); other servers are refused by Rakuten's relay.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend

from juchu.mail.models import SmtpSecurity, SmtpSettings
from juchu.shops.models import Mall, Shop

#: Rakuten's SMTP server for mails to masked buyer addresses (SMTP AUTH with the ID/password set in RMS).
RAKUTEN_SMTP = {"host": "sub.fw.rakuten.ne.jp", "port": 587, "security": SmtpSecurity.NONE.value}
#: The buyer address domain Rakuten masks addresses with.
RAKUTEN_MASKED_DOMAIN = "fw.rakuten.ne.jp"


def smtp_password(smtp: SmtpSettings) -> str:
    """The SMTP password in clear, for the SMTP login only (the column holds it sealed, see juchu.crypto).

    Raises :class:`juchu.crypto.SecretDecryptionError` naming the row when the installation's key changed.
    """
    return smtp.password or ""


def suggested_settings(shop: Shop) -> dict[str, object]:
    """Initial values for a shop's SMTP form: Rakuten's server for a Rakuten shop, else nothing."""
    return dict(RAKUTEN_SMTP) if shop.mall == Mall.RAKUTEN else {}


@dataclass(frozen=True)
class Route:
    """An open-able mail connection and how to name it on the mail row."""

    connection: BaseEmailBackend
    label: str


def route_for(shop: Shop) -> Route:
    """The connection a shop's mails go through."""
    smtp = SmtpSettings.objects.filter(shop=shop).first()
    if smtp is None:
        return Route(get_connection(fail_silently=False), settings.EMAIL_BACKEND.rsplit(".", 2)[-2])
    connection = get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        fail_silently=False,
        host=smtp.host,
        port=smtp.port,
        username=smtp.username or None,
        password=smtp_password(smtp) or None,
        use_tls=smtp.security == SmtpSecurity.STARTTLS,
        use_ssl=smtp.security == SmtpSecurity.SSL,
        timeout=smtp.timeout_seconds,
    )
    return Route(connection, f"smtp {smtp.host}:{smtp.port}")


def describe_failure(exc: Exception) -> tuple[bool, str, str]:
    """(permanent?, code, Japanese message) for an exception raised while sending one mail.

    A 5xx answer about the recipient or the message is permanent; a refused login, a 4xx answer or a
    network failure is retried (the shop may fix its settings meanwhile).
    """
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return False, "SMTP_AUTH", f"SMTP認証に失敗しました ({exc.smtp_code}): ユーザー名とパスワードを確認してください"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = "; ".join(f"{addr}: {code} {_text(msg)}" for addr, (code, msg) in exc.recipients.items())
        permanent = all(code >= 500 for code, _msg in exc.recipients.values())
        return permanent, "SMTP_RCPT", f"宛先を拒否されました ({answers})"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return exc.smtp_code >= 500, "SMTP_SENDER", f"差出人を拒否されました ({exc.smtp_code} {_text(exc.smtp_error)})"
    if isinstance(exc, smtplib.SMTPResponseException):
        permanent = exc.smtp_code >= 500
        return permanent, "SMTP", f"SMTPサーバーが拒否しました ({exc.smtp_code} {_text(exc.smtp_error)})"
    if isinstance(exc, smtplib.SMTPException | OSError):
        return False, "SMTP_CONNECT", f"SMTPサーバーに接続できません ({exc.__class__.__name__}: {exc})"
    return False, "SEND", f"送信に失敗しました ({exc.__class__.__name__}: {exc})"


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
