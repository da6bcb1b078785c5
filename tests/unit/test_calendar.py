"""Warehouse calendars, cutoffs (締め時間) and ship-by days (pipeline.md §5–6)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from juchu.domain.calendar import (
    JST,
    OWN_WAREHOUSE_DEFAULT,
    RSL_CALENDAR,
    SEARCH_DAYS,
    WarehouseCalendar,
)

RSL = RSL_CALENDAR
OWN = OWN_WAREHOUSE_DEFAULT
D = date.fromisoformat


def jst(text: str) -> datetime:
    """An aware JST instant from ``YYYY-MM-DD HH:MM:SS``."""
    return datetime.fromisoformat(text).replace(tzinfo=JST)


def utc(text: str) -> datetime:
    """An aware UTC instant from ``YYYY-MM-DD HH:MM:SS``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- shipping days -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("calendar", "day", "ships"),
    [
        pytest.param(RSL, D("2026-06-10"), True, id="RSL weekday"),
        pytest.param(RSL, D("2026-06-13"), True, id="RSL Saturday"),
        pytest.param(RSL, D("2026-06-14"), True, id="RSL Sunday"),
        pytest.param(RSL, D("2027-01-01"), True, id="RSL 元日"),
        pytest.param(RSL, D("2026-11-23"), True, id="RSL 勤労感謝の日"),
        pytest.param(OWN, D("2026-06-12"), True, id="own Friday"),
        pytest.param(OWN, D("2026-06-13"), False, id="own Saturday"),
        pytest.param(OWN, D("2026-06-14"), False, id="own Sunday"),
        pytest.param(OWN, D("2026-11-23"), False, id="own 勤労感謝の日 (Monday)"),
        pytest.param(OWN, D("2027-01-01"), False, id="own 元日 (Friday)"),
        pytest.param(OWN, D("2026-09-22"), False, id="own 国民の休日"),
        pytest.param(OWN, D("2026-05-06"), False, id="own 振替休日"),
        pytest.param(OWN, D("2026-11-24"), True, id="own day after a holiday"),
        pytest.param(WarehouseCalendar(every_day=False), D("2026-11-23"), True, id="weekdays, holidays ignored"),
    ],
)
def test_shipping_days_follow_the_warehouse_calendar(calendar: WarehouseCalendar, day: date, ships: bool) -> None:
    assert calendar.is_shipping_day(day) is ships


@pytest.mark.parametrize(
    ("calendar", "day", "ships"),
    [
        pytest.param(
            WarehouseCalendar(closures=frozenset({D("2026-06-14")})), D("2026-06-14"), False, id="RSL closure"
        ),
        pytest.param(
            WarehouseCalendar(every_day=False, observe_holidays=True, closures=frozenset({D("2026-06-10")})),
            D("2026-06-10"),
            False,
            id="own closure on a weekday",
        ),
        pytest.param(
            WarehouseCalendar(every_day=False, observe_holidays=True, open_days=frozenset({D("2026-06-13")})),
            D("2026-06-13"),
            True,
            id="open day on a Saturday",
        ),
        pytest.param(
            WarehouseCalendar(every_day=False, observe_holidays=True, open_days=frozenset({D("2026-11-23")})),
            D("2026-11-23"),
            True,
            id="open day on a public holiday",
        ),
        pytest.param(
            WarehouseCalendar(
                every_day=False,
                observe_holidays=True,
                open_days=frozenset({D("2026-06-13")}),
                closures=frozenset({D("2026-06-13")}),
            ),
            D("2026-06-13"),
            False,
            id="closure beats open day",
        ),
    ],
)
def test_closures_close_and_open_days_open_except_on_a_closure(
    calendar: WarehouseCalendar, day: date, ships: bool
) -> None:
    assert calendar.is_shipping_day(day) is ships


@pytest.mark.parametrize(
    ("calendar", "day", "include", "expected"),
    [
        pytest.param(RSL, D("2026-06-13"), True, D("2026-06-13"), id="RSL same day"),
        pytest.param(RSL, D("2026-06-13"), False, D("2026-06-14"), id="RSL strictly after"),
        pytest.param(OWN, D("2026-06-13"), True, D("2026-06-15"), id="own Saturday to Monday"),
        pytest.param(OWN, D("2026-06-12"), False, D("2026-06-15"), id="own after Friday is Monday"),
        pytest.param(OWN, D("2026-11-21"), True, D("2026-11-24"), id="own over the 勤労感謝の日 weekend"),
        pytest.param(OWN, D("2026-12-31"), False, D("2027-01-04"), id="own over 元日 and the weekend"),
    ],
)
def test_next_shipping_day_skips_days_the_warehouse_does_not_ship(
    calendar: WarehouseCalendar, day: date, include: bool, expected: date
) -> None:
    assert calendar.next_shipping_day(day, include=include) == expected


def test_next_shipping_day_looks_a_year_ahead_then_gives_up() -> None:
    start = D("2026-01-01")
    closed_a_year = frozenset(start + timedelta(days=n) for n in range(SEARCH_DAYS - 1))
    last_chance = WarehouseCalendar(closures=closed_a_year)
    never = WarehouseCalendar(closures=closed_a_year | {start + timedelta(days=SEARCH_DAYS - 1)})

    assert last_chance.next_shipping_day(start) == start + timedelta(days=SEARCH_DAYS - 1)
    with pytest.raises(ValueError, match="no shipping day within 366 days of 2026-01-01"):
        never.next_shipping_day(start)


# --- cutoff and ship-by --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("calendar", "when", "expected"),
    [
        pytest.param(RSL, jst("2026-06-10 00:00:00"), D("2026-06-10"), id="RSL midnight is today"),
        pytest.param(RSL, jst("2026-06-10 15:29:00"), D("2026-06-10"), id="RSL 15:29:00 today"),
        pytest.param(RSL, jst("2026-06-10 15:29:59.999999"), D("2026-06-10"), id="RSL last microsecond today"),
        pytest.param(RSL, jst("2026-06-10 15:30:00"), D("2026-06-11"), id="RSL 15:30:00 tomorrow"),
        pytest.param(RSL, jst("2026-06-10 23:59:59"), D("2026-06-11"), id="RSL late evening tomorrow"),
        pytest.param(RSL, jst("2027-01-01 10:00:00"), D("2027-01-01"), id="RSL ships on 元日"),
        pytest.param(RSL, jst("2026-12-31 15:30:00"), D("2027-01-01"), id="RSL 大晦日 after cutoff to 元日"),
        pytest.param(RSL, jst("2026-06-14 15:29:59"), D("2026-06-14"), id="RSL ships on Sunday"),
        pytest.param(RSL, jst("2026-06-13 15:30:00"), D("2026-06-14"), id="RSL Saturday late to Sunday"),
        pytest.param(OWN, jst("2026-06-12 15:29:59"), D("2026-06-12"), id="own Friday before cutoff"),
        pytest.param(OWN, jst("2026-06-12 15:30:00"), D("2026-06-15"), id="own Friday after cutoff to Monday"),
        pytest.param(OWN, jst("2026-06-13 09:00:00"), D("2026-06-15"), id="own Saturday to Monday"),
        pytest.param(OWN, jst("2026-06-14 09:00:00"), D("2026-06-15"), id="own Sunday to Monday"),
        pytest.param(OWN, jst("2026-11-20 16:00:00"), D("2026-11-24"), id="own skips 勤労感謝の日 2026-11-23"),
        pytest.param(OWN, jst("2026-11-23 10:00:00"), D("2026-11-24"), id="own on 勤労感謝の日 to next day"),
        pytest.param(OWN, jst("2026-12-31 16:00:00"), D("2027-01-04"), id="own skips 元日 2027-01-01"),
    ],
)
def test_ship_by_is_the_first_shipping_day_whose_cutoff_is_ahead(
    calendar: WarehouseCalendar, when: datetime, expected: date
) -> None:
    assert calendar.ship_by(when) == expected


@pytest.mark.parametrize(
    ("calendar", "when", "expected"),
    [
        pytest.param(RSL, utc("2026-06-10 06:29:59"), D("2026-06-10"), id="15:29:59 JST given in UTC"),
        pytest.param(RSL, utc("2026-06-10 06:30:00"), D("2026-06-11"), id="15:30:00 JST given in UTC"),
        pytest.param(RSL, utc("2026-06-10 14:59:59"), D("2026-06-11"), id="23:59:59 JST is still the 10th"),
        pytest.param(RSL, utc("2026-06-10 15:00:00"), D("2026-06-11"), id="00:00 JST of the 11th"),
        pytest.param(RSL, utc("2026-06-09 23:00:00"), D("2026-06-10"), id="previous UTC date, JST morning"),
        pytest.param(OWN, utc("2026-06-11 15:00:00"), D("2026-06-12"), id="UTC Thursday is JST Friday 00:00"),
        pytest.param(OWN, utc("2026-06-12 14:59:59"), D("2026-06-15"), id="UTC Friday is JST Friday 23:59"),
        pytest.param(OWN, utc("2026-06-12 15:00:00"), D("2026-06-15"), id="UTC Friday is JST Saturday"),
        pytest.param(OWN, utc("2026-12-31 15:00:00"), D("2027-01-04"), id="UTC 大晦日 is JST 元日"),
        pytest.param(
            RSL,
            datetime(2026, 6, 10, 2, 29, 59, tzinfo=ZoneInfo("America/New_York")),
            D("2026-06-10"),
            id="other zone: 15:29:59 JST",
        ),
    ],
)
def test_ship_by_reads_the_day_in_japan_whatever_the_input_zone(
    calendar: WarehouseCalendar, when: datetime, expected: date
) -> None:
    assert calendar.ship_by(when) == expected


@pytest.mark.parametrize(
    ("calendar", "day", "expected"),
    [
        pytest.param(RSL, D("2026-06-10"), utc("2026-06-10 06:30:00"), id="RSL 15:30 JST"),
        pytest.param(WarehouseCalendar(cutoff=time(11, 59)), D("2026-06-10"), utc("2026-06-10 03:00:00"), id="11:59"),
        pytest.param(WarehouseCalendar(cutoff=time(23, 59)), D("2026-06-10"), utc("2026-06-10 15:00:00"), id="23:59"),
    ],
)
def test_cutoff_instant_is_the_minute_after_the_cutoff_in_utc(
    calendar: WarehouseCalendar, day: date, expected: datetime
) -> None:
    instant = calendar.cutoff_instant(day)

    assert instant == expected
    assert instant.tzinfo is UTC


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        pytest.param(jst("2026-06-10 11:58:59"), D("2026-06-10"), id="before"),
        pytest.param(jst("2026-06-10 11:59:59"), D("2026-06-10"), id="last second of the cutoff minute"),
        pytest.param(jst("2026-06-10 12:00:00"), D("2026-06-11"), id="after"),
    ],
)
def test_a_custom_cutoff_counts_its_whole_minute_as_today(when: datetime, expected: date) -> None:
    assert WarehouseCalendar(cutoff=time(11, 59)).ship_by(when) == expected


@pytest.mark.parametrize(
    "cutoff",
    [time(15, 29, 30), time(15, 29, 0, 1), time(15, 29, tzinfo=UTC)],
    ids=["seconds", "micro", "aware"],
)
def test_a_cutoff_must_be_a_naive_whole_minute(cutoff: time) -> None:
    with pytest.raises(ValueError, match="cutoff must be a naive whole minute"):
        WarehouseCalendar(cutoff=cutoff)


@pytest.mark.parametrize(
    ("calendar", "now", "expected"),
    [
        pytest.param(RSL, jst("2026-06-10 09:00:00"), utc("2026-06-10 06:30:00"), id="RSL today's cutoff"),
        pytest.param(RSL, jst("2026-06-10 15:30:00"), utc("2026-06-11 06:30:00"), id="RSL tomorrow's cutoff"),
        pytest.param(OWN, jst("2026-06-12 16:00:00"), utc("2026-06-15 06:30:00"), id="own Monday's cutoff"),
        pytest.param(OWN, jst("2026-11-22 12:00:00"), utc("2026-11-24 06:30:00"), id="own after 勤労感謝の日"),
    ],
)
def test_next_cutoff_is_the_cutoff_of_the_ship_by_day(
    calendar: WarehouseCalendar, now: datetime, expected: datetime
) -> None:
    cutoff = calendar.next_cutoff(now)

    assert cutoff == expected
    assert cutoff.tzinfo is UTC


@pytest.mark.parametrize(
    ("calendar", "now", "ships"),
    [
        pytest.param(RSL, jst("2026-06-14 15:29:59"), True, id="RSL Sunday before cutoff"),
        pytest.param(RSL, jst("2026-06-14 15:30:00"), False, id="RSL Sunday after cutoff"),
        pytest.param(OWN, jst("2026-06-12 10:00:00"), True, id="own Friday morning"),
        pytest.param(OWN, jst("2026-06-13 10:00:00"), False, id="own Saturday"),
        pytest.param(OWN, jst("2026-11-23 10:00:00"), False, id="own 勤労感謝の日"),
        pytest.param(RSL, utc("2026-06-10 15:30:00"), True, id="UTC evening is JST morning of the 11th"),
    ],
)
def test_ships_today_only_before_the_cutoff_on_a_shipping_day(
    calendar: WarehouseCalendar, now: datetime, ships: bool
) -> None:
    assert calendar.ships_today(now) is ships


@pytest.mark.parametrize(
    ("calendar", "now", "transit_days", "expected"),
    [
        pytest.param(RSL, jst("2026-06-10 15:29:59"), 1, D("2026-06-11"), id="RSL before cutoff, next day"),
        pytest.param(RSL, jst("2026-06-10 15:30:00"), 1, D("2026-06-12"), id="RSL after cutoff, day after"),
        pytest.param(RSL, jst("2026-06-10 10:00:00"), 2, D("2026-06-12"), id="RSL two days in transit"),
        pytest.param(RSL, jst("2026-06-10 10:00:00"), 0, D("2026-06-10"), id="same-day delivery"),
        pytest.param(OWN, jst("2026-06-12 16:00:00"), 1, D("2026-06-16"), id="own Friday late, Tuesday"),
        pytest.param(OWN, jst("2026-06-12 10:00:00"), 1, D("2026-06-13"), id="transit counts calendar days"),
    ],
)
def test_earliest_delivery_date_is_ship_by_plus_transit_days(
    calendar: WarehouseCalendar, now: datetime, transit_days: int, expected: date
) -> None:
    assert calendar.earliest_delivery_date(now, transit_days) == expected


def test_earliest_delivery_date_defaults_to_one_day_in_transit() -> None:
    assert RSL.earliest_delivery_date(jst("2026-06-10 10:00:00")) == D("2026-06-11")


def test_negative_transit_days_raise() -> None:
    with pytest.raises(ValueError, match="transit_days must not be negative"):
        RSL.earliest_delivery_date(jst("2026-06-10 10:00:00"), -1)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(RSL.ship_by, id="ship_by"),
        pytest.param(RSL.next_cutoff, id="next_cutoff"),
        pytest.param(RSL.earliest_delivery_date, id="earliest_delivery_date"),
        pytest.param(RSL.ships_today, id="ships_today"),
    ],
)
def test_naive_datetime_raises_value_error(call: Callable[[datetime], object]) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        call(datetime(2026, 6, 10, 10, 0))


# --- properties ----------------------------------------------------------------------------------

instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC))
calendars = st.sampled_from(
    [
        RSL,
        OWN,
        WarehouseCalendar(cutoff=time(9, 0), every_day=False, closures=frozenset({D("2026-06-15")})),
        WarehouseCalendar(cutoff=time(23, 59), every_day=False, observe_holidays=True),
    ]
)


@settings(max_examples=300)
@given(calendars, instants)
def test_ship_by_is_the_earliest_shipping_day_with_the_cutoff_still_ahead(
    calendar: WarehouseCalendar, when: datetime
) -> None:
    ship_by = calendar.ship_by(when)
    today = when.astimezone(JST).date()

    assert calendar.is_shipping_day(ship_by)
    assert when < calendar.cutoff_instant(ship_by) == calendar.next_cutoff(when)
    day = today
    while day < ship_by:
        assert not calendar.is_shipping_day(day) or calendar.cutoff_instant(day) <= when
        day += timedelta(days=1)
    assert calendar.ships_today(when) is (ship_by == today)
