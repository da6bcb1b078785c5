"""Applying catalogue rows read from CSV files: item mappings, products and stock counts.

Each function takes rows already checked by ``juchu.csvio.catalog_files`` and goes through the same
service functions as a person would (``map_item``, ``set_stock``), so orders waiting for a mapping or stock
are woken at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from juchu.catalog.models import MallItemMapping, Product
from juchu.catalog.services import map_item, set_stock


@dataclass(frozen=True, slots=True)
class MappingRow:
    """One row of the mapping file (商品マッピング)."""

    row: int
    delete: bool
    shop_id: int
    product_code: str
    mall_item_id: str
    mall_variant_id: str
    sync_stock: bool
    safety_stock: int | None


@dataclass(frozen=True, slots=True)
class ProductRow:
    """One row of the product file."""

    row: int
    code: str
    name: str
    price: int | None


@dataclass(frozen=True, slots=True)
class StockRow:
    """One row of the stock file: a count of one SKU in one warehouse."""

    row: int
    warehouse_id: int
    product_code: str
    on_hand: int


@dataclass
class Applied:
    """How many rows changed what, and how many orders were woken by them."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    woken: int = 0


def apply_mappings(rows: Sequence[MappingRow], products: dict[str, Product], now: datetime) -> Applied:
    """Create, update or delete mappings; ``products`` holds every SKU the rows name."""
    applied = Applied()
    with transaction.atomic():
        for r in rows:
            key = {"shop_id": r.shop_id, "mall_item_id": r.mall_item_id, "mall_variant_id": r.mall_variant_id}
            if r.delete:
                applied.deleted += MallItemMapping.objects.filter(**key).delete()[0]
                continue
            known = MallItemMapping.objects.filter(**key).exists()
            applied.woken += map_item(r.shop_id, r.mall_item_id, r.mall_variant_id, products[r.product_code], now)
            extra: dict[str, object] = {"sync_stock": r.sync_stock}
            if r.safety_stock is not None:
                extra["safety_stock"] = r.safety_stock
            MallItemMapping.objects.filter(**key).update(**extra)
            if known:
                applied.updated += 1
            else:
                applied.created += 1
    return applied


def apply_products(rows: Sequence[ProductRow]) -> Applied:
    """Create or update products by SKU code (a blank price keeps the stored one)."""
    applied = Applied()
    with transaction.atomic():
        known = {p.code: p for p in Product.objects.filter(code__in=[r.code for r in rows])}
        for r in rows:
            product = known.get(r.code)
            if product is None:
                known[r.code] = Product.objects.create(code=r.code, name=r.name, price=r.price or 0)
                applied.created += 1
                continue
            product.name = r.name or product.name
            if r.price is not None:
                product.price = r.price
            product.save(update_fields=["name", "price"])
            applied.updated += 1
    return applied


def apply_stock(rows: Sequence[StockRow], products: dict[str, Product], now: datetime) -> Applied:
    """Set on-hand counts; orders waiting for a SKU whose stock grew are woken."""
    applied = Applied()
    for r in rows:
        applied.woken += set_stock(r.warehouse_id, products[r.product_code], r.on_hand, now)
        applied.updated += 1
    return applied
