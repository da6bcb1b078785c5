"""HTTP client for the Qoo10 QSM API (QAPI): seller auth key (SAK), form POSTs, rate limit, error envelope.

Every call is ``POST <base_url>/<Service.Method>`` with form fields (``returnType=json`` among them) and the
headers ``GiosisCertificationKey`` and ``QAPIVersion: 1.0``. ``CertificationAPI.CreateCertificationKey`` is
sent with the seller's API key in that header and ``user_id``/``pwd`` as fields; its ``ResultObject`` is the
SAK, which every other call sends in the same header. Answers are the JSON envelope
``{"ResultCode", "ResultMsg", "ResultObject"}`` with HTTP 200; ``ResultCode`` 0 is success.

* The SAK is cached per credential (SHA-256 of API key, user id, password and base URL) for
  ``sak_ttl_seconds``; a call refused with a key code (-10000, -90002…-90005) makes a new SAK once and is
  sent once more. A refused CreateCertificationKey, or a key refused again, is ``ConnectorError(code="AUTH")``.
* Transport failures, timeouts, 429, 5xx and bodies that are not the envelope are retryable. Such a failure
  is tried again at once up to ``ATTEMPTS`` times in all (after a short pause; after a 429 the bucket waits
  the ``Retry-After``): every QAPI call Juchu makes is a read or a write that sets a state, so sending it
  again is harmless. A client-side timeout is not repeated (it already took ``timeout_seconds``).
* Any other negative ``ResultCode`` is :class:`Qoo10ApiError` (not retryable) with the code and message.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from typing import Any

import httpx

from juchu.connectors import http
from juchu.connectors.base import ConnectorError
from juchu.connectors.ratelimit import Clock, RateLimited, SystemClock, bucket_for

DEFAULT_BASE_URL = "https://api.qoo10.jp/GMKT.INC.Front.QAPIService/ebayjapan.qapi"
MALL = "Qoo10"
CREATE_KEY = "CertificationAPI.CreateCertificationKey"
#: Codes Qoo10 answers for a bad, unauthorised or expired seller auth key.
KEY_CODES = frozenset({-10000, -90002, -90003, -90004, -90005})
AUTH_MESSAGE = "Qoo10: 認証エラー: APIキー・ユーザーID・パスワードを確認してください"
DEFAULT_RATE, DEFAULT_BURST = 2.0, 4
DEFAULT_SAK_TTL = 50 * 60.0
MAX_RATE_WAIT = 60.0
ATTEMPTS = 3
PAUSE_SECONDS = 0.5

_keys_lock = threading.Lock()
#: credential hash → (SAK, monotonic time it is used until)
_keys: dict[str, tuple[str, float]] = {}


def forget_keys() -> None:
    """Drop every cached seller auth key (tests)."""
    with _keys_lock:
        _keys.clear()


class Qoo10ApiError(ConnectorError):
    """Qoo10 refused the call with a negative ``ResultCode`` other than a key code."""

    def __init__(self, message: str, *, result_code: int, result_msg: str) -> None:
        super().__init__(message, retryable=False, code=str(result_code))
        self.result_code = result_code
        self.result_msg = result_msg


class Qoo10Client(http.HttpSession):
    """One shop's QAPI session: the credentials, one ``httpx.Client``, the rate limit and the cached SAK."""

    def __init__(
        self,
        settings: Mapping[str, str],
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.api_key = settings.get("api_key", "")
        self.user_id = settings.get("user_id", "")
        self.password = settings.get("password", "")
        if not self.api_key or not self.user_id or not self.password:
            raise ConnectorError("Qoo10: 設定に api_key, user_id, password が必要です", retryable=False, code="CONFIG")
        self.base_url = http.base_url(settings, DEFAULT_BASE_URL)
        self.clock: Clock = clock or SystemClock()
        rate = http.number_setting(settings, "rate_per_second", DEFAULT_RATE, mall=MALL)
        burst = int(http.number_setting(settings, "rate_burst", DEFAULT_BURST, mall=MALL))
        self.sak_ttl = http.number_setting(settings, "sak_ttl_seconds", DEFAULT_SAK_TTL, mall=MALL)
        credential = f"{self.base_url}\n{self.api_key}\n{self.user_id}\n{self.password}"
        self._key_id = hashlib.sha256(credential.encode()).hexdigest()
        self.bucket = bucket_for(f"qoo10:{credential}", rate, clock=clock, capacity=burst, max_wait=MAX_RATE_WAIT)
        self._http = http.open_client(
            settings,
            mall=MALL,
            default_base_url=DEFAULT_BASE_URL,
            transport=transport,
            headers={"QAPIVersion": "1.0", "Accept": "application/json"},
        )

    def call(self, method: str, fields: Mapping[str, str]) -> dict[str, Any]:
        """Call ``method`` with the SAK; the envelope of a successful answer, else a ConnectorError."""
        key = self._key(renew=False)
        envelope = self._post(method, fields, key)
        if _result_code(envelope) in KEY_CODES:
            key = self._key(renew=True, stale=key)
            envelope = self._post(method, fields, key)
            if _result_code(envelope) in KEY_CODES:
                raise ConnectorError(
                    f"{AUTH_MESSAGE} (Qoo10 {method}, ResultCode {_result_code(envelope)} {_result_msg(envelope)})",
                    retryable=False,
                    code="AUTH",
                )
        code = _result_code(envelope)
        if code != 0:
            message = _result_msg(envelope)
            raise Qoo10ApiError(f"Qoo10 {method}: {code} {message}", result_code=code, result_msg=message)
        return envelope

    # ---- the seller auth key ----------------------------------------------------------------------

    def _key(self, *, renew: bool, stale: str = "") -> str:
        """The cached SAK, or a new one (``renew``: unless another thread already replaced ``stale``)."""
        with _keys_lock:
            cached = _keys.get(self._key_id)
            now = self.clock.monotonic()
            if cached and cached[1] > now and not (renew and cached[0] == stale):
                return cached[0]
            envelope = self._post(CREATE_KEY, {"user_id": self.user_id, "pwd": self.password}, self.api_key)
            code = _result_code(envelope)
            sak = envelope.get("ResultObject")
            if code != 0 or not isinstance(sak, str) or not sak:
                raise ConnectorError(
                    f"{AUTH_MESSAGE} (Qoo10 {CREATE_KEY}, ResultCode {code} {_result_msg(envelope)})",
                    retryable=False,
                    code="AUTH",
                )
            _keys[self._key_id] = (sak, now + self.sak_ttl)
            return sak

    # ---- the wire -----------------------------------------------------------------------------------

    def _post(self, method: str, fields: Mapping[str, str], key: str) -> dict[str, Any]:
        attempt = 1
        while True:
            try:
                return self._post_once(method, fields, key)
            except RateLimited:
                raise  # our own bucket would make it wait too long
            except ConnectorError as exc:
                if not exc.retryable or exc.code == "TIMEOUT" or attempt >= ATTEMPTS:
                    raise
                if exc.code != "RATE_LIMIT":  # after a 429 the bucket itself waits the Retry-After
                    self.clock.sleep(PAUSE_SECONDS * attempt)
                attempt += 1

    def _post_once(self, method: str, fields: Mapping[str, str], key: str) -> dict[str, Any]:
        where = f"{MALL} {method}"
        form = {**fields, "returnType": "json"}
        headers = {"GiosisCertificationKey": key}
        response = http.send(self._http, where, "POST", f"/{method}", bucket=self.bucket, data=form, headers=headers)
        return self._envelope(where, response)

    def _envelope(self, where: str, response: httpx.Response) -> dict[str, Any]:
        status = response.status_code
        if status == 429:
            raise http.rate_limited(where, bucket=self.bucket, wait=http.retry_after(response), text=http.QUOTA)
        if status >= 500:
            raise http.server_error(where, response)
        if status == 401 or status == 403:
            raise ConnectorError(f"{AUTH_MESSAGE} ({where}, HTTP {status})", retryable=False, code="AUTH")
        if status >= 400:
            raise http.refused(where, response)
        body = http.json_or_none(response, encoding="utf-8-sig")
        code = body.get("ResultCode") if isinstance(body, dict) else None
        if isinstance(code, str) and code.lstrip("-").isdigit():
            code = int(code)
        if not isinstance(code, int) or isinstance(code, bool):
            raise http.malformed(where, response, "Qoo10 の形式 (ResultCode)")
        assert isinstance(body, dict)
        body["ResultCode"] = code
        return body


def _result_code(envelope: Mapping[str, Any]) -> int:
    return int(envelope["ResultCode"])


def _result_msg(envelope: Mapping[str, Any]) -> str:
    return str(envelope.get("ResultMsg") or "")
