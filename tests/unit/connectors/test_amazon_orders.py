"""Amazon order reads: getOrders paging and filters, full reads per order, partial progress, the read cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from tests.unit.connectors.amazon_fakes import ORDERS, FakeSpApi, status

from juchu.connectors.base import ConnectorError, Outcome

NOW = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


def test_new_orders_are_read_from_every_page_oldest_update_first_without_fba_orders() -> None:
    api = FakeSpApi()
    connector, _clock = api.connector()

    result = connector.fetch_new_orders(NOW - timedelta(minutes=30), NOW)

    assert [o.mall_order_number for o in result.orders] == [
        "503-1111111-0000002",
        "503-1111111-0000001",
        "503-1111111-0000003",
    ]
    assert result.errors == ()
    assert result.cursor == NOW
    first, second = [r for r in api.requests if r.url.path == ORDERS]
    assert dict(first.url.params) == {
        "MarketplaceIds": "A1VC38T7YXB528",
        "LastUpdatedAfter": "2026-03-02T01:00:00Z",
        "FulfillmentChannels": "MFN",
        "OrderStatuses": "Unshipped,PartiallyShipped,Canceled",
        "MaxResultsPerPage": "100",
    }
    assert dict(second.url.params) == {
        "MarketplaceIds": "A1VC38T7YXB528",
        "NextToken": "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4",
    }
    assert not api.calls("250-9999999-0000004")
    assert all(r.headers["x-amz-access-token"] == "Atza|token-1" for r in api.requests if r.url.host == "sp.test")


def test_without_a_cursor_the_search_reaches_back_14_days() -> None:
    api = FakeSpApi()
    connector, _clock = api.connector()

    connector.fetch_new_orders(None, NOW)

    first = next(r for r in api.requests if r.url.path == ORDERS)
    assert first.url.params["LastUpdatedAfter"] == "2026-02-16T01:30:00Z"


def test_pending_orders_returned_anyway_are_not_imported() -> None:
    api = FakeSpApi()
    api.pages[0]["payload"]["Orders"][0]["OrderStatus"] = "Pending"
    connector, _clock = api.connector()

    result = connector.fetch_new_orders(NOW - timedelta(hours=1), NOW)

    assert [o.mall_order_number for o in result.orders] == ["503-1111111-0000002", "503-1111111-0000003"]


def test_order_items_are_read_across_their_pages() -> None:
    api = FakeSpApi()
    items = api.items_of("503-1111111-0000001")
    path = f"{ORDERS}/503-1111111-0000001/orderItems"

    def paged(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("NextToken") == "p2":
            return httpx.Response(200, json={"payload": {"OrderItems": items[1:]}})
        return httpx.Response(200, json={"payload": {"OrderItems": items[:1], "NextToken": "p2"}})

    api.override[("GET", path)] = paged
    connector, _clock = api.connector()

    result = connector.fetch_new_orders(NOW - timedelta(hours=1), NOW)

    order = next(o for o in result.orders if o.mall_order_number == "503-1111111-0000001")
    assert [line.mall_item_id for line in order.packages[0].lines] == ["tea-01-100g", "tea-03"]
    assert len(api.calls(path)) == 2


def test_one_unreadable_order_is_an_error_for_that_order_only() -> None:
    api = FakeSpApi()
    api.items_of("503-1111111-0000001")[0].pop("SellerSKU")
    connector, _clock = api.connector()

    result = connector.fetch_new_orders(NOW - timedelta(hours=1), NOW)

    assert [o.mall_order_number for o in result.orders] == ["503-1111111-0000002", "503-1111111-0000003"]
    (error,) = result.errors
    assert (error.key, error.outcome, error.code, error.data) == (
        "503-1111111-0000001",
        Outcome.REJECTED,
        "MAPPING",
        {"field": "OrderItems[0].SellerSKU"},
    )


def test_a_transient_failure_part_way_returns_what_was_read_and_resumes_at_the_failed_order() -> None:
    api = FakeSpApi()
    api.override[("GET", f"{ORDERS}/503-1111111-0000001/address")] = status(503, content=b"Service Unavailable")
    connector, clock = api.connector()

    result = connector.fetch_new_orders(NOW - timedelta(hours=1), NOW)

    assert [o.mall_order_number for o in result.orders] == ["503-1111111-0000002"]
    (error,) = result.errors
    assert (error.key, error.outcome, error.code) == ("503-1111111-0000001", Outcome.RETRY, "HTTP_503")
    assert result.cursor == datetime(2026, 3, 2, 1, 12, tzinfo=UTC)
    assert len(api.calls("/503-1111111-0000001/address")) == 3  # two quiet retries
    assert clock.sleeps == [0.2, 0.4]


def test_a_transient_failure_at_the_first_order_fails_the_fetch() -> None:
    api = FakeSpApi()
    api.override[("GET", f"{ORDERS}/503-1111111-0000002/orderItems")] = status(500, content=b"")
    connector, _clock = api.connector()

    with pytest.raises(ConnectorError) as caught:
        connector.fetch_new_orders(NOW - timedelta(hours=1), NOW)

    assert (caught.value.retryable, caught.value.code) == (True, "HTTP_500")


def test_an_order_that_did_not_change_is_not_read_again() -> None:
    api = FakeSpApi()
    connector, _clock = api.connector()
    connector.fetch_new_orders(NOW - timedelta(hours=1), NOW)
    reads = len(api.calls("/orderItems"))

    again = connector.fetch_new_orders(NOW - timedelta(hours=1), NOW)
    api.pages[0]["payload"]["Orders"][0]["LastUpdateDate"] = "2026-03-02T01:25:00Z"
    third = connector.fetch_new_orders(NOW - timedelta(hours=1), NOW)

    assert reads == 3
    assert len(again.orders) == 3 and len(third.orders) == 3
    assert len(api.calls("/orderItems")) == 4  # only the updated order was read again


def test_orders_are_read_by_number_with_get_order() -> None:
    api = FakeSpApi()
    connector, _clock = api.connector()

    result = connector.fetch_orders(["503-1111111-0000001", "503-0000000-0000000", "250-9999999-0000004"])

    assert [o.mall_order_number for o in result.orders] == ["503-1111111-0000001"]
    assert [(e.key, e.outcome, e.code) for e in result.errors] == [
        ("503-0000000-0000000", Outcome.REJECTED, "NotFound"),
        ("250-9999999-0000004", Outcome.REJECTED, "AFN"),
    ]
