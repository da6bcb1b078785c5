"""Amazon read_stock: getListingsItem per SKU, the DEFAULT (seller-fulfilled) quantity, FBA and unknown SKUs left
out, whole-call failures raised."""

from __future__ import annotations

import httpx
import pytest
from tests.unit.connectors.amazon_fakes import FakeSpApi, load, status

from juchu.connectors.base import ConnectorError, StockLevel
from juchu.connectors.malls.amazon.client import GET_LISTING, PATCH_LISTING

LISTING = "/listings/2021-08-01/items/A2SELLER/"


def _listing(name: str, **changes: object):
    def answer(request: httpx.Request) -> httpx.Response:
        sku = request.url.path.rsplit("/", 1)[1]
        return httpx.Response(200, json=load(name) | {"sku": sku} | changes)

    return answer


def test_each_sku_is_read_with_its_fulfillment_availability_and_fba_and_unknown_skus_are_left_out() -> None:
    api = FakeSpApi()
    for sku in ("tea-01-100g", "tea-03", "a/b"):
        api.override[("GET", LISTING + sku)] = _listing("listing_fulfillment.json")
    api.override[("GET", LISTING + "tea-03")] = _listing(
        "listing_fulfillment.json", fulfillmentAvailability=[{"fulfillmentChannelCode": "DEFAULT", "quantity": 0}]
    )
    api.override[("GET", LISTING + "fba-tea-11")] = _listing("listing_fba_only.json")
    api.override[("GET", LISTING + "gone")] = status(404, "listing_not_found.json")
    connector, _clock = api.connector()

    levels = connector.read_stock(["tea-01-100g", "fba-tea-10", "tea-03", "gone", "fba-tea-11", "a/b", "tea-03", " "])

    assert levels == [StockLevel("tea-01-100g", 37), StockLevel("tea-03", 0), StockLevel("a/b", 37)]
    gets = api.calls("/listings/", "GET")
    # the FBA SKU the summaries name is never asked for; the rest once each, escaped, in the order given
    assert [r.url.raw_path.decode().split("?")[0] for r in gets] == [
        LISTING + "tea-01-100g",
        LISTING + "tea-03",
        LISTING + "gone",
        LISTING + "fba-tea-11",
        LISTING + "a%2Fb",
    ]
    assert dict(gets[0].url.params) == {
        "marketplaceIds": "A1VC38T7YXB528",
        "includedData": "fulfillmentAvailability",
    }
    (fba,) = api.calls("/fba/inventory/v1/summaries")
    assert fba.url.params["sellerSkus"] == "tea-01-100g,fba-tea-10,tea-03,gone,fba-tea-11,a/b"


def test_a_listing_without_any_availability_shows_zero() -> None:
    api = FakeSpApi()
    api.override[("GET", LISTING + "new-1")] = lambda request: httpx.Response(200, json={"sku": "new-1"})
    connector, _clock = api.connector(fba_check="off")

    assert connector.read_stock(["new-1"]) == [StockLevel("new-1", 0)]
    assert api.calls("/fba/") == []


def test_reads_take_their_own_rate_bucket() -> None:
    api = FakeSpApi()
    api.override[("GET", LISTING + "tea-01-100g")] = _listing("listing_fulfillment.json")
    connector, _clock = api.connector(fba_check="off")

    connector.read_stock(["tea-01-100g"])

    bucket = connector.client.bucket(GET_LISTING)
    assert (bucket.rate, bucket.capacity) == (5.0, 5)
    assert bucket is not connector.client.bucket(PATCH_LISTING)


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (status(400, "error_invalid_input.json"), "InvalidInput"),
        (status(500, content=b""), "HTTP_500"),
        (
            lambda request: httpx.Response(200, json={"sku": "x", "fulfillmentAvailability": {"quantity": 1}}),
            "MALFORMED",
        ),
        (
            lambda request: httpx.Response(
                200,
                json={"sku": "x", "fulfillmentAvailability": [{"fulfillmentChannelCode": "DEFAULT", "quantity": "7"}]},
            ),
            "MALFORMED",
        ),
    ],
)
def test_any_other_failure_fails_the_whole_read(answer, code: str) -> None:
    api = FakeSpApi()
    api.override[("GET", LISTING + "ok")] = _listing("listing_fulfillment.json")
    api.override[("GET", LISTING + "x")] = answer
    connector, _clock = api.connector(fba_check="off")

    with pytest.raises(ConnectorError) as caught:
        connector.read_stock(["ok", "x"])

    assert caught.value.code == code


def test_a_refused_token_fails_the_read_as_auth() -> None:
    api = FakeSpApi()
    api.override[("GET", LISTING + "x")] = status(403, "error_unauthorized.json")
    connector, _clock = api.connector(fba_check="off")

    with pytest.raises(ConnectorError) as caught:
        connector.read_stock(["x"])

    assert caught.value.code == "AUTH"
