from django.contrib import admin

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
