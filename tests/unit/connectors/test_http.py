"""The HTTP plumbing the mall clients share (juchu.connectors.http), the bucket choice and the SKU split."""

from __future__ import annotations

import math

import httpx
import pytest
from rakuten_fakes import FakeClock

from juchu.connectors import http
from juchu.connectors.base import ConnectorError, Outcome, StockLevel
from juchu.connectors.batching import split_by_sku
from juchu.connectors.ratelimit import TokenBucket, bucket_for, shared_bucket

# ---- settings and the client ------------------------------------------------------------------------


def test_a_number_setting_is_its_default_when_unset_and_a_float_when_given() -> None:
    assert http.number_setting({}, "timeout_seconds", 30.0, mall="楽天") == 30.0
    assert http.number_setting({"timeout_seconds": ""}, "timeout_seconds", 30.0, mall="楽天") == 30.0
    assert http.number_setting({"timeout_seconds": "2.5"}, "timeout_seconds", 30.0, mall="楽天") == 2.5


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("abc", "Qoo10: 設定 rate_burst='abc' は数値ではありません"),
        ("0", "Qoo10: 設定 rate_burst は正の数にしてください"),
    ],
)
def test_a_bad_number_setting_is_a_config_error_in_the_malls_words(raw: str, message: str) -> None:
    with pytest.raises(ConnectorError) as caught:
        http.number_setting({"rate_burst": raw}, "rate_burst", 2, mall="Qoo10")
    assert str(caught.value) == message
    assert caught.value.code == "CONFIG" and not caught.value.retryable


@pytest.mark.parametrize("raw", ["inf", "nan"])
def test_finite_refuses_inf_and_nan_which_are_otherwise_taken(raw: str) -> None:
    assert not math.isfinite(http.number_setting({"k": raw}, "k", 1.0, mall="m"))
    with pytest.raises(ConnectorError, match="m: 設定 k は正の数にしてください"):
        http.number_setting({"k": raw}, "k", 1.0, mall="m", finite=True)


def test_the_client_has_the_base_url_without_its_slash_the_timeout_and_the_headers() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    client = http.open_client(
        {"base_url": "https://mall.test/api/", "timeout_seconds": "5"},
        mall="m",
        default_base_url="https://default.test",
        transport=httpx.MockTransport(handler),
        headers={"Accept": "application/xml"},
    )
    client.get("/orders")
    assert str(seen[0].url) == "https://mall.test/api/orders"
    assert seen[0].headers["accept"] == "application/xml"
    assert client.timeout == httpx.Timeout(5.0, connect=5.0)
    default = http.open_client({}, mall="m", default_base_url="https://default.test/", transport=None)
    assert str(default.base_url) == "https://default.test"
    assert default.timeout == httpx.Timeout(30.0, connect=10.0)


def test_a_bad_timeout_is_a_config_error_when_the_client_is_built() -> None:
    with pytest.raises(ConnectorError, match="au PAY マーケット: 設定 timeout_seconds は正の数にしてください"):
        http.open_client(
            {"timeout_seconds": "inf"},
            mall="au PAY マーケット",
            default_base_url="https://x",
            transport=None,
            finite=True,
        )


def test_a_session_closes_its_pool() -> None:
    session = http.HttpSession()
    session._http = httpx.Client()
    session.close()
    assert session._http.is_closed


# ---- sending --------------------------------------------------------------------------------------


def _client(handler: object) -> httpx.Client:
    return httpx.Client(base_url="https://mall.test", transport=httpx.MockTransport(handler))  # type: ignore[arg-type]


def test_send_takes_a_token_from_the_bucket_first() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1.0, clock, capacity=1)
    client = _client(lambda request: httpx.Response(200, text=request.url.params["a"]))
    answers = [http.send(client, "m /x", "GET", "/x", bucket=bucket, params={"a": str(n)}).text for n in (1, 2)]
    assert answers == ["1", "2"]
    assert clock.sleeps == [1.0]


def test_a_timeout_is_retryable_timeout_named_unless_asked_not_to() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(ConnectorError) as caught:
        http.send(_client(handler), "楽天 /x", "POST", "/x", content=b"{}")
    assert str(caught.value) == "楽天 /x: タイムアウトしました (ReadTimeout)"
    assert caught.value.code == "TIMEOUT" and caught.value.retryable
    with pytest.raises(ConnectorError) as caught:
        http.send(_client(handler), "token", "POST", "/x", name_timeout=False)
    assert str(caught.value) == "token: タイムアウトしました"


def test_a_transport_failure_is_retryable_network() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ConnectorError) as caught:
        http.send(_client(handler), "Qoo10 M", "POST", "/M")
    assert str(caught.value) == "Qoo10 M: 接続できませんでした (refused)"
    assert caught.value.code == "NETWORK" and caught.value.retryable


# ---- the answers ------------------------------------------------------------------------------------


def test_rate_limited_blocks_the_bucket_for_the_wait_and_keeps_the_malls_wording() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10.0, clock, capacity=10)
    error = http.rate_limited("Amazon op /p", bucket=bucket, wait=7.0, text=http.QUOTA, status="429 QuotaExceeded")
    assert str(error) == "Amazon op /p: 呼び出し回数の上限を超えました (HTTP 429 QuotaExceeded)"
    assert error.code == "RATE_LIMIT" and error.retryable
    bucket.acquire()
    assert clock.sleeps == [7.0]
    plain = http.rate_limited("楽天 /x", code="429")
    assert (str(plain), plain.code) == ("楽天 /x: リクエストが多すぎます (HTTP 429)", "429")


def test_server_error_refused_malformed_and_408() -> None:
    response = httpx.Response(503, text="<html>\nbusy</html>")
    error = http.server_error("w", response)
    assert (str(error), error.code, error.retryable) == (
        "w: サーバーエラー (HTTP 503) [<html> busy</html>]",
        "HTTP_503",
        True,
    )
    assert http.server_error("w", response, code="503").code == "503"
    refused = http.refused("w", httpx.Response(404))
    assert (str(refused).strip(), refused.code, refused.retryable) == ("w: HTTP 404", "HTTP_404", False)
    bad = http.malformed("w", httpx.Response(200, text="<html>"), "JSON オブジェクト")
    assert (str(bad), bad.code, bad.retryable) == (
        "w: 応答が JSON オブジェクト ではありません (HTTP 200) [<html>]",
        "MALFORMED",
        True,
    )
    late = http.request_timeout("w", code="408")
    assert (str(late), late.code, late.retryable) == ("w: タイムアウトしました (HTTP 408)", "408", True)


@pytest.mark.parametrize(
    ("header", "ceiling", "seconds"),
    [
        (None, 60.0, 1.0),
        ("", 60.0, 1.0),
        ("soon", 60.0, 1.0),
        ("nan", 60.0, 1.0),
        ("5", 60.0, 5.0),
        ("-3", 60.0, 0.0),
        ("600", 60.0, 60.0),
        ("600", math.inf, 600.0),
    ],
)
def test_retry_after(header: str | None, ceiling: float, seconds: float) -> None:
    headers = {"Retry-After": header} if header is not None else {}
    assert http.retry_after(httpx.Response(429, headers=headers), ceiling=ceiling) == seconds


def test_snippet_is_the_first_120_bytes_on_one_line() -> None:
    assert http.snippet(httpx.Response(200)) == ""
    assert http.snippet(httpx.Response(200, content=b"a\nb " + b"x" * 200)) == "[a b " + "x" * 116 + "]"
    assert http.snippet(httpx.Response(200, content=b"\xff")) == "[\ufffd]"


def test_json_and_xml_or_none() -> None:
    assert http.json_or_none(httpx.Response(200, content=b'{"a": 1}')) == {"a": 1}
    assert http.json_or_none(httpx.Response(200, content=b"<html>")) is None
    assert http.json_or_none(httpx.Response(200, content=b"\xef\xbb\xbf{}")) is None
    assert http.json_or_none(httpx.Response(200, content=b"\xef\xbb\xbf{}"), encoding="utf-8-sig") == {}
    root = http.xml_or_none(b"<response><a>1</a></response>")
    assert root is not None and root.findtext("a") == "1"
    assert http.xml_or_none(b"{}") is None


# ---- buckets and the SKU split -----------------------------------------------------------------------


def test_an_injected_clock_gets_its_own_bucket_else_the_process_wide_one() -> None:
    clock = FakeClock()
    own = bucket_for("test-http:cred", 2.0, clock=clock, capacity=3, max_wait=5.0)
    assert own is not bucket_for("test-http:cred", 2.0, clock=clock, capacity=3, max_wait=5.0)
    assert (own.rate, own.capacity, own.max_wait) == (2.0, 3, 5.0)
    shared = bucket_for("test-http:cred", 2.0, clock=None, capacity=3, max_wait=5.0)
    assert shared is shared_bucket("test-http:cred", 2.0, capacity=3, max_wait=5.0)


def test_split_by_sku_keeps_indexes_and_refuses_the_rest_as_sku_format() -> None:
    levels = [StockLevel("a", 1), StockLevel(":x", 2), StockLevel("b:y", 3)]
    refused, kept = split_by_sku(enumerate(levels, 10), lambda sku: bool(sku.partition(":")[0]), "空です")
    assert kept == [(10, levels[0]), (12, levels[2])]
    assert list(refused) == [11]
    assert (refused[11].key, refused[11].outcome, refused[11].code, refused[11].message) == (
        ":x",
        Outcome.REJECTED,
        "SKU_FORMAT",
        "空です",
    )
