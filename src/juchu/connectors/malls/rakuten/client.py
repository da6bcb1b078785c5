"""HTTP client for the Rakuten RMS APIs: ESA auth, JSON POST, a per-credential rate limit, error mapping.

Everything the connector needs from the wire goes through :meth:`RakutenClient.post`, which either returns
the parsed JSON body (``{}`` for 204) or raises :class:`~juchu.connectors.base.ConnectorError`:

* transport failures, timeouts, 429, 5xx and bodies that are not the JSON we expect → ``retryable=True``;
* 401 (and the gateway's ``ES01-01``) → ``retryable=False, code="AUTH"``;
* any other 4xx → :class:`RakutenApiError` (``retryable=False``) carrying Rakuten's code and message items,
  so a caller can turn a refused request into per-item results.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from juchu.connectors import http
from juchu.connectors.base import ConnectorError
from juchu.connectors.ratelimit import Clock, SystemClock, bucket_for

DEFAULT_BASE_URL = "https://api.rms.rakuten.co.jp"
MALL = "楽天"
AUTH_MESSAGE = "認証エラー: licenseKey が無効か期限切れです"


@dataclass(frozen=True, slots=True)
class Message:
    """One item of a ``MessageModelList`` (or of an Inventory API ``errors`` list)."""

    type: str
    code: str
    text: str
    order_number: str = ""
    data_number: int | None = None
    #: Inventory API: the ``metadata.propertyPath`` of the refused value, e.g. ``inventories[3].quantity``.
    field: str = ""

    @property
    def is_error(self) -> bool:
        """``messageType`` ERROR."""
        return self.type == "ERROR"


def messages_of(body: object) -> list[Message]:
    """The message items of a response body; items of the wrong shape are skipped."""
    if not isinstance(body, dict):
        return []
    found: list[Message] = []
    items = body.get("MessageModelList")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        data_number = item.get("dataNumber")
        found.append(
            Message(
                type=str(item.get("messageType") or ""),
                code=str(item.get("messageCode") or ""),
                text=str(item.get("message") or ""),
                order_number=str(item.get("orderNumber") or ""),
                data_number=data_number if isinstance(data_number, int) and not isinstance(data_number, bool) else None,
            )
        )
    errors = body.get("errors")  # Inventory API
    for item in errors if isinstance(errors, list) else []:
        if isinstance(item, dict):
            meta = item.get("metadata")
            path = str(meta.get("propertyPath") or "") if isinstance(meta, dict) else ""
            found.append(Message("ERROR", str(item.get("code") or ""), str(item.get("message") or ""), field=path))
    return found


class RakutenApiError(ConnectorError):
    """Rakuten refused the request (a 4xx with an error code); ``messages`` holds its items."""

    def __init__(self, message: str, *, code: str, status: int, messages: list[Message]) -> None:
        super().__init__(message, retryable=False, code=code)
        self.status = status
        self.messages = messages


class RakutenClient(http.HttpSession):
    """One shop's RMS session: a single ``httpx.Client`` and the credential's rate limit."""

    def __init__(
        self,
        settings: Mapping[str, str],
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
    ) -> None:
        secret = settings.get("serviceSecret", "")
        key = settings.get("licenseKey", "")
        if not secret or not key:
            raise ConnectorError("楽天: 設定に serviceSecret と licenseKey が必要です", retryable=False, code="CONFIG")
        self.clock: Clock = clock or SystemClock()
        rate = http.number_setting(settings, "rate_per_second", 1.0, mall=MALL)
        burst = int(http.number_setting(settings, "rate_burst", 2, mall=MALL))
        credential = f"{secret}:{key}"
        self.bucket = bucket_for(f"rakuten:{credential}", rate, clock=clock, capacity=burst)
        self._http = http.open_client(
            settings,
            mall=MALL,
            default_base_url=DEFAULT_BASE_URL,
            transport=transport,
            headers={
                "Authorization": "ESA " + base64.b64encode(credential.encode()).decode("ascii"),
                "Content-Type": "application/json; charset=utf-8",
                "Accept": "application/json",
            },
        )

    def post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST ``body`` as JSON to ``path``; the parsed JSON answer, ``{}`` for 204, or a ConnectorError."""
        where = f"{MALL} {path}"
        content = json.dumps(body, ensure_ascii=False).encode("utf-8")
        response = http.send(self._http, where, "POST", path, bucket=self.bucket, content=content)
        return self._answer(where, response)

    def _answer(self, where: str, response: httpx.Response) -> dict[str, Any]:
        status = response.status_code
        if status == 204:
            return {}
        if status == 401:
            raise ConnectorError(f"{AUTH_MESSAGE} ({where}, HTTP 401)", retryable=False, code="AUTH")
        if status == 429:
            raise http.rate_limited(where, code="429")
        if status >= 500:
            raise http.server_error(where, response, code=str(status))
        body = http.json_or_none(response)
        if status >= 400:
            messages = messages_of(body)
            codes = [m.code for m in messages if m.code]
            if any(code.startswith("ES01") or code == "GE0011" for code in codes):
                raise ConnectorError(f"{AUTH_MESSAGE} ({where}, {codes[0]})", retryable=False, code="AUTH")
            if status == 403:
                raise ConnectorError(
                    f"{where}: 権限エラー (HTTP 403): RMS の WEB APIサービスでこの機能の利用を許可してください",
                    retryable=False,
                    code="FORBIDDEN",
                )
            if status == 408:
                raise http.request_timeout(where, code="408")
            if codes:
                first = next((m for m in messages if m.is_error), messages[0])
                raise RakutenApiError(
                    f"{where}: {first.code} {first.text} (HTTP {status})",
                    code=first.code,
                    status=status,
                    messages=messages,
                )
            raise RakutenApiError(
                f"{where}: HTTP {status} {http.snippet(response)}", code=f"HTTP_{status}", status=status, messages=[]
            )
        if not isinstance(body, dict):
            raise http.malformed(where, response, "JSON オブジェクト")
        return body
