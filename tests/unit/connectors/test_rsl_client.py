"""RSL transport: headers, error mapping (401 → AUTH, 429/5xx/timeouts/malformed → retryable) and the rate limit."""

from __future__ import annotations

import json

import httpx
import pytest
from rsl_fakes import FakeClock, load

from juchu.connectors.base import ConnectorError
from juchu.connectors.ratelimit import RateLimited, TokenBucket
from juchu.connectors.warehouses.rsl.client import RslClient, RslError
from juchu.connectors.warehouses.rsl.connector import RslConnector


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


SETTINGS = {"base_url": "https://rsl.test/rsl/v1", "api_key": "key-123", "merchant_id": "M-9", "warehouse_code": "rsl"}


def client_for(handler, clock) -> RslClient:
    return RslClient(
        "https://rsl.test/rsl/v1",
        "key-123",
        "M-9",
        bucket=TokenBucket(5, clock, max_wait=1.0),
        transport=httpx.MockTransport(handler),
    )


def test_every_call_carries_bearer_key_merchant_header_and_json(clock):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    # given a client; when it posts
    answer = client_for(handler, clock).post("/inbound-plans", {"planId": "P1"})
    # then
    assert answer == {"ok": True}
    request = seen[0]
    assert str(request.url) == "https://rsl.test/rsl/v1/inbound-plans"
    assert request.headers["Authorization"] == "Bearer key-123"
    assert request.headers["X-RSL-Merchant"] == "M-9"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"planId": "P1"}


def test_401_is_a_non_retryable_auth_error_in_japanese(clock):
    def handler(request):
        return httpx.Response(401, json=load("error_401.json"))

    with pytest.raises(ConnectorError) as caught:
        client_for(handler, clock).get("/inventory")
    assert caught.value.retryable is False
    assert caught.value.code == "AUTH"
    assert "認証に失敗しました" in str(caught.value)
    assert "GET /inventory" in str(caught.value)
    assert "[UNAUTHORIZED] invalid api key" in str(caught.value)


def test_429_is_retryable_reports_retry_after_and_never_sleeps_it(clock):
    def handler(request):
        return httpx.Response(429, headers={"Retry-After": "30"}, json={"error": {"code": "RATE", "message": "slow"}})

    client = client_for(handler, clock)
    with pytest.raises(RslError) as caught:
        client.get("/shipment-results")
    assert (caught.value.retryable, caught.value.code, caught.value.retry_after) == (True, "429", 30.0)
    assert "30秒後に再試行" in str(caught.value)
    assert clock.sleeps == []


def test_after_429_the_next_call_fails_fast_without_reaching_rsl(clock):
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(429, headers={"Retry-After": "30"})

    client = client_for(handler, clock)
    with pytest.raises(RslError):
        client.get("/inventory")
    # when called again within the Retry-After window
    with pytest.raises(RslError) as caught:
        client.get("/inventory")
    # then RSL was not asked again and nothing slept
    assert len(calls) == 1
    assert (caught.value.code, caught.value.retryable) == ("RATE_LIMIT", True)
    assert clock.sleeps == []
    # and once the window passed, calls go through again
    clock.advance(30)
    with pytest.raises(RslError) as again:
        client.get("/inventory")
    assert again.value.code == "429"
    assert len(calls) == 2


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_retryable_and_surfaces_the_error_body(clock, status):
    def handler(request):
        return httpx.Response(status, json={"error": {"code": "INTERNAL", "message": "db down"}})

    with pytest.raises(RslError) as caught:
        client_for(handler, clock).post("/shipment-requests", {"requests": []})
    assert (caught.value.retryable, caught.value.code, caught.value.status) == (True, str(status), status)
    assert str(caught.value).startswith("RSL POST /shipment-requests:")
    assert "[INTERNAL] db down" in str(caught.value)


def test_an_html_error_page_is_retryable_and_named_as_such(clock):
    def handler(request):
        return httpx.Response(502, content=load("error_502.html"), headers={"Content-Type": "text/html"})

    with pytest.raises(RslError) as caught:
        client_for(handler, clock).get("/inventory")
    assert caught.value.retryable is True
    assert "HTMLのエラーページ" in str(caught.value)


def test_an_html_page_with_status_200_is_retryable_malformed(clock):
    def handler(request):
        return httpx.Response(200, content=load("error_502.html"), headers={"Content-Type": "text/html"})

    with pytest.raises(RslError) as caught:
        client_for(handler, clock).get("/inventory")
    assert (caught.value.retryable, caught.value.code) == (True, "MALFORMED")
    assert "GET /inventory" in str(caught.value)


@pytest.mark.parametrize("body", [b'{"results": [{"requestId": "R-1"', b"", b"[1, 2]", b"\xff\xfe garbage"])
def test_truncated_empty_or_non_object_json_is_retryable_malformed(clock, body):
    def handler(request):
        return httpx.Response(200, content=body)

    with pytest.raises(RslError) as caught:
        client_for(handler, clock).get("/shipment-results")
    assert (caught.value.retryable, caught.value.code) == (True, "MALFORMED")
    assert "GET /shipment-results" in str(caught.value)


def test_a_timeout_is_retryable_and_names_the_endpoint(clock):
    def handler(request):
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(RslError) as caught:
        client_for(handler, clock).post("/shipment-requests", {"requests": []})
    assert (caught.value.retryable, caught.value.code) == (True, "TIMEOUT")
    assert "POST /shipment-requests" in str(caught.value)


def test_a_connection_failure_is_retryable(clock):
    def handler(request):
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(RslError) as caught:
        client_for(handler, clock).get("/inventory")
    assert (caught.value.retryable, caught.value.code) == (True, "NETWORK")


def test_other_4xx_is_not_retryable_and_keeps_rsl_code(clock):
    def handler(request):
        return httpx.Response(400, json={"error": {"code": "E005", "message": "requests: too many"}})

    with pytest.raises(RslError) as caught:
        client_for(handler, clock).post("/shipment-requests", {"requests": []})
    assert (caught.value.retryable, caught.value.code) == (False, "E005")
    assert "requests: too many" in str(caught.value)


# ---- the token bucket ------------------------------------------------------------------------------


def test_bucket_lets_a_burst_of_five_through_then_spaces_calls_at_the_rate(clock):
    bucket = TokenBucket(5, clock, max_wait=1.0)
    for _ in range(5):
        bucket.acquire("GET /x")
    assert clock.sleeps == []
    bucket.acquire("GET /x")
    bucket.acquire("GET /x")
    assert clock.sleeps == [pytest.approx(0.2), pytest.approx(0.2)]


def test_bucket_refills_with_time(clock):
    bucket = TokenBucket(5, clock, max_wait=1.0)
    for _ in range(5):
        bucket.acquire("GET /x")
    clock.advance(1.0)
    for _ in range(5):
        bucket.acquire("GET /x")
    assert clock.sleeps == []


def test_bucket_refuses_a_wait_longer_than_max_wait_without_sleeping(clock):
    bucket = TokenBucket(1, clock, max_wait=0.5)
    bucket.acquire("GET /x")
    with pytest.raises(RateLimited) as caught:
        bucket.acquire("GET /x")
    assert (caught.value.code, caught.value.retryable) == ("RATE_LIMIT", True)
    assert caught.value.retry_after == pytest.approx(1.0)
    assert clock.sleeps == []


def test_connector_sends_at_most_rate_per_second_from_settings(clock):
    times = []

    def handler(request):
        times.append(clock.monotonic())
        return httpx.Response(200, json={"items": [], "nextPage": None})

    connector = RslConnector({**SETTINGS, "rate_per_second": "2"}, transport=httpx.MockTransport(handler), clock=clock)
    for _ in range(6):
        connector.fetch_stock()
    assert times == [1000.0, 1000.0, 1000.5, 1001.0, 1001.5, 1002.0]
