"""HTTP client for the Wow!manager API: Bearer auth, XML answers, a per-key rate limit, error mapping.

:meth:`AuPayClient.get` and :meth:`AuPayClient.post` return the parsed ``<response>`` element whose
``result/status`` is 0, or raise :class:`~juchu.connectors.base.ConnectorError`:

* transport failures, timeouts, 429, 5xx and bodies that are not the XML envelope → ``retryable=True``;
* 401/403 and the auth error codes (bad key, expired key, IP not allowed) → ``retryable=False, code="AUTH"``;
* any other refusal (``status`` 1 with an error code) → :class:`AuPayApiError` (``retryable=False``) carrying
  the mall's code and message, so a caller can turn it into a per-item result.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping

import httpx

from juchu.connectors import http
from juchu.connectors.base import ConnectorError
from juchu.connectors.ratelimit import Clock, SystemClock, bucket_for

DEFAULT_BASE_URL = "https://api.manager.wowma.jp"
MALL = "au PAY マーケット"
#: Documented defaults (au PAY publishes no limit; our conservative choice).
DEFAULT_RATE, DEFAULT_BURST = 2.0, 2
#: Error codes meaning the key or the calling IP is refused (see the sandbox README).
AUTH_CODES = {
    "PUB0001": "APIキーが無効です",
    "PUB0002": "APIキーの有効期限が切れています（Wow!manager で再発行してください）",
    "PUB0003": "接続元IPアドレスが許可されていません（Wow!manager でIPアドレスを登録してください）",
}
RATE_CODE = "PUB0004"


class AuPayApiError(ConnectorError):
    """The mall refused the request with an error code (``result/status`` 1)."""

    def __init__(self, message: str, *, code: str, text: str, status: int) -> None:
        super().__init__(message, retryable=False, code=code)
        self.text = text
        self.status = status


def text_of(element: ET.Element | None, path: str) -> str:
    """The stripped text at ``path`` under ``element`` ('' when absent)."""
    if element is None:
        return ""
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


class AuPayClient(http.HttpSession):
    """One shop's Wow!manager API session: a single ``httpx.Client`` and the key's rate limit."""

    def __init__(
        self,
        settings: Mapping[str, str],
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.shop_id = str(settings.get("shopId", "")).strip()
        key = str(settings.get("apiKey", "")).strip()
        if not self.shop_id or not key:
            raise ConnectorError(f"{MALL}: 設定に shopId と apiKey が必要です", retryable=False, code="CONFIG")
        self.clock: Clock = clock or SystemClock()
        rate = http.number_setting(settings, "rate_per_second", DEFAULT_RATE, mall=MALL, finite=True)
        burst = int(http.number_setting(settings, "rate_burst", DEFAULT_BURST, mall=MALL, finite=True))
        self.bucket = bucket_for(f"aupay:{self.shop_id}:{key}", rate, clock=clock, capacity=max(1, burst))
        self._http = http.open_client(
            settings,
            mall=MALL,
            default_base_url=DEFAULT_BASE_URL,
            transport=transport,
            headers={"Authorization": f"Bearer {key}", "Accept": "application/xml"},
            finite=True,
        )

    def get(self, path: str, params: Mapping[str, str | int]) -> ET.Element:
        """GET ``path`` with ``shopId`` and ``params`` as the query; the ``<response>`` element."""
        return self._call("GET", path, params={"shopId": self.shop_id, **params})

    def post(self, path: str, body: bytes) -> ET.Element:
        """POST an XML ``body`` to ``path``; the ``<response>`` element."""
        return self._call("POST", path, content=body)

    def _call(
        self, method: str, path: str, *, params: Mapping[str, str | int] | None = None, content: bytes | None = None
    ) -> ET.Element:
        where = f"{MALL} {path}"
        headers = {"Content-Type": "application/xml; charset=utf-8"} if content is not None else None
        response = http.send(
            self._http, where, method, path, bucket=self.bucket, params=params, content=content, headers=headers
        )
        return self._answer(where, response)

    def _answer(self, where: str, response: httpx.Response) -> ET.Element:
        status = response.status_code
        root = _envelope(response.content)
        code = text_of(root, "result/error/code")
        text = text_of(root, "result/error/message")
        if status in (401, 403) or code in AUTH_CODES:
            detail = AUTH_CODES.get(code) or text or f"HTTP {status}"
            raise ConnectorError(f"{where}: 認証エラー: {detail} ({code or status})", retryable=False, code="AUTH")
        if status == 429 or code == RATE_CODE:
            raise http.rate_limited(where, bucket=self.bucket, wait=1.0, text=http.QUOTA, status=status)
        if status >= 500:
            raise http.server_error(where, response)
        if root is None:
            raise http.malformed(where, response, "XML の response")
        result = text_of(root, "result/status")
        if status >= 400 or result != "0":
            if not code and status < 400:
                raise ConnectorError(f"{where}: result/status が不正です ({result!r})", code="MALFORMED")
            code = code or f"HTTP_{status}"
            raise AuPayApiError(f"{where}: {code} {text} (HTTP {status})", code=code, text=text, status=status)
        return root


def _envelope(content: bytes) -> ET.Element | None:
    """The ``<response>`` root of an answer, or None when the body is not that XML."""
    root = http.xml_or_none(content)
    return root if root is not None and root.tag == "response" else None
