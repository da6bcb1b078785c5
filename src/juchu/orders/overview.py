"""The top page's figures: cutoffs per warehouse, orders at risk, stuck orders, connector health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count

from juchu.catalog import reconcile
from juchu.domain.status import OrderStatus
from juchu.fulfillment.models import Warehouse
from juchu.orders import queries
from juchu.orders.models import Order, OrderTag
from juchu.shops.models import Shop

#: How long an order may stay in a status before the top page calls it stuck (停滞).
STUCK_AFTER: dict[OrderStatus, timedelta] = {
    OrderStatus.NEW: timedelta(hours=2),
    OrderStatus.AWAITING_CHECK: timedelta(hours=4),
    OrderStatus.CHECKED: timedelta(days=3),
    OrderStatus.AWAITING_SHIPMENT: timedelta(minutes=30),
    OrderStatus.SHIPPING: timedelta(days=2),
    OrderStatus.PARTIALLY_SHIPPED: timedelta(days=2),
    OrderStatus.SHIPPED: timedelta(hours=6),
}


@dataclass(frozen=True)
class WarehouseCutoff:
    """A warehouse's next cutoff and the orders that will miss it unless someone acts."""

    warehouse: Warehouse
    cutoff_at: datetime
    ships_today: bool
    seconds_left: int
    at_risk: int
    last_error: str


@dataclass(frozen=True)
class StuckCount:
    """Orders longer than the threshold in one status."""

    status: OrderStatus
    threshold: timedelta
    count: int


@dataclass(frozen=True)
class ShopHealth:
    """A shop's connection: last successful sync, last error, key expiry warning."""

    shop: Shop
    last_sync_at: datetime | None
    error: str
    stock_error: str
    key_warning: str
    #: The last stock reconciliation (在庫照合): when, how many items differed, why it failed.
    reconciled_at: datetime | None = None
    stock_differences: int = 0
    reconcile_error: str = ""


@dataclass(frozen=True)
class Oversold:
    """Orders the stock could not cover (引当待ち): the mall sold more than the warehouse holds."""

    count: int
    orders: list[Order]


def cutoffs(now: datetime) -> list[WarehouseCutoff]:
    """Each warehouse's next cutoff and how many of its orders are at risk of missing it."""
    at_risk = dict(
        Order.objects.filter(
            status__in=[OrderStatus.AWAITING_CHECK.value, OrderStatus.CHECKED.value],
            id__in=OrderTag.objects.filter(code="cutoff_at_risk").values("order_id"),
        )
        .values_list("warehouse_id")
        .annotate(n=Count("id"))
        .values_list("warehouse_id", "n")
    )
    found = []
    for warehouse in Warehouse.objects.prefetch_related("closures").order_by("code"):
        calendar = warehouse.calendar()
        cutoff_at = calendar.next_cutoff(now)
        found.append(
            WarehouseCutoff(
                warehouse=warehouse,
                cutoff_at=cutoff_at,
                ships_today=calendar.ships_today(now),
                seconds_left=max(0, int((cutoff_at - now).total_seconds())),
                at_risk=at_risk.get(warehouse.pk, 0),
                last_error=warehouse.last_error,
            )
        )
    return found


def stuck(now: datetime) -> list[StuckCount]:
    """Per status, the orders that have been in it longer than its threshold (one indexed count each)."""
    return [
        StuckCount(
            status,
            threshold,
            Order.objects.filter(status=status.value, status_changed_at__lt=now - threshold).count(),
        )
        for status, threshold in STUCK_AFTER.items()
    ]


def shop_health(today: date) -> list[ShopHealth]:
    """Every active shop's sync state and its last stock reconciliation."""
    shops = list(Shop.objects.filter(active=True).order_by("code"))
    runs = reconcile.latest([shop.pk for shop in shops])
    found = []
    for shop in shops:
        run = runs.get(shop.pk)
        found.append(
            ShopHealth(
                shop=shop,
                last_sync_at=shop.last_sync_at,
                error=shop.last_sync_error,
                stock_error=shop.last_stock_push_error,
                key_warning=shop.key_expiry_warning(today),
                reconciled_at=run.run_at if run else None,
                stock_differences=len(run.differences) if run else 0,
                reconcile_error=run.error if run else "",
            )
        )
    return found


def oversold(limit: int = 20) -> Oversold:
    """Open orders waiting for stock that is not there (引当待ち), oldest first."""
    waiting = Order.objects.filter(status=OrderStatus.CHECKED.value, explanation__contains="引当待ち")
    return Oversold(waiting.count(), list(waiting.select_related("shop").order_by("ordered_at", "id")[:limit]))


def status_counts() -> dict[str, int]:
    """Orders per tab over everything (the top page's counts)."""
    return queries.tab_counts(queries.OrderFilter())
