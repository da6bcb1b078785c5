"""設定 › 商品・セット・商品マッピング: searchable lists and their forms."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from juchu.catalog.models import MallItemMapping, Product
from juchu.shops.models import Shop
from juchu.web import settings_services as services
from juchu.web.auth import admin_required
from juchu.web.forms_settings import MappingForm, ProductForm, SetComponentFormSet

PAGE_SIZE = 50


@admin_required
def product_list(request: HttpRequest) -> HttpResponse:
    """SKUs and sets, searched by SKU or name, 50 a page; ``kind=set`` lists only sets."""
    q = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    products = Product.objects.annotate(mapping_count=Count("mappings", distinct=True)).order_by("code")
    if kind == "set":
        products = products.filter(is_set=True)
    elif kind == "sku":
        products = products.filter(is_set=False)
    if q:
        products = products.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(mappings__mall_item_id__icontains=q))
        products = products.distinct()
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "juchu/settings/products.html", {"page": page, "q": q, "kind": kind})


@admin_required
def product_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create or edit a SKU or set; a set's components are edited on the same page."""
    product = get_object_or_404(Product, pk=pk) if pk else Product(is_set=request.GET.get("kind") == "set")
    form = ProductForm(request.POST or None, instance=product)
    components = SetComponentFormSet(request.POST or None, instance=product, prefix="components")
    if request.method == "POST" and form.is_valid():
        is_set = form.cleaned_data["is_set"]
        if not is_set or components.is_valid():
            with transaction.atomic():
                saved = form.save()
                if is_set:
                    components.instance = saved
                    components.save()
                else:
                    saved.components.all().delete()
            if is_set and pk:
                services.after_set_changed(saved, timezone.now())
            messages.success(request, f"商品「{saved.code}」を保存しました")
            return redirect("settings-product", pk=saved.pk)
    mappings = product.mappings.select_related("shop").order_by("shop__code", "mall_item_id") if product.pk else []
    return render(
        request,
        "juchu/settings/product_form.html",
        {"form": form, "product": product, "components": components, "mappings": mappings},
    )


@admin_required
def mapping_list(request: HttpRequest) -> HttpResponse:
    """商品マッピング, searched by mall item id, SKU or product name, per shop, 50 a page."""
    q = request.GET.get("q", "").strip()
    shop_id = request.GET.get("shop", "")
    mappings = MallItemMapping.objects.select_related("shop", "product").order_by(
        "shop__code", "mall_item_id", "mall_variant_id"
    )
    if shop_id.isdigit():
        mappings = mappings.filter(shop_id=int(shop_id))
    if q:
        mappings = mappings.filter(
            Q(mall_item_id__icontains=q)
            | Q(mall_variant_id__icontains=q)
            | Q(product__code__icontains=q)
            | Q(product__name__icontains=q)
        )
    page = Paginator(mappings, PAGE_SIZE).get_page(request.GET.get("page"))
    shops = Shop.objects.order_by("code")
    return render(request, "juchu/settings/mappings.html", {"page": page, "q": q, "shop_id": shop_id, "shops": shops})


@admin_required
def mapping_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create or edit a mapping; open orders' unmapped lines of that mall item pick it up at once."""
    mapping = get_object_or_404(MallItemMapping, pk=pk) if pk else MallItemMapping()
    initial = {"mall_item_id": request.GET.get("item", ""), "shop": request.GET.get("shop")} if not pk else None
    form = MappingForm(request.POST or None, instance=mapping, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        woken = services.after_mapping_saved(
            saved.shop_id, saved.mall_item_id, saved.mall_variant_id, saved.product, timezone.now()
        )
        note = f" (受注 {woken} 件を再判定します)" if woken else ""
        messages.success(
            request, f"商品マッピング「{saved.mall_item_id}」→「{saved.product.code}」を保存しました{note}"
        )
        return redirect("settings-mappings")
    return render(request, "juchu/settings/mapping_form.html", {"form": form, "mapping": mapping})


@admin_required
@require_POST
def mapping_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a mapping (orders already mapped keep their SKU)."""
    mapping = get_object_or_404(MallItemMapping, pk=pk)
    mapping.delete()
    messages.success(request, f"商品マッピング「{mapping.mall_item_id}」を削除しました")
    return redirect("settings-mappings")
