"""HTTP client for MakeShop's legacy APIs: shop id + per-API 認証コード, XML answers, rate limit, errors.

:meth:`MakeShopClient.orders` (order API, GET), :meth:`MakeShopClient.stock` (product API, POST) and
:meth:`MakeShopClient.stock_levels` (product API, GET) return the parsed XML root or raise
:class:`~juchu.connectors.base.ConnectorError`:

* transport failures, timeouts, HTTP 429 / ``E009``, 5xx and bodies that are not the XML we expect → retryable
  (codes ``NETWORK``, ``TIMEOUT``, ``RATE_LIMIT``, ``HTTP_5xx``, ``MALFORMED``);
* ``<error><code>E001</code>`` (answered with HTTP 200) and HTTP 401/403 → ``retryable=False, code="AUTH"``;
* any other ``<error>`` → :class:`MakeShopApiError` carrying MakeShop's code, for the caller to turn into a
  per-item result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from xml.etree import ElementTree as ET

import httpx

from juchu.connectors.base import ConnectorError
from juchu.connectors.malls.makeshop.wire import DEFAULT_BASE_URL, ORDER_PATH, PRODUCT_PATH
from juchu.connectors.ratelimit import Clock, SystemClock, TokenBucket, shared_bucket

AUTH_CODE = "E001"
RATE_CODE = "E009"
DEFAULT_RATE = 1.0
DEFAULT_BURST = 2


class MakeShopApiError(ConnectorError):
    """MakeShop refused the request with an ``<error>`` envelope (not an authentication or rate error)."""

    def __init__(self, message: str, *, code: str, text: str) -> None:
        super().__init__(message, retryable=False, code=code)
        self.text = text


def _number_setting(settings: Mapping[str, str], key: str, default: float) -> float:
    raw = settings.get(key, "")
    if raw in ("", None):
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError) as exc:
        raise ConnectorError(
            f"MakeShop: 設定 {key}={raw!r} は数値ではありません", retryable=False, code="CONFIG"
        ) from exc
    if value <= 0:
        raise ConnectorError(f"MakeShop: 設定 {key} は正の数にしてください", retryable=False, code="CONFIG")
    return value


class MakeShopClient:
    """One shop's MakeShop session: a single ``httpx.Client`` and one token bucket per 認証コード."""

    def __init__(
        self,
        settings: Mapping[str, str],
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.shop_id = settings.get("shop_id", "")
        self.order_token = settings.get("order_token", "")
        self.product_token = settings.get("product_token", "")
        if not self.shop_id or not self.order_token:
            raise ConnectorError(
                "MakeShop: 設定に shop_id と order_token (注文データ連携 認証コード) が必要です",
                retryable=False,
                code="CONFIG",
            )
        self.clock: Clock = clock or SystemClock()
        rate = _number_setting(settings, "rate_per_second", DEFAULT_RATE)
        burst = int(_number_setting(settings, "rate_burst", DEFAULT_BURST))
        self._buckets: dict[str, TokenBucket] = {}
        for api, token in (("order", self.order_token), ("product", self.product_token)):
            # An injected clock means a test: give it its own buckets instead of the process-wide ones.
            self._buckets[api] = (
                TokenBucket(rate, self.clock, capacity=burst)
                if clock
                else shared_bucket(f"makeshop:{self.shop_id}:{token}", rate, capacity=burst)
            )
        timeout = _number_setting(settings, "timeout_seconds", 30.0)
        self._http = httpx.Client(
            base_url=(settings.get("base_url") or DEFAULT_BASE_URL).rstrip("/"),
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"Accept": "text/xml, application/xml"},
        )

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def orders(self, cmd: str, params: Mapping[str, str]) -> ET.Element:
        """``GET /api/orderinfo/index.html?cmd=…`` with the order 認証コード; the ``<orderinfo>`` root."""
        query = {"cmd": cmd, "shopid": self.shop_id, "token": self.order_token, **params}
        return self._call("order", f"MakeShop 注文API cmd={cmd}", "GET", ORDER_PATH, query, None, "orderinfo")

    def stock(self, body: bytes) -> ET.Element:
        """``POST /api/productinfo/index.html?cmd=stock`` with the product 認証コード; the ``<productinfo>`` root."""
        query = self._product_query("在庫更新")
        return self._call("product", "MakeShop 商品API cmd=stock", "POST", PRODUCT_PATH, query, body, "productinfo")

    def stock_levels(self, codes: Sequence[str]) -> ET.Element:
        """``GET /api/productinfo/index.html?cmd=stock&brand_code=a,b,…`` (the stock read); ``<productinfo>``."""
        query = {**self._product_query("在庫の読み取り"), "brand_code": ",".join(codes)}
        return self._call(
            "product", "MakeShop 商品API cmd=stock (GET)", "GET", PRODUCT_PATH, query, None, "productinfo"
        )

    def _product_query(self, what: str) -> dict[str, str]:
        if not self.product_token:
            raise ConnectorError(
                f"MakeShop: {what}には設定 product_token (商品データ連携 認証コード) が必要です",
                retryable=False,
                code="CONFIG",
            )
        return {"cmd": "stock", "shopid": self.shop_id, "token": self.product_token}

    def _call(
        self, api: str, where: str, method: str, path: str, query: dict[str, str], body: bytes | None, root_tag: str
    ) -> ET.Element:
        self._buckets[api].acquire(where)
        headers = {"Content-Type": "text/xml; charset=UTF-8"} if body is not None else None
        try:
            response = self._http.request(method, path, params=query, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise ConnectorError(f"{where}: タイムアウトしました ({type(exc).__name__})", code="TIMEOUT") from exc
        except httpx.TransportError as exc:
            raise ConnectorError(f"{where}: 接続できませんでした ({exc})", code="NETWORK") from exc
        return self._answer(api, where, response, root_tag)

    def _answer(self, api: str, where: str, response: httpx.Response, root_tag: str) -> ET.Element:
        status = response.status_code
        if status in (401, 403):
            raise ConnectorError(f"{where}: 認証エラー (HTTP {status})", retryable=False, code="AUTH")
        if status == 429:
            self._buckets[api].block_for(_retry_after(response))
            raise ConnectorError(f"{where}: リクエストが多すぎます (HTTP 429)", code="RATE_LIMIT")
        if status >= 500:
            raise ConnectorError(f"{where}: サーバーエラー (HTTP {status}) {_snippet(response)}", code=f"HTTP_{status}")
        try:
            root = ET.fromstring(response.content)
        except ET.ParseError:
            root = None
        if root is not None and root.tag == "error":
            code, text = (root.findtext("code") or "").strip(), (root.findtext("message") or "").strip()
            if code == AUTH_CODE:
                raise ConnectorError(
                    f"{where}: 認証エラー ({code} {text}): ショップIDと認証コードを確認してください",
                    retryable=False,
                    code="AUTH",
                )
            if code == RATE_CODE:
                self._buckets[api].block_for(1.0)
                raise ConnectorError(f"{where}: アクセス過多 ({code} {text})", code="RATE_LIMIT")
            raise MakeShopApiError(f"{where}: {code} {text}", code=code or f"HTTP_{status}", text=text)
        if status >= 400:
            raise ConnectorError(f"{where}: HTTP {status} {_snippet(response)}", retryable=False, code=f"HTTP_{status}")
        if root is None or root.tag != root_tag or (root.findtext("result") or "").strip() != "OK":
            raise ConnectorError(
                f"{where}: 応答が <{root_tag}> の XML ではありません (HTTP {status}) {_snippet(response)}",
                code="MALFORMED",
            )
        return root


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(60.0, max(0.0, float(response.headers.get("retry-after", "1"))))
    except ValueError:
        return 1.0


def _snippet(response: httpx.Response) -> str:
    text = response.content[:120].decode("utf-8", errors="replace").replace("\n", " ").strip()
    return f"[{text}]" if text else ""
