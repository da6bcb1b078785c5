"""Mails to buyers: per-shop templates and SMTP settings, and every rendered mail kept as a row.

A mail row is written (with its Message-ID) before it is sent, so a retry sends the very same message and
the operator can read what the buyer got.
"""

from __future__ import annotations

from django.db import models

from juchu.crypto_fields import EncryptedTextField


class MailKind(models.TextChoices):
    """The mails Juchu sends to buyers (the values are the mail effect kinds)."""

    THANKS = "thanks_mail", "サンクスメール"
    SHIPPING = "shipping_mail", "出荷メール"
    CANCEL = "cancel_mail", "キャンセルメール"


class MailTemplate(models.Model):
    """A shop's own text for one kind of mail; without one the built-in default is used."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="mail_templates")
    kind = models.CharField(max_length=20, choices=MailKind.choices)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    updated_at = models.DateTimeField()
    updated_by = models.CharField(max_length=150, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "kind"], name="uniq_mail_template")]

    def __str__(self) -> str:
        return f"{self.shop_id} {self.get_kind_display()}"


class SmtpSecurity(models.TextChoices):
    """How the connection to the SMTP server is protected."""

    NONE = "none", "なし"
    STARTTLS = "starttls", "STARTTLS"
    SSL = "ssl", "SSL/TLS"


class SmtpSettings(models.Model):
    """The SMTP server a shop sends its buyer mails through (Rakuten shops: Rakuten's authenticated SMTP)."""

    shop = models.OneToOneField("shops.Shop", on_delete=models.CASCADE, related_name="smtp")
    host = models.CharField(max_length=200)
    port = models.PositiveIntegerField(default=587)
    security = models.CharField(max_length=10, choices=SmtpSecurity.choices, default=SmtpSecurity.STARTTLS)
    username = models.CharField(max_length=200, blank=True)
    #: Sealed at rest (juchu.crypto); read in clear only by :func:`juchu.mail.transport.smtp_password`.
    password = EncryptedTextField(blank=True)
    timeout_seconds = models.PositiveIntegerField(default=20)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


class OutgoingMail(models.Model):
    """A rendered mail for one effect (thanks, shipping, cancel), with its delivery attempts."""

    effect = models.OneToOneField("orders.Effect", on_delete=models.CASCADE, related_name="mail")
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="mails")
    kind = models.CharField(max_length=20, choices=MailKind.choices)
    to = models.CharField(max_length=254)
    from_address = models.CharField(max_length=254)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    message_id = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    #: Which way it went out: "smtp host:port" or the Django mail backend.
    transport = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["order", "created_at"], name="mail_order_created")]
        ordering = ["-created_at", "-id"]

    @property
    def state_label(self) -> str:
        """送信済 / 再送待ち / 未送信, for lists."""
        if self.sent_at is not None:
            return "送信済"
        return "再送待ち" if self.last_error else "未送信"
