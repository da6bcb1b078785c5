"""Products (SKU, sets), mall item mappings (商品マッピング) and stock: reads for all, writes for admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router, Schema
from pydantic import Field

from juchu.api.auth import ADMIN, VIEWER
from juchu.api.paging import PageParams, id_page, page_payload
from juchu.api.schemas import LIST_ERRORS, MAX_ID, READ_ERRORS, WRITE_ERRORS, Id, text
from juchu.catalog.models import MallItemMapping, Product, SetComponent, Stock
from juchu.catalog.services import map_item
from juchu.orders import writes
from juchu.shops.models import Shop

router = Router(tags=["catalog"])

ProductId = Annotated[int, Path(ge=1, le=MAX_ID, description="商品ID")]
MappingId = Annotated[int, Path(ge=1, le=MAX_ID, description="商品マッピングID")]
Sku = text(64, min_length=1)


class ComponentOut(Schema):
    """One component of a set product."""

    sku: str
    quantity: int


class ProductOut(Schema):
    """A product (SKU) or set product."""

    id: int
    code: str
    name: str
    is_set: bool
    price: int
    components: list[ComponentOut]


class ProductPage(Schema):
    """One page of products."""

    items: list[ProductOut]
    next_cursor: str | None


class ComponentIn(Schema):
    """A component SKU and how many of it one set holds."""

    sku: Sku
    quantity: int = Field(1, ge=1, le=999)


class ProductIn(Schema):
    """A new product; a set product lists its components."""

    code: Sku
    name: text(200) = ""
    price: int = Field(0, ge=0, le=100_000_000)
    is_set: bool = False
    components: list[ComponentIn] = Field(default_factory=list, max_length=50)


class ProductPatch(Schema):
    """Product fields to change; ``components`` replaces the set's components."""

    name: text(200) = None  # type: ignore[assignment]
    price: int = Field(None, ge=0, le=100_000_000)  # type: ignore[assignment]
    is_set: bool = None  # type: ignore[assignment]
    components: list[ComponentIn] = Field(None, max_length=50)  # type: ignore[assignment]


class ProductFilter(PageParams):
    """Product list filters."""

    code: text(64) = Field("", description="SKU の前方一致")


def product_payload(product: Product) -> dict[str, Any]:
    """A product with its components (prefetched)."""
    return {
        "id": product.pk,
        "code": product.code,
        "name": product.name,
        "is_set": product.is_set,
        "price": product.price,
        "components": [{"sku": c.component.code, "quantity": c.quantity} for c in product.components.all()],
    }


def _with_components(qs: Any) -> Any:
    return qs.prefetch_related("components__component")


@router.get("/products", response={200: ProductPage, **LIST_ERRORS}, auth=VIEWER, summary="商品一覧")
def list_products(request: HttpRequest, params: Query[ProductFilter]) -> dict[str, Any]:
    """Products in id order, optionally by SKU prefix."""
    qs = Product.objects.all()
    if params.code:
        qs = qs.filter(code__startswith=params.code)
    rows, next_cursor = id_page(_with_components(qs), params.cursor, params.limit)
    return page_payload([product_payload(p) for p in rows], next_cursor)


@router.get("/products/{product_id}", response={200: ProductOut, **READ_ERRORS}, auth=VIEWER, summary="商品")
def get_product(request: HttpRequest, product_id: ProductId) -> dict[str, Any]:
    """One product."""
    return product_payload(_with_components(Product.objects).get(pk=product_id))


def _set_components(product: Product, components: list[ComponentIn]) -> None:
    codes = [c.sku for c in components]
    found = {p.code: p for p in Product.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise ValidationError({"components": f"SKU が登録されていません: {', '.join(missing)}"})
    if product.code in codes or any(found[c].is_set for c in codes):
        raise ValidationError({"components": "セット商品の構成にはセットでない別の SKU を指定してください"})
    if len(set(codes)) != len(codes):
        raise ValidationError({"components": "同じ SKU が二度指定されています"})
    if components and not product.is_set:
        raise ValidationError({"components": "構成を持てるのはセット商品 (is_set: true) だけです"})
    SetComponent.objects.filter(set_product=product).delete()
    SetComponent.objects.bulk_create(
        SetComponent(set_product=product, component=found[c.sku], quantity=c.quantity) for c in components
    )


@router.post("/products", response={200: ProductOut, **WRITE_ERRORS}, auth=ADMIN, summary="商品の登録")
def create_product(request: HttpRequest, body: ProductIn) -> dict[str, Any]:
    """Register a product or set product (a duplicate SKU is 422)."""
    with transaction.atomic():
        product = Product(code=body.code, name=body.name, price=body.price, is_set=body.is_set)
        product.full_clean()
        product.save()
        _set_components(product, body.components)
    return get_product(request, product.pk)


@router.patch("/products/{product_id}", response={200: ProductOut, **WRITE_ERRORS}, auth=ADMIN, summary="商品の変更")
def update_product(request: HttpRequest, product_id: ProductId, body: ProductPatch) -> dict[str, Any]:
    """Change a product; new set components re-allocate the orders waiting for the set."""
    changes = body.model_dump(exclude_unset=True)
    with transaction.atomic():
        product = Product.objects.select_for_update().get(pk=product_id)
        for name in ("name", "price", "is_set"):
            if name in changes:
                setattr(product, name, changes[name])
        product.full_clean()
        product.save()
        if body.components is not None:
            _set_components(product, body.components)
            writes.wake_orders_waiting_for([product.pk], timezone.now())
        elif not product.is_set and product.components.exists():
            raise ValidationError({"is_set": "構成のある商品をセットでなくするには components: [] も指定してください"})
    return get_product(request, product.pk)


# -- mappings -----------------------------------------------------------------------------------------------


class MappingOut(Schema):
    """A mall item (+ variant) of one shop mapped to a SKU."""

    id: int
    shop: int
    shop_code: str
    mall_item_id: str
    mall_variant_id: str
    sku: str
    sync_stock: bool
    safety_stock: int
    pushed_quantity: int | None


class MappingPage(Schema):
    """One page of mappings."""

    items: list[MappingOut]
    next_cursor: str | None


class MappingFilter(PageParams):
    """Mapping list filters."""

    shop: Id | None = None
    sku: text(64) = ""
    mall_item_id: text(128) = ""


class MappingIn(Schema):
    """Map a mall item to a SKU (an existing mapping of the item is replaced)."""

    shop: Id
    mall_item_id: text(128, min_length=1)
    mall_variant_id: text(128) = ""
    sku: Sku
    sync_stock: bool = True
    safety_stock: int = Field(0, ge=0, le=1_000_000)


class MappingPatch(Schema):
    """Mapping fields to change."""

    sku: Sku = None  # type: ignore[assignment]
    sync_stock: bool = None  # type: ignore[assignment]
    safety_stock: int = Field(None, ge=0, le=1_000_000)  # type: ignore[assignment]


def mapping_payload(m: MallItemMapping) -> dict[str, Any]:
    """A mapping (shop and product selected)."""
    return {
        "id": m.pk,
        "shop": m.shop_id,
        "shop_code": m.shop.code,
        "mall_item_id": m.mall_item_id,
        "mall_variant_id": m.mall_variant_id,
        "sku": m.product.code,
        "sync_stock": m.sync_stock,
        "safety_stock": m.safety_stock,
        "pushed_quantity": m.pushed_quantity,
    }


_MAPPINGS = MallItemMapping.objects.select_related("shop", "product")


@router.get("/mappings", response={200: MappingPage, **LIST_ERRORS}, auth=VIEWER, summary="商品マッピング一覧")
def list_mappings(request: HttpRequest, params: Query[MappingFilter]) -> dict[str, Any]:
    """Mappings in id order, by shop, SKU or mall item."""
    qs = _MAPPINGS.all()
    if params.shop is not None:
        qs = qs.filter(shop_id=params.shop)
    if params.sku:
        qs = qs.filter(product__code=params.sku)
    if params.mall_item_id:
        qs = qs.filter(mall_item_id=params.mall_item_id)
    rows, next_cursor = id_page(qs, params.cursor, params.limit)
    return page_payload([mapping_payload(m) for m in rows], next_cursor)


def _product(sku: str) -> Product:
    product = Product.objects.filter(code=sku).first()
    if product is None:
        raise ValidationError({"sku": f"SKU {sku} は登録されていません"})
    return product


@router.post("/mappings", response={200: MappingOut, **WRITE_ERRORS}, auth=ADMIN, summary="商品マッピングの登録")
def save_mapping(request: HttpRequest, body: MappingIn) -> dict[str, Any]:
    """Map a mall item to a SKU; open orders with the item unmapped pick it up at once."""
    if not Shop.objects.filter(pk=body.shop).exists():
        raise ValidationError({"shop": f"ショップID {body.shop} は登録されていません"})
    product = _product(body.sku)
    with transaction.atomic():
        map_item(body.shop, body.mall_item_id, body.mall_variant_id, product, timezone.now())
        mapping = MallItemMapping.objects.get(
            shop_id=body.shop, mall_item_id=body.mall_item_id, mall_variant_id=body.mall_variant_id
        )
        MallItemMapping.objects.filter(pk=mapping.pk).update(sync_stock=body.sync_stock, safety_stock=body.safety_stock)
    return mapping_payload(_MAPPINGS.get(pk=mapping.pk))


@router.patch(
    "/mappings/{mapping_id}", response={200: MappingOut, **WRITE_ERRORS}, auth=ADMIN, summary="商品マッピングの変更"
)
def update_mapping(request: HttpRequest, mapping_id: MappingId, body: MappingPatch) -> dict[str, Any]:
    """Change a mapping's SKU or its stock sync settings."""
    mapping = _MAPPINGS.get(pk=mapping_id)
    changes = body.model_dump(exclude_unset=True)
    with transaction.atomic():
        if "sku" in changes:
            product = _product(changes.pop("sku"))
            map_item(mapping.shop_id, mapping.mall_item_id, mapping.mall_variant_id, product, timezone.now())
        if changes:
            MallItemMapping.objects.filter(pk=mapping.pk).update(**changes)
    return mapping_payload(_MAPPINGS.get(pk=mapping.pk))


# -- stock --------------------------------------------------------------------------------------------------


class StockOut(Schema):
    """One SKU's stock in one warehouse."""

    warehouse: str
    sku: str
    on_hand: int
    allocated: int
    available: int
    updated_at: datetime


class StockPage(Schema):
    """One page of stock rows."""

    items: list[StockOut]
    next_cursor: str | None


class StockFilter(PageParams):
    """Stock list filters."""

    warehouse: text(40) = Field("", description="倉庫コード")
    sku: text(64) = ""


@router.get("/stock", response={200: StockPage, **LIST_ERRORS}, auth=VIEWER, summary="在庫")
def list_stock(request: HttpRequest, params: Query[StockFilter]) -> dict[str, Any]:
    """Stock per warehouse and SKU: on hand, allocated (引当) and available."""
    qs = Stock.objects.select_related("warehouse", "product")
    if params.warehouse:
        qs = qs.filter(warehouse__code=params.warehouse)
    if params.sku:
        qs = qs.filter(product__code=params.sku)
    rows, next_cursor = id_page(qs, params.cursor, params.limit)
    items = [
        {
            "warehouse": s.warehouse.code,
            "sku": s.product.code,
            "on_hand": s.on_hand,
            "allocated": s.allocated,
            "available": s.available,
            "updated_at": s.updated_at,
        }
        for s in rows
    ]
    return page_payload(items, next_cursor)
