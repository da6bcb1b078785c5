from django.contrib import admin
from django.db import models

from juchu.shops.models import DeliveryMethodMapping, PaymentMethodMapping, Shop


class DeliveryInline(admin.TabularInline):
    model = DeliveryMethodMapping
    extra = 0


class PaymentInline(admin.TabularInline):
    model = PaymentMethodMapping
    extra = 0


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "mall", "last_sync_at")
    inlines = [DeliveryInline, PaymentInline]
    # The credentials field is not editable, so the form never carries it; only the key names are shown.
    exclude = ("credentials",)
    readonly_fields = ("credentials_set",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="APIキー")
    def credentials_set(self, shop: Shop) -> str:
        """The names of the stored keys, never their values (enter them on 設定 › ショップ)."""
        return ", ".join(f"{name}: 設定済み" for name in sorted(shop.credentials)) or "未設定"
