"""Catalogue changes that move orders: a new mapping, a stock arrival."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from juchu.catalog.models import MallItemMapping, Product, Stock
from juchu.domain.status import EDITABLE, OrderStatus
from juchu.orders import writes
from juchu.orders.models import Order, OrderLine


def map_item(shop_id: int, mall_item_id: str, mall_variant_id: str, product: Product, now: datetime) -> int:
    """Map a mall item (+ variant) to a SKU or set; unmapped lines of open orders pick it up. Returns orders woken."""
    with transaction.atomic():
        MallItemMapping.objects.update_or_create(
            shop_id=shop_id,
            mall_item_id=mall_item_id,
            mall_variant_id=mall_variant_id,
            defaults={"product": product},
        )
        lines = OrderLine.objects.filter(
            order__shop_id=shop_id,
            mall_item_id=mall_item_id,
            product__isnull=True,
            order__status__in=[s.value for s in EDITABLE],
        )
        if mall_variant_id:
            lines = lines.filter(mall_variant_id=mall_variant_id)
        order_ids = set(lines.values_list("order_id", flat=True))
        lines.update(product=product)
        return Order.objects.filter(id__in=order_ids).update(due_at=now)


def set_stock(warehouse_id: int, product: Product, on_hand: int, now: datetime) -> int:
    """Set a SKU's on-hand stock (a count or an arrival); orders waiting for it are woken. Returns orders woken."""
    if on_hand < 0:
        raise ValueError(f"在庫数 {on_hand} は0以上にしてください (SKU {product.code})")
    with transaction.atomic():
        stock, _ = Stock.objects.select_for_update().get_or_create(warehouse_id=warehouse_id, product=product)
        grew = on_hand > stock.on_hand
        stock.on_hand = on_hand
        stock.save(update_fields=["on_hand", "updated_at"])
        return writes.wake_orders_waiting_for([product.pk], now) if grew else 0


def waiting_for_stock(warehouse_id: int) -> int:
    """How many 確認済 orders of the warehouse wait for allocation."""
    return Order.objects.filter(warehouse_id=warehouse_id, status=OrderStatus.CHECKED.value, allocated=False).count()
