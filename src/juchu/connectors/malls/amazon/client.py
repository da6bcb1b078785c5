"""HTTP client for Amazon SP-API (Far East endpoint): LWA tokens, per-operation rate limits, error envelopes.

Everything the connector needs from the wire goes through :meth:`AmazonClient.call`, which returns the parsed
JSON body (``{}`` for 204) or raises :class:`~juchu.connectors.base.ConnectorError`:

* transport failures, timeouts, 429, 5xx and bodies that are not JSON → ``retryable=True`` (codes ``TIMEOUT``,
  ``NETWORK``, ``RATE_LIMIT``, ``HTTP_5xx``, ``MALFORMED``), after :data:`RETRIES` quiet retries — every call the
  connector makes is safe to repeat (reads; confirmShipment keyed by ``packageReferenceId``; listings
  ``replace`` patches);
* 401/403 ``Unauthorized``: the cached access token is dropped, a new one is fetched from LWA and the call is
  sent once more; refused again, or refused by LWA → ``retryable=False, code="AUTH"`` (message with 「認証」);
* any other 4xx → :class:`AmazonApiError` (``retryable=False``) with the ``errors`` items, so a caller can turn
  a refused request into a per-item result.

Access tokens are cached per credential (a SHA-256 of LWA URL, client id, secret and refresh token) in this
process until a minute before they expire.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from juchu.connectors import http
from juchu.connectors.base import ConnectorError
from juchu.connectors.ratelimit import Clock, RateLimited, SystemClock, TokenBucket, bucket_for

MALL = "Amazon"
DEFAULT_BASE_URL = "https://sellingpartnerapi-fe.amazon.com"
DEFAULT_LWA_URL = "https://api.amazon.com/auth/o2/token"
JP_MARKETPLACE = "A1VC38T7YXB528"
RETRIES = 2
BACKOFF = 0.2
#: How long a call may wait for its rate-limit token before giving up for this round.
MAX_WAIT = 15.0
TOKEN_MARGIN = 60.0
AUTH_MESSAGE = "Amazon: 認証エラー"


@dataclass(frozen=True, slots=True)
class Operation:
    """One SP-API operation and its documented usage plan (requests per second, burst)."""

    name: str
    rate: float
    burst: int


GET_ORDERS = Operation("getOrders", 0.0167, 20)
GET_ORDER = Operation("getOrder", 0.5, 30)
GET_ORDER_ITEMS = Operation("getOrderItems", 0.5, 30)
GET_ORDER_ADDRESS = Operation("getOrderAddress", 0.5, 30)
GET_ORDER_BUYER_INFO = Operation("getOrderBuyerInfo", 0.5, 30)
CONFIRM_SHIPMENT = Operation("confirmShipment", 2.0, 10)
FBA_SUMMARIES = Operation("getInventorySummaries", 2.0, 2)
PATCH_LISTING = Operation("patchListingsItem", 5.0, 5)
GET_LISTING = Operation("getListingsItem", 5.0, 5)


@dataclass(frozen=True, slots=True)
class ApiIssue:
    """One item of an SP-API ``errors`` list."""

    code: str
    message: str


class AmazonApiError(ConnectorError):
    """SP-API refused the request (a 4xx with an ``errors`` list); ``issues`` holds its items."""

    def __init__(self, message: str, *, code: str, status: int, issues: list[ApiIssue]) -> None:
        super().__init__(message, retryable=False, code=code)
        self.status = status
        self.issues = issues


_token_lock = threading.Lock()
#: credential hash → (access token, expiry on the client's monotonic clock)
_tokens: dict[str, tuple[str, float]] = {}


def forget_tokens() -> None:
    """Drop every cached access token (tests)."""
    with _token_lock:
        _tokens.clear()


def issues_of(body: object) -> list[ApiIssue]:
    """The items of an ``{"errors": [...]}`` body; items of the wrong shape are skipped."""
    errors = body.get("errors") if isinstance(body, dict) else None
    return [
        ApiIssue(str(item.get("code") or ""), str(item.get("message") or ""))
        for item in (errors if isinstance(errors, list) else [])
        if isinstance(item, dict)
    ]


def payload_of(answer: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The ``payload`` object of an answer (``where`` names the operation); else ``code="MALFORMED"``."""
    found = answer.get("payload")
    if not isinstance(found, dict):
        raise ConnectorError(f"Amazon {where}: 応答に payload がありません", code="MALFORMED")
    return found


class AmazonClient(http.HttpSession):
    """One seller's SP-API session: a single ``httpx.Client``, the LWA token and the operations' buckets."""

    def __init__(
        self,
        settings: Mapping[str, str],
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
    ) -> None:
        missing = [k for k in ("client_id", "client_secret", "refresh_token", "seller_id") if not settings.get(k)]
        if missing:
            raise ConnectorError(f"Amazon: 設定に {', '.join(missing)} が必要です", retryable=False, code="CONFIG")
        self.seller_id = settings["seller_id"]
        self.marketplace_id = settings.get("marketplace_id") or JP_MARKETPLACE
        self.lwa_url = settings.get("lwa_url") or DEFAULT_LWA_URL
        self._lwa_form = {
            "grant_type": "refresh_token",
            "refresh_token": settings["refresh_token"],
            "client_id": settings["client_id"],
            "client_secret": settings["client_secret"],
        }
        credential = "\n".join(
            [self.lwa_url, settings["client_id"], settings["client_secret"], settings["refresh_token"]]
        )
        self.credential_hash = hashlib.sha256(credential.encode()).hexdigest()
        self.clock: Clock = clock or SystemClock()
        self._injected_clock = clock
        self._buckets: dict[str, TokenBucket] = {}
        self._override: tuple[float, int] | None = None
        if settings.get("rate_per_second") or settings.get("rate_burst"):
            rate = http.number_setting(settings, "rate_per_second", 1.0, mall=MALL)
            self._override = (rate, int(http.number_setting(settings, "rate_burst", max(rate, 1.0), mall=MALL)))
        self._http = http.open_client(
            settings,
            mall=MALL,
            default_base_url=DEFAULT_BASE_URL,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "Juchu/1.0 (Language=Python)"},
        )

    def bucket(self, op: Operation) -> TokenBucket:
        """The token bucket of ``op`` for this credential (the settings' override when given)."""
        rate, burst = self._override or (op.rate, op.burst)
        found = self._buckets.get(op.name)
        if found is None:
            found = bucket_for(
                f"amazon:{op.name}:{self.credential_hash}",
                rate,
                clock=self._injected_clock,
                capacity=burst,
                max_wait=MAX_WAIT,
            )
            self._buckets[op.name] = found
        return found

    # ---- LWA ---------------------------------------------------------------------------------------

    def access_token(self, *, renew: str = "") -> str:
        """A valid access token; ``renew`` names a token the API refused, which is then replaced."""
        with _token_lock:
            cached = _tokens.get(self.credential_hash)
            if cached and cached[0] != renew and cached[1] > self.clock.monotonic():
                return cached[0]
            token, lifetime = self._exchange()
            _tokens[self.credential_hash] = (token, self.clock.monotonic() + max(lifetime - TOKEN_MARGIN, 1.0))
            return token

    def _exchange(self) -> tuple[str, float]:
        where = f"Amazon LWA {self.lwa_url}"
        response = http.send(self._http, where, "POST", self.lwa_url, data=self._lwa_form)
        status = response.status_code
        body = http.json_or_none(response)
        if status == 429 or status >= 500:
            raise ConnectorError(f"{where}: 一時的なエラー (HTTP {status})", code=f"HTTP_{status}")
        if status >= 400:
            error = str(body.get("error") or "") if isinstance(body, dict) else ""
            if error in ("invalid_grant", "invalid_client", "unauthorized_client") or status in (400, 401):
                raise ConnectorError(
                    f"{AUTH_MESSAGE}: LWA がリフレッシュトークンまたはクライアント認証情報を拒否しました "
                    f"({error or status}) — セラーセントラルでアプリを再認可してください",
                    retryable=False,
                    code="AUTH",
                )
            raise http.refused(where, response)
        token = body.get("access_token") if isinstance(body, dict) else None
        lifetime = body.get("expires_in", 3600) if isinstance(body, dict) else 0
        if not isinstance(token, str) or not token or not isinstance(lifetime, int | float):
            raise ConnectorError(
                f"{where}: 応答に access_token がありません {http.snippet(response)}", code="MALFORMED"
            )
        return token, float(lifetime)

    # ---- SP-API calls ------------------------------------------------------------------------------

    def call(
        self,
        op: Operation,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One operation, retried quietly on transient failures; the JSON body or a ConnectorError."""
        where = f"Amazon {op.name} {path}"
        for attempt in range(RETRIES + 1):
            try:
                return self._authorised(op, method, path, where, params, body)
            except AmazonApiError:
                raise
            except RateLimited:
                raise
            except ConnectorError as exc:
                if not exc.retryable or attempt == RETRIES:
                    raise
                self.clock.sleep(BACKOFF * (2**attempt))
        raise AssertionError("unreachable")

    def _authorised(
        self,
        op: Operation,
        method: str,
        path: str,
        where: str,
        params: Mapping[str, str] | None,
        body: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        token = self.access_token()
        response = self._send(op, method, path, where, token, params, body)
        if response.status_code in (401, 403) and _unauthorized(response):
            token = self.access_token(renew=token)
            response = self._send(op, method, path, where, token, params, body)
            if response.status_code in (401, 403):
                issue = next(iter(issues_of(http.json_or_none(response))), ApiIssue("Unauthorized", ""))
                raise ConnectorError(
                    f"{AUTH_MESSAGE}: {where} が拒否されました (HTTP {response.status_code} {issue.code} "
                    f"{issue.message}) — アプリの認可とロールを確認してください",
                    retryable=False,
                    code="AUTH",
                )
        return self._answer(op, where, response)

    def _send(
        self,
        op: Operation,
        method: str,
        path: str,
        where: str,
        token: str,
        params: Mapping[str, str] | None,
        body: Mapping[str, Any] | None,
    ) -> httpx.Response:
        headers = {"x-amz-access-token": token}
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = json.dumps(body, ensure_ascii=False).encode("utf-8")
        return http.send(
            self._http, where, method, path, bucket=self.bucket(op), params=params, content=content, headers=headers
        )

    def _answer(self, op: Operation, where: str, response: httpx.Response) -> dict[str, Any]:
        status = response.status_code
        if status == 204:
            return {}
        if status == 429:
            wait = http.retry_after(response, ceiling=math.inf)
            raise http.rate_limited(
                where, bucket=self.bucket(op), wait=wait, text=http.QUOTA, status="429 QuotaExceeded"
            )
        if status >= 500:
            raise http.server_error(where, response)
        body = http.json_or_none(response)
        if status >= 400:
            issues = issues_of(body)
            if not issues:
                if status == 408:
                    raise http.request_timeout(where)
                if body is None:  # an HTML error page from a proxy, a cut answer: not Amazon's verdict
                    raise ConnectorError(f"{where}: HTTP {status} {http.snippet(response)}", code="MALFORMED")
                issues = [ApiIssue(f"HTTP_{status}", http.snippet(response))]
            first = issues[0]
            raise AmazonApiError(
                f"{where}: {first.code} {first.message} (HTTP {status})", code=first.code, status=status, issues=issues
            )
        if not isinstance(body, dict):
            raise http.malformed(where, response, "JSON オブジェクト")
        return body


def _unauthorized(response: httpx.Response) -> bool:
    """A refusal of the token (as opposed to a 403 of a role the app lacks, which a new token cannot cure)."""
    issues = issues_of(http.json_or_none(response))
    return not issues or any(i.code in ("Unauthorized", "InvalidAccessToken", "AccessDenied") for i in issues)
