"""Shops: one mall account each, with the policy the pipeline applies to its orders."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import models

from juchu.crypto_fields import EncryptedJSONField
from juchu.domain.model import PaymentKind, ShopPolicy


class Mall(models.TextChoices):
    """The malls Juchu connects to; ``manual`` is a shop whose orders come by hand or CSV."""

    RAKUTEN = "rakuten", "楽天市場"
    YAHOO = "yahoo", "Yahoo!ショッピング"
    AMAZON = "amazon", "Amazon"
    AUPAY = "aupay", "au PAY マーケット"
    QOO10 = "qoo10", "Qoo10"
    MAKESHOP = "makeshop", "MakeShop"
    MANUAL = "manual", "手動"


#: Days before the API key's expiry from which the shop is warned.
KEY_EXPIRY_WARNING_DAYS = 14

#: Default buyer-cancel grace period per mall (pipeline.md §5): only Rakuten gives buyers a window to cancel
#: an order themselves within a set time. Amazon keeps a new order Pending (payment not yet authorised) and the
#: connector imports it only once it is Unshipped; the other malls have no such window (docs/malls/).
DEFAULT_GRACE_MINUTES = {
    Mall.RAKUTEN: 30,
    Mall.YAHOO: 0,
    Mall.AMAZON: 0,
    Mall.AUPAY: 0,
    Mall.QOO10: 0,
    Mall.MAKESHOP: 0,
    Mall.MANUAL: 0,
}


class Shop(models.Model):
    """A shop on one mall (ショップ)."""

    code = models.SlugField(unique=True, max_length=40)
    name = models.CharField(max_length=200)
    mall = models.CharField(max_length=20, choices=Mall.choices)
    active = models.BooleanField(default=True)
    #: The buyer-cancel grace period in seconds; NULL: the mall's default (Rakuten 30 minutes).
    grace_period_seconds = models.PositiveIntegerField(null=True, blank=True, help_text="秒。空欄: モールの既定値")
    quantity_threshold = models.PositiveIntegerField(default=10)
    confirm_at_mall = models.BooleanField(default=False)
    thanks_mail = models.BooleanField(default=True)
    shipping_mail = models.BooleanField(default=True)
    cancel_mail = models.BooleanField(default=True)
    #: 同梱候補 stops the order at 確認待 for a person to decide; off (the default): the tag only marks it.
    stop_merge_candidates = models.BooleanField(
        default=False, help_text="同梱候補の受注を確認待で止める (オフ: タグで知らせるだけ)"
    )
    mail_from = models.EmailField(blank=True)
    warehouse = models.ForeignKey("fulfillment.Warehouse", on_delete=models.PROTECT, related_name="shops")
    #: 分割出荷: a second warehouse for orders the shop's warehouse cannot fill (whole, else line by line);
    #: NULL: orders wait for stock in the shop's warehouse (decision 0010).
    split_warehouse = models.ForeignKey(
        "fulfillment.Warehouse",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="split_shops",
        help_text="自社倉庫で揃わない注文を出荷できる2つ目の倉庫",
    )
    #: Which connector speaks to the mall ("" = none: orders by hand/CSV; "fake" in tests).
    connector = models.CharField(max_length=40, blank=True)
    api_base_url = models.URLField(blank=True)
    #: The mall's API keys (e.g. Rakuten serviceSecret and licenseKey), sealed at rest (juchu.crypto); never shown.
    credentials = EncryptedJSONField(default=dict, blank=True)
    #: When the mall's API key stops working (Rakuten licenseKey: 90 days); warned about 14 days ahead.
    key_expires_on = models.DateField(null=True, blank=True)
    sync_cursor = models.DateTimeField(null=True, blank=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_sync_attempt_at = models.DateTimeField(null=True, blank=True)
    last_stock_push_at = models.DateTimeField(null=True, blank=True)
    last_stock_push_error = models.TextField(blank=True)
    last_sync_error = models.TextField(blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_mall_display()})"

    @property
    def grace_period(self) -> timedelta:
        """The shop's grace period, or its mall's default."""
        if self.grace_period_seconds is not None:
            return timedelta(seconds=self.grace_period_seconds)
        return timedelta(minutes=DEFAULT_GRACE_MINUTES.get(Mall(self.mall), 0))

    def key_expiry_warning(self, today: date) -> str:
        """A warning when the mall's API key expires within 14 days (or has expired), else ""."""
        if self.key_expires_on is None:
            return ""
        days = (self.key_expires_on - today).days
        if days < 0:
            return f"APIキーの有効期限 ({self.key_expires_on:%Y-%m-%d}) が切れています。モール側で更新してください"
        if days <= KEY_EXPIRY_WARNING_DAYS:
            return f"APIキーの有効期限 ({self.key_expires_on:%Y-%m-%d}) まであと {days} 日です。更新してください"
        return ""

    def connector_settings(self) -> dict[str, str]:
        """What the shop's mall connector is built from: base URL, shop code and credentials."""
        return {
            "base_url": self.api_base_url,
            "shop_code": self.code,
            **{k: str(v) for k, v in self.credentials.items()},
        }

    def policy(self) -> ShopPolicy:
        """The domain's view of this shop's settings (two queries for the method mappings)."""
        return ShopPolicy(
            shop_id=self.pk,
            mall=self.mall,
            grace_period=self.grace_period,
            quantity_threshold=self.quantity_threshold,
            delivery_methods={m.mall_method: m.warehouse_method for m in self.delivery_methods.all()},
            payment_methods={m.mall_method: PaymentKind(m.kind) for m in self.payment_methods.all()},
            thanks_mail=self.thanks_mail,
            shipping_mail=self.shipping_mail,
            cancel_mail=self.cancel_mail,
            confirm_at_mall=self.confirm_at_mall,
            stop_merge_candidates=self.stop_merge_candidates,
        )


class DeliveryMethodMapping(models.Model):
    """The mall's delivery method name → the warehouse's delivery method code (配送方法)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="delivery_methods")
    mall_method = models.CharField(max_length=100)
    warehouse_method = models.CharField(max_length=40)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "mall_method"], name="uniq_delivery_mapping")]

    def __str__(self) -> str:
        return f"{self.mall_method} → {self.warehouse_method}"


class PaymentMethodMapping(models.Model):
    """The mall's payment method name → how it settles (決済方法)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="payment_methods")
    mall_method = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=[(k.value, k.value) for k in PaymentKind])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "mall_method"], name="uniq_payment_mapping")]

    def __str__(self) -> str:
        return f"{self.mall_method} ({self.kind})"
