"""Amazon client: LWA token exchange and refresh, auth errors, retryable failures, rate limits per operation."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from tests.unit.connectors.amazon_fakes import ORDERS, SETTINGS, FakeSpApi, load, raw_bytes, status

from juchu.connectors.base import ConnectorError
from juchu.connectors.malls.amazon.client import GET_ORDER_ITEMS, GET_ORDERS, AmazonApiError

NOW = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
ONE = "503-1111111-0000001"


def test_the_access_token_is_fetched_once_and_sent_on_every_call() -> None:
    api = FakeSpApi()
    connector, _clock = api.connector()

    connector.fetch_orders([ONE])
    connector.fetch_orders(["503-1111111-0000002"])

    (lwa,) = [r for r in api.requests if r.url.host == "lwa.test"]
    assert lwa.method == "POST"
    assert lwa.headers["content-type"] == "application/x-www-form-urlencoded"
    assert dict(httpx.QueryParams(lwa.content.decode())) == {
        "grant_type": "refresh_token",
        "refresh_token": "Atzr|test",
        "client_id": "amzn1.application-oa2-client.test",
        "client_secret": "secret",
    }
    assert {r.headers["x-amz-access-token"] for r in api.requests if r.url.host == "sp.test"} == {"Atza|token-1"}


def test_a_refused_token_is_refreshed_once_and_the_call_sent_again() -> None:
    api = FakeSpApi()
    connector, _clock = api.connector()
    connector.fetch_orders([ONE])
    api.valid_tokens.clear()  # Amazon expired the cached token

    result = connector.fetch_orders([ONE])

    assert [o.mall_order_number for o in result.orders] == [ONE]
    assert api.tokens_issued == 2


def test_a_token_refused_again_after_refresh_is_an_auth_error() -> None:
    api = FakeSpApi()
    api.override[("GET", f"{ORDERS}/{ONE}")] = status(403, "error_token_expired.json")
    connector, _clock = api.connector()

    with pytest.raises(ConnectorError) as caught:
        connector.fetch_orders([ONE])

    assert (caught.value.code, caught.value.retryable) == ("AUTH", False)
    assert "認証" in str(caught.value)
    assert api.tokens_issued == 2
    assert len(api.calls(f"{ORDERS}/{ONE}")) == 2


def test_a_refresh_token_refused_by_lwa_is_an_auth_error() -> None:
    api = FakeSpApi()
    api.override[("POST", "/auth/o2/token")] = status(400, "lwa_invalid_grant.json")
    connector, _clock = api.connector()

    with pytest.raises(ConnectorError) as caught:
        connector.fetch_new_orders(None, NOW)

    assert (caught.value.code, caught.value.retryable) == ("AUTH", False)
    assert "認証" in str(caught.value) and "invalid_grant" in str(caught.value)
    assert not [r for r in api.requests if r.url.host == "sp.test"]


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (status(429, "error_quota.json"), "RATE_LIMIT"),
        (status(503, content=b"Service Unavailable"), "HTTP_503"),
        (status(502, content=raw_bytes("error_502.html")), "HTTP_502"),
        (status(200, content=b'{"payload": {"Orders": [{"AmazonOrderId": "503-'), "MALFORMED"),
        (status(200, content=b"[]"), "MALFORMED"),
    ],
)
def test_throttling_server_errors_and_broken_bodies_are_retried_then_retryable(answer, code: str) -> None:
    api = FakeSpApi()
    api.override[("GET", ORDERS)] = answer
    connector, _clock = api.connector()

    with pytest.raises(ConnectorError) as caught:
        connector.fetch_new_orders(None, NOW)

    assert (caught.value.code, caught.value.retryable) == (code, True)
    assert "Amazon getOrders" in str(caught.value)
    assert len(api.calls(ORDERS, "GET")) == 3


def test_a_timeout_is_retryable() -> None:
    api = FakeSpApi()

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out", request=request)

    api.override[("GET", ORDERS)] = slow
    connector, _clock = api.connector()

    with pytest.raises(ConnectorError) as caught:
        connector.fetch_new_orders(None, NOW)

    assert (caught.value.code, caught.value.retryable) == ("TIMEOUT", True)


def test_a_transient_failure_that_clears_is_invisible() -> None:
    api = FakeSpApi()
    answers = iter([httpx.Response(500, json={}), None])
    api.override[("GET", ORDERS)] = lambda request: next(answers, None)
    connector, _clock = api.connector()

    result = connector.fetch_new_orders(None, NOW)

    assert len(result.orders) == 3


def test_an_invalid_input_answer_is_an_api_error_that_is_not_retried() -> None:
    api = FakeSpApi()
    api.override[("GET", ORDERS)] = status(400, "error_invalid_input.json")
    connector, _clock = api.connector()

    with pytest.raises(AmazonApiError) as caught:
        connector.fetch_new_orders(None, NOW)

    assert (caught.value.code, caught.value.status, caught.value.retryable) == ("InvalidInput", 400, False)
    assert len(api.calls(ORDERS, "GET")) == 1


def test_each_operation_has_its_documented_bucket_unless_the_settings_override_them() -> None:
    api = FakeSpApi()
    connector, _clock = api.connector()
    fast, _clock2 = FakeSpApi().connector(rate_per_second="1000", rate_burst="1000")

    orders, items = connector.client.bucket(GET_ORDERS), connector.client.bucket(GET_ORDER_ITEMS)

    assert (orders.rate, orders.capacity) == (0.0167, 20)
    assert (items.rate, items.capacity) == (0.5, 30)
    assert (fast.client.bucket(GET_ORDERS).rate, fast.client.bucket(GET_ORDERS).capacity) == (1000.0, 1000)


def test_calls_beyond_the_burst_wait_for_their_token() -> None:
    api = FakeSpApi()
    connector, clock = api.connector(rate_per_second="2", rate_burst="1")

    connector.fetch_orders([ONE])

    # getOrder, getOrderItems, getOrderAddress, getOrderBuyerInfo: separate buckets of burst 1 → no wait
    assert clock.sleeps == []
    connector.fetch_orders(["503-1111111-0000002"])
    assert clock.sleeps == [0.5]  # the first call waits half a second; the others' buckets refilled meanwhile


def test_a_429_blocks_the_operation_bucket_for_the_retry_after() -> None:
    api = FakeSpApi()
    answers = iter([httpx.Response(429, json=load("error_quota.json"), headers={"retry-after": "2"}), None])
    api.override[("GET", ORDERS)] = lambda request: next(answers, None)
    connector, clock = api.connector()

    connector.fetch_new_orders(None, NOW)

    assert clock.sleeps[:2] == [0.2, pytest.approx(1.8)]


def test_missing_credentials_are_a_configuration_error() -> None:
    api = FakeSpApi()

    with pytest.raises(ConnectorError) as caught:
        api.connector(refresh_token="", seller_id="")

    assert (caught.value.code, caught.value.retryable) == ("CONFIG", False)
    assert "refresh_token" in str(caught.value) and "seller_id" in str(caught.value)
    assert SETTINGS["refresh_token"]
