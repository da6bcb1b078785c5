"""MakeShop read_stock: the product API's GET cmd=stock with brand_code lists, per product and option; unknown
products, options and mismatched keys left out; a failed call fails the whole read."""

from __future__ import annotations

import httpx
import pytest
from tests.unit.connectors.makeshop_fakes import FakeMakeShop, load, xml_response

from juchu.connectors.base import ConnectorError, StockLevel


def _recorded(_params: dict[str, str], _body: bytes) -> httpx.Response:
    return xml_response("stock_levels.xml")


def test_products_and_options_are_read_with_the_product_token_and_the_rest_left_out() -> None:
    fake = FakeMakeShop()
    fake.routes["stock"] = _recorded

    levels = fake.connector().read_stock(
        ["tea-01:tea-01-100g", "tea-03", "tea-01:tea-01-200g", "tea-01", "tea-03:x", "tea-99", "tea-01:tea-01-500g"]
    )

    assert levels == [
        StockLevel("tea-01:tea-01-100g", 95),
        StockLevel("tea-01:tea-01-200g", 0),
        StockLevel("tea-03", 40),
    ]
    (params,) = fake.calls("stock")
    assert params == {
        "cmd": "stock",
        "shopid": "teashop",
        "token": "PRODUCT-TOKEN",
        "brand_code": "tea-01,tea-03,tea-99",
    }
    ((_cmd, _params, body),) = fake.requests
    assert body == b""


def test_product_codes_go_100_a_call() -> None:
    fake = FakeMakeShop()
    fake.routes["stock"] = _recorded

    fake.connector().read_stock([f"p-{i}" for i in range(230)] + [":x", "a,b"])

    assert [len(p["brand_code"].split(",")) for p in fake.calls("stock")] == [100, 100, 30]


def test_without_the_product_token_the_read_is_a_configuration_error() -> None:
    fake = FakeMakeShop()

    with pytest.raises(ConnectorError) as caught:
        fake.connector(product_token="").read_stock(["tea-03"])

    assert (caught.value.code, caught.value.retryable) == ("CONFIG", False)
    assert fake.requests == []


@pytest.mark.parametrize(
    ("answer", "code", "retryable"),
    [
        (xml_response("error_auth.xml"), "AUTH", False),
        (xml_response("error_rate.xml", 429), "RATE_LIMIT", True),
        (xml_response("error_too_many.xml"), "E010", False),
        (httpx.Response(502, content=load("error_502.html")), "HTTP_502", True),
        (xml_response(load("stock_levels.xml").replace(b"<stock>40", b"<stock>-40")), "MALFORMED", True),
    ],
)
def test_a_failed_call_fails_the_whole_read(answer: httpx.Response, code: str, retryable: bool) -> None:
    fake = FakeMakeShop()
    fake.routes["stock"] = lambda _params, _body: answer

    with pytest.raises(ConnectorError) as caught:
        fake.connector().read_stock(["tea-03"])

    assert (caught.value.code, caught.value.retryable) == (code, retryable)
