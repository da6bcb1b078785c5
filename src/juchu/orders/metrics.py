"""The queries behind the delivery-quality metrics (配送品質): one row per order, combined in SQL, judged by
``juchu.domain.metrics``.

A report reads three grouped queries (orders; their packages with shipments; their shipment requests' ship-by
dates) over the orders that can fall in the range: ordered from two weeks before it to its end, or shipped,
due at the warehouse or requested for delivery within it. The timelines (order events) are read only for the
listed cutoff misses, at most :data:`MISSED_LIMIT` orders.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Max, Min, Q, QuerySet

from juchu.domain import metrics as m
from juchu.domain import metrics_holds as holds
from juchu.domain.calendar import JST, WarehouseCalendar
from juchu.domain.status import OrderStatus
from juchu.fulfillment.models import Shipment, ShipmentRequest, Warehouse
from juchu.orders.models import Order, OrderEvent, Package
from juchu.shops.models import Shop

#: How far before the range an order may have been placed and still be due in it (without a warehouse date).
LOOKBACK = timedelta(days=14)
#: Cutoff misses listed with their reason; the rest are only counted.
MISSED_LIMIT = 200
_DAY = timedelta(days=1)
_SHIPPED = frozenset({OrderStatus.SHIPPED.value, OrderStatus.COMPLETED.value})
#: Months shown by the per-month view (the selected month and the ones before it).
MONTHS_SHOWN = 12


@dataclass(frozen=True)
class MetricsFilter:
    """Which orders: all, one shop's, one warehouse's."""

    shop_id: int | None = None
    warehouse_id: int | None = None


@dataclass(frozen=True)
class MissedOrder:
    """A cutoff miss with what held the order (None when its timeline says nothing)."""

    outcome: m.Outcome
    reason: holds.HoldReason | None


@dataclass(frozen=True)
class ShopRow:
    """One shop's month and its 最強翌日配送 verdict."""

    shop: Shop
    metrics: m.PeriodMetrics
    criteria: m.Criteria


@dataclass(frozen=True)
class WarehouseRow:
    """One warehouse's month."""

    warehouse: Warehouse
    metrics: m.PeriodMetrics


@dataclass(frozen=True)
class Report:
    """Everything the metrics page, its CSV and the top page's card show."""

    month: date
    granularity: m.Granularity
    first: date
    last: date
    today: date
    rows: list[m.PeriodMetrics]
    total: m.PeriodMetrics
    criteria: m.Criteria
    shops: list[ShopRow]
    warehouses: list[WarehouseRow]
    missed: list[MissedOrder]
    missed_count: int

    @property
    def month_over(self) -> bool:
        """Whether the selected month has ended (its verdict is final)."""
        return m.month_end(self.month) < self.today


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=JST)


def _candidates(first: date, last: date, f: MetricsFilter) -> QuerySet[Order]:
    """Orders (not cancelled) whose ship-by, cutoff or ship day can fall within ``first``..``last``."""
    orders = Order.objects.exclude(status=OrderStatus.CANCELLED.value).filter(ordered_at__lt=_midnight(last + _DAY))
    if f.shop_id is not None:
        orders = orders.filter(shop_id=f.shop_id)
    if f.warehouse_id is not None:
        orders = orders.filter(warehouse_id=f.warehouse_id)
    window = (first, last)
    return orders.filter(
        Q(ordered_at__gte=_midnight(first) - LOOKBACK)
        | Q(id__in=Shipment.objects.filter(shipped_on__range=window).values("package__order_id"))
        | Q(id__in=ShipmentRequest.objects.filter(ship_by__range=window).values("order_id"))
        | Q(id__in=Package.objects.filter(requested_date__range=(first + _DAY, last + _DAY)).values("order_id"))
    )


def load_facts(first: date, last: date, f: MetricsFilter) -> list[m.OrderFacts]:
    """The facts of every order that can count in the range.

    Orders shipped or completed without every package's shipment recorded are left out: their ship day is
    unknown.
    """
    candidates = _candidates(first, last, f)
    grace = {shop.pk: shop.grace_period for shop in Shop.objects.all()}
    packages = {
        row["order_id"]: row
        for row in Package.objects.filter(order_id__in=candidates.values("id"))
        .values("order_id")
        .annotate(
            n=Count("id"),
            shipped=Count("shipment"),
            requested=Max("requested_date"),
            shipped_on=Max("shipment__shipped_on"),
            recorded=Max("shipment__recorded_at"),
        )
    }
    ship_by = dict(
        ShipmentRequest.objects.filter(order_id__in=candidates.values("id"), ship_by__isnull=False)
        .values("order_id")
        .annotate(first_ship_by=Min("ship_by"))
        .values_list("order_id", "first_ship_by")
    )
    facts = []
    for pk, number, shop_id, warehouse_id, ordered_at, status in candidates.values_list(
        "id", "mall_order_number", "shop_id", "warehouse_id", "ordered_at", "status"
    ):
        pkg = packages.get(pk, {})
        complete = bool(pkg) and pkg["n"] == pkg["shipped"]
        if status in _SHIPPED and not complete:
            continue  # shipped without a shipment Juchu recorded (e.g. marked at the mall): its ship day is unknown
        facts.append(
            m.OrderFacts(
                order_id=pk,
                number=number,
                shop_id=shop_id,
                warehouse_id=warehouse_id,
                ordered_at=ordered_at,
                ready_at=ordered_at + grace.get(shop_id, timedelta(0)),
                requested_date=pkg.get("requested"),
                warehouse_ship_by=ship_by.get(pk),
                shipped_on=pkg["shipped_on"] if complete else None,
                recorded_at=pkg["recorded"] if complete else None,
            )
        )
    return facts


def calendars() -> dict[int, WarehouseCalendar]:
    """Every warehouse's calendar (two queries)."""
    return {w.pk: w.calendar() for w in Warehouse.objects.prefetch_related("closures")}


def _reasons(missed: list[m.Outcome], cals: dict[int, WarehouseCalendar], now: datetime) -> list[MissedOrder]:
    """Each miss with the status that held it longest (two queries for the listed orders)."""
    ids = [o.facts.order_id for o in missed]
    imported = dict(Order.objects.filter(id__in=ids).values_list("id", "imported_at"))
    transitions: dict[int, list[holds.Transition]] = defaultdict(list)
    tags: dict[int, list[holds.TagChange]] = defaultdict(list)
    events = OrderEvent.objects.filter(order_id__in=ids, kind__in=["transition", "tag_added", "tag_cleared"])
    for order_id, at, kind, source, target, detail in events.values_list(
        "order_id", "at", "kind", "from_status", "to_status", "detail"
    ):
        if kind == "transition":
            transitions[order_id].append(holds.Transition(at, source, target))
        elif isinstance(detail, dict) and detail.get("tag"):
            tags[order_id].append(holds.TagChange(at, str(detail["tag"]), kind == "tag_added"))
    found = []
    for outcome in missed:
        facts = outcome.facts
        end = outcome.shipped_at or now
        spans = holds.status_spans(
            facts.ordered_at,
            imported.get(facts.order_id, facts.ordered_at),
            transitions[facts.order_id],
            tags[facts.order_id],
            end,
        )
        calendar = cals.get(facts.warehouse_id, WarehouseCalendar())
        deadline = calendar.cutoff_instant(outcome.cutoff_day)
        found.append(MissedOrder(outcome, holds.hold_reason(spans, deadline)))
    return found


def _touches(outcome: m.Outcome, first: date, last: date) -> bool:
    shipped_on = outcome.facts.shipped_on
    return first <= outcome.ship_by <= last or (shipped_on is not None and first <= shipped_on <= last)


def build_report(
    month: date,
    granularity: m.Granularity,
    f: MetricsFilter,
    now: datetime,
    *,
    with_missed: bool = True,
) -> Report:
    """The figures of ``month`` (per day) or of the :data:`MONTHS_SHOWN` months up to it (per month)."""
    month = m.month_start(month)
    today = m.jst_day(now)
    last = m.month_end(month)
    first = month if granularity is m.Granularity.DAY else m.add_months(month, 1 - MONTHS_SHOWN)
    cals = calendars()
    facts = load_facts(first, last, f)
    default = WarehouseCalendar()
    outcomes = [m.assess(x, cals.get(x.warehouse_id, default), today) for x in facts]
    in_month = [o for o in outcomes if _touches(o, month, last)]
    total = m.summary(in_month, month, last)
    by_shop = m.breakdown(in_month, lambda x: x.shop_id, month, last)
    by_warehouse = m.breakdown(in_month, lambda x: x.warehouse_id, month, last)
    shops = Shop.objects.order_by("code")
    warehouses = Warehouse.objects.order_by("code")
    if f.shop_id is not None:
        shops = shops.filter(pk=f.shop_id)
    if f.warehouse_id is not None:
        warehouses = warehouses.filter(pk=f.warehouse_id)
    empty = m.PeriodMetrics(start=month)
    shop_rows = [
        ShopRow(s, by_shop.get(s.pk, empty), m.judge(by_shop.get(s.pk, empty)))
        for s in shops
        if s.active or s.pk in by_shop
    ]
    warehouse_rows = [WarehouseRow(w, by_warehouse.get(w.pk, empty)) for w in warehouses if w.pk in by_warehouse]
    missed_all = m.missed_cutoff(in_month, month, last)
    missed = _reasons(missed_all[:MISSED_LIMIT], cals, now) if with_missed else []
    return Report(
        month=month,
        granularity=granularity,
        first=first,
        last=last,
        today=today,
        rows=m.series(outcomes, granularity, first, last),
        total=total,
        criteria=m.judge(total),
        shops=shop_rows,
        warehouses=warehouse_rows,
        missed=missed,
        missed_count=len(missed_all),
    )
