"""The HTTP plumbing the mall clients share: settings, the ``httpx.Client``, sending, and the common failures.

Every mall client builds one ``httpx.Client`` from its shop settings (``base_url``, ``timeout_seconds``), sends
each request under its token bucket and turns what the wire does wrong into
:class:`~juchu.connectors.base.ConnectorError` the same way:

* a timeout → ``code="TIMEOUT"``, a transport failure → ``code="NETWORK"`` (both retryable);
* a 429 → :func:`rate_limited` (retryable; the bucket hands out no token for the ``Retry-After``);
* a 5xx → :func:`server_error` (retryable, ``HTTP_5xx`` unless the mall's client says otherwise);
* a body that is not what the mall answers (an HTML error page, a cut or garbled answer) → :func:`malformed`.

What differs per mall — the message prefix (``where``), authentication, token refresh, envelopes, which
statuses mean what — stays in each mall's client; the wording that differs between malls is a parameter here.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

import httpx

from juchu.connectors.base import ConnectorError
from juchu.connectors.ratelimit import TokenBucket

DEFAULT_TIMEOUT = 30.0
#: The connect timeout is this or ``timeout_seconds`` when that is shorter.
CONNECT_TIMEOUT = 10.0
#: The 429 wordings in use: "too many requests" and "the call limit was exceeded".
TOO_MANY = "リクエストが多すぎます"
QUOTA = "呼び出し回数の上限を超えました"


def number_setting(settings: Mapping[str, str], key: str, default: float, *, mall: str, finite: bool = False) -> float:
    """The positive number ``settings[key]`` (``default`` when unset); else ``ConnectorError(code="CONFIG")``.

    ``mall`` prefixes the message ("楽天", "Qoo10"…); ``finite`` also refuses ``inf`` and ``nan``.
    """
    raw = settings.get(key, "")
    if raw in ("", None):
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError) as exc:
        raise ConnectorError(
            f"{mall}: 設定 {key}={raw!r} は数値ではありません", retryable=False, code="CONFIG"
        ) from exc
    if (finite and not math.isfinite(value)) or value <= 0:
        raise ConnectorError(f"{mall}: 設定 {key} は正の数にしてください", retryable=False, code="CONFIG")
    return value


def base_url(settings: Mapping[str, str], default: str) -> str:
    """``settings["base_url"]`` (else ``default``) without a trailing slash."""
    return (settings.get("base_url") or default).rstrip("/")


def open_client(
    settings: Mapping[str, str],
    *,
    mall: str,
    default_base_url: str,
    transport: httpx.BaseTransport | None,
    headers: Mapping[str, str] | None = None,
    finite: bool = False,
) -> httpx.Client:
    """An ``httpx.Client`` on the shop's ``base_url`` with its ``timeout_seconds`` (30; connect at most 10)."""
    timeout = number_setting(settings, "timeout_seconds", DEFAULT_TIMEOUT, mall=mall, finite=finite)
    return httpx.Client(
        base_url=base_url(settings, default_base_url),
        transport=transport,
        timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT)),
        headers=dict(headers) if headers is not None else None,
    )


class HttpSession:
    """A mall client that holds one ``httpx.Client`` as ``_http``."""

    _http: httpx.Client

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()


def send(
    http: httpx.Client,
    where: str,
    method: str,
    url: str,
    *,
    bucket: TokenBucket | None = None,
    name_timeout: bool = True,
    **request: Any,
) -> httpx.Response:
    """``http.request(method, url, **request)`` after a token from ``bucket`` (when given).

    A timeout is ``ConnectorError(code="TIMEOUT")`` (the exception's name in the message unless
    ``name_timeout`` is false), any other transport failure ``code="NETWORK"``; both retryable.
    """
    if bucket is not None:
        bucket.acquire(where)
    try:
        return http.request(method, url, **request)
    except httpx.TimeoutException as exc:
        detail = f" ({type(exc).__name__})" if name_timeout else ""
        raise ConnectorError(f"{where}: タイムアウトしました{detail}", code="TIMEOUT") from exc
    except httpx.TransportError as exc:
        raise ConnectorError(f"{where}: 接続できませんでした ({exc})", code="NETWORK") from exc


def rate_limited(
    where: str,
    *,
    bucket: TokenBucket | None = None,
    wait: float = 1.0,
    text: str = TOO_MANY,
    status: int | str = 429,
    code: str = "RATE_LIMIT",
) -> ConnectorError:
    """The error for a throttled call; ``bucket`` (when given) hands out no token for ``wait`` seconds."""
    if bucket is not None:
        bucket.block_for(wait)
    return ConnectorError(f"{where}: {text} (HTTP {status})", code=code)


def server_error(where: str, response: httpx.Response, *, code: str | None = None) -> ConnectorError:
    """The retryable error for a 5xx answer (``code`` default ``HTTP_<status>``)."""
    status = response.status_code
    return ConnectorError(f"{where}: サーバーエラー (HTTP {status}) {snippet(response)}", code=code or f"HTTP_{status}")


def request_timeout(where: str, *, code: str = "TIMEOUT") -> ConnectorError:
    """The retryable error for an HTTP 408."""
    return ConnectorError(f"{where}: タイムアウトしました (HTTP 408)", code=code)


def refused(where: str, response: httpx.Response) -> ConnectorError:
    """The error for a 4xx the mall's client has nothing more to say about: not retryable, ``HTTP_<status>``."""
    status = response.status_code
    return ConnectorError(f"{where}: HTTP {status} {snippet(response)}", retryable=False, code=f"HTTP_{status}")


def malformed(where: str, response: httpx.Response, expected: str) -> ConnectorError:
    """The retryable error for a body that is not ``expected`` (e.g. "JSON オブジェクト"): ``code="MALFORMED"``."""
    return ConnectorError(
        f"{where}: 応答が {expected} ではありません (HTTP {response.status_code}) {snippet(response)}",
        code="MALFORMED",
    )


def retry_after(response: httpx.Response, *, ceiling: float = 60.0, default: float = 1.0) -> float:
    """The ``Retry-After`` seconds of ``response`` within ``[0, ceiling]``; ``default`` when absent or unreadable."""
    try:
        seconds = float(response.headers.get("retry-after") or "")
    except ValueError:
        return default
    if math.isnan(seconds):
        return default
    return min(ceiling, max(0.0, seconds))


def snippet(response: httpx.Response) -> str:
    """The first 120 bytes of the body on one line, in brackets ('' for an empty body), for a message."""
    text = response.content[:120].decode("utf-8", errors="replace").replace("\n", " ").strip()
    return f"[{text}]" if text else ""


def json_or_none(response: httpx.Response, *, encoding: str = "utf-8") -> object:
    """The parsed JSON body, or None when it is not JSON in ``encoding``."""
    try:
        return json.loads(response.content.decode(encoding))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def xml_or_none(content: bytes) -> ET.Element | None:
    """The parsed XML root of ``content``, or None when it is not XML."""
    try:
        return ET.fromstring(content)
    except ET.ParseError:
        return None
