"""The RMS client: auth header, endpoints, error mapping and the per-credential rate limit."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from rakuten_fakes import FIXTURES, SETTINGS, FakeClock, answering, load, make_connector

from juchu.connectors.base import ConnectorError
from juchu.connectors.malls.rakuten import RakutenConnector
from juchu.connectors.malls.rakuten.client import RakutenApiError
from juchu.connectors.ratelimit import TokenBucket, shared_bucket


def test_every_call_is_a_json_post_with_esa_auth_to_a_trailing_slash_endpoint():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=load("confirm_ok.json"))

    connector = RakutenConnector(SETTINGS, transport=httpx.MockTransport(handler), clock=FakeClock())
    connector.confirm(["999999-20250401-0000000101"])

    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == "https://rms.test/es/2.0/order/confirmOrder/"
    assert request.headers["Authorization"] == "ESA " + base64.b64encode(b"SP999_secret:SL999_key").decode()
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"


def test_401_is_a_non_retryable_auth_error_in_japanese():
    rms, _, connector = make_connector()
    rms.routes["getOrder"] = answering(httpx.Response(401, json=load("error_401.json")))

    with pytest.raises(ConnectorError) as caught:
        connector.fetch_orders(["n1"])

    assert (caught.value.retryable, caught.value.code) == (False, "AUTH")
    assert str(caught.value).startswith("認証エラー: licenseKey が無効か期限切れです")
    assert "getOrder" in str(caught.value)


def test_gateway_auth_code_in_a_400_is_an_auth_error_too():
    rms, _, connector = make_connector()
    body = {"MessageModelList": [{"messageType": "ERROR", "messageCode": "ES01-01", "message": "Un-Authorised"}]}
    rms.routes["getOrder"] = answering(httpx.Response(400, json=body))

    with pytest.raises(ConnectorError) as caught:
        connector.fetch_orders(["n1"])

    assert (caught.value.retryable, caught.value.code) == (False, "AUTH")


@pytest.mark.parametrize(
    ("response", "code", "text"),
    [
        (httpx.Response(429, text="Too Many Requests"), "429", "HTTP 429"),
        (httpx.Response(500, json={}), "500", "HTTP 500"),
        (httpx.Response(503, content=(FIXTURES / "error_503.html").read_bytes()), "503", "Service Temporarily"),
        (httpx.Response(200, content=(FIXTURES / "error_503.html").read_bytes()), "MALFORMED", "JSON"),
        (httpx.Response(200, content=b'{"MessageModelList": [{"messageType": "INFO", "mess'), "MALFORMED", "JSON"),
        (httpx.Response(200, json=[1, 2]), "MALFORMED", "JSON"),
        (httpx.ReadTimeout("read timed out"), "TIMEOUT", "タイムアウト"),
        (httpx.ConnectError("connection refused"), "NETWORK", "接続できませんでした"),
    ],
)
def test_transient_failures_are_retryable_and_name_the_endpoint(response, code, text):
    rms, _, connector = make_connector()
    rms.routes["getOrder"] = answering(response)

    with pytest.raises(ConnectorError) as caught:
        connector.fetch_orders(["n1"])

    assert (caught.value.retryable, caught.value.code) == (True, code)
    assert "/es/2.0/order/getOrder/" in str(caught.value)
    assert text in str(caught.value)


def test_4xx_with_a_rakuten_code_is_non_retryable_and_keeps_the_messages():
    rms, _, connector = make_connector()
    rms.routes["searchOrder"] = answering(httpx.Response(400, json=load("searchorder_error_400.json")))

    with pytest.raises(RakutenApiError) as caught:
        connector.fetch_new_orders(None, datetime(2025, 4, 12, tzinfo=timezone(timedelta(hours=9))))

    assert (caught.value.retryable, caught.value.code, caught.value.status) == (
        False,
        "ORDER_EXT_API_SEARCH_ORDER_ERROR_011",
        400,
    )
    assert "startDatetimeの書式が不正です。" in str(caught.value)


def test_missing_credentials_are_a_config_error():
    with pytest.raises(ConnectorError) as caught:
        make_connector(licenseKey="")

    assert (caught.value.retryable, caught.value.code) == (False, "CONFIG")


def test_token_bucket_allows_a_burst_then_one_request_per_second():
    clock = FakeClock()
    bucket = TokenBucket(1.0, clock, capacity=2)

    for _ in range(5):
        bucket.acquire()

    assert clock.sleeps == [1.0, 1.0, 1.0]
    assert clock.now == 1003.0


def test_connector_calls_are_paced_by_rate_per_second():
    rms, clock, connector = make_connector(rate_per_second="2", rate_burst="1")

    connector.confirm([f"n{i}" for i in range(300)])  # three confirmOrder calls

    assert len(rms.bodies("confirmOrder/")) == 3
    assert clock.sleeps == [0.5, 0.5]


def test_connectors_of_one_credential_share_a_bucket():
    assert shared_bucket("s:k", 1.0, capacity=2) is shared_bucket("s:k", 1.0, capacity=2)
    assert shared_bucket("s:k", 1.0, capacity=2) is not shared_bucket("s:other", 1.0, capacity=2)
