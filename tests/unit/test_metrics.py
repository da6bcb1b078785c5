"""Delivery-quality metrics (juchu.domain.metrics) on a fixture month with hand-computed answers.

The fixture: November 2026 at RSL (every day, cutoff 15:29), no grace, judged on 2026-12-05 (month over).

| order | ordered (JST)  | wh ship-by | shipped | recorded    | cutoff day | ship-by | verdict           | lead h |
|-------|----------------|------------|---------|-------------|------------|---------|-------------------|--------|
| O0    | 10/31 16:00    | 11/01      | 11/01   | 11/01 09:00 | 11/01      | 11/01   | on time           | 17     |
| O1    | 11/02 10:00    | 11/02      | 11/02   | 11/02 16:00 | 11/02      | 11/02   | on time           | 6      |
| O2    | 11/02 15:00    | 11/02      | 11/02   | 11/02 18:00 | 11/02      | 11/02   | on time           | 3      |
| O3    | 11/02 15:45    | 11/03      | 11/03   | 11/03 17:45 | 11/03      | 11/03   | on time           | 26     |
| O4    | 11/03 09:00    | 11/04      | 11/04   | 11/04 12:00 | 11/03      | 11/04   | on time, cutoff ✗ | 27     |
| O5    | 11/04 11:00    | 11/04      | 11/05   | 11/05 10:00 | 11/04      | 11/04   | late              | 23     |
| O6    | 11/05 08:00    | —          | 11/05   | 11/05 20:00 | 11/05      | 11/05   | on time           | 12     |
| O7    | 11/06 14:00    | 11/06      | 11/06   | 11/06 20:00 | 11/06      | 11/06   | on time           | 6      |
| O8 ¹  | 11/10 10:00    | —          | 11/18   | 11/18 10:00 | 11/19      | 11/19   | on time, > 6 days | 192    |
| O9    | 11/28 10:00    | 11/28      | —       | —           | 11/28      | 11/28   | late (unshipped)  | —      |
| O10   | 11/30 20:00    | 12/01      | 12/01   | 12/01 10:00 | 12/01      | 12/01   | December          | 14     |

¹ requested delivery date (お届け希望日) 11/20.

November: due 10, on time 8 → 80.0 %; cutoff met 7 → 70.0 %; shipped 9 (O0–O8); lead times sorted
3, 6, 6, 12, 17, 23, 26, 27, 192 → p50 = x[4] = 17, p95 at rank 0.95 × 8 = 7.6 → 27 + 0.6 × 165 = 126;
within 6 days 8 of 9 (O8 took 8 days).
"""

from __future__ import annotations

import statistics
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from juchu.domain import metrics as m
from juchu.domain import metrics_holds as holds
from juchu.domain.calendar import JST, OWN_WAREHOUSE_DEFAULT, RSL_CALENDAR, WarehouseCalendar

D = date.fromisoformat
TODAY = D("2026-12-05")


def jst(text: str) -> datetime:
    """An aware JST instant from ``MM-DD HH:MM`` in 2026."""
    return datetime.fromisoformat(f"2026-{text}").replace(tzinfo=JST)


def facts(
    order_id: int,
    ordered: str,
    *,
    ship_by: str | None = None,
    shipped: str | None = None,
    recorded: str | None = None,
    requested: str | None = None,
    grace: timedelta = timedelta(0),
    shop_id: int = 1,
    warehouse_id: int = 1,
) -> m.OrderFacts:
    ordered_at = jst(ordered)
    return m.OrderFacts(
        order_id=order_id,
        number=f"O{order_id}",
        shop_id=shop_id,
        warehouse_id=warehouse_id,
        ordered_at=ordered_at,
        ready_at=ordered_at + grace,
        requested_date=D(f"2026-{requested}") if requested else None,
        warehouse_ship_by=D(f"2026-{ship_by}") if ship_by else None,
        shipped_on=D(f"2026-{shipped}") if shipped else None,
        recorded_at=jst(recorded) if recorded else None,
    )


MONTH = [
    facts(0, "10-31 16:00", ship_by="11-01", shipped="11-01", recorded="11-01 09:00"),
    facts(1, "11-02 10:00", ship_by="11-02", shipped="11-02", recorded="11-02 16:00"),
    facts(2, "11-02 15:00", ship_by="11-02", shipped="11-02", recorded="11-02 18:00", shop_id=2),
    facts(3, "11-02 15:45", ship_by="11-03", shipped="11-03", recorded="11-03 17:45"),
    facts(4, "11-03 09:00", ship_by="11-04", shipped="11-04", recorded="11-04 12:00"),
    facts(5, "11-04 11:00", ship_by="11-04", shipped="11-05", recorded="11-05 10:00", shop_id=2),
    facts(6, "11-05 08:00", shipped="11-05", recorded="11-05 20:00"),
    facts(7, "11-06 14:00", ship_by="11-06", shipped="11-06", recorded="11-06 20:00"),
    facts(8, "11-10 10:00", requested="11-20", shipped="11-18", recorded="11-18 10:00"),
    facts(9, "11-28 10:00", ship_by="11-28"),
    facts(10, "11-30 20:00", ship_by="12-01", shipped="12-01", recorded="12-01 10:00"),
]
NOV_1, NOV_30 = D("2026-11-01"), D("2026-11-30")


def outcomes(today: date = TODAY) -> list[m.Outcome]:
    return [m.assess(f, RSL_CALENDAR, today) for f in MONTH]


def by_id(items: list[m.Outcome]) -> dict[int, m.Outcome]:
    return {o.facts.order_id: o for o in items}


# ---- the fixture month --------------------------------------------------------------------------------


def test_fixture_month_gives_compliance_cutoff_rate_lead_time_and_six_day_share_exactly() -> None:
    total = m.summary(outcomes(), NOV_1, NOV_30)

    assert (total.due, total.on_time, total.late, total.met_cutoff, total.pending) == (10, 8, 2, 7, 0)
    assert total.compliance == 80.0
    assert total.cutoff_rate == 70.0
    assert total.shipped == 9
    assert total.lead_p50 == 17.0
    assert total.lead_p95 == pytest.approx(126.0)
    assert total.within_six_days == 8
    assert total.six_day_rate == pytest.approx(800 / 9)


def test_each_order_of_the_fixture_gets_its_hand_computed_days_and_verdicts() -> None:
    got = by_id(outcomes())
    table = {
        oid: (o.cutoff_day.isoformat()[5:], o.ship_by.isoformat()[5:], o.ship_by_source, o.on_time, o.met_cutoff)
        for oid, o in got.items()
    }

    assert table == {
        0: ("11-01", "11-01", "warehouse", True, True),
        1: ("11-02", "11-02", "warehouse", True, True),
        2: ("11-02", "11-02", "warehouse", True, True),
        3: ("11-03", "11-03", "warehouse", True, True),
        4: ("11-03", "11-04", "warehouse", True, False),
        5: ("11-04", "11-04", "warehouse", False, False),
        6: ("11-05", "11-05", "cutoff", True, True),
        7: ("11-06", "11-06", "warehouse", True, True),
        8: ("11-19", "11-19", "cutoff", True, True),
        9: ("11-28", "11-28", "warehouse", False, False),
        10: ("12-01", "12-01", "warehouse", True, True),
    }
    assert [got[i].lead_hours for i in range(11)] == [17.0, 6.0, 3.0, 26.0, 27.0, 23.0, 12.0, 6.0, 192.0, None, 14.0]
    assert got[8].within_six_days is False
    assert got[9].within_six_days is None


def test_daily_rows_count_due_orders_on_their_ship_by_day_and_shipments_on_their_ship_day() -> None:
    rows = {r.start.day: r for r in m.series(outcomes(), m.Granularity.DAY, NOV_1, NOV_30)}

    assert len(rows) == 30
    assert (rows[2].due, rows[2].on_time, rows[2].shipped) == (2, 2, 2)
    assert rows[2].lead_p50 == 4.5
    assert rows[2].lead_p95 == pytest.approx(5.85)
    assert (rows[4].due, rows[4].on_time, rows[4].met_cutoff, rows[4].compliance) == (2, 1, 0, 50.0)
    assert (rows[5].due, rows[5].on_time, rows[5].shipped) == (1, 1, 2)
    assert (rows[18].due, rows[18].shipped, rows[19].due, rows[19].shipped) == (0, 1, 1, 0)
    assert (rows[28].due, rows[28].on_time, rows[28].compliance) == (1, 0, 0.0)
    assert rows[15] == m.PeriodMetrics(start=D("2026-11-15"))
    assert rows[15].compliance is None and rows[15].six_day_rate is None


def test_monthly_rows_put_the_month_boundary_orders_in_their_own_months() -> None:
    rows = m.series(outcomes(), m.Granularity.MONTH, D("2026-10-01"), D("2026-12-31"))

    assert [r.start for r in rows] == [D("2026-10-01"), D("2026-11-01"), D("2026-12-01")]
    assert [(r.due, r.on_time, r.shipped) for r in rows] == [(0, 0, 0), (10, 8, 9), (1, 1, 1)]
    assert rows[1] == m.summary(outcomes(), NOV_1, NOV_30)


def test_an_unshipped_order_whose_ship_by_day_is_today_is_pending_not_late() -> None:
    total = m.summary(outcomes(today=D("2026-11-28")), NOV_1, NOV_30)
    o9 = by_id(outcomes(today=D("2026-11-28")))[9]

    assert (o9.on_time, o9.met_cutoff) == (None, None)
    assert (total.due, total.on_time, total.pending) == (9, 8, 1)


def test_breakdown_per_shop_splits_the_month() -> None:
    shops = m.breakdown(outcomes(), lambda f: f.shop_id, NOV_1, NOV_30)

    assert sorted(shops) == [1, 2]
    assert (shops[1].due, shops[1].on_time, shops[1].shipped) == (8, 7, 7)
    assert (shops[2].due, shops[2].on_time, shops[2].shipped) == (2, 1, 2)


def test_missed_cutoff_lists_orders_due_in_the_month_newest_cutoff_day_first() -> None:
    missed = m.missed_cutoff(outcomes(), NOV_1, NOV_30)

    assert [o.facts.number for o in missed] == ["O9", "O5", "O4"]


# ---- 最強翌日配送 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "on_time", "shipped", "compliance_met", "shipments_met", "met"),
    [
        (10, 8, 9, False, False, False),  # the fixture month
        (100, 96, 100, True, True, True),  # exactly on both lines
        (25, 24, 120, True, True, True),  # 96.0 % exactly, counted in integers
        (99, 95, 150, False, True, False),  # 95.96 %
        (0, 0, 0, None, False, False),  # nothing due: no rate to judge
        (200, 199, 99, True, False, False),  # one shipment short
    ],
)
def test_judge_applies_96_percent_and_100_shipments_a_month(
    due: int, on_time: int, shipped: int, compliance_met: bool | None, shipments_met: bool, met: bool
) -> None:
    verdict = m.judge(m.PeriodMetrics(start=NOV_1, due=due, on_time=on_time, shipped=shipped))

    assert (verdict.compliance_met, verdict.shipments_met, verdict.met) == (compliance_met, shipments_met, met)


# ---- days and instants ------------------------------------------------------------------------------


def test_cutoff_day_counts_from_ordering_plus_grace() -> None:
    with_grace = m.cutoff_day(jst("11-02 15:10") + timedelta(minutes=30), None, RSL_CALENDAR)
    without = m.cutoff_day(jst("11-02 15:10"), None, RSL_CALENDAR)
    at_cutoff = m.cutoff_day(jst("11-02 15:29"), None, RSL_CALENDAR)
    after = m.cutoff_day(jst("11-02 15:30"), None, RSL_CALENDAR)

    assert (with_grace, without, at_cutoff, after) == (
        D("2026-11-03"),
        D("2026-11-02"),
        D("2026-11-02"),
        D("2026-11-03"),
    )


def test_cutoff_day_of_the_own_warehouse_skips_the_public_holiday() -> None:
    # Monday 11/02 after the cutoff; Tuesday 11/03 is 文化の日.
    assert m.cutoff_day(jst("11-02 16:00"), None, OWN_WAREHOUSE_DEFAULT) == D("2026-11-04")


def test_cutoff_day_never_comes_before_the_day_before_a_requested_delivery_date() -> None:
    assert m.cutoff_day(jst("11-10 10:00"), D("2026-11-20"), RSL_CALENDAR) == D("2026-11-19")
    assert m.cutoff_day(jst("11-10 10:00"), D("2026-11-10"), RSL_CALENDAR) == D("2026-11-10")


CALENDARS = [
    RSL_CALENDAR,
    OWN_WAREHOUSE_DEFAULT,
    WarehouseCalendar(cutoff=time(12, 0), closures=frozenset({D("2026-12-31"), D("2027-01-01")})),
    WarehouseCalendar(cutoff=time(0, 0), every_day=False, open_days=frozenset({D("2026-11-28")})),
    WarehouseCalendar(cutoff=time(23, 59), observe_holidays=True),
]


@settings(max_examples=300, deadline=None)
@given(
    instant=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(JST)),
    calendar=st.sampled_from(CALENDARS),
)
def test_cutoff_day_without_a_requested_date_is_the_calendars_ship_by_day(
    instant: datetime, calendar: WarehouseCalendar
) -> None:
    assert m.cutoff_day(instant, None, calendar) == calendar.ship_by(instant)


@pytest.mark.parametrize(
    ("recorded", "expected"),
    [
        ("11-06 20:00", "11-06 20:00"),  # within the ship day: as recorded
        ("11-08 09:00", "11-06 23:59:59"),  # recorded days later: the end of the ship day
        ("11-05 22:00", "11-06 00:00"),  # recorded before the ship day: its start
        (None, "11-06 23:59:59"),
    ],
)
def test_shipment_instant_is_the_recording_time_clamped_into_the_ship_day(recorded: str | None, expected: str) -> None:
    assert m.shipment_instant(D("2026-11-06"), jst(recorded) if recorded else None) == jst(expected)


def test_lead_time_of_a_late_recorded_shipment_stops_at_the_end_of_the_ship_day() -> None:
    late = m.assess(facts(1, "11-06 14:00", shipped="11-06", recorded="11-08 09:00"), RSL_CALENDAR, TODAY)

    assert late.lead_hours == pytest.approx(10 - 1 / 3600)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        m.jst_day(datetime(2026, 11, 1, 10, 0))


def test_months_are_added_across_years() -> None:
    assert m.add_months(D("2026-11-15"), 2) == D("2027-01-01")
    assert m.add_months(D("2026-01-31"), -1) == D("2025-12-01")
    assert m.month_end(D("2028-02-10")) == D("2028-02-29")
    assert m.period_starts(D("2026-11-29"), D("2026-12-01"), m.Granularity.DAY) == [
        D("2026-11-29"),
        D("2026-11-30"),
        D("2026-12-01"),
    ]


# ---- percentiles ---------------------------------------------------------------------------------------


def test_percentile_interpolates_between_closest_ranks_like_excel_percentile_inc() -> None:
    assert m.percentile([], 50) is None
    assert m.percentile([7.0], 95) == 7.0
    assert m.percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert m.percentile([1.0, 2.0, 3.0, 4.0], 0) == 1.0
    assert m.percentile([1.0, 2.0, 3.0, 4.0], 100) == 4.0
    assert m.percentile([10.0, 20.0], 95) == pytest.approx(19.5)


def test_percentile_agrees_with_statistics_quantiles_inclusive() -> None:
    values = [float((i * 37) % 101) / 3 for i in range(57)]
    twentieths = statistics.quantiles(values, n=20, method="inclusive")

    assert m.percentile(values, 50) == pytest.approx(statistics.median(values))
    assert m.percentile(values, 95) == pytest.approx(twentieths[18])
    assert m.percentile(values, 5) == pytest.approx(twentieths[0])


def test_percentile_outside_0_to_100_is_refused() -> None:
    with pytest.raises(ValueError, match=r"0\.\.100"):
        m.percentile([1.0], 101)


# ---- why an order missed its cutoff ----------------------------------------------------------------------


def test_an_order_held_in_awaiting_check_is_blamed_on_that_status_and_its_tag() -> None:
    # O4: address_invalid kept it in 確認待 09:30–16:00; the request reached the warehouse after the 15:29 cutoff.
    spans = holds.status_spans(
        jst("11-03 09:00"),
        jst("11-03 09:00:30"),
        [
            holds.Transition(jst("11-03 09:30"), "new", "awaiting_check"),
            holds.Transition(jst("11-03 16:00"), "awaiting_check", "checked"),
            holds.Transition(jst("11-03 16:00:05"), "checked", "awaiting_shipment"),
            holds.Transition(jst("11-03 16:00:10"), "awaiting_shipment", "shipping"),
            holds.Transition(jst("11-04 12:00"), "shipping", "shipped"),
        ],
        [
            holds.TagChange(jst("11-03 09:30"), "address_invalid", True),
            holds.TagChange(jst("11-03 16:00"), "address_invalid", False),
        ],
        jst("11-04 12:00"),
    )

    assert [(s.status, s.start, s.end, s.tags) for s in spans] == [
        (holds.BEFORE_IMPORT, jst("11-03 09:00"), jst("11-03 09:00:30"), ()),
        ("new", jst("11-03 09:00:30"), jst("11-03 09:30"), ()),
        ("awaiting_check", jst("11-03 09:30"), jst("11-03 16:00"), ("address_invalid",)),
        ("checked", jst("11-03 16:00"), jst("11-03 16:00:05"), ()),
        ("awaiting_shipment", jst("11-03 16:00:05"), jst("11-03 16:00:10"), ()),
        ("shipping", jst("11-03 16:00:10"), jst("11-04 12:00"), ()),
    ]
    reason = holds.hold_reason(spans, RSL_CALENDAR.cutoff_instant(D("2026-11-03")))
    assert reason == holds.HoldReason("awaiting_check", 6.5, ("address_invalid",), at_warehouse=False)


def test_an_order_the_warehouse_had_before_the_cutoff_is_blamed_on_the_warehouse() -> None:
    # O5: at the warehouse from 11:30, shipped the next morning at 10:00.
    spans = holds.status_spans(
        jst("11-04 11:00"),
        jst("11-04 11:00"),
        [
            holds.Transition(jst("11-04 11:30"), "new", "checked"),
            holds.Transition(jst("11-04 11:30"), "checked", "awaiting_shipment"),
            holds.Transition(jst("11-04 11:30"), "awaiting_shipment", "shipping"),
            holds.Transition(jst("11-05 10:00"), "shipping", "shipped"),
        ],
        [],
        jst("11-05 10:00"),
    )

    assert [s.status for s in spans] == ["new", "shipping"]
    assert holds.hold_reason(spans, RSL_CALENDAR.cutoff_instant(D("2026-11-04"))) == holds.HoldReason(
        "shipping", 22.5, (), at_warehouse=True
    )


def test_an_unshipped_order_is_blamed_on_the_status_it_still_sits_in() -> None:
    spans = holds.status_spans(
        jst("11-28 10:00"),
        jst("11-28 10:00"),
        [holds.Transition(jst("11-28 10:30"), "new", "checked")],
        [holds.TagChange(jst("11-28 10:30"), "preorder", True)],
        jst("12-05 10:30"),
    )

    assert holds.hold_reason(spans, RSL_CALENDAR.cutoff_instant(D("2026-11-28"))) == holds.HoldReason(
        "checked", 168.0, ("preorder",), at_warehouse=False
    )


def test_a_tag_added_at_the_end_of_a_span_or_cleared_at_its_start_is_not_counted_in_it() -> None:
    spans = holds.status_spans(
        jst("11-02 10:00"),
        jst("11-02 10:00"),
        [
            holds.Transition(jst("11-02 11:00"), "new", "awaiting_check"),
            holds.Transition(jst("11-02 12:00"), "awaiting_check", "checked"),
        ],
        [
            holds.TagChange(jst("11-02 11:00"), "hold", True),
            holds.TagChange(jst("11-02 12:00"), "hold", False),
            holds.TagChange(jst("11-02 10:10"), "remote_island", True),
        ],
        jst("11-02 13:00"),
    )

    assert [(s.status, s.tags) for s in spans] == [
        ("new", ("remote_island",)),
        ("awaiting_check", ("hold", "remote_island")),
        ("checked", ("remote_island",)),
    ]


def test_without_any_timeline_the_order_sat_in_new_from_its_import() -> None:
    spans = holds.status_spans(jst("11-02 10:00"), jst("11-02 10:00"), [], [], jst("11-02 12:00"))

    assert spans == [holds.StatusSpan("new", jst("11-02 10:00"), jst("11-02 12:00"))]
    assert holds.hold_reason([], jst("11-02 15:30")) is None
