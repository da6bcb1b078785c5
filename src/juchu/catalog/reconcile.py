"""The stock reconciliation (在庫照合): read each mapped item's stock back from the mall, compare it with what
Juchu says the mall should show, list the differences, and have the next push correct them.

The push (``stock_push``) sends only quantities that changed since the mall last accepted them, so a quantity
changed at the mall by hand (in RMS, say) would otherwise stay wrong until the warehouse stock moves. The
reconciliation finds such drift and forgets the pushed quantity of every differing mapping, so the next push
sends it again. It runs once a day per shop (``JUCHU_STOCK_RECONCILE_INTERVAL_SECONDS``), and on demand with
``juchu reconcile-stock``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from juchu.catalog.models import MallItemMapping, StockReconciliation
from juchu.catalog.stock_push import mall_item_key, sellable
from juchu.connectors import registry
from juchu.connectors.base import ConnectorError
from juchu.shops.models import Shop

log = logging.getLogger("juchu.reconcile")
#: How many runs per shop are kept.
KEEP_RUNS = 30


@dataclass(frozen=True, slots=True)
class Difference:
    """One mapped item whose stock at the mall differs from Juchu's."""

    mapping_id: int
    key: str
    product: str
    juchu: int
    mall: int | None

    def as_dict(self) -> dict[str, object]:
        return {
            "mapping_id": self.mapping_id,
            "key": self.key,
            "product": self.product,
            "juchu": self.juchu,
            "mall": self.mall,
        }


def compare(wanted: dict[str, tuple[int, str, int]], at_mall: dict[str, int]) -> list[Difference]:
    """Items whose mall quantity is not Juchu's: ``wanted`` key → (mapping id, product code, quantity)."""
    return [
        Difference(mapping_id, key, product, quantity, at_mall.get(key))
        for key, (mapping_id, product, quantity) in sorted(wanted.items())
        if at_mall.get(key) != quantity
    ]


def reconcile_shop(shop: Shop, now: datetime) -> StockReconciliation:
    """Compare the shop's mall stock with Juchu's, record the run, and mark the differing items for re-push."""
    run = StockReconciliation(shop=shop, run_at=now)
    try:
        connector = registry.mall_connector(shop.connector, shop.connector_settings())
    except registry.UnknownConnector as exc:
        connector, run.error = None, str(exc)
    read_stock = getattr(connector, "read_stock", None)
    if connector is not None and read_stock is None:
        run.error = f"このモール ({shop.get_mall_display()}) のコネクタは在庫の読み取りに対応していません"
    if read_stock is not None:
        quantities = sellable(shop)
        rows = MallItemMapping.objects.filter(id__in=list(quantities)).values_list(
            "id", "mall_item_id", "mall_variant_id", "product__code"
        )
        # A mall shows at most its largest quantity (Rakuten 99,999): the push sends that for more.
        cap = getattr(connector, "max_stock_quantity", None)
        wanted = {
            mall_item_key(item, variant): (pk, code, quantities[pk] if cap is None else min(cap, quantities[pk]))
            for pk, item, variant, code in rows
        }
        try:
            at_mall = {level.sku: level.quantity for level in read_stock(list(wanted))}
        except ConnectorError as exc:
            run.error = f"モールの在庫を読めませんでした: {exc}"
        else:
            differences = compare(wanted, at_mall)
            run.checked = len(wanted)
            run.differences = [d.as_dict() for d in differences]
    with transaction.atomic():
        run.save()
        if run.differences:
            MallItemMapping.objects.filter(id__in=[d["mapping_id"] for d in run.differences]).update(
                pushed_quantity=None
            )
        old = StockReconciliation.objects.filter(shop=shop).values_list("id", flat=True)[KEEP_RUNS:]
        StockReconciliation.objects.filter(id__in=list(old)).delete()
    if run.error and read_stock is not None:
        log.warning("stock reconciliation of shop %s: %s", shop.code, run.error)
    elif run.error:
        log.info("stock reconciliation of shop %s: %s", shop.code, run.error)
    return run


def latest(shop_ids: list[int] | None = None) -> dict[int, StockReconciliation]:
    """The last reconciliation of each shop (of the given shops)."""
    runs = StockReconciliation.objects.order_by("shop_id", "-run_at")
    if shop_ids is not None:
        runs = runs.filter(shop_id__in=shop_ids)
    found: dict[int, StockReconciliation] = {}
    for run in runs.select_related("shop"):
        found.setdefault(run.shop_id, run)
    return found
