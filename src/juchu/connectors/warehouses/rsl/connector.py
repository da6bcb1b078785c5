"""The RSL warehouse connector: Juchu's WarehouseConnector port spoken over RSL's protocol (spec/rsl-protocol.md).

Settings (``Warehouse.connector_settings()``): ``base_url``, ``api_key``, ``merchant_id`` (required);
``rate_per_second`` (default 5, the merchant's limit, shared by every connector object in the process) and
``timeout_seconds`` (default 10). Bad settings never raise at construction (the registry builds connectors
inside sweeps); every call then fails with a non-retryable ``ConnectorError(code="CONFIG")``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from juchu.connectors.base import (
    InboundPlan,
    ItemResult,
    Outcome,
    PollResult,
    ShipmentRequestData,
    ShipmentResult,
    StockLevel,
)
from juchu.connectors.ratelimit import Clock, TokenBucket
from juchu.connectors.warehouses.rsl import mapping
from juchu.connectors.warehouses.rsl.client import (
    DEFAULT_RATE_PER_SECOND,
    DEFAULT_TIMEOUT_SECONDS,
    MAX_WAIT_SECONDS,
    RslClient,
    RslError,
    shared_bucket,
)
from juchu.connectors.warehouses.rsl.mapping import MappingError

log = logging.getLogger("juchu.connectors.rsl")

BATCH_SIZE = 100  # RSL takes at most 100 requests per call
RESULT_LIMIT = 500
SKUS_PER_CALL = 50  # keeps the query string short
MAX_PAGES = 100  # bounds one call; the rest comes next time
_FATAL = frozenset({"AUTH", "CONFIG"})

T = TypeVar("T")


class RslConnector:
    """Speaks RSL for one merchant. ``transport`` and ``clock`` are the test seams."""

    def __init__(
        self,
        settings: Mapping[str, str],
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._config_error = ""
        base_url = str(settings.get("base_url", "")).strip()
        api_key = str(settings.get("api_key", "")).strip()
        merchant_id = str(settings.get("merchant_id", "")).strip()
        missing = [k for k, v in (("base_url", base_url), ("api_key", api_key), ("merchant_id", merchant_id)) if not v]
        if missing:
            self._config_error = f"RSLの設定に {', '.join(missing)} がありません"
        rate = _positive(settings, "rate_per_second", DEFAULT_RATE_PER_SECOND)
        timeout = _positive(settings, "timeout_seconds", DEFAULT_TIMEOUT_SECONDS)
        if rate is None or timeout is None:
            self._config_error = "RSLの設定 rate_per_second / timeout_seconds は正の数にしてください"
            rate, timeout = DEFAULT_RATE_PER_SECOND, DEFAULT_TIMEOUT_SECONDS
        bucket = (
            TokenBucket(rate, clock, max_wait=MAX_WAIT_SECONDS)
            if clock is not None
            else shared_bucket(base_url, merchant_id, rate)
        )
        self._client = RslClient(
            base_url or "http://invalid.invalid",
            api_key,
            merchant_id,
            bucket=bucket,
            transport=transport,
            timeout=timeout,
        )
        #: Records skipped by the last ``poll_results`` or ``fetch_stock`` (also logged as warnings).
        self.last_errors: tuple[MappingError, ...] = ()

    def close(self) -> None:
        """Release the HTTP connection pool."""
        self._client.close()

    # -- the port ------------------------------------------------------------------------------------

    def submit(self, requests: Sequence[ShipmentRequestData]) -> list[ItemResult]:
        """Send shipment requests in batches of ≤ 100; a failed batch answers RETRY for its items only.

        Bad credentials or settings raise (nothing can succeed); resending is safe since RSL answers a
        known requestId with its first answer.
        """
        self._check_config()
        answers: dict[str, ItemResult] = {}
        bodies: list[tuple[str, dict[str, Any]]] = []
        for data in requests:
            try:
                bodies.append((data.request_id, mapping.request_to_json(data)))
            except MappingError as exc:
                answers[data.request_id] = ItemResult(data.request_id, Outcome.REJECTED, "MAPPING", str(exc))
        for batch in _chunks(bodies, BATCH_SIZE):
            try:
                reply = self._client.post("/shipment-requests", {"requests": [body for _key, body in batch]})
            except RslError as exc:
                if exc.code in _FATAL:
                    raise
                outcome = Outcome.RETRY if exc.retryable else Outcome.REJECTED
                answers.update((key, ItemResult(key, outcome, exc.code, str(exc))) for key, _body in batch)
                continue
            answers.update(_submit_answers([key for key, _body in batch], reply))
        return [answers[data.request_id] for data in requests]

    def poll_results(self, cursor: str) -> PollResult:
        """Results after ``cursor``, oldest first, following ``nextCursor``.

        A malformed result is skipped and recorded in ``last_errors``; the cursor returned stops before it
        (so it is read again next time, and so are the good results after it: replaying is harmless).
        """
        self._check_config()
        results: list[ShipmentResult] = []
        errors: list[MappingError] = []
        safe = current = cursor
        for page in range(MAX_PAGES):
            params = {"limit": RESULT_LIMIT} | ({"cursor": current} if current else {})
            try:
                reply = self._client.get("/shipment-results", params)
                items = _list(reply, "results", "GET /shipment-results")
            except RslError:
                if page == 0:
                    raise
                break  # keep what the earlier pages gave; the cursor stops there
            if not items:
                break
            for item in items:
                try:
                    result = mapping.result_from_json(item)
                except MappingError as exc:
                    errors.append(exc)
                    continue
                results.append(result)
                if not errors and (item_cursor := mapping.result_cursor(item)):
                    safe = item_cursor
            next_cursor = _token(reply.get("nextCursor"))
            if errors or not next_cursor:
                break
            safe = next_cursor
            if len(items) < RESULT_LIMIT or next_cursor == current:
                break
            current = next_cursor
        self._report(errors, "出荷実績")
        return PollResult(tuple(results), safe)

    def withdraw(self, request_id: str, reason: str) -> ItemResult:
        """Ask RSL not to ship (出荷取下げ): withdrawn → ACCEPTED, refused → REJECTED ``REFUSED`` with RSL's reason."""
        self._check_config()
        path = f"/shipment-requests/{quote(request_id, safe='')}/withdraw"
        reply = self._item_call(request_id, lambda: self._client.post(path, {"reason": reason}))
        if isinstance(reply, ItemResult):
            return reply
        status = reply.get("status")
        answer_reason = reply.get("reason") if isinstance(reply.get("reason"), str) else ""
        if status == "withdrawn":
            return ItemResult(request_id, Outcome.ACCEPTED, message=answer_reason)
        if status == "refused":
            return ItemResult(
                request_id, Outcome.REJECTED, "REFUSED", answer_reason or "ピッキング開始後のため取下げできません"
            )
        return ItemResult(request_id, Outcome.RETRY, "MALFORMED", f"RSL POST {path}: 未知の状態です: {status!r}")

    def fetch_stock(self, skus: Sequence[str] | None = None) -> list[StockLevel]:
        """Available stock per SKU RSL knows; a SKU RSL does not report is left out (never reported as 0)."""
        self._check_config()
        levels: dict[str, StockLevel] = {}
        errors: list[MappingError] = []
        if skus is None:
            self._inventory([], levels, errors)
        else:
            wanted = list(dict.fromkeys(skus))
            for chunk in _chunks(wanted, SKUS_PER_CALL):
                self._inventory([("sku", sku) for sku in chunk], levels, errors)
            levels = {sku: levels[sku] for sku in wanted if sku in levels}
        self._report(errors, "在庫")
        return list(levels.values())

    def register_inbound(self, plan: InboundPlan) -> ItemResult:
        """Register an inbound plan (入荷予定); accepted data carries RSL's ``expected_arrival``."""
        self._check_config()
        reply = self._item_call(
            plan.plan_id, lambda: self._client.post("/inbound-plans", mapping.inbound_to_json(plan))
        )
        if isinstance(reply, ItemResult):
            return reply
        if reply.get("status") != "accepted":
            return ItemResult(
                plan.plan_id,
                Outcome.RETRY,
                "MALFORMED",
                f"RSL POST /inbound-plans: 未知の状態です: {reply.get('status')!r}",
            )
        expected = reply.get("expectedArrival")
        return ItemResult(
            plan.plan_id, Outcome.ACCEPTED, data={"expected_arrival": expected if isinstance(expected, str) else ""}
        )

    def push_item(self, sku: str, name: str, jan_code: str, size_category: str, price: int) -> ItemResult:
        """Create or update an item master (商品登録); RSL queues it and it becomes usable a while later."""
        self._check_config()
        path = f"/items/{quote(sku, safe='')}"
        body = mapping.item_to_json(name, jan_code, size_category, price)
        reply = self._item_call(sku, lambda: self._client.put(path, body))
        if isinstance(reply, ItemResult):
            return reply
        status = reply.get("status")
        return ItemResult(sku, Outcome.ACCEPTED, data={"status": status if isinstance(status, str) else "queued"})

    # -- helpers -------------------------------------------------------------------------------------

    def _check_config(self) -> None:
        if self._config_error:
            raise RslError(self._config_error, retryable=False, code="CONFIG")

    def _item_call(self, key: str, call: Callable[[], dict[str, Any]]) -> dict[str, Any] | ItemResult:
        """The reply, or a REJECTED item for an RSL refusal (4xx); retryable and fatal errors raise."""
        try:
            return call()
        except RslError as exc:
            if exc.retryable or exc.code in _FATAL:
                raise
            code = "NOT_FOUND" if exc.status == 404 and exc.code == "404" else exc.code
            return ItemResult(key, Outcome.REJECTED, code, str(exc))

    def _inventory(
        self, params: list[tuple[str, str]], levels: dict[str, StockLevel], errors: list[MappingError]
    ) -> None:
        page = ""
        for _ in range(MAX_PAGES):
            reply = self._client.get("/inventory", params + ([("page", page)] if page else []))
            for item in _list(reply, "items", "GET /inventory"):
                try:
                    level = mapping.stock_from_json(item)
                except MappingError as exc:
                    errors.append(exc)
                    continue
                levels[level.sku] = level
            next_page = _token(reply.get("nextPage"))
            if not next_page or next_page == page:
                return
            page = next_page

    def _report(self, errors: list[MappingError], what: str) -> None:
        self.last_errors = tuple(errors)
        for exc in errors:
            log.warning("RSLの%sを読めないため飛ばしました: %s", what, exc)


def _submit_answers(keys: list[str], reply: dict[str, Any]) -> dict[str, ItemResult]:
    """One ItemResult per request of a batch, from RSL's per-request results (matched by requestId)."""
    endpoint = "RSL POST /shipment-requests"
    items = reply.get("results")
    if not isinstance(items, list):
        message = f"{endpoint}: 応答に results がありません"
        return {key: ItemResult(key, Outcome.RETRY, "MALFORMED", message) for key in keys}
    by_key = {mapping.result_key(item): item for item in items if mapping.result_key(item)}
    answers = {}
    for key in keys:
        item = by_key.get(key)
        if item is None:
            answers[key] = ItemResult(key, Outcome.RETRY, "NO_ANSWER", f"{endpoint}: この依頼への回答がありません")
        else:
            answers[key] = _submit_answer(key, item, endpoint)
    return answers


def _submit_answer(key: str, item: Mapping[str, Any], endpoint: str) -> ItemResult:
    status = item.get("status")
    if status == "rejected":
        code = item.get("errorCode")
        message = item.get("message")
        return ItemResult(
            key,
            Outcome.REJECTED,
            code if isinstance(code, str) and code else "REJECTED",
            message if isinstance(message, str) else "",
        )
    if status != "accepted":
        return ItemResult(key, Outcome.RETRY, "MALFORMED", f"{endpoint}: 未知の状態です: {status!r}")
    order_id = _token(item.get("rslOrderId"))
    ship_by = mapping.parse_date(item.get("shipByDate"))
    if not order_id or ship_by is None:
        field = "rslOrderId" if not order_id else "shipByDate"
        return ItemResult(key, Outcome.RETRY, "MALFORMED", f"{endpoint}: 受付の回答に {field} がありません")
    accepted_at = item.get("acceptedAt")
    return ItemResult(
        key,
        Outcome.ACCEPTED,
        data={
            "warehouse_order_id": order_id,
            "ship_by": ship_by.isoformat(),
            "accepted_at": accepted_at if isinstance(accepted_at, str) else "",
        },
    )


def _list(reply: dict[str, Any], field: str, endpoint: str) -> list[Any]:
    value = reply.get(field)
    if not isinstance(value, list):
        raise RslError(f"RSL {endpoint}: 応答に {field} の配列がありません", retryable=True, code="MALFORMED")
    return value


def _token(value: object) -> str:
    """A cursor, page or id given as a non-empty string or an integer; '' otherwise."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def _positive(settings: Mapping[str, str], key: str, default: float) -> float | None:
    raw = str(settings.get(key, "") or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if value > 0 and value != float("inf") else None


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
