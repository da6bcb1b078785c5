"""Warehouse stock into Juchu's books (在庫同期): what the warehouse can ship, plus what it holds for us."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Sum

from juchu.catalog.models import Allocation, Product, Stock
from juchu.connectors import registry
from juchu.connectors.base import ConnectorError
from juchu.domain.status import PackageStatus
from juchu.fulfillment.models import Warehouse
from juchu.orders import writes

log = logging.getLogger("juchu.stock")

#: Packages the warehouse has accepted: their units are reserved there, and still allocated in Juchu.
_RESERVED_AT_WAREHOUSE = (PackageStatus.ACCEPTED.value, PackageStatus.WITHDRAWAL_REQUESTED.value)


@dataclass(frozen=True, slots=True)
class StockSyncResult:
    """What one stock sync did."""

    updated: int
    unknown_skus: tuple[str, ...]
    woken_orders: int


def sync_stock(warehouse: Warehouse, now: datetime) -> StockSyncResult:
    """Read the warehouse's available stock and set each known SKU's on-hand quantity from it.

    The warehouse reports what it can still ship (available); Juchu's on-hand also counts the units the
    warehouse holds for requests it accepted, which Juchu still has allocated until they ship.
    """
    connector = registry.warehouse_connector(warehouse.connector, warehouse.connector_settings())
    if connector is None:
        return StockSyncResult(0, (), 0)
    try:
        levels = connector.fetch_stock(None)
    except ConnectorError as exc:
        Warehouse.objects.filter(pk=warehouse.pk).update(last_error=f"{now:%Y-%m-%d %H:%M:%S} 在庫同期: {exc}"[:2000])
        return StockSyncResult(0, (), 0)
    with transaction.atomic():
        products = dict(Product.objects.filter(code__in=[lv.sku for lv in levels]).values_list("code", "id"))
        reserved = dict(
            Allocation.objects.filter(warehouse=warehouse, line__package__shipment_status__in=_RESERVED_AT_WAREHOUSE)
            .values("product_id")
            .annotate(units=Sum("quantity"))
            .values_list("product_id", "units")
        )
        current = dict(Stock.objects.filter(warehouse=warehouse).values_list("product_id", "on_hand"))
        grew, updated = [], 0
        for level in levels:
            product_id = products.get(level.sku)
            if product_id is None:
                continue
            on_hand = max(0, level.quantity) + reserved.get(product_id, 0)
            if current.get(product_id) == on_hand:
                continue
            Stock.objects.update_or_create(warehouse=warehouse, product_id=product_id, defaults={"on_hand": on_hand})
            updated += 1
            if on_hand > current.get(product_id, 0):
                grew.append(product_id)
        woken = writes.wake_orders_waiting_for(grew, now)
        Warehouse.objects.filter(pk=warehouse.pk).update(last_stock_sync_at=now)
    unknown = tuple(sorted(lv.sku for lv in levels if lv.sku not in products))
    if unknown:
        log.info("warehouse %s reports %d SKUs Juchu does not know", warehouse.code, len(unknown))
    return StockSyncResult(updated, unknown, woken)
