"""Yahoo client: token refresh, public-key signature, auth errors, rate limit, retryable failures."""

from __future__ import annotations

import base64
import datetime as dt
from datetime import UTC, datetime

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import padding
from tests.unit.connectors.yahoo_fakes import WALL, FakeYahoo, connector, load, xml

from juchu.connectors.base import ConnectorError
from juchu.connectors.malls.yahoo import wire
from juchu_sandbox.yahoo.keys import PRIVATE_KEY


def test_every_call_carries_the_bearer_token_and_a_signature_of_seller_and_time() -> None:
    fake = FakeYahoo()
    fake.info = {"A": "orderinfo_paid_card.xml"}

    connector(fake).fetch_orders(["A"])

    (token_call,) = fake.calls("token")
    assert token_call.headers["authorization"] == "Basic " + base64.b64encode(b"cid:csecret").decode()
    assert token_call.content == b"grant_type=refresh_token&refresh_token=rtoken"
    (call,) = fake.calls("orderInfo")
    assert call.headers["authorization"] == "Bearer sbx-yat-0f3c9a"
    assert call.headers["content-type"].startswith("application/xml")
    assert call.headers["x-sws-signature-version"] == "1"
    plain = PRIVATE_KEY.decrypt(base64.b64decode(call.headers["x-sws-signature"]), padding.PKCS1v15())
    assert plain == f"snbx-juchu:{int(WALL)}".encode()


def test_the_access_token_is_cached_between_calls() -> None:
    fake = FakeYahoo()
    fake.info = {"A": "orderinfo_paid_card.xml"}
    yahoo = connector(fake)

    yahoo.fetch_orders(["A"])
    yahoo.fetch_orders(["A"])

    assert fake.tokens == 1


def test_a_refused_access_token_is_refreshed_once_and_the_call_retried() -> None:
    fake = FakeYahoo()
    refused = xml("error_token.xml", 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    fake.routes["orderInfo"] = [refused, xml("orderinfo_paid_card.xml")]

    result = connector(fake).fetch_orders(["snbx-juchu-10000001"])

    assert fake.tokens == 2
    assert [o.mall_order_number for o in result.orders] == ["snbx-juchu-10000001"]


def test_a_token_refused_twice_is_an_auth_error() -> None:
    fake = FakeYahoo()
    refused = xml("error_token.xml", 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    fake.routes["orderInfo"] = [refused, refused]

    with pytest.raises(ConnectorError) as caught:
        connector(fake).fetch_orders(["X"])

    assert (caught.value.code, caught.value.retryable) == ("AUTH", False)
    assert "認証" in str(caught.value)


def test_a_refresh_token_the_token_endpoint_refuses_is_an_auth_error() -> None:
    fake = FakeYahoo()
    fake.token_answers = [httpx.Response(400, content=load("token_invalid_grant.json"))]

    with pytest.raises(ConnectorError) as caught:
        connector(fake).fetch_orders(["X"])

    assert (caught.value.code, caught.value.retryable) == ("AUTH", False)
    assert "認証" in str(caught.value) and "invalid_grant" in str(caught.value)
    assert fake.calls("orderInfo") == []


def test_a_refused_signature_is_an_auth_error() -> None:
    fake = FakeYahoo()
    fake.routes["orderInfo"] = [xml("error_signature.xml", 403, {"X-SWS-Authorize-Status": "unauthorized"})]

    with pytest.raises(ConnectorError) as caught:
        connector(fake).fetch_orders(["X"])

    assert caught.value.code == "AUTH"
    assert "公開鍵認証" in str(caught.value) and "px-04103" in str(caught.value)


@pytest.mark.parametrize(
    ("response", "code"),
    [
        (xml("error_throttled.xml", 429, {"Retry-After": "2"}), "RATE_LIMIT"),
        (httpx.Response(500, content=b'{"error": "x"}'), "HTTP_500"),
        (httpx.Response(502, content=load("error_502.html")), "HTTP_502"),
        (httpx.Response(200, content=b"<ResultSet><Result><Status>OK</Sta"), "MALFORMED"),
    ],
)
def test_throttling_server_errors_and_broken_bodies_are_retryable(response: httpx.Response, code: str) -> None:
    fake = FakeYahoo()
    fake.routes["orderList"] = [response]

    with pytest.raises(ConnectorError) as caught:
        connector(fake).fetch_new_orders(None, datetime.now(UTC))

    assert (caught.value.code, caught.value.retryable) == (code, True)


def test_a_throttled_url_hands_out_no_token_until_retry_after_and_the_order_is_read_again() -> None:
    fake = FakeYahoo()
    fake.routes["orderInfo"] = [xml("error_throttled.xml", 429, {"Retry-After": "2"}), xml("orderinfo_paid_card.xml")]
    yahoo = connector(fake)

    result = yahoo.fetch_orders(["snbx-juchu-10000001"])

    assert [o.mall_order_number for o in result.orders] == ["snbx-juchu-10000001"]
    assert sum(yahoo.client.clock.sleeps) >= 2.0  # type: ignore[attr-defined]


def test_each_url_has_its_own_one_per_second_budget() -> None:
    fake = FakeYahoo()
    fake.info = {"A": "orderinfo_paid_card.xml"}
    yahoo = connector(fake)

    yahoo.fetch_orders(["A"])
    yahoo.push_stock([])
    yahoo.fetch_orders(["A"])

    assert yahoo.client.clock.sleeps == [1.0]  # type: ignore[attr-defined]


def test_missing_credentials_and_a_broken_public_key_are_config_errors() -> None:
    with pytest.raises(ConnectorError) as missing:
        connector(FakeYahoo(), refresh_token="")
    with pytest.raises(ConnectorError) as broken:
        connector(FakeYahoo(), public_key="-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----")

    assert (missing.value.code, broken.value.code) == ("CONFIG", "CONFIG")
    assert "refresh_token" in str(missing.value)


def test_the_ship_body_sends_two_numbers_or_the_empty_reason() -> None:
    two = wire.ship_status_body("s", "O", "1001", ["1", "2", "3"], dt.date(2026, 3, 3)).decode()
    none = wire.ship_status_body("s", "O", "1001", [], dt.date(2026, 3, 3)).decode()

    assert "<ShipInvoiceNumber1>1</ShipInvoiceNumber1><ShipInvoiceNumber2>2</ShipInvoiceNumber2>" in two
    assert "ShipInvoiceNumberEmptyReason" not in two and "<ShipDate>20260303</ShipDate>" in two
    assert "<ShipInvoiceNumberEmptyReason>1</ShipInvoiceNumberEmptyReason>" in none and "ShipInvoiceNumber1" not in none
