"""Warehouse shipping calendars, same-day cutoffs (締め時間) and ship-by days (pipeline.md §5–6).

Days are warehouse days in Japan (JST). Every function that takes an instant wants an aware datetime and
raises ValueError for a naive one; instants come back in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import jpholiday

JST = ZoneInfo("Asia/Tokyo")

#: How far ahead :meth:`WarehouseCalendar.next_shipping_day` looks before giving up.
SEARCH_DAYS = 366

_MINUTE = timedelta(minutes=1)


@lru_cache(maxsize=4096)
def _is_public_holiday(d: date) -> bool:
    return bool(jpholiday.is_holiday(d))


def _require_aware(when: datetime) -> None:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"naive datetime {when.isoformat()}: pass an aware datetime")


@dataclass(frozen=True, slots=True)
class WarehouseCalendar:
    """When a warehouse ships, and until when a request still counts as today.

    A day ships unless it is in ``closures``; or it is a Saturday or Sunday and ``every_day`` is off; or
    it is a Japanese public holiday (振替休日 and 国民の休日 included) and ``observe_holidays`` is on.
    ``open_days`` ship even on a weekend or holiday, but never on a closure.
    """

    #: The last minute (JST) that still counts as today: 15:29 means 15:29:59 ships today, 15:30 not.
    cutoff: time = time(15, 29)
    every_day: bool = True
    observe_holidays: bool = False
    closures: frozenset[date] = frozenset()
    open_days: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if self.cutoff.tzinfo is not None or self.cutoff.second or self.cutoff.microsecond:
            raise ValueError(f"cutoff must be a naive whole minute (JST), not {self.cutoff.isoformat()}")

    def is_shipping_day(self, d: date) -> bool:
        """Whether the warehouse ships on ``d``."""
        if d in self.closures:
            return False
        if d in self.open_days:
            return True
        if not self.every_day and d.weekday() >= 5:
            return False
        return not (self.observe_holidays and _is_public_holiday(d))

    def next_shipping_day(self, d: date, *, include: bool = True) -> date:
        """The first shipping day from ``d`` (itself only when ``include``); ValueError if none in a year."""
        candidate = d if include else d + timedelta(days=1)
        for _ in range(SEARCH_DAYS):
            if self.is_shipping_day(candidate):
                return candidate
            candidate += timedelta(days=1)
        raise ValueError(f"no shipping day within {SEARCH_DAYS} days of {d.isoformat()}")

    def cutoff_instant(self, d: date) -> datetime:
        """The first instant (UTC) that no longer counts as ``d``: the minute after the cutoff, JST."""
        return (datetime.combine(d, self.cutoff, tzinfo=JST) + _MINUTE).astimezone(UTC)

    def ship_by(self, when: datetime) -> date:
        """The first shipping day whose cutoff is still ahead at ``when``."""
        _require_aware(when)
        today = when.astimezone(JST).date()
        day = self.next_shipping_day(today)
        if day == today and when >= self.cutoff_instant(day):
            day = self.next_shipping_day(day, include=False)
        return day

    def next_cutoff(self, now: datetime) -> datetime:
        """The cutoff instant (UTC) of the ship-by day: when a request made ``now`` stops counting for it."""
        return self.cutoff_instant(self.ship_by(now))

    def earliest_delivery_date(self, now: datetime, transit_days: int = 1) -> date:
        """The ship-by day plus ``transit_days`` calendar days."""
        if transit_days < 0:
            raise ValueError(f"transit_days must not be negative, not {transit_days}")
        return self.ship_by(now) + timedelta(days=transit_days)

    def ships_today(self, now: datetime) -> bool:
        """Whether a request made ``now`` still ships on today's date (JST)."""
        return self.ship_by(now) == now.astimezone(JST).date()


#: Rakuten Super Logistics: every day of the year, cutoff 15:29 (pipeline.md §5).
RSL_CALENDAR = WarehouseCalendar()
#: A shop's own warehouse: weekdays minus Japanese public holidays.
OWN_WAREHOUSE_DEFAULT = WarehouseCalendar(every_day=False, observe_holidays=True)
