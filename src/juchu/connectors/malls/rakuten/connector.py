"""The Rakuten mall connector: Juchu's MallConnector port over RakutenPayOrderAPI and Inventory API 2.0."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

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
from juchu.connectors.batching import split_by_sku
from juchu.connectors.malls.rakuten import mapping, wire
from juchu.connectors.malls.rakuten.client import Message, RakutenApiError, RakutenClient, messages_of
from juchu.connectors.malls.rakuten.mapping import MappingError

# The shipping-report endpoints and limits live in reports.py; re-exported here for callers that used them.
from juchu.connectors.malls.rakuten.reports import ASYNC_OVER as ASYNC_OVER
from juchu.connectors.malls.rakuten.reports import POLL_INTERVAL as POLL_INTERVAL
from juchu.connectors.malls.rakuten.reports import SHIPPING_ASYNC_RESULT as SHIPPING_ASYNC_RESULT
from juchu.connectors.malls.rakuten.reports import UPDATE_SHIPPING as UPDATE_SHIPPING
from juchu.connectors.malls.rakuten.reports import UPDATE_SHIPPING_ASYNC as UPDATE_SHIPPING_ASYNC
from juchu.connectors.malls.rakuten.reports import ShippingReporter
from juchu.connectors.ratelimit import Clock

ORDER = "/es/2.0/order/"
SEARCH_ORDER = ORDER + "searchOrder/"
GET_ORDER = ORDER + "getOrder/"
CONFIRM_ORDER = ORDER + "confirmOrder/"
CANCEL_ORDER = ORDER + "cancelOrder/"
INVENTORY_BULK_UPSERT = "/es/2.0/inventories/bulk-upsert"
INVENTORY_BULK_GET = "/es/2.0/inventories/bulk-get"

DATE_ORDERED, DATE_PAYMENT_FIXED = 1, 6
CHANGE_PROGRESS = (400, 800, 900)  # 変更確定待ち, キャンセル確定待ち, キャンセル確定
MAX_WINDOW = timedelta(days=63)
SEARCH_CAP = 15_000
PAGE_SIZE = 1_000
ORDER_BATCH = 100
STOCK_CHUNK = 400
STOCK_READ_CHUNK = 1_000
LOOKBACK = timedelta(days=14)
ONE_SECOND = timedelta(seconds=1)

T = TypeVar("T")


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _whole_seconds(moment: datetime, *, up: bool) -> datetime:
    floored = moment.replace(microsecond=0)
    return floored + ONE_SECOND if up and floored != moment else floored


class RakutenConnector:
    """Rakuten RMS for one shop; settings as ``Shop.connector_settings()`` gives them.

    Settings keys: ``serviceSecret``, ``licenseKey`` (required); ``base_url`` (default the RMS host);
    ``rate_per_second`` (1) and ``rate_burst`` (2) for the credential's token bucket; ``timeout_seconds`` (30);
    ``async_wait_seconds`` (10), how long to poll an async shipping update; ``cancel_inventory_restore_type``
    (0 follow the item, 1 restore, 2 do not).
    """

    #: Rakuten's largest stock quantity: pushes are clamped to it, and the reconciliation compares against it.
    max_stock_quantity = wire.MAX_QUANTITY

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
        body = wire.search_body(date_type, start, end - ONE_SECOND, page, progress=progress, per_page=PAGE_SIZE)
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
            confirmed = self._already_confirmed([n for n in batch if n in errors]) if errors else set()
            for number in batch:
                message = errors.get(number) or general
                if message is None:
                    results.append(ItemResult(number, Outcome.ACCEPTED))
                elif number in confirmed:
                    results.append(ItemResult(number, Outcome.ACCEPTED, data={"note": "確認済みでした"}))
                else:
                    results.append(ItemResult(number, Outcome.REJECTED, message.code, message.text))
        return results

    def _already_confirmed(self, numbers: list[str]) -> set[str]:
        """Refused orders the shop has in fact confirmed already (``shopOrderCfmDatetime`` set).

        Makes ``confirm`` idempotent: a confirmation that went through but whose answer was lost (a worker
        killed mid-call, a timeout) is refused when sent again ("注文確認待ちではない"), and that is success.
        """
        try:
            raw_orders, _errors = self._get_orders(numbers)
        except ConnectorError:
            return set()  # the refusal stands; the next attempt looks again
        return {
            mapping.order_number_of(raw)
            for raw in raw_orders
            if isinstance(raw, dict) and raw.get("shopOrderCfmDatetime")
        }

    def cancel(self, number: str, reason: str) -> ItemResult:
        """cancelOrder with ``reason`` mapped to a changeReasonDetailApply code (default 10 その他)."""
        body = wire.cancel_body(number, reason, self.inventory_restore_type)
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
            chunk = enumerate(batch[offset : offset + STOCK_CHUNK], offset)
            refused, sendable = split_by_sku(
                chunk, lambda sku: bool(wire.inventory_key(sku)[0]), "商品管理番号が空です"
            )
            results |= refused
            for index, result in self._upsert(sendable).items():
                results[index] = result
        return [results[i] for i in range(len(batch))]

    def read_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        """Inventory bulk-get in chunks of 1,000; items Rakuten holds no record for are left out.

        Rakuten folds a manageNumber to lower case, so the answer is matched back case-insensitively on it.
        """
        wanted = {}
        for sku in dict.fromkeys(skus):
            manage, variant = wire.inventory_key(sku)
            if manage:
                wanted[(manage.lower(), variant)] = sku
        found: list[StockLevel] = []
        keys = list(wanted)
        for batch in _chunks(keys, STOCK_READ_CHUNK):
            body = {"inventories": [{"manageNumber": manage, "variantId": variant} for manage, variant in batch]}
            records = self.client.post(INVENTORY_BULK_GET, body).get("inventories")
            if not isinstance(records, list):
                raise ConnectorError(f"楽天 {INVENTORY_BULK_GET}: inventories が配列ではありません", code="MALFORMED")
            for record in records:
                if not isinstance(record, dict) or not isinstance(record.get("quantity"), int):
                    raise ConnectorError(f"楽天 {INVENTORY_BULK_GET}: 在庫の形式が不正です", code="MALFORMED")
                key = (str(record.get("manageNumber", "")).lower(), str(record.get("variantId", "")))
                if key in wanted:
                    found.append(StockLevel(wanted[key], record["quantity"]))
        return found

    def _upsert(self, entries: list[tuple[int, StockLevel]], *, again: bool = True) -> dict[int, ItemResult]:
        if not entries:
            return {}
        body = {"inventories": [wire.inventory_item(level) for _, level in entries]}
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
        reporter = ShippingReporter(self.client, self.clock, self._get_orders, self.async_wait)
        return reporter.report(batch)


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
