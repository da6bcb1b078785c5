"""au PAY read_stock: searchStocks by itemCode list, an item's own stock or its variants', unknown items left out."""

from __future__ import annotations

import httpx
import pytest
from tests.unit.connectors.aupay_fakes import FakeWowma, answer, load

from juchu.connectors.base import ConnectorError, StockLevel


def test_items_and_variants_are_read_back_and_unknown_or_mismatched_keys_left_out() -> None:
    fake = FakeWowma()
    fake.on("searchStocks", answer("stock_search.xml"))
    connector, _ = fake.connector()

    levels = connector.read_stock(
        ["tea-01:tea-01-100g", "tea-01:tea-01-200g", "tea-03", "tea-03:x", "tea-01", "nope-99", "tea-03", ":v"]
    )

    assert levels == [
        StockLevel("tea-01:tea-01-100g", 42),
        StockLevel("tea-01:tea-01-200g", 0),
        StockLevel("tea-03", 17),
    ]
    (request,) = fake.sent("searchStocks")
    assert request.method == "GET"
    assert dict(request.url.params) == {
        "shopId": "52000123",
        "itemCode": "tea-01,tea-03,nope-99",
        "totalCount": "100",
        "startCount": "1",
    }
    assert request.headers["Authorization"] == "Bearer KEY-123"


def test_item_codes_go_100_a_call_and_pages_are_followed() -> None:
    fake = FakeWowma()
    page = load("stock_search.xml").replace(b"<maxCount>2</maxCount>", b"<maxCount>3</maxCount>")
    fake.on("searchStocks", answer("stock_search_empty.xml"), httpx.Response(200, content=page))
    connector, _ = fake.connector()

    levels = connector.read_stock([f"item-{i}" for i in range(150)] + ["tea-03"])

    calls = fake.sent("searchStocks")
    assert [len(c.url.params["itemCode"].split(",")) for c in calls] == [100, 51, 51]
    assert [c.url.params["startCount"] for c in calls] == ["1", "1", "3"]
    assert levels == [StockLevel("tea-03", 17)]  # an item met twice is reported once


@pytest.mark.parametrize(
    ("response", "code", "retryable"),
    [
        (answer("error_auth.xml", 401), "AUTH", False),
        (answer("error_rate.xml", 429), "RATE_LIMIT", True),
        (answer("error_503.html", 503), "HTTP_503", True),
        (
            httpx.Response(200, content=load("stock_search.xml").replace(b"<stockCount>17", b"<stockCount>x17")),
            "MALFORMED",
            True,
        ),
        (
            httpx.Response(200, content=load("stock_search.xml").replace(b"<maxCount>2", b"<maxCount>?")),
            "MALFORMED",
            True,
        ),
    ],
)
def test_a_failed_call_fails_the_whole_read(response: httpx.Response, code: str, retryable: bool) -> None:
    fake = FakeWowma()
    fake.on("searchStocks", response)
    connector, _ = fake.connector()

    with pytest.raises(ConnectorError) as caught:
        connector.read_stock(["tea-03"])

    assert (caught.value.code, caught.value.retryable) == (code, retryable)


def test_nothing_to_read_calls_nothing() -> None:
    fake = FakeWowma()
    connector, _ = fake.connector()

    assert connector.read_stock([":a", ""]) == []
    assert fake.requests == []
