"""Mall stock in step with warehouse stock (在庫連動): push what each mapped item can still sell.

For every mapping with ``sync_stock``, the quantity shown at the mall is the product's available stock in the
shop's warehouse (on hand − allocated; with a 分割出荷 warehouse, in both) minus the mapping's safety stock,
never below 0; a set product can sell as many sets as its scarcest component allows in each warehouse. Only
quantities that changed since the last successful push are sent, in the mall's bulk call.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from juchu.catalog.models import MallItemMapping, SetComponent, Stock
from juchu.connectors import registry
from juchu.connectors.base import ConnectorError, Outcome, StockLevel
from juchu.shops.models import Shop

log = logging.getLogger("juchu.stock_push")


@dataclass(frozen=True, slots=True)
class PushResult:
    """What one push for one shop did."""

    pushed: int
    refused: int
    retried: int


def mall_item_key(mall_item_id: str, mall_variant_id: str) -> str:
    """How a mapping is named to the mall connector's ``push_stock``: ``item`` or ``item:variant``."""
    return f"{mall_item_id}:{mall_variant_id}" if mall_variant_id else mall_item_id


def sellable(shop: Shop) -> dict[int, int]:
    """Mapping id → the quantity the mall should show, for the shop's mappings that sync stock."""
    mappings = list(
        MallItemMapping.objects.filter(shop=shop, sync_stock=True).values_list(
            "id", "product_id", "product__is_set", "safety_stock"
        )
    )
    # 分割出荷: a shop that may ship from a second warehouse sells what both hold (decision 0010).
    warehouses = [w for w in (shop.warehouse_id, shop.split_warehouse_id) if w is not None]
    available: dict[int, dict[int, int]] = {w: {} for w in dict.fromkeys(warehouses)}
    for warehouse_id, product_id, on_hand, allocated in Stock.objects.filter(warehouse_id__in=warehouses).values_list(
        "warehouse_id", "product_id", "on_hand", "allocated"
    ):
        available[warehouse_id][product_id] = max(on_hand - allocated, 0)
    components: dict[int, list[tuple[int, int]]] = defaultdict(list)
    set_ids = [product_id for _id, product_id, is_set, _safety in mappings if is_set]
    for set_id, component_id, quantity in SetComponent.objects.filter(set_product_id__in=set_ids).values_list(
        "set_product_id", "component_id", "quantity"
    ):
        components[set_id].append((component_id, quantity))
    result = {}
    for mapping_id, product_id, is_set, safety in mappings:
        if is_set:  # a set is packed in one warehouse: its components count per warehouse
            parts = components.get(product_id, [])
            units = sum(min((stock.get(c, 0) // q for c, q in parts), default=0) for stock in available.values())
        else:
            units = sum(stock.get(product_id, 0) for stock in available.values())
        result[mapping_id] = max(0, units - safety)
    return result


def push_stock(shop: Shop, now: datetime) -> PushResult:
    """Send the shop's changed sellable quantities to its mall in one bulk call (the connector chunks it)."""
    connector = registry.mall_connector(shop.connector, shop.connector_settings())
    if connector is None:
        return PushResult(0, 0, 0)
    wanted = sellable(shop)
    rows = MallItemMapping.objects.filter(id__in=list(wanted)).values_list(
        "id", "mall_item_id", "mall_variant_id", "pushed_quantity"
    )
    changed = {
        mall_item_key(item, variant): (mapping_id, wanted[mapping_id])
        for mapping_id, item, variant, pushed in rows
        if pushed != wanted[mapping_id]
    }
    if not changed:
        return PushResult(0, 0, 0)
    try:
        answers = connector.push_stock([StockLevel(key, quantity) for key, (_id, quantity) in changed.items()])
    except ConnectorError as exc:
        log.warning("stock push for shop %s failed: %s", shop.code, exc)
        Shop.objects.filter(pk=shop.pk).update(last_stock_push_error=f"{now:%Y-%m-%d %H:%M:%S} {exc}"[:2000])
        return PushResult(0, 0, len(changed))
    pushed = refused = retried = 0
    errors = []
    with transaction.atomic():
        for answer in answers:
            mapping_id, quantity = changed.get(answer.key, (None, 0))
            if mapping_id is None:
                continue
            if answer.outcome is Outcome.ACCEPTED:
                MallItemMapping.objects.filter(id=mapping_id).update(pushed_quantity=quantity, pushed_at=now)
                pushed += 1
            elif answer.outcome is Outcome.REJECTED:
                refused += 1
                errors.append(f"{answer.key}: {answer.code} {answer.message}".strip())
            else:
                retried += 1
        Shop.objects.filter(pk=shop.pk).update(last_stock_push_at=now, last_stock_push_error="\n".join(errors)[:2000])
    return PushResult(pushed, refused, retried)
