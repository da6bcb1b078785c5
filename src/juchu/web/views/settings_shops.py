"""設定 › ショップ: the shop form, its method mappings and the 接続テスト."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from juchu.shops.models import DeliveryMethodMapping, PaymentMethodMapping, Shop
from juchu.web import settings_services as services
from juchu.web.auth import admin_required
from juchu.web.forms_settings import PAYMENT_KIND_LABELS, DeliveryMappingForm, PaymentMappingForm, ShopForm


@admin_required
def shop_list(request: HttpRequest) -> HttpResponse:
    """Every shop with its mall, warehouse and connection state."""
    shops = Shop.objects.select_related("warehouse").order_by("code")
    return render(request, "juchu/settings/shops.html", {"shops": shops, "today": timezone.localdate()})


@sensitive_post_parameters()  # the typed keys never reach an error report
@admin_required
def shop_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create or edit a shop; credentials are write-only and an empty input keeps the stored value."""
    shop = get_object_or_404(Shop, pk=pk) if pk else Shop()
    form = ShopForm(request.POST or None, instance=shop)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        services.save_shop(saved, form.entered_credentials(), form.cleared_credentials(), timezone.now())
        messages.success(request, f"ショップ「{saved.name}」を保存しました")
        return redirect("settings-shop", pk=saved.pk)
    context = {"form": form, "shop": shop}
    if shop.pk:
        context.update(_mapping_context(shop))
    return render(request, "juchu/settings/shop_form.html", context)


def _mapping_context(shop: Shop, delivery_form=None, payment_form=None) -> dict:
    return {
        "delivery_methods": shop.delivery_methods.order_by("mall_method"),
        "payment_methods": [
            (m, PAYMENT_KIND_LABELS.get(m.kind, m.kind)) for m in shop.payment_methods.order_by("mall_method")
        ],
        "delivery_form": delivery_form or DeliveryMappingForm(shop=shop, prefix="delivery"),
        "payment_form": payment_form or PaymentMappingForm(shop=shop, prefix="payment"),
    }


def _mappings_fragment(request: HttpRequest, shop: Shop, **forms) -> HttpResponse:
    """The mapping tables (htmx swaps them in); without htmx, back to the shop page."""
    if not request.headers.get("HX-Request") and not any(f.errors for f in forms.values()):
        return redirect("settings-shop", pk=shop.pk)
    context = {"shop": shop, **_mapping_context(shop, **forms)}
    return render(request, "juchu/settings/_shop_mappings.html", context)


@admin_required
@require_POST
def delivery_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a delivery method mapping; the shop's open orders are re-checked."""
    shop = get_object_or_404(Shop, pk=pk)
    form = DeliveryMappingForm(request.POST, shop=shop, prefix="delivery")
    if not form.is_valid():
        return _mappings_fragment(request, shop, delivery_form=form)
    form.save()
    services.after_method_mapping_change(shop.pk, timezone.now())
    return _mappings_fragment(request, shop)


@admin_required
@require_POST
def delivery_delete(request: HttpRequest, pk: int, mapping_id: int) -> HttpResponse:
    """Remove a delivery method mapping."""
    shop = get_object_or_404(Shop, pk=pk)
    get_object_or_404(DeliveryMethodMapping, pk=mapping_id, shop=shop).delete()
    services.after_method_mapping_change(shop.pk, timezone.now())
    return _mappings_fragment(request, shop)


@admin_required
@require_POST
def payment_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a payment method mapping; the shop's open orders are re-checked."""
    shop = get_object_or_404(Shop, pk=pk)
    form = PaymentMappingForm(request.POST, shop=shop, prefix="payment")
    if not form.is_valid():
        return _mappings_fragment(request, shop, payment_form=form)
    form.save()
    services.after_method_mapping_change(shop.pk, timezone.now())
    return _mappings_fragment(request, shop)


@admin_required
@require_POST
def payment_delete(request: HttpRequest, pk: int, mapping_id: int) -> HttpResponse:
    """Remove a payment method mapping."""
    shop = get_object_or_404(Shop, pk=pk)
    get_object_or_404(PaymentMethodMapping, pk=mapping_id, shop=shop).delete()
    services.after_method_mapping_change(shop.pk, timezone.now())
    return _mappings_fragment(request, shop)


@admin_required
@require_POST
def connection_test(request: HttpRequest, pk: int) -> HttpResponse:
    """接続テスト: build the shop's connector from its saved settings and make one cheap read."""
    shop = get_object_or_404(Shop, pk=pk)
    result = services.check_connection(shop, timezone.now())
    return render(request, "juchu/settings/_connection.html", {"result": result})
