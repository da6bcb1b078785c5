"""The au PAY Market connector: Juchu's MallConnector port over the Wow!manager API (``/wmshopapi/``).

Order mapping (paid / cancelled / changed / confirmed) is described in :mod:`.mapping`. Each write names one
order, so batches are sent one order at a time; when a call fails in a way that may pass (429, 5xx, timeout,
a garbled answer) that item answers RETRY and the batch goes on (three such failures in a row leave the
rest for the next attempt); a refused key raises ``AUTH``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping, Sequence
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
from juchu.connectors.malls.aupay import mapping, wire
from juchu.connectors.malls.aupay.client import MALL, AuPayApiError, AuPayClient, text_of
from juchu.connectors.malls.aupay.mapping import MappingError
from juchu.connectors.ratelimit import Clock

PAGE_SIZE = 100
MAX_WINDOW = timedelta(days=31)
LOOKBACK = timedelta(days=14)
STOCK_CHUNK = 100
#: itemCodes per searchStocks call (as many as one updateStock takes).
STOCK_READ_CHUNK = 100
#: Retryable failures in a row after which the rest of a batch is left for the next attempt.
GIVE_UP_AFTER = 3
#: Statuses in which the shop has already confirmed the order.
CONFIRMED = frozenset({wire.AWAITING_PAYMENT, wire.AWAITING_SHIPMENT, wire.SHIPPED})

K = TypeVar("K")


def _each(keys: Sequence[K], name: Callable[[K], str], act: Callable[[K], ItemResult]) -> list[ItemResult]:
    """``act`` on every key; a retryable failure makes that key RETRY and the batch goes on, until
    ``GIVE_UP_AFTER`` failures in a row make the rest RETRY too; an AUTH failure raises."""
    results: list[ItemResult] = []
    failures = 0
    for index, key in enumerate(keys):
        try:
            results.append(act(key))
            failures = 0
        except AuPayApiError as exc:
            results.append(ItemResult(name(key), Outcome.REJECTED, exc.code, exc.text or str(exc)))
            failures = 0
        except ConnectorError as exc:
            if not exc.retryable:
                raise
            failures += 1
            if failures >= GIVE_UP_AFTER:
                results += [ItemResult(name(k), Outcome.RETRY, exc.code, str(exc)) for k in keys[index:]]
                break
            results.append(ItemResult(name(key), Outcome.RETRY, exc.code, str(exc)))
    return results


class AuPayConnector:
    """au PAY Market for one shop; settings as ``Shop.connector_settings()`` gives them.

    Settings keys: ``shopId``, ``apiKey`` (required); ``base_url`` (default the Wow!manager API host);
    ``rate_per_second`` (2) and ``rate_burst`` (2) for the key's token bucket; ``timeout_seconds`` (30).
    """

    #: au PAY's largest stock quantity: pushes are clamped to it, and the reconciliation compares against it.
    max_stock_quantity = wire.MAX_STOCK

    def __init__(
        self,
        settings: Mapping[str, str],
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.client = AuPayClient(settings, transport=transport, clock=clock)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.client.close()

    # ---- reading orders ----------------------------------------------------------------------------

    def fetch_new_orders(self, since: datetime | None, until: datetime) -> FetchResult:
        """Orders placed (dateType 0) or updated (dateType 1) in ``[since, until]``, whole minutes.

        ``since`` None looks back 14 days; longer spans are searched in windows of 31 days. The list answer
        holds whole orders, so nothing is read twice; an order found by both searches is mapped once.
        """
        start = since if since is not None else until - LOOKBACK
        found: dict[str, ET.Element] = {}
        errors: list[ItemResult] = []
        while start <= until:
            end = min(until, start + MAX_WINDOW)
            for date_type in (wire.DATE_ORDERED, wire.DATE_UPDATED):
                for position, info in self._search(date_type, start, end):
                    number = mapping.order_id_of(info)
                    if number:
                        found[number] = info
                    else:
                        errors.append(self._unreadable(position))
            if end >= until:
                break
            start = end
        orders, mapped_errors = self._map(found.values())
        return FetchResult(orders, (*errors, *mapped_errors), cursor=until)

    def fetch_orders(self, numbers: Sequence[str]) -> FetchResult:
        """The named orders as the mall holds them (searchTradeInfoProc, one call each)."""
        infos: list[ET.Element] = []
        errors: list[ItemResult] = []
        for number in dict.fromkeys(numbers):
            try:
                infos.append(self._read(number))
            except AuPayApiError as exc:
                errors.append(ItemResult(number, Outcome.REJECTED, exc.code, exc.text or str(exc)))
        orders, mapped_errors = self._map(infos)
        return FetchResult(orders, (*errors, *mapped_errors))

    def _search(self, date_type: int, start: datetime, end: datetime) -> list[tuple[int, ET.Element]]:
        """Every ``<orderInfo>`` of one search, paging 100 at a time (``startCount`` is 1-based)."""
        infos: list[tuple[int, ET.Element]] = []
        first = 1
        while True:
            root = self.client.get(
                wire.SEARCH_LIST,
                {
                    "totalCount": PAGE_SIZE,
                    "startCount": first,
                    "startDate": wire.wire_minute(start),
                    "endDate": wire.wire_minute(end),
                    "dateType": date_type,
                },
            )
            total = text_of(root, "resultCount")
            if not total.isdigit():
                raise ConnectorError(f"{MALL} {wire.SEARCH_LIST}: resultCount が数値ではありません", code="MALFORMED")
            page = root.findall("orderInfo")
            infos += [(first + i, info) for i, info in enumerate(page)]
            first += len(page)
            if not page or first > int(total):
                return infos

    def _read(self, number: str) -> ET.Element:
        """One order's ``<orderInfo>`` by searchTradeInfoProc."""
        root = self.client.get(wire.SEARCH_ONE, {"orderId": number})
        info = root.find("orderInfo")
        if info is None or mapping.order_id_of(info) != number:
            raise ConnectorError(f"{MALL} {wire.SEARCH_ONE}: 注文 {number} の orderInfo がありません", code="MALFORMED")
        return info

    @staticmethod
    def _unreadable(position: int) -> ItemResult:
        return ItemResult(f"orderInfo[{position}]", Outcome.REJECTED, "MAPPING", "orderId がありません")

    @staticmethod
    def _map(infos: Iterable[ET.Element]) -> tuple[tuple[MallOrder, ...], tuple[ItemResult, ...]]:
        orders: list[MallOrder] = []
        errors: list[ItemResult] = []
        for info in infos:
            try:
                orders.append(mapping.to_mall_order(info))
            except MappingError as exc:
                errors.append(ItemResult(exc.order_id, Outcome.REJECTED, "MAPPING", str(exc), {"field": exc.field}))
        return tuple(orders), tuple(errors)

    # ---- writing -----------------------------------------------------------------------------------

    def confirm(self, numbers: Sequence[str]) -> list[ItemResult]:
        """注文確認: 新規受付 → 発送待ち by updateTradeStsProc; an order already past 新規受付 is ACCEPTED.

        The order is read first, so a confirmation whose answer was lost comes back ACCEPTED when resent, and
        a held (保留) or cancelled order is never moved by Juchu.
        """
        return _each(list(dict.fromkeys(numbers)), str, self._confirm_one)

    def _confirm_one(self, number: str) -> ItemResult:
        status = text_of(self._read(number), "orderStatus")
        if status in CONFIRMED:
            return ItemResult(number, Outcome.ACCEPTED, data={"note": f"確認済みでした ({status})"})
        if status != wire.NEW:
            return ItemResult(number, Outcome.REJECTED, "STATUS", f"注文ステータスが「{status}」のため確認できません")
        self.client.post(wire.UPDATE_STATUS, wire.status_body(self.client.shop_id, number, wire.AWAITING_SHIPMENT))
        return ItemResult(number, Outcome.ACCEPTED)

    def report_shipments(self, batch: Sequence[ShipmentReport]) -> list[ItemResult]:
        """発送情報: updateTradeInfoProc per order, idempotent.

        The order is read first: its ``shippingNumber`` keeps the numbers already there and ours are added
        once; when every number (and the ship date) is already at the mall nothing is written.
        """
        by_order: dict[str, list[ShipmentReport]] = {}
        for report in batch:
            by_order.setdefault(report.mall_order_number, []).append(report)
        answers: dict[str, ItemResult] = {}
        for result in _each(list(by_order), str, lambda number: self._report_order(by_order[number])):
            for report in by_order[result.key]:
                answers[report.key] = ItemResult(report.key, result.outcome, result.code, result.message, result.data)
        return [answers[report.key] for report in batch]

    def _report_order(self, reports: list[ShipmentReport]) -> ItemResult:
        number = reports[0].mall_order_number
        info = self._read(number)
        status = text_of(info, "orderStatus")
        if status == wire.CANCELLED:
            return ItemResult(number, Outcome.REJECTED, "CANCELLED", "モールでキャンセルされた注文です")
        existing = wire.split_tracking(text_of(info, "shippingNumber"))
        wanted = [n for report in reports for n in report.tracking_numbers]
        numbers = list(dict.fromkeys([*existing, *wanted]))
        if text_of(info, "shippingDate") and set(wanted) <= set(existing) and status == wire.SHIPPED:
            return ItemResult(number, Outcome.ACCEPTED, data={"note": "反映済みでした"})
        if len(numbers) > wire.MAX_TRACKING_NUMBERS:
            return ItemResult(
                number,
                Outcome.REJECTED,
                "TOO_MANY",
                f"お問い合わせ番号は1注文 {wire.MAX_TRACKING_NUMBERS} 件までです ({len(numbers)} 件)",
            )
        latest = max(reports, key=lambda r: r.shipped_on)
        self.client.post(wire.UPDATE_INFO, wire.shipping_body(self.client.shop_id, latest, numbers))
        return ItemResult(number, Outcome.ACCEPTED, data={"carrier": wire.carrier_code(latest.carrier_code)})

    def cancel(self, number: str, reason: str) -> ItemResult:
        """cancelTradeProc with ``reason`` as cancelReason; an order the mall already cancelled is ACCEPTED."""
        code = wire.cancel_reason(reason)
        data = {"reason_code": code}
        try:
            self.client.post(wire.CANCEL, wire.cancel_body(self.client.shop_id, number, reason))
        except AuPayApiError as exc:
            try:
                status = text_of(self._read(number), "orderStatus")
            except AuPayApiError:
                status = ""
            if status == wire.CANCELLED:
                return ItemResult(number, Outcome.ACCEPTED, data={**data, "note": "キャンセル済みでした"})
            return ItemResult(number, Outcome.REJECTED, exc.code, exc.text or str(exc), data)
        return ItemResult(number, Outcome.ACCEPTED, data=data)

    def push_stock(self, batch: Sequence[StockLevel]) -> list[ItemResult]:
        """updateStock in chunks of 100; ``sku`` is ``itemCode`` or ``itemCode:itemManagementId``."""
        results, sendable = split_by_sku(
            enumerate(batch), lambda sku: bool(wire.stock_key(sku)[0]), "商品コードが空です"
        )
        chunks = [sendable[i : i + STOCK_CHUNK] for i in range(0, len(sendable), STOCK_CHUNK)]
        for position, chunk in enumerate(chunks):
            try:
                results |= self._update_stock(chunk)
            except AuPayApiError as exc:
                results |= {i: ItemResult(lv.sku, Outcome.REJECTED, exc.code, exc.text) for i, lv in chunk}
            except ConnectorError as exc:
                if not exc.retryable:
                    raise
                rest = [entry for later in chunks[position:] for entry in later]
                results |= {i: ItemResult(lv.sku, Outcome.RETRY, exc.code, str(exc)) for i, lv in rest}
                break
        return [results[i] for i in range(len(batch))]

    def read_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        """searchStocks by ``itemCode`` list, 100 codes a call: an item's own stock (stockSegment 1) for
        ``itemCode``, a variant's (stockSegment 2, ``choicesStocks``) for ``itemCode:itemManagementId``.

        Items the mall does not know are absent from the answer and so left out; so is a key whose segment does
        not match the item (a variant named for an item with one stock, or the reverse).
        """
        wanted: dict[tuple[str, str], str] = {}
        for sku in dict.fromkeys(skus):
            key = wire.stock_key(sku)
            if key[0] and "," not in key[0]:
                wanted[key] = sku
        codes = list(dict.fromkeys(item for item, _ in wanted))
        found: list[StockLevel] = []
        for start in range(0, len(codes), STOCK_READ_CHUNK):
            for key, quantity in self._search_stocks(codes[start : start + STOCK_READ_CHUNK]):
                if key in wanted:
                    found.append(StockLevel(wanted.pop(key), quantity))
        return found

    def _search_stocks(self, codes: list[str]) -> list[tuple[tuple[str, str], int]]:
        """Every (itemCode, itemManagementId) → count of one searchStocks, paging by ``startCount``."""
        counts: list[tuple[tuple[str, str], int]] = []
        first = 1
        while True:
            root = self.client.get(
                wire.SEARCH_STOCKS,
                {"itemCode": ",".join(codes), "totalCount": STOCK_READ_CHUNK, "startCount": first},
            )
            total = text_of(root, "searchResult/maxCount")
            if not total.isdigit():
                raise ConnectorError(f"{MALL} {wire.SEARCH_STOCKS}: maxCount が数値ではありません", code="MALFORMED")
            page = root.findall("searchResult/resultStocks")
            for stock in page:
                counts += _stock_counts(stock)
            first += len(page)
            if not page or first > int(total):
                return counts

    def _update_stock(self, chunk: list[tuple[int, StockLevel]]) -> dict[int, ItemResult]:
        root = self.client.post(wire.UPDATE_STOCK, wire.stock_body(self.client.shop_id, [lv for _, lv in chunk]))
        answers: dict[tuple[str, str], list[ET.Element]] = {}
        for item in root.findall("updateResult"):
            answers.setdefault((text_of(item, "itemCode"), text_of(item, "itemManagementId")), []).append(item)
        results: dict[int, ItemResult] = {}
        for index, level in chunk:
            queue = answers.get(wire.stock_key(level.sku))
            if not queue:
                results[index] = ItemResult(level.sku, Outcome.RETRY, "NO_ANSWER", "updateResult がありません")
                continue
            item = queue.pop(0)
            if text_of(item, "status") == "0":
                results[index] = ItemResult(level.sku, Outcome.ACCEPTED)
            else:
                code = text_of(item, "error/code") or "STOCK_ERROR"
                results[index] = ItemResult(level.sku, Outcome.REJECTED, code, text_of(item, "error/message"))
        return results


def _count(element: ET.Element, tag: str, code: str) -> int:
    value = text_of(element, tag)
    if not value.isdigit():
        raise ConnectorError(
            f"{MALL} {wire.SEARCH_STOCKS}: {code} の {tag} が数値ではありません ({value!r})", code="MALFORMED"
        )
    return int(value)


def _stock_counts(stock: ET.Element) -> list[tuple[tuple[str, str], int]]:
    """One ``<resultStocks>``: the item's own count (segment 1) or each variant's (segment 2)."""
    code = text_of(stock, "itemCode")
    if text_of(stock, "stockSegment") == "2":
        return [
            ((code, text_of(choice, "itemManagementId")), _count(choice, "choicesStockCount", code))
            for choice in stock.findall("choicesStocks")
        ]
    return [((code, ""), _count(stock, "stockCount", code))]
