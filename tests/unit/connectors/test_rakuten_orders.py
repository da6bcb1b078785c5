"""Reading orders: searchOrder windows and pages, getOrder batches, change detection, per-order errors."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rakuten_fakes import FakeRms, load, make_connector, order_fixture

from juchu.connectors.base import ConnectorError, ItemResult, Outcome
from juchu.connectors.malls.rakuten.mapping import JST

UNTIL = datetime(2025, 4, 12, 0, 0, tzinfo=JST)


def _parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")


def _search_by_window(hits: dict[int, list[str]] | None = None, total_of=None):
    """A searchOrder route: dateType (-1: the change search) → numbers, paged as asked.

    ``total_of(start, end)`` fakes the hit count of the order-date search, capped at 15,000 as Rakuten does.
    """
    hits = hits or {}

    def handler(body):
        changes = bool(body.get("orderProgressList"))
        numbers = hits.get(-1 if changes else body["dateType"], [])
        size = body["PaginationRequestModel"]["requestRecordsAmount"]
        page = body["PaginationRequestModel"]["requestPage"]
        total = len(numbers)
        if total_of is not None and body["dateType"] == 1 and not changes:
            total = total_of(_parse(body["startDatetime"]), _parse(body["endDatetime"]))
            numbers = [f"n-{body['startDatetime']}-{i}" for i in range(min(total, 15_000))]
        page_items = numbers[(page - 1) * size : page * size]
        pages = -(-min(total, 15_000) // size) if total else None
        return httpx.Response(
            200,
            json={
                "MessageModelList": [],
                "orderNumberList": page_items,
                "PaginationResponseModel": {
                    "totalRecordsAmount": total or None,
                    "totalPages": pages,
                    "requestPage": page,
                },
            },
        )

    return handler


def test_fetch_orders_reads_in_batches_of_100_and_reports_missing_numbers():
    rms, _, connector = make_connector()
    template = order_fixture("getorder_simple.json")
    numbers = [f"999999-20250401-{i:010d}" for i in range(250)]
    for number in numbers[:-1]:
        rms.add(template | {"orderNumber": number})

    result = connector.fetch_orders(numbers)

    assert [len(b["orderNumberList"]) for b in rms.bodies("getOrder/")] == [100, 100, 50]
    assert {b["version"] for b in rms.bodies("getOrder/")} == {9}
    assert len(result.orders) == 249
    assert result.errors == (
        ItemResult(
            numbers[-1], Outcome.REJECTED, "ORDER_EXT_API_GET_ORDER_INFO_102", "受注情報が取得できませんでした。"
        ),
    )


def test_malformed_orders_become_per_order_errors_and_the_others_still_import():
    rms, _, connector = make_connector()
    rms.routes["getOrder"] = lambda body: httpx.Response(200, json=load("getorder_malformed.json"))

    result = connector.fetch_orders(
        [
            "999999-20250405-0000000501",
            "999999-20250405-0000000502",
            "999999-20250405-0000000503",
            "999999-20250405-0000000599",
        ]
    )

    assert [o.mall_order_number for o in result.orders] == ["999999-20250405-0000000503"]
    assert [(e.key, e.outcome, e.code, e.data.get("field")) for e in result.errors] == [
        ("999999-20250405-0000000599", Outcome.REJECTED, "ORDER_EXT_API_GET_ORDER_INFO_102", None),
        ("999999-20250405-0000000501", Outcome.REJECTED, "MAPPING", "orderDatetime"),
        ("999999-20250405-0000000502", Outcome.REJECTED, "MAPPING", "PackageModelList[0].ItemModelList[0].units"),
    ]
    assert result.errors[1].message == "楽天注文 999999-20250405-0000000501: orderDatetime がありません"


def test_fetch_new_orders_searches_ordered_paid_and_changed_orders_then_reads_each_once():
    rms, _, connector = make_connector()
    simple, cancelled, changed = (
        order_fixture("getorder_simple.json"),
        order_fixture("getorder_cancelled.json"),
        order_fixture("getorder_change_pending.json"),
    )
    rms.add(simple, cancelled, changed)
    rms.routes["searchOrder"] = _search_by_window(
        {1: [simple["orderNumber"]], 6: [simple["orderNumber"]], -1: [cancelled["orderNumber"], changed["orderNumber"]]}
    )
    since = UNTIL - timedelta(hours=1)

    result = connector.fetch_new_orders(since, UNTIL)

    searches = rms.bodies("searchOrder/")
    assert [(b["dateType"], b["startDatetime"], b["endDatetime"], b.get("orderProgressList")) for b in searches] == [
        (1, "2025-04-11T23:00:00+0900", "2025-04-11T23:59:59+0900", None),
        (6, "2025-04-11T23:00:00+0900", "2025-04-11T23:59:59+0900", None),
        (1, "2025-03-29T00:00:00+0900", "2025-04-11T23:59:59+0900", [400, 800, 900]),
    ]
    assert rms.bodies("getOrder/") == [
        {"orderNumberList": [simple["orderNumber"], cancelled["orderNumber"], changed["orderNumber"]], "version": 9}
    ]
    by_number = {o.mall_order_number: o for o in result.orders}
    assert by_number[cancelled["orderNumber"]].cancelled is True
    assert by_number[changed["orderNumber"]].change_pending is True
    assert (result.errors, result.cursor) == ((), UNTIL)


def test_without_since_it_looks_back_14_days():
    rms, _, connector = make_connector()
    rms.routes["searchOrder"] = lambda body: httpx.Response(200, json=load("searchorder_empty.json"))

    result = connector.fetch_new_orders(None, UNTIL)

    assert {b["startDatetime"] for b in rms.bodies("searchOrder/")} == {"2025-03-29T00:00:00+0900"}
    assert rms.bodies("getOrder/") == []
    assert (result.orders, result.errors, result.cursor) == ((), (), UNTIL)


def test_long_ranges_are_searched_in_windows_of_at_most_63_days():
    rms, _, connector = make_connector()
    rms.routes["searchOrder"] = _search_by_window()

    connector.fetch_new_orders(UNTIL - timedelta(days=130), UNTIL)

    windows = [
        (_parse(b["startDatetime"]), _parse(b["endDatetime"])) for b in rms.bodies("searchOrder/") if b["dateType"] == 6
    ]
    assert [end - start for start, end in windows] == [
        timedelta(days=63, seconds=-1),
        timedelta(days=63, seconds=-1),
        timedelta(days=4, seconds=-1),
    ]
    assert windows[0][0] == UNTIL - timedelta(days=130)
    assert windows[-1][1] == UNTIL - timedelta(seconds=1)


def test_pages_of_1000_are_all_read():
    rms, _, connector = make_connector()
    numbers = [f"999999-20250411-{i:010d}" for i in range(2_345)]
    rms.routes["searchOrder"] = _search_by_window({1: numbers})
    rms.routes["getOrder"] = lambda body: httpx.Response(200, json={"MessageModelList": [], "OrderModelList": []})

    result = connector.fetch_new_orders(UNTIL - timedelta(days=1), UNTIL)

    pages = [
        b["PaginationRequestModel"]
        for b in rms.bodies("searchOrder/")
        if b["dateType"] == 1 and "orderProgressList" not in b
    ]
    assert [(p["requestPage"], p["requestRecordsAmount"]) for p in pages] == [(1, 1000), (2, 1000), (3, 1000)]
    assert len(rms.bodies("getOrder/")) == 24  # 2,345 numbers in batches of 100
    assert len(result.errors) == 2_345  # the fake getOrder returned none of them


def test_a_window_at_the_15000_cap_is_split_in_half_until_each_half_fits():
    rms, _, connector = make_connector()
    # 20,000 orders spread evenly over 10 days: a half (5 days) holds 10,000 and fits.
    day_total = 2_000

    def total_of(start, end):
        return int(((end - start).total_seconds() + 1) / 86_400 * day_total)

    rms.routes["searchOrder"] = _search_by_window(total_of=total_of)
    rms.routes["getOrder"] = lambda body: httpx.Response(200, json={"MessageModelList": [], "OrderModelList": []})

    result = connector.fetch_new_orders(UNTIL - timedelta(days=10), UNTIL)

    ordered = [b for b in rms.bodies("searchOrder/") if b["dateType"] == 1 and "orderProgressList" not in b]
    first_pages = [
        (b["startDatetime"], b["endDatetime"]) for b in ordered if b["PaginationRequestModel"]["requestPage"] == 1
    ]
    assert first_pages == [
        ("2025-04-02T00:00:00+0900", "2025-04-11T23:59:59+0900"),
        ("2025-04-02T00:00:00+0900", "2025-04-06T23:59:59+0900"),
        ("2025-04-07T00:00:00+0900", "2025-04-11T23:59:59+0900"),
    ]
    assert len([b for b in ordered if b["PaginationRequestModel"]["requestPage"] > 1]) == 18  # 2 halves × pages 2..10
    assert len(result.errors) == 20_000  # every number found was asked for once (the fake returns none)


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-10_000, 10_000) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _paths(value, (*prefix, i))


_TEMPLATE = order_fixture("getorder_two_packages.json")
_PATHS = [p for p in _paths(_TEMPLATE) if p]


@st.composite
def _broken_order(draw):
    order = copy.deepcopy(_TEMPLATE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_PATHS))
        parent = order
        try:
            for step in path[:-1]:
                parent = parent[step]
            if draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = draw(_json)
        except (KeyError, IndexError, TypeError):
            pass
    return order


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_json | _broken_order(), max_size=4))
def test_arbitrary_shapes_in_order_model_list_never_crash_fetch_orders(orders):
    rms = FakeRms()
    rms.routes["getOrder"] = lambda body: httpx.Response(200, json={"MessageModelList": [], "OrderModelList": orders})
    _, _, connector = make_connector(rms)

    result = connector.fetch_orders(["999999-20250310-0123456789"])

    assert len(result.orders) + len([e for e in result.errors if e.code == "MAPPING"]) == len(orders)
    for error in result.errors:
        assert error.outcome is Outcome.REJECTED
        assert error.key and error.message


def test_malformed_search_page_fails_the_call_as_retryable():
    rms, _, connector = make_connector()
    rms.routes["searchOrder"] = lambda body: httpx.Response(200, json={"orderNumberList": "oops"})

    with pytest.raises(ConnectorError) as caught:
        connector.fetch_new_orders(None, UNTIL)

    assert (caught.value.retryable, caught.value.code) == (True, "MALFORMED")
    assert rms.bodies("getOrder/") == []
