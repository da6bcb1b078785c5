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

from juchu.connectors import http
from juchu.connectors.base import ConnectorError
from juchu.connectors.malls.makeshop.wire import DEFAULT_BASE_URL, ORDER_PATH, PRODUCT_PATH
from juchu.connectors.ratelimit import Clock, SystemClock, TokenBucket, bucket_for

AUTH_CODE = "E001"
RATE_CODE = "E009"
MALL = "MakeShop"
DEFAULT_RATE = 1.0
DEFAULT_BURST = 2


class MakeShopApiError(ConnectorError):
    """MakeShop refused the request with an ``<error>`` envelope (not an authentication or rate error)."""

    def __init__(self, message: str, *, code: str, text: str) -> None:
        super().__init__(message, retryable=False, code=code)
        self.text = text


class MakeShopClient(http.HttpSession):
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
        rate = http.number_setting(settings, "rate_per_second", DEFAULT_RATE, mall=MALL)
        burst = int(http.number_setting(settings, "rate_burst", DEFAULT_BURST, mall=MALL))
        self._buckets: dict[str, TokenBucket] = {
            api: bucket_for(f"makeshop:{self.shop_id}:{token}", rate, clock=clock, capacity=burst)
            for api, token in (("order", self.order_token), ("product", self.product_token))
        }
        self._http = http.open_client(
            settings,
            mall=MALL,
            default_base_url=DEFAULT_BASE_URL,
            transport=transport,
            headers={"Accept": "text/xml, application/xml"},
        )

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
        headers = {"Content-Type": "text/xml; charset=UTF-8"} if body is not None else None
        response = http.send(
            self._http, where, method, path, bucket=self._buckets[api], params=query, content=body, headers=headers
        )
        return self._answer(api, where, response, root_tag)

    def _answer(self, api: str, where: str, response: httpx.Response, root_tag: str) -> ET.Element:
        status = response.status_code
        if status in (401, 403):
            raise ConnectorError(f"{where}: 認証エラー (HTTP {status})", retryable=False, code="AUTH")
        if status == 429:
            raise http.rate_limited(where, bucket=self._buckets[api], wait=http.retry_after(response))
        if status >= 500:
            raise http.server_error(where, response)
        root = http.xml_or_none(response.content)
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
            raise http.refused(where, response)
        if root is None or root.tag != root_tag or (root.findtext("result") or "").strip() != "OK":
            raise http.malformed(where, response, f"<{root_tag}> の XML")
        return root
