"""The ``mall_sync`` sweep: read new and changed orders from each shop's mall and import them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from juchu.connectors import registry
from juchu.connectors.base import ConnectorError
from juchu.orders.importing import import_orders
from juchu.shops.models import Shop

log = logging.getLogger("juchu.sync")
#: Each fetch reaches back a little before the last one: the import is idempotent, and a mall's clock
#: or indexing lag never hides an order.
OVERLAP = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one sync of one shop did."""

    created: int
    updated: int
    errors: int
    failed: str = ""


def sync_shop(shop: Shop, now: datetime) -> SyncResult:
    """Fetch the shop's new and changed orders since its cursor and import them."""
    try:
        connector = registry.mall_connector(shop.connector, shop.connector_settings())
    except registry.UnknownConnector as exc:
        Shop.objects.filter(pk=shop.pk).update(last_sync_error=str(exc))
        return SyncResult(0, 0, 0, str(exc))
    if connector is None:
        return SyncResult(0, 0, 0)
    since = shop.sync_cursor - OVERLAP if shop.sync_cursor else None
    Shop.objects.filter(pk=shop.pk).update(last_sync_attempt_at=now)
    warning = shop.key_expiry_warning(now.date())
    if warning:
        log.warning("shop %s: %s", shop.code, warning)
    try:
        fetched = connector.fetch_new_orders(since, now)
    except ConnectorError as exc:
        # The cursor stays where it was: once the cause is fixed, the next sync reads everything missed.
        hint = f" ({warning})" if warning and exc.code == "AUTH" else ""
        message = f"{now:%Y-%m-%d %H:%M:%S} 受注取込に失敗: {exc}{hint}"
        Shop.objects.filter(pk=shop.pk).update(last_sync_error=message)
        return SyncResult(0, 0, 0, message)
    result = import_orders(shop, fetched.orders, now)
    errors = [f"{e.key}: {e.message}" for e in (*fetched.errors, *result.errors)]
    if warning:
        errors.insert(0, warning)
    Shop.objects.filter(pk=shop.pk).update(
        sync_cursor=fetched.cursor or now, last_sync_at=now, last_sync_error="\n".join(errors)[:5000]
    )
    return SyncResult(len(result.created), len(result.updated), len(errors))
