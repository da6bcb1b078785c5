"""Delivery-quality metrics (配送品質): 納期遵守率, lead time, cutoff misses and the 最強翌日配送 criteria.

Pure functions over plain values; the queries that feed them live in ``juchu.orders.metrics``; why an order
missed its cutoff is worked out from its timeline in ``juchu.domain.metrics_holds``. Days are
Japanese days (JST). Cancelled orders count nowhere.

Definitions (docs/manual/metrics.md explains them to operators):

- **締め時間基準日** (cutoff day) of an order: the warehouse calendar's ship-by day at the moment the request
  could first go out, ``ordered_at`` + the shop's buyer-cancel grace (pipeline.md §6: ordered before the cutoff
  of a shipping day → that day, else the next shipping day). When a package carries a requested delivery date
  (お届け希望日), never earlier than the day before the latest such date (one day in transit assumed).
- **出荷期限日** (ship-by day): the warehouse's own ship-by date on the order's shipment requests (the earliest
  one given, ``ShipmentRequest.ship_by``) when the warehouse gave one, else the cutoff day.
- **出荷日** (ship day): the day the order's last package shipped (``Shipment.shipped_on``); an order counts as
  shipped only when every package has.
- **納期遵守率**: among orders whose ship-by day falls in the period and is decided (shipped, or the ship-by day
  is over), the share shipped on or before their ship-by day. Orders not shipped yet whose ship-by day is today
  or later are *pending* and left out. **締め時間内出荷率** is the same over the cutoff day.
- **リードタイム** (lead time): hours from ``ordered_at`` to the shipment instant, for orders whose ship day falls in
  the period. Warehouses report a ship *date*, not a time: the instant is when Juchu recorded the shipment,
  clamped into the ship day (00:00–23:59:59 JST).
- **6日以内出荷率**: among orders shipped in the period, the share whose ship day is at most 6 calendar days after
  the order day. Delivery is not known to Juchu, so this is an *upper bound* of Rakuten's 6日以内お届け件数比率.
- **Percentiles** (p50 = median, p95) interpolate linearly between closest ranks, exactly like Excel's
  ``PERCENTILE.INC`` and ``statistics.quantiles(method="inclusive")``: for sorted values ``x[0..n-1]`` the
  p-th percentile is at rank ``r = p/100 * (n - 1)``: ``x[floor r] + (r - floor r) * (x[floor r + 1] - x[floor r])``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache

from juchu.domain.calendar import JST, WarehouseCalendar

#: 最強翌日配送's shop criteria (own shipping, pipeline.md §7): on-time rate and shipments a month.
COMPLIANCE_TARGET_PERCENT = 96
MONTHLY_SHIPMENTS_TARGET = 100
#: Rakuten's delivery window (6日以内お届け); Juchu can only check the ship day against it.
SIX_DAYS = 6

_DAY = timedelta(days=1)
_LAST_SECOND = timedelta(hours=23, minutes=59, seconds=59)


class Granularity(StrEnum):
    """Rows per day (日別) or per month (月別)."""

    DAY = "day"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What the metrics need to know about one order (one row per order, packages already combined)."""

    order_id: int
    number: str
    shop_id: int
    warehouse_id: int
    ordered_at: datetime
    #: When the shipment request could first go out: ``ordered_at`` + the shop's grace period.
    ready_at: datetime
    #: The latest requested delivery date over the packages, if any.
    requested_date: date | None = None
    #: The warehouse's ship-by date (the earliest it gave for the order's requests), if any.
    warehouse_ship_by: date | None = None
    #: The ship day of the last package, set only when every package has shipped.
    shipped_on: date | None = None
    #: When Juchu recorded that last shipment.
    recorded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """One order judged against its days; ``None`` in a verdict means not decided yet (pending)."""

    facts: OrderFacts
    cutoff_day: date
    ship_by: date
    #: "warehouse" when the ship-by day is the warehouse's, "cutoff" when it is the cutoff day.
    ship_by_source: str
    shipped_at: datetime | None
    on_time: bool | None
    met_cutoff: bool | None
    lead_hours: float | None
    within_six_days: bool | None


@dataclass(frozen=True, slots=True)
class PeriodMetrics:
    """The figures of one day, one month, or one shop or warehouse over a range."""

    start: date
    #: Orders whose ship-by day is in the period and decided (shipped, or the day is over).
    due: int = 0
    on_time: int = 0
    #: Orders whose cutoff day is met, among the same ``due`` orders.
    met_cutoff: int = 0
    #: Orders whose ship-by day is in the period, not shipped yet, the day not over.
    pending: int = 0
    #: Orders whose ship day is in the period.
    shipped: int = 0
    within_six_days: int = 0
    lead_p50: float | None = None
    lead_p95: float | None = None

    @property
    def late(self) -> int:
        """Due orders not shipped by their ship-by day."""
        return self.due - self.on_time

    @property
    def compliance(self) -> float | None:
        """納期遵守率 in percent; None when nothing was due."""
        return _percent(self.on_time, self.due)

    @property
    def cutoff_rate(self) -> float | None:
        """締め時間内出荷率 in percent; None when nothing was due."""
        return _percent(self.met_cutoff, self.due)

    @property
    def six_day_rate(self) -> float | None:
        """6日以内出荷率 in percent; None when nothing shipped."""
        return _percent(self.within_six_days, self.shipped)


@dataclass(frozen=True, slots=True)
class Criteria:
    """最強翌日配送's two shop criteria Juchu can check, for one month."""

    #: None when nothing was due (no rate to judge).
    compliance_met: bool | None
    shipments_met: bool

    @property
    def met(self) -> bool:
        """Both criteria met."""
        return bool(self.compliance_met) and self.shipments_met


def _percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else 100 * part / whole


def jst_day(when: datetime) -> date:
    """The Japanese calendar day of an aware instant."""
    if when.tzinfo is None:
        raise ValueError(f"naive datetime {when.isoformat()}: pass an aware datetime")
    return when.astimezone(JST).date()


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0 ≤ p ≤ 100) by linear interpolation (Excel PERCENTILE.INC); None when empty."""
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100, not {p}")
    if not values:
        return None
    ordered = sorted(values)
    rank = p / 100 * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (rank - low) * (ordered[high] - ordered[low])


@lru_cache(maxsize=8192)
def _ship_by_day(calendar: WarehouseCalendar, day: date, after_cutoff: bool) -> date:
    """``calendar.ship_by`` for any instant of ``day`` (JST) before or after the cutoff minute, memoised."""
    first = calendar.next_shipping_day(day)
    if first == day and after_cutoff:
        return calendar.next_shipping_day(day, include=False)
    return first


def cutoff_day(ready_at: datetime, requested_date: date | None, calendar: WarehouseCalendar) -> date:
    """The day the cutoff rule gives for a request that can go out at ``ready_at`` (see the module doc).

    Equal to ``calendar.ship_by(ready_at)`` (JST keeps no summer time, so the wall clock decides), but a
    month of orders shares a few dozen answers.
    """
    if ready_at.tzinfo is None:
        raise ValueError(f"naive datetime {ready_at.isoformat()}: pass an aware datetime")
    local = ready_at.astimezone(JST)
    after = (local.hour, local.minute) > (calendar.cutoff.hour, calendar.cutoff.minute)
    day = _ship_by_day(calendar, local.date(), after)
    if requested_date is not None:
        day = max(day, requested_date - _DAY)
    return day


def shipment_instant(shipped_on: date, recorded_at: datetime | None) -> datetime:
    """When the shipment happened, as well as Juchu knows: the recording time clamped into the ship day (JST)."""
    start = datetime.combine(shipped_on, time(0), tzinfo=JST)
    latest = start + _LAST_SECOND
    if recorded_at is None:
        return latest
    return min(max(recorded_at.astimezone(JST), start), latest)


def assess(facts: OrderFacts, calendar: WarehouseCalendar, today: date) -> Outcome:
    """Judge one (not cancelled) order against its ship-by and cutoff days as of ``today`` (JST)."""
    cut = cutoff_day(facts.ready_at, facts.requested_date, calendar)
    ship_by = facts.warehouse_ship_by if facts.warehouse_ship_by is not None else cut
    source = "warehouse" if facts.warehouse_ship_by is not None else "cutoff"
    shipped_on = facts.shipped_on
    if shipped_on is None:
        return Outcome(
            facts=facts,
            cutoff_day=cut,
            ship_by=ship_by,
            ship_by_source=source,
            shipped_at=None,
            on_time=False if ship_by < today else None,
            met_cutoff=False if cut < today else None,
            lead_hours=None,
            within_six_days=None,
        )
    shipped_at = shipment_instant(shipped_on, facts.recorded_at)
    lead = max(0.0, (shipped_at - facts.ordered_at).total_seconds() / 3600)
    return Outcome(
        facts=facts,
        cutoff_day=cut,
        ship_by=ship_by,
        ship_by_source=source,
        shipped_at=shipped_at,
        on_time=shipped_on <= ship_by,
        met_cutoff=shipped_on <= cut,
        lead_hours=lead,
        within_six_days=(shipped_on - jst_day(facts.ordered_at)).days <= SIX_DAYS,
    )


def month_start(day: date) -> date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s month (negative: before)."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    return add_months(day, 1) - _DAY


def period_starts(first: date, last: date, granularity: Granularity) -> list[date]:
    """The start of every day or month from ``first``'s to ``last``'s, in order."""
    if granularity is Granularity.DAY:
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]
    starts, current = [], month_start(first)
    while current <= last:
        starts.append(current)
        current = add_months(current, 1)
    return starts


def _bucket(granularity: Granularity) -> Callable[[date], date]:
    return (lambda d: d) if granularity is Granularity.DAY else month_start


def _metrics(start: date, due: Iterable[Outcome], shipped: Iterable[Outcome]) -> PeriodMetrics:
    n_due = n_on_time = n_cutoff = n_pending = 0
    for o in due:
        if o.on_time is None:
            n_pending += 1
            continue
        n_due += 1
        n_on_time += int(o.on_time)
        n_cutoff += bool(o.met_cutoff)
    shipped_list = list(shipped)
    leads = [o.lead_hours for o in shipped_list if o.lead_hours is not None]
    six = sum(1 for o in shipped_list if o.within_six_days)
    return PeriodMetrics(
        start=start,
        due=n_due,
        on_time=n_on_time,
        met_cutoff=n_cutoff,
        pending=n_pending,
        shipped=len(leads),
        within_six_days=six,
        lead_p50=percentile(leads, 50),
        lead_p95=percentile(leads, 95),
    )


def series(outcomes: Iterable[Outcome], granularity: Granularity, first: date, last: date) -> list[PeriodMetrics]:
    """One row per day or month from ``first`` to ``last`` (empty periods included).

    Due orders count in the period of their ship-by day; shipped orders (count, lead time, 6 days) in the
    period of their ship day.
    """
    key = _bucket(granularity)
    starts = period_starts(first, last, granularity)
    wanted = set(starts)
    due: dict[date, list[Outcome]] = defaultdict(list)
    shipped: dict[date, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if first <= o.ship_by <= last and key(o.ship_by) in wanted:
            due[key(o.ship_by)].append(o)
        on = o.facts.shipped_on
        if on is not None and first <= on <= last and key(on) in wanted:
            shipped[key(on)].append(o)
    return [_metrics(start, due[start], shipped[start]) for start in starts]


def summary(outcomes: Iterable[Outcome], first: date, last: date) -> PeriodMetrics:
    """The figures over the whole range ``first``..``last`` (one row)."""
    items = list(outcomes)
    return _metrics(
        first,
        (o for o in items if first <= o.ship_by <= last),
        (o for o in items if o.facts.shipped_on is not None and first <= o.facts.shipped_on <= last),
    )


def breakdown(
    outcomes: Iterable[Outcome], key: Callable[[OrderFacts], int], first: date, last: date
) -> dict[int, PeriodMetrics]:
    """:func:`summary` per shop or warehouse (``key`` picks the id from the facts); ids without orders absent."""
    groups: dict[int, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[key(o.facts)].append(o)
    return {k: summary(items, first, last) for k, items in groups.items()}


def judge(month: PeriodMetrics) -> Criteria:
    """最強翌日配送's criteria over one month's figures: 納期遵守率 ≥ 96 % and ≥ 100 shipments."""
    compliance = None if month.due == 0 else month.on_time * 100 >= COMPLIANCE_TARGET_PERCENT * month.due
    return Criteria(compliance_met=compliance, shipments_met=month.shipped >= MONTHLY_SHIPMENTS_TARGET)


def missed_cutoff(outcomes: Iterable[Outcome], first: date, last: date) -> list[Outcome]:
    """Orders whose ship-by day falls in the range and whose cutoff day was missed, newest cutoff day first.

    Orders still pending against their ship-by day are listed once their cutoff day is over.
    """
    missed = [o for o in outcomes if o.met_cutoff is False and first <= o.ship_by <= last]
    return sorted(missed, key=lambda o: (o.cutoff_day, o.facts.ordered_at, o.facts.order_id), reverse=True)
