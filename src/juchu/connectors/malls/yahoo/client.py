"""HTTP client for the Yahoo! Shopping Store API: YConnect token, public-key signature, per-URL rate limit, errors.

Everything the connector needs from the wire goes through :meth:`YahooClient.call`, which returns the parsed
XML root of a successful answer or raises :class:`~juchu.connectors.base.ConnectorError`:

* transport failures, timeouts, 429, 5xx and bodies that are not XML → ``retryable=True``;
* a refused access token (401 with ``WWW-Authenticate``) → one token refresh and one retry; refused again,
  a refresh token the token endpoint refuses, or a refused public-key signature → ``code="AUTH"``;
* any other ``<Error>`` answer → :class:`YahooApiError` (``retryable=False``) with Yahoo's code and message,
  so a caller can turn a refused request into a per-item result.
"""

from __future__ import annotations

import base64
import hashlib
import math
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping

import httpx
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from juchu.connectors import http
from juchu.connectors.base import ConnectorError
from juchu.connectors.ratelimit import Clock, SystemClock, TokenBucket, bucket_for

DEFAULT_BASE_URL = "https://circus.shopping.yahooapis.jp"
DEFAULT_TOKEN_URL = "https://auth.login.yahoo.co.jp/yconnect/v2/token"
MALL = "Yahoo!ショッピング"
#: A cached access token is used until this many seconds before it expires.
TOKEN_MARGIN = 60.0
XML_TYPE = "application/xml; charset=utf-8"

_tokens_lock = threading.Lock()
_tokens: dict[str, tuple[str, float]] = {}  # sha256 of the credentials → (access token, expiry on time.time())


def forget_tokens() -> None:
    """Drop every cached access token (tests; a shop whose credentials changed gets a new key anyway)."""
    with _tokens_lock:
        _tokens.clear()


class YahooApiError(ConnectorError):
    """Yahoo refused the request with an ``<Error>`` answer; ``status`` is the HTTP status."""

    def __init__(self, message: str, *, code: str, status: int, text: str) -> None:
        super().__init__(message, retryable=False, code=code)
        self.status = status
        self.text = text


def _public_key(pem: str) -> rsa.RSAPublicKey | None:
    if not pem.strip():
        return None
    try:
        key = load_pem_public_key(pem.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError, UnsupportedAlgorithm) as exc:
        raise ConnectorError(
            f"{MALL}: 設定 public_key が PEM 形式の公開鍵ではありません", retryable=False, code="CONFIG"
        ) from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise ConnectorError(f"{MALL}: 設定 public_key は RSA 公開鍵にしてください", retryable=False, code="CONFIG")
    return key


class YahooClient(http.HttpSession):
    """One store's session: an ``httpx.Client``, its YConnect token, its signature key and per-URL buckets."""

    def __init__(
        self,
        settings: Mapping[str, str],
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        required = ("seller_id", "client_id", "client_secret", "refresh_token")
        missing = [key for key in required if not settings.get(key)]
        if missing:
            raise ConnectorError(f"{MALL}: 設定に {', '.join(missing)} が必要です", retryable=False, code="CONFIG")
        self.seller_id = settings["seller_id"]
        self._client_id = settings["client_id"]
        self._client_secret = settings["client_secret"]
        self._refresh_token = settings["refresh_token"]
        self._key = _public_key(settings.get("public_key", ""))
        self._key_version = settings.get("public_key_version", "")
        if self._key is not None and not self._key_version:
            raise ConnectorError(f"{MALL}: 設定 public_key_version が必要です", retryable=False, code="CONFIG")
        self.token_url = settings.get("token_url") or DEFAULT_TOKEN_URL
        self.clock: Clock = clock or SystemClock()
        self._wall = wall
        self._rate = http.number_setting(settings, "rate_per_second", 1.0, mall=MALL)
        self._burst = int(http.number_setting(settings, "rate_burst", 1, mall=MALL))
        self._injected_clock = clock
        self._buckets: dict[str, TokenBucket] = {}
        self._token_key = hashlib.sha256(
            "\n".join((self.token_url, self._client_id, self._client_secret, self._refresh_token)).encode()
        ).hexdigest()
        self._http = http.open_client(settings, mall=MALL, default_base_url=DEFAULT_BASE_URL, transport=transport)

    # ---- the API -------------------------------------------------------------------------------------

    def call(self, path: str, *, xml: bytes | None = None, form: Mapping[str, str] | None = None) -> ET.Element:
        """POST an XML ``<Req>`` (or a form) to ``path``; the XML root of the answer, or a ConnectorError."""
        where = f"{MALL} {path}"
        for attempt in (1, 2):
            token = self._token(where)
            self._bucket(path).acquire(where)  # before the signature, which carries the time it is sent
            headers = {"Authorization": f"Bearer {token}", **self._signature()}
            if xml is not None:
                response = http.send(
                    self._http, where, "POST", path, content=xml, headers={**headers, "Content-Type": XML_TYPE}
                )
            else:
                response = http.send(self._http, where, "POST", path, data=dict(form or {}), headers=headers)
            if response.status_code == 401 and response.headers.get("www-authenticate") and attempt == 1:
                self._forget(token)  # expired or revoked: refresh once and try again
                continue
            return self._answer(where, path, response)
        raise AssertionError("unreachable")  # pragma: no cover

    def _bucket(self, path: str) -> TokenBucket:
        """Yahoo limits each URL separately (about 1 request/second)."""
        bucket = self._buckets.get(path)
        if bucket is None:
            bucket = bucket_for(
                f"yahoo:{self.seller_id}:{path}", self._rate, clock=self._injected_clock, capacity=self._burst
            )
            self._buckets[path] = bucket
        return bucket

    def _signature(self) -> dict[str, str]:
        """``X-sws-signature``: RSA PKCS#1 v1.5 encryption of ``sellerId:unixtime`` with the store's public key."""
        if self._key is None:
            return {}
        plain = f"{self.seller_id}:{int(self._wall())}".encode()
        sealed = self._key.encrypt(plain, padding.PKCS1v15())
        return {
            "X-sws-signature": base64.b64encode(sealed).decode("ascii"),
            "X-sws-signature-version": self._key_version,
        }

    def _answer(self, where: str, path: str, response: httpx.Response) -> ET.Element:
        status = response.status_code
        if status == 401:
            raise ConnectorError(
                f"{where}: 認証エラー: アクセストークンが拒否されました (HTTP 401, "
                f"{response.headers.get('www-authenticate', '')[:120]})",
                retryable=False,
                code="AUTH",
            )
        if status == 429:
            wait = http.retry_after(response, ceiling=math.inf)
            raise http.rate_limited(where, bucket=self._bucket(path), wait=wait)
        if status >= 500:
            raise http.server_error(where, response)
        root = http.xml_or_none(response.content)
        if status == 403 and response.headers.get("x-sws-authorize-status", "authorized") != "authorized":
            detail = _error_text(root)
            raise ConnectorError(
                f"{where}: 公開鍵認証に失敗しました (HTTP 403{', ' + detail if detail else ''}): "
                "ストアクリエイターProで発行した公開鍵とバージョンを設定してください",
                retryable=False,
                code="AUTH",
            )
        if root is not None and root.tag == "Error":
            code = (root.findtext("Code") or "").strip() or f"HTTP_{status}"
            text = (root.findtext("Message") or "").strip()
            raise YahooApiError(f"{where}: {code} {text} (HTTP {status})", code=code, status=status, text=text)
        if status == 408:
            raise http.request_timeout(where)
        if status >= 400:
            raise YahooApiError(
                f"{where}: HTTP {status} {http.snippet(response)}", code=f"HTTP_{status}", status=status, text=""
            )
        if root is None:
            raise http.malformed(where, response, "XML")
        return root

    # ---- YConnect ------------------------------------------------------------------------------------

    def _token(self, where: str) -> str:
        """A cached access token, or a new one from the refresh token (under the lock: one refresh at a time)."""
        with _tokens_lock:
            cached = _tokens.get(self._token_key)
            if cached is not None and cached[1] - TOKEN_MARGIN > self._wall():
                return cached[0]
            token, lifetime = self._refresh(where)
            _tokens[self._token_key] = (token, self._wall() + lifetime)
            return token

    def _forget(self, token: str) -> None:
        with _tokens_lock:
            if _tokens.get(self._token_key, ("",))[0] == token:
                del _tokens[self._token_key]

    def _refresh(self, where: str) -> tuple[str, float]:
        """grant_type=refresh_token at the token endpoint, client id:secret as Basic."""
        what = f"{MALL} トークン取得 ({where})"
        basic = base64.b64encode(f"{self._client_id}:{self._client_secret}".encode()).decode("ascii")
        response = http.send(
            self._http,
            what,
            "POST",
            self.token_url,
            name_timeout=False,
            data={"grant_type": "refresh_token", "refresh_token": self._refresh_token},
            headers={"Authorization": f"Basic {basic}"},
        )
        status = response.status_code
        if status == 429 or status >= 500:
            raise ConnectorError(f"{what}: HTTP {status} {http.snippet(response)}", code=f"HTTP_{status}")
        body = http.json_or_none(response)
        if status in (400, 401) and isinstance(body, dict) and body.get("error"):
            raise ConnectorError(
                f"{what}: 認証エラー: {body.get('error')} {body.get('error_description') or ''}".rstrip()
                + " (リフレッシュトークンの再発行が必要です)",
                retryable=False,
                code="AUTH",
            )
        token = body.get("access_token") if isinstance(body, dict) else None
        lifetime = body.get("expires_in") if isinstance(body, dict) else None
        if status != 200 or not isinstance(token, str) or not token:
            raise ConnectorError(f"{what}: 応答を読めません (HTTP {status}) {http.snippet(response)}", code="MALFORMED")
        if isinstance(lifetime, str) and lifetime.isdigit():
            lifetime = int(lifetime)
        if not isinstance(lifetime, int) or isinstance(lifetime, bool) or lifetime <= 0:
            lifetime = 3600
        return token, float(lifetime)


def _error_text(root: ET.Element | None) -> str:
    if root is None or root.tag != "Error":
        return ""
    return " ".join(t for t in ((root.findtext("Code") or "").strip(), (root.findtext("Message") or "").strip()) if t)
