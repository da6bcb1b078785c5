"""The Rakuten mall connector: Juchu's MallConnector port over RakutenPayOrderAPI and Inventory API 2.0."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx

from juchu.connectors.base import (
    ConnectorError,
    FetchResult,
    ItemResult,
    MallOrder,
    Outcome,
    ShipmentReport,
    StockLevel,
)
from juchu.connectors.malls.rakuten import mapping
from juchu.connectors.malls.rakuten.client import Clock, Message, RakutenApiError, RakutenClient, messages_of
from juchu.connectors.malls.rakuten.mapping import ExistingShipping, MappingError

ORDER = "/es/2.0/order/"
SEARCH_ORDER = ORDER + "searchOrder/"
GET_ORDER = ORDER + "getOrder/"
CONFIRM_ORDER = ORDER + "confirmOrder/"
UPDATE_SHIPPING = ORDER + "updateOrderShipping/"
UPDATE_SHIPPING_ASYNC = ORDER + "updateOrderShippingAsync/"
SHIPPING_ASYNC_RESULT = ORDER + "getResultUpdateOrderShippingAsync/"
CANCEL_ORDER = ORDER + "cancelOrder/"
INVENTORY_BULK_UPSERT = "/es/2.0/inventories/bulk-upsert"

DATE_ORDERED, DATE_PAYMENT_FIXED = 1, 6
CHANGE_PROGRESS = (400, 800, 900)  # 変更確定待ち, キャンセル確定待ち, キャンセル確定
MAX_WINDOW = timedelta(days=63)
SEARCH_CAP = 15_000
PAGE_SIZE = 1_000
ORDER_BATCH = 100
STOCK_CHUNK = 400
LOOKBACK = timedelta(days=14)
ASYNC_OVER = 10  # more orders than this go through updateOrderShippingAsync
POLL_INTERVAL = 1.0
ONE_SECOND = timedelta(seconds=1)

T = TypeVar("T")


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _whole_seconds(moment: datetime, *, up: bool) -> datetime:
    floored = moment.replace(microsecond=0)
    return floored + ONE_SECOND if up and floored != moment else floored


@dataclass
class _OrderShipping:
    """What one order's shipping report adds, and which reports ride on which basket."""

    number: str
    models: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # basketId → new ShippingModels
    reports: list[tuple[ShipmentReport, str]] = field(default_factory=list)  # (report, basketId)

    def body(self) -> list[dict[str, Any]]:
        return [{"basketId": int(b), "ShippingModelList": m} for b, m in self.models.items()]


class RakutenConnector:
    """Rakuten RMS for one shop; settings as ``Shop.connector_settings()`` gives them.

    Settings keys: ``serviceSecret``, ``licenseKey`` (required); ``base_url`` (default the RMS host);
    ``rate_per_second`` (1) and ``rate_burst`` (2) for the credential's token bucket; ``timeout_seconds`` (30);
    ``async_wait_seconds`` (10), how long to poll an async shipping update; ``cancel_inventory_restore_type``
    (0 follow the item, 1 restore, 2 do not).
    """

    def __init__(
        self,
        settings: Mapping[str, str],
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.client = RakutenClient(settings, transport=transport, clock=clock)
        self.clock = self.client.clock
        self.async_wait = float(settings.get("async_wait_seconds") or 10)
        restore = str(settings.get("cancel_inventory_restore_type") or "0")
        if restore not in ("0", "1", "2"):
            raise ConnectorError(
                "楽天: cancel_inventory_restore_type は 0, 1, 2 のいずれかです", retryable=False, code="CONFIG"
            )
        self.inventory_restore_type = int(restore)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.client.close()

    # ---- reading orders ----------------------------------------------------------------------------

    def fetch_new_orders(self, since: datetime | None, until: datetime) -> FetchResult:
        """Orders placed or paid in ``[since, until)``, and those in 400/800/900 placed in the last 14 days.

        ``since`` None looks back 14 days. Every number found is read once with getOrder.
        """
        start = since if since is not None else until - LOOKBACK
        found: dict[str, None] = {}
        for number in self._search(DATE_ORDERED, start, until):
            found[number] = None
        for number in self._search(DATE_PAYMENT_FIXED, start, until):
            found[number] = None
        for number in self._search(DATE_ORDERED, until - LOOKBACK, until, CHANGE_PROGRESS):
            found[number] = None
        result = self.fetch_orders(list(found))
        return FetchResult(result.orders, result.errors, cursor=until)

    def fetch_orders(self, numbers: Sequence[str]) -> FetchResult:
        """The named orders as Rakuten holds them; unknown or unreadable ones come back as errors."""
        raw_orders, errors = self._get_orders(numbers)
        orders: list[MallOrder] = []
        for i, raw in enumerate(raw_orders):
            try:
                orders.append(mapping.to_mall_order(raw))
            except MappingError as exc:
                key = exc.order_number or mapping.order_number_of(raw) or f"OrderModelList[{i}]"
                errors.append(ItemResult(key, Outcome.REJECTED, "MAPPING", str(exc), {"field": exc.field}))
        return FetchResult(tuple(orders), tuple(errors))

    def _search(self, date_type: int, start: datetime, end: datetime, progress: Sequence[int] = ()) -> list[str]:
        """Order numbers of ``[start, end)`` in windows of at most 63 days."""
        start, end = _whole_seconds(start, up=False), _whole_seconds(end, up=True)
        numbers: list[str] = []
        while start < end:
            window_end = min(end, start + MAX_WINDOW)
            numbers += self._search_window(date_type, start, window_end, progress)
            start = window_end
        return numbers

    def _search_window(self, date_type: int, start: datetime, end: datetime, progress: Sequence[int]) -> list[str]:
        """All pages of ``[start, end)``; a window at Rakuten's 15,000 cap is searched again in halves."""
        total, pages, numbers = self._search_page(date_type, start, end, progress, 1)
        if total >= SEARCH_CAP and end - start > ONE_SECOND:
            middle = _whole_seconds(start + (end - start) / 2, up=False)
            return self._search_window(date_type, start, middle, progress) + self._search_window(
                date_type, middle, end, progress
            )
        for page in range(2, pages + 1):
            numbers += self._search_page(date_type, start, end, progress, page)[2]
        return numbers

    def _search_page(
        self, date_type: int, start: datetime, end: datetime, progress: Sequence[int], page: int
    ) -> tuple[int, int, list[str]]:
        body = mapping.search_body(date_type, start, end - ONE_SECOND, page, progress=progress, per_page=PAGE_SIZE)
        answer = self.client.post(SEARCH_ORDER, body)
        numbers = answer.get("orderNumberList")
        if numbers is None:
            numbers = []
        if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
            raise ConnectorError(f"楽天 {SEARCH_ORDER}: orderNumberList が文字列の配列ではありません", code="MALFORMED")
        paging = answer.get("PaginationResponseModel")
        paging = paging if isinstance(paging, dict) else {}
        total, pages = paging.get("totalRecordsAmount"), paging.get("totalPages")
        total = total if isinstance(total, int) and not isinstance(total, bool) else len(numbers)
        pages = pages if isinstance(pages, int) and not isinstance(pages, bool) else 1
        return total, pages, numbers

    def _get_orders(self, numbers: Sequence[str]) -> tuple[list[object], list[ItemResult]]:
        """Raw OrderModels by getOrder in batches of 100, and an error for every number not returned."""
        wanted = list(dict.fromkeys(numbers))
        raw_orders: list[object] = []
        errors: list[ItemResult] = []
        for batch in _chunks(wanted, ORDER_BATCH):
            answer = self.client.post(GET_ORDER, {"orderNumberList": list(batch), "version": mapping.GET_ORDER_VERSION})
            models = answer.get("OrderModelList")
            if models is None:
                models = []
            if not isinstance(models, list):
                raise ConnectorError(f"楽天 {GET_ORDER}: OrderModelList が配列ではありません", code="MALFORMED")
            raw_orders += models
            returned = {mapping.order_number_of(raw) for raw in models}
            messages = messages_of(answer)
            per_order = {m.order_number: m for m in messages if (m.order_number and m.type != "INFO") or _missing(m)}
            general = next((m for m in messages if m.is_error and not m.order_number), None)
            for number in batch:
                if number in returned:
                    continue
                message = per_order.get(number) or general
                if message is None:
                    errors.append(ItemResult(number, Outcome.REJECTED, "NOT_FOUND", "受注情報が返されませんでした"))
                else:
                    errors.append(ItemResult(number, Outcome.REJECTED, message.code, message.text))
        return raw_orders, errors

    # ---- writing -----------------------------------------------------------------------------------

    def confirm(self, numbers: Sequence[str]) -> list[ItemResult]:
        """confirmOrder in batches of 100; keyed by order number."""
        results: list[ItemResult] = []
        for batch in _chunks(list(dict.fromkeys(numbers)), ORDER_BATCH):
            try:
                messages = messages_of(self.client.post(CONFIRM_ORDER, {"orderNumberList": list(batch)}))
            except RakutenApiError as exc:
                messages = exc.messages or [Message("ERROR", exc.code, str(exc))]
            errors = {m.order_number: m for m in messages if m.is_error and m.order_number}
            general = next((m for m in messages if m.is_error and not m.order_number), None)
            for number in batch:
                message = errors.get(number) or general
                if message is None:
                    results.append(ItemResult(number, Outcome.ACCEPTED))
                else:
                    results.append(ItemResult(number, Outcome.REJECTED, message.code, message.text))
        return results

    def cancel(self, number: str, reason: str) -> ItemResult:
        """cancelOrder with ``reason`` mapped to a changeReasonDetailApply code (default 10 その他)."""
        body = mapping.cancel_body(number, reason, self.inventory_restore_type)
        data = {"reason_code": str(body["changeReasonDetailApply"])}
        try:
            messages = messages_of(self.client.post(CANCEL_ORDER, body))
        except RakutenApiError as exc:
            messages = exc.messages or [Message("ERROR", exc.code, str(exc))]
        error = next((m for m in messages if m.is_error), None)
        if error is not None:
            return ItemResult(number, Outcome.REJECTED, error.code, error.text, data)
        return ItemResult(number, Outcome.ACCEPTED, data=data)

    def push_stock(self, batch: Sequence[StockLevel]) -> list[ItemResult]:
        """Inventory bulk-upsert (ABSOLUTE) in chunks of 400; ``sku`` is ``manageNumber[:variantId]``."""
        results: dict[int, ItemResult] = {}
        for offset in range(0, len(batch), STOCK_CHUNK):
            chunk = list(enumerate(batch[offset : offset + STOCK_CHUNK], offset))
            sendable = []
            for index, level in chunk:
                if mapping.inventory_key(level.sku)[0]:
                    sendable.append((index, level))
                else:
                    results[index] = ItemResult(level.sku, Outcome.REJECTED, "SKU_FORMAT", "商品管理番号が空です")
            for index, result in self._upsert(sendable).items():
                results[index] = result
        return [results[i] for i in range(len(batch))]

    def _upsert(self, entries: list[tuple[int, StockLevel]], *, again: bool = True) -> dict[int, ItemResult]:
        if not entries:
            return {}
        body = {"inventories": [mapping.inventory_item(level) for _, level in entries]}
        try:
            self.client.post(INVENTORY_BULK_UPSERT, body)
        except RakutenApiError as exc:
            refused = _refused_positions(exc.messages)
            results = {
                index: ItemResult(level.sku, Outcome.REJECTED, refused[pos].code, refused[pos].text)
                for pos, (index, level) in enumerate(entries)
                if pos in refused
            }
            rest = [entry for pos, entry in enumerate(entries) if pos not in refused]
            if refused and again:
                # Rakuten refuses the whole request for one bad entry: send the good ones once more.
                return results | self._upsert(rest, again=False)
            message = exc.messages[0] if exc.messages else Message("ERROR", exc.code, str(exc))
            results |= {i: ItemResult(lv.sku, Outcome.REJECTED, message.code, message.text) for i, lv in rest}
            return results
        return {index: ItemResult(level.sku, Outcome.ACCEPTED) for index, level in entries}

    # ---- shipping reports --------------------------------------------------------------------------

    def report_shipments(self, batch: Sequence[ShipmentReport]) -> list[ItemResult]:
        """発送完了報告, idempotent: tracking numbers already on the basket are not added again.

        Up to 10 orders go one by one through updateOrderShipping; more go through updateOrderShippingAsync
        (100 orders per call) and its result is polled for ``async_wait_seconds``; an answer not ready by then
        is RETRY, which is safe because of the check above.
        """
        results: dict[str, ItemResult] = {}
        by_order: dict[str, list[ShipmentReport]] = {}
        for report in batch:
            by_order.setdefault(report.mall_order_number, []).append(report)
        raw_orders, errors = self._get_orders(list(by_order))
        raws = {mapping.order_number_of(raw): raw for raw in raw_orders if isinstance(raw, dict)}
        for error in errors:
            for report in by_order.get(error.key, []):
                results[report.key] = ItemResult(report.key, Outcome.REJECTED, error.code, error.message)
        plans = []
        for number, reports in by_order.items():
            raw = raws.get(number)
            if raw is None:
                continue
            plan = self._plan(number, reports, mapping.existing_shippings(raw), results)
            if plan.models:
                plans.append(plan)
        if len(plans) > ASYNC_OVER:
            for start in range(0, len(plans), ORDER_BATCH):
                self._report_async(plans[start : start + ORDER_BATCH], results, sent_before=start > 0)
        else:
            self._report_sync(plans, results)
        return [results[report.key] for report in batch]

    def _plan(
        self,
        number: str,
        reports: list[ShipmentReport],
        existing: dict[str, list[ExistingShipping]],
        results: dict[str, ItemResult],
    ) -> _OrderShipping:
        plan = _OrderShipping(number)
        for report in reports:
            basket = report.mall_package_id
            if basket not in existing:
                results[report.key] = ItemResult(
                    report.key,
                    Outcome.REJECTED,
                    "BASKET_NOT_FOUND",
                    f"送付先 (basketId {basket}) が注文 {number} にありません",
                )
                continue
            planned = plan.models.get(basket, [])
            have = existing[basket] + [
                ExistingShipping(m.get("shippingNumber", ""), m["deliveryCompany"], m["shippingDate"]) for m in planned
            ]
            new = mapping.new_shipping_models(report, have)
            if not new:
                results[report.key] = ItemResult(report.key, Outcome.ACCEPTED, data={"already_reported": "1"})
                continue
            if len(have) + len(new) > mapping.MAX_SHIPPINGS_PER_BASKET:
                results[report.key] = ItemResult(
                    report.key,
                    Outcome.REJECTED,
                    "TOO_MANY_TRACKING_NUMBERS",
                    f"送付先ごとの発送情報は {mapping.MAX_SHIPPINGS_PER_BASKET} 件までです ({len(have) + len(new)} 件)",
                )
                continue
            plan.models[basket] = planned + new
            plan.reports.append((report, basket))
        return plan

    def _report_sync(self, plans: list[_OrderShipping], results: dict[str, ItemResult]) -> None:
        for i, plan in enumerate(plans):
            try:
                answer = self.client.post(
                    UPDATE_SHIPPING, {"orderNumber": plan.number, "BasketidModelList": plan.body()}
                )
                messages = messages_of(answer)
            except RakutenApiError as exc:
                messages = exc.messages or [Message("ERROR", exc.code, str(exc))]
            except ConnectorError as exc:
                if i == 0 or not exc.retryable:
                    raise
                for rest in plans[i:]:
                    _settle(rest, results, Outcome.RETRY, exc.code, str(exc))
                return
            _apply(plan, messages, results)

    def _report_async(self, plans: list[_OrderShipping], results: dict[str, ItemResult], *, sent_before: bool) -> None:
        body = {"OrderShippingModelList": [{"orderNumber": p.number, "BasketidModelList": p.body()} for p in plans]}
        try:
            answer = self.client.post(UPDATE_SHIPPING_ASYNC, body)
        except RakutenApiError as exc:
            messages = exc.messages or [Message("ERROR", exc.code, str(exc))]
            general = next((m for m in messages if m.is_error and not m.order_number), None)
            for plan in plans:
                mine = [m for m in messages if m.order_number == plan.number and m.is_error]
                if mine:
                    _settle(plan, results, Outcome.REJECTED, mine[0].code, mine[0].text)
                elif general is not None:
                    _settle(plan, results, Outcome.REJECTED, general.code, general.text)
                else:
                    _settle(
                        plan, results, Outcome.RETRY, "NOT_APPLIED", "同じ呼び出しの他の注文がエラーのため再送します"
                    )
            return
        except ConnectorError as exc:
            if not sent_before or not exc.retryable:
                raise
            for plan in plans:
                _settle(plan, results, Outcome.RETRY, exc.code, str(exc))
            return
        request_id = answer.get("requestId")
        if not isinstance(request_id, str) or not request_id:
            error = next((m for m in messages_of(answer) if m.is_error), None)
            for plan in plans:
                if error is not None:
                    _settle(plan, results, Outcome.REJECTED, error.code, error.text)
                else:
                    _settle(plan, results, Outcome.RETRY, "ASYNC_NO_REQUEST_ID", "requestId が返されませんでした")
            return
        answers = self._poll_async(request_id, {p.number for p in plans})
        for plan in plans:
            if plan.number in answers:
                _apply(plan, answers[plan.number], results)
            else:
                _settle(
                    plan,
                    results,
                    Outcome.RETRY,
                    "ASYNC_PENDING",
                    f"非同期の発送情報更新 {request_id} の結果が {self.async_wait:g} 秒以内に返りませんでした",
                    {"request_id": request_id},
                )

    def _poll_async(self, request_id: str, numbers: set[str]) -> dict[str, list[Message]]:
        """Per-order messages of an async shipping update, as many as are ready within ``async_wait``."""
        answers: dict[str, list[Message]] = {}
        deadline = self.clock.monotonic() + self.async_wait
        while numbers - answers.keys() and self.clock.monotonic() < deadline:
            self.clock.sleep(POLL_INTERVAL)
            try:
                answer = self.client.post(SHIPPING_ASYNC_RESULT, {"requestId": request_id})
            except ConnectorError as exc:
                if exc.retryable or isinstance(exc, RakutenApiError):
                    continue  # not ready or a passing failure: ask again until the deadline
                raise
            found = answer.get("ResultShippingModelList")
            for item in found if isinstance(found, list) else []:
                if isinstance(item, dict) and item.get("orderNumber") in numbers:
                    answers[str(item["orderNumber"])] = messages_of(item)
        return answers


def _missing(message: Message) -> bool:
    return bool(message.order_number) and message.code.endswith("_INFO_102")


_POSITION = re.compile(r"^inventories\[(\d+)\]")


def _refused_positions(messages: list[Message]) -> dict[int, Message]:
    """Bulk-upsert errors that name an entry (``inventories[3].quantity``), by position."""
    found: dict[int, Message] = {}
    for message in messages:
        match = _POSITION.match(message.field)
        if match:
            found.setdefault(int(match.group(1)), message)
    return found


def _settle(
    plan: _OrderShipping,
    results: dict[str, ItemResult],
    outcome: Outcome,
    code: str,
    text: str,
    data: Mapping[str, str] | None = None,
) -> None:
    for report, _ in plan.reports:
        results[report.key] = ItemResult(report.key, outcome, code, text, dict(data or {}))


def _apply(plan: _OrderShipping, messages: list[Message], results: dict[str, ItemResult]) -> None:
    """Per-report outcome of one order's update: ERROR items reject their basket (``dataNumber`` = 1-based
    position in BasketidModelList; none or out of range = the whole order); the rest of a refused order is RETRY.
    """
    errors = [m for m in messages if m.is_error]
    if not errors:
        _settle(plan, results, Outcome.ACCEPTED, "", "")
        return
    baskets = list(plan.models)
    by_basket: dict[str, Message] = {}
    whole: Message | None = None
    for error in errors:
        if error.data_number is not None and 1 <= error.data_number <= len(baskets):
            by_basket.setdefault(baskets[error.data_number - 1], error)
        elif whole is None:
            whole = error
    for report, basket in plan.reports:
        refusal = by_basket.get(basket) or whole
        if refusal is not None:
            results[report.key] = ItemResult(report.key, Outcome.REJECTED, refusal.code, refusal.text)
        else:
            results[report.key] = ItemResult(
                report.key, Outcome.RETRY, "NOT_APPLIED", "同じ注文の他の送付先がエラーのため再送します"
            )
