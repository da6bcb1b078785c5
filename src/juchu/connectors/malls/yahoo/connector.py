"""The Yahoo! Shopping mall connector: Juchu's MallConnector port over the Store API (ShoppingWebService V1).

Calls go one order at a time (orderInfo, orderStatusChange and orderShipStatusChange take one OrderId each);
each URL has its own 1 request/second budget. Every write reads the order first, so a write whose answer was
lost and that is sent again changes nothing twice (confirm, report, cancel are idempotent).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
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
from juchu.connectors.malls.yahoo import mapping, wire
from juchu.connectors.malls.yahoo.client import YahooApiError, YahooClient
from juchu.connectors.malls.yahoo.mapping import MappingError
from juchu.connectors.ratelimit import Clock

LOOKBACK = timedelta(days=14)
PAGE_SIZE = 1000  # orderList Result per page (Yahoo documents up to 2000; unverified)
STOCK_CHUNK = 1000  # item codes per setStock call (unverified)
MAX_TRACKING = 2  # ShipInvoiceNumber1 and 2
ATTEMPTS = 3  # per order, for a retryable failure (each attempt re-reads the order first)
GIVE_UP_AFTER = 3  # orders in a row failing retryably: the service is down, stop the batch

T = TypeVar("T")


def _parse_time(raw: str | None) -> datetime | None:
    try:
        value = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def _retry_rest(keys: Sequence[str], exc: ConnectorError) -> list[ItemResult]:
    return [ItemResult(key, Outcome.RETRY, exc.code, str(exc)) for key in keys]


class YahooConnector:
    """Yahoo! Shopping for one store; settings as ``Shop.connector_settings()`` gives them.

    Settings keys: ``seller_id``, ``client_id``, ``client_secret``, ``refresh_token`` (required);
    ``public_key`` (PEM) and ``public_key_version`` for the order APIs' public-key signature; ``base_url``
    (default the production host), ``token_url`` (default YConnect's), ``rate_per_second`` (1) and
    ``rate_burst`` (1) per URL, ``timeout_seconds`` (30).
    """

    #: Yahoo's largest stock quantity: pushes are clamped to it, and the reconciliation compares against it.
    max_stock_quantity = wire.MAX_STOCK

    def __init__(
        self,
        settings: Mapping[str, str],
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        wall: Callable[[], float] | None = None,
    ) -> None:
        extra = {"wall": wall} if wall is not None else {}
        self.client = YahooClient(settings, transport=transport, clock=clock, **extra)
        self.seller_id = self.client.seller_id

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.client.close()

    # ---- reading orders ----------------------------------------------------------------------------

    def fetch_new_orders(self, since: datetime | None, until: datetime) -> FetchResult:
        """Orders placed or updated (``LastUpdateTime``) in ``[since, until)``, among those placed in the
        last 14 days (or since ``since`` when that is earlier); ``since`` None looks back 14 days.

        orderList gives the candidates with their times; each chosen order is read once with orderInfo.
        """
        start = since if since is not None else until - LOOKBACK
        listed = self._list(min(start, until - LOOKBACK), until)
        wanted: dict[str, datetime] = {}
        for entry in listed:
            number = (entry.findtext("OrderId") or "").strip()
            if not number or (entry.findtext("OrderStatus") or "").strip() == "0":
                continue
            times = [_parse_time(entry.findtext(tag)) for tag in ("OrderTime", "LastUpdateTime")]
            known = [t for t in times if t is not None]
            if not known or max(known) >= start:  # an unreadable time: let orderInfo decide
                wanted[number] = max(known) if known else start
        result = self.fetch_orders(list(wanted))
        # An order that could not be read for now holds the cursor back, so the next sync reads it again.
        held = [wanted[e.key] for e in result.errors if e.outcome is Outcome.RETRY and e.key in wanted]
        return FetchResult(result.orders, result.errors, cursor=min([until, *held]))

    def _list(self, start: datetime, end: datetime) -> list[ET.Element]:
        """Every ``Search/OrderInfo`` of orderList for ``[start, end]``, all pages."""
        found: list[ET.Element] = []
        first = 1
        while True:
            root = self.client.call(
                wire.ORDER_LIST, xml=wire.order_list_body(self.seller_id, start, end, first, PAGE_SIZE)
            )
            search = root.find("Search")
            total_text = (search.findtext("TotalCount") or "").strip() if search is not None else ""
            if search is None or not total_text.isdigit():
                raise ConnectorError(
                    f"Yahoo!ショッピング {wire.ORDER_LIST}: Search/TotalCount がありません", code="MALFORMED"
                )
            page = search.findall("OrderInfo")
            found += page
            first += len(page)
            if not page or first > int(total_text):
                return found

    def fetch_orders(self, numbers: Sequence[str]) -> FetchResult:
        """The named orders as Yahoo holds them; unknown or unreadable ones come back as errors."""
        orders: list[MallOrder] = []
        errors: list[ItemResult] = []
        failing = 0
        for number in dict.fromkeys(numbers):
            try:
                info = self._attempt(self._info, number, errors)
            except ConnectorError as exc:
                failing += 1
                if not exc.retryable or failing >= GIVE_UP_AFTER:
                    raise
                errors.append(ItemResult(number, Outcome.RETRY, exc.code, str(exc)))
                continue
            failing = 0
            if info is None:
                continue
            try:
                orders.append(mapping.to_mall_order(info))
            except MappingError as exc:
                errors.append(ItemResult(number, Outcome.REJECTED, "MAPPING", str(exc), {"field": exc.field}))
        return FetchResult(tuple(orders), tuple(errors))

    def _attempt(self, call: Callable[..., T], *args: object) -> T:
        """``call(*args)``, tried up to ATTEMPTS times while it fails retryably."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return call(*args)
            except ConnectorError as exc:
                if not exc.retryable or attempt == ATTEMPTS:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _per_order(self, keys: Sequence[str], call: Callable[[str], ItemResult]) -> list[ItemResult]:
        """``call`` for each key with retries; a key still failing retryably is RETRY, and after
        GIVE_UP_AFTER such keys in a row the rest are RETRY without trying. Non-retryable errors raise."""
        results: list[ItemResult] = []
        failing = 0
        for i, key in enumerate(keys):
            try:
                results.append(self._attempt(call, key))
                failing = 0
            except ConnectorError as exc:
                if not exc.retryable:
                    raise
                failing += 1
                if failing >= GIVE_UP_AFTER:
                    return results + _retry_rest(keys[i:], exc)
                results.append(ItemResult(key, Outcome.RETRY, exc.code, str(exc)))
        return results

    def _info(self, number: str, errors: list[ItemResult]) -> ET.Element | None:
        """orderInfo's OrderInfo element, or None with an error appended when Yahoo refuses or omits it."""
        try:
            root = self.client.call(wire.ORDER_INFO, xml=wire.order_info_body(self.seller_id, number))
        except YahooApiError as exc:
            errors.append(ItemResult(number, Outcome.REJECTED, exc.code, exc.text or str(exc)))
            return None
        info = mapping.order_info_of(root)
        if info is None:
            raise ConnectorError(
                f"Yahoo!ショッピング {wire.ORDER_INFO}: {number} の Result/OrderInfo がありません", code="MALFORMED"
            )
        return info

    # ---- writing -----------------------------------------------------------------------------------

    def confirm(self, numbers: Sequence[str]) -> list[ItemResult]:
        """Mark each order seen (IsSeen=true) by orderStatusChange to its current status; keyed by number.

        An order already seen is ACCEPTED without a write; a cancelled one is REJECTED.
        """
        return self._per_order(list(dict.fromkeys(numbers)), self._confirm_one)

    def _confirm_one(self, number: str) -> ItemResult:
        errors: list[ItemResult] = []
        info = self._info(number, errors)
        if info is None:
            return errors[0]
        status = (info.findtext("OrderStatus") or "").strip()
        if (info.findtext("IsSeen") or "").strip() == "true":
            return ItemResult(number, Outcome.ACCEPTED, data={"note": "確認済みでした"})
        if status == str(wire.STATUS_CANCELLED):
            return ItemResult(number, Outcome.REJECTED, "CANCELLED", "モールでキャンセルされた注文です")
        if not status.isdigit():
            return ItemResult(number, Outcome.REJECTED, "MAPPING", f"OrderStatus が読めません ({status!r})")
        return self._change(number, wire.status_change_body(self.seller_id, number, int(status)))

    def _change(self, key: str, body: bytes, path: str = wire.ORDER_STATUS_CHANGE) -> ItemResult:
        """One order-change call: ACCEPTED (warnings in data), or REJECTED with Yahoo's code."""
        try:
            root = self.client.call(path, xml=body)
        except YahooApiError as exc:
            return ItemResult(key, Outcome.REJECTED, exc.code, exc.text or str(exc))
        status = (root.findtext("./Result/Status") or root.findtext("Status") or "").strip()
        if status and status != "OK":
            return ItemResult(key, Outcome.REJECTED, f"STATUS_{status}", f"{path}: Status {status}")
        warnings = [(w.text or "").strip() for w in root.iter("Warning") if (w.text or "").strip()]
        return ItemResult(key, Outcome.ACCEPTED, data={"warning": " / ".join(warnings)} if warnings else {})

    def cancel(self, number: str, reason: str) -> ItemResult:
        """orderStatusChange to 4 (キャンセル) with ``reason`` mapped to a CancelReason (default 200)."""
        code = wire.CANCEL_REASONS.get(reason, wire.DEFAULT_CANCEL_REASON)
        data = {"reason_code": str(code)}
        errors: list[ItemResult] = []
        info = self._info(number, errors)
        if info is None:
            return errors[0]
        if (info.findtext("OrderStatus") or "").strip() == str(wire.STATUS_CANCELLED):
            return ItemResult(number, Outcome.ACCEPTED, data={**data, "note": "キャンセル済みでした"})
        answer = self._change(
            number, wire.status_change_body(self.seller_id, number, wire.STATUS_CANCELLED, cancel_reason=code)
        )
        return ItemResult(answer.key, answer.outcome, answer.code, answer.message, {**data, **answer.data})

    def report_shipments(self, batch: Sequence[ShipmentReport]) -> list[ItemResult]:
        """出荷完了 (ShipStatus 3) with carrier, ship date and tracking numbers, one call per order.

        Idempotent: the order is read first; tracking numbers it already holds are kept and not sent twice,
        and an order that already holds them all is ACCEPTED without a write. Yahoo holds two numbers
        (ShipInvoiceNumber1/2); more are listed in the result's ``data`` for the shop to see.
        """
        by_order: dict[str, list[ShipmentReport]] = {}
        for report in batch:
            by_order.setdefault(report.mall_order_number, []).append(report)
        answers = self._per_order(list(by_order), lambda number: self._report_order(number, by_order[number]))
        results = {
            report.key: ItemResult(report.key, answer.outcome, answer.code, answer.message, answer.data)
            for answer in answers
            for report in by_order[answer.key]
        }
        return [results[report.key] for report in batch]

    def _report_order(self, number: str, reports: list[ShipmentReport]) -> ItemResult:
        errors: list[ItemResult] = []
        info = self._info(number, errors)
        if info is None:
            return errors[0]
        ship_status, _company, held = mapping.shipped_numbers(info)
        new = [n for r in reports for n in r.tracking_numbers if n]
        merged = list(dict.fromkeys([*held, *new]))
        if ship_status.isdigit() and int(ship_status) >= wire.SHIP_DONE and set(new) <= set(held):
            return ItemResult(number, Outcome.ACCEPTED, data={"note": "出荷実績は反映済みでした"})
        first = reports[0]
        company = wire.carrier_code(first.carrier_code)
        body = wire.ship_status_body(self.seller_id, number, company, merged[:MAX_TRACKING], first.shipped_on)
        answer = self._change(number, body, wire.ORDER_SHIP_STATUS_CHANGE)
        data = dict(answer.data) | {"ship_company_code": company}
        if len(merged) > MAX_TRACKING:
            data["not_sent"] = ",".join(merged[MAX_TRACKING:])
        return ItemResult(number, answer.outcome, answer.code, answer.message, data)

    def push_stock(self, batch: Sequence[StockLevel]) -> list[ItemResult]:
        """setStock in chunks of 1000; ``sku`` is ``itemcode`` or ``itemcode:subcode``; per-item results."""
        results: dict[int, ItemResult] = {}
        sendable: list[tuple[int, StockLevel]] = []
        for index, level in enumerate(batch):
            if not level.sku or "," in level.sku or level.sku.startswith(":"):
                results[index] = ItemResult(level.sku, Outcome.REJECTED, "SKU_FORMAT", "商品コードが空か不正です")
            elif level.quantity < 0:
                results[index] = ItemResult(level.sku, Outcome.REJECTED, "QUANTITY", "在庫数が負です")
            else:
                sendable.append((index, level))
        for start in range(0, len(sendable), STOCK_CHUNK):
            chunk = sendable[start : start + STOCK_CHUNK]
            try:
                results |= self._set_stock(chunk)
            except ConnectorError as exc:
                if not exc.retryable:
                    raise
                for index, level in sendable[start:]:
                    results[index] = ItemResult(level.sku, Outcome.RETRY, exc.code, str(exc))
                break
        return [results[i] for i in range(len(batch))]

    def read_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        """getStock in chunks of 1000; items Yahoo does not know (an ``ErrorCode`` answer) are left out."""
        wanted = [sku for sku in dict.fromkeys(skus) if sku and "," not in sku]
        found: list[StockLevel] = []
        for start in range(0, len(wanted), STOCK_CHUNK):
            chunk = wanted[start : start + STOCK_CHUNK]
            form = {"seller_id": self.seller_id, "item_code": ",".join(chunk)}
            try:
                root = self.client.call(wire.GET_STOCK, form=form)
            except YahooApiError:
                if len(chunk) == 1:
                    continue  # one unknown item is refused as a whole request
                raise
            asked = set(chunk)
            for result in root.findall("Result"):
                code = (result.findtext("ItemCode") or "").strip()
                quantity = (result.findtext("Quantity") or "").strip()
                if code in asked and not (result.findtext("ErrorCode") or "").strip():
                    if not quantity.isdigit():
                        raise ConnectorError(
                            f"Yahoo!ショッピング {wire.GET_STOCK}: {code} の Quantity が不正です ({quantity!r})",
                            code="MALFORMED",
                        )
                    found.append(StockLevel(code, int(quantity)))
        return found

    def _set_stock(self, chunk: list[tuple[int, StockLevel]]) -> dict[int, ItemResult]:
        form = wire.stock_form(self.seller_id, [(level.sku, level.quantity) for _, level in chunk])
        try:
            root = self.client.call(wire.SET_STOCK, form=form)
        except YahooApiError as exc:
            # A refused request names no item: with one item it is that item's answer, else every item's.
            return {i: ItemResult(level.sku, Outcome.REJECTED, exc.code, exc.text or str(exc)) for i, level in chunk}
        answers: dict[str, list[ET.Element]] = {}
        for result in root.findall("Result"):
            answers.setdefault((result.findtext("ItemCode") or "").strip(), []).append(result)
        out: dict[int, ItemResult] = {}
        for index, level in chunk:
            queue = answers.get(level.sku)
            if not queue:
                out[index] = ItemResult(level.sku, Outcome.RETRY, "NO_ANSWER", "setStock の回答にこの商品がありません")
                continue
            result = queue.pop(0)
            error = (result.findtext("ErrorCode") or "").strip()
            if error:
                out[index] = ItemResult(
                    level.sku, Outcome.REJECTED, error, (result.findtext("ErrorMessage") or "").strip()
                )
            else:
                out[index] = ItemResult(level.sku, Outcome.ACCEPTED)
        return out
