"""HTTP client for RSL (spec/rsl-protocol.md): auth headers, JSON, error mapping and a per-merchant rate limit.

Every failure of a call becomes a :class:`ConnectorError` naming the endpoint: 401/403 are not retryable
(``code="AUTH"``); 429, 5xx, timeouts, network errors and bodies that are not the JSON object we expect are
retryable. Nothing here sleeps longer than ``max_wait`` seconds: a longer wait is reported, not waited out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from juchu.connectors import ratelimit
from juchu.connectors.base import ConnectorError
from juchu.connectors.ratelimit import TokenBucket

DEFAULT_RATE_PER_SECOND = 5.0
DEFAULT_TIMEOUT_SECONDS = 10.0
#: The longest a call waits for a rate-limit token before giving up with a retryable error.
MAX_WAIT_SECONDS = 1.0


class RslError(ConnectorError):
    """A failed RSL call; ``status`` is the HTTP status (0 without an answer), ``retry_after`` in seconds."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        code: str,
        status: int = 0,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, retryable=retryable, code=code)
        self.status = status
        self.retry_after = retry_after


def shared_bucket(base_url: str, merchant_id: str, rate: float) -> TokenBucket:
    """The process-wide bucket of one merchant: the limit is RSL's per merchant, not per connector object."""
    return ratelimit.shared_bucket(f"rsl:{base_url}:{merchant_id}", rate, max_wait=MAX_WAIT_SECONDS)


class RslClient:
    """Sync JSON client for one merchant; ``transport`` is the test seam (``httpx.MockTransport``)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        merchant_id: str,
        *,
        bucket: TokenBucket,
        transport: httpx.BaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self._bucket = bucket
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            transport=transport,
            timeout=httpx.Timeout(timeout),
            headers={
                "Authorization": f"Bearer {api_key}",
                "X-RSL-Merchant": merchant_id,
                "Accept": "application/json",
                "User-Agent": "juchu-rsl/1",
            },
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def get(self, path: str, params: Any = None) -> dict[str, Any]:
        """GET ``path`` and return the JSON object it answers."""
        return self.call("GET", path, params=params)

    def post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST a JSON body to ``path`` and return the JSON object it answers."""
        return self.call("POST", path, body=body)

    def put(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """PUT a JSON body to ``path`` and return the JSON object it answers."""
        return self.call("PUT", path, body=body)

    def call(
        self, method: str, path: str, *, params: Any = None, body: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """One request: rate-limited, errors mapped to :class:`RslError`, the answer a JSON object."""
        endpoint = f"{method} {path}"
        try:
            self._bucket.acquire(f"RSL {endpoint}")
        except ratelimit.RateLimited as exc:
            raise RslError(str(exc), retryable=True, code="RATE_LIMIT", retry_after=exc.retry_after) from None
        try:
            response = self._http.request(method, path, params=params, json=body)
        except httpx.TimeoutException as exc:
            raise RslError(f"RSL {endpoint}: 応答がタイムアウトしました", retryable=True, code="TIMEOUT") from exc
        except httpx.TransportError as exc:
            raise RslError(
                f"RSL {endpoint}: 接続できませんでした ({type(exc).__name__})", retryable=True, code="NETWORK"
            ) from exc
        if response.status_code >= 400:
            raise self._http_error(endpoint, response)
        return _json_object(endpoint, response)

    def _http_error(self, endpoint: str, response: httpx.Response) -> RslError:
        status = response.status_code
        code, text = _error_body(response)
        detail = f" [{code}] {text}" if code or text else ""
        if status in (401, 403):
            return RslError(
                f"RSL {endpoint}: 認証に失敗しました。APIキーとマーチャントIDを確認してください"
                f" (HTTP {status}){detail}",
                retryable=False,
                code="AUTH",
                status=status,
            )
        if status == 429:
            wait = _retry_after(response.headers.get("Retry-After"))
            self._bucket.block_for(wait if wait is not None else 1.0)
            after = f"{wait:g}秒後に" if wait is not None else "しばらくしてから"
            return RslError(
                f"RSL {endpoint}: 呼び出し回数の上限を超えました。{after}再試行してください (HTTP 429){detail}",
                retryable=True,
                code="429",
                status=status,
                retry_after=wait,
            )
        if status >= 500:
            kind = "" if code or text else _body_kind(response)
            return RslError(
                f"RSL {endpoint}: 倉庫側の一時的なエラーです (HTTP {status}){detail}{kind}",
                retryable=True,
                code=str(status),
                status=status,
            )
        return RslError(
            f"RSL {endpoint}: 要求が受け付けられませんでした (HTTP {status}){detail}",
            retryable=False,
            code=code or str(status),
            status=status,
        )


def _json_object(endpoint: str, response: httpx.Response) -> dict[str, Any]:
    if not response.content:
        if response.status_code in (202, 204):
            return {}
        raise RslError(
            f"RSL {endpoint}: 応答が空です (HTTP {response.status_code})",
            retryable=True,
            code="MALFORMED",
            status=response.status_code,
        )
    try:
        data = json.loads(response.content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise RslError(
            f"RSL {endpoint}: 応答がJSONとして読めません{_body_kind(response)} (HTTP {response.status_code})",
            retryable=True,
            code="MALFORMED",
            status=response.status_code,
        ) from None
    if not isinstance(data, dict):
        raise RslError(
            f"RSL {endpoint}: 応答がJSONオブジェクトではありません (HTTP {response.status_code})",
            retryable=True,
            code="MALFORMED",
            status=response.status_code,
        )
    return data


def _error_body(response: httpx.Response) -> tuple[str, str]:
    """``{"error": {"code", "message"}}`` if the body is that, else empty strings."""
    try:
        data = json.loads(response.content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "", ""
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return "", ""
    code, message = error.get("code"), error.get("message")
    return (str(code) if isinstance(code, str | int) else "", message if isinstance(message, str) else "")


def _body_kind(response: httpx.Response) -> str:
    content_type = response.headers.get("Content-Type", "")
    head = response.content[:200].lstrip().lower()
    if "html" in content_type or head.startswith((b"<!doctype", b"<html")):
        return "（HTMLのエラーページが返されました）"
    return ""


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date); None when absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = (when - datetime.now(UTC)).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)
