"""The MakeShop mall connector: Juchu's MallConnector port over MakeShop's legacy order and product APIs.

Orders are read **by period of their modify date** (``cmd=get&datetype=modify&start&end``), never in the API's
"since the last fetch" mode: that mode moves a marker at MakeShop on every call, so an answer lost on the way
(timeout, truncated body) loses those orders for good, while a period query can simply be asked again. A window's
pages are read from the last to the first, so an order modified while we page (it leaves the window) can only
shift orders onto pages already read, never past us.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from xml.etree import ElementTree as ET

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
from juchu.connectors.malls.makeshop import mapping, wire
from juchu.connectors.malls.makeshop.client import MakeShopApiError, MakeShopClient
from juchu.connectors.malls.makeshop.mapping import MappingError
from juchu.connectors.ratelimit import Clock

LOOKBACK = timedelta(days=14)
ONE_SECOND = timedelta(seconds=1)
ALREADY_CANCELLED = "E005"
NO_CONFIRM_NOTE = "MakeShop には注文確認の API がないため、Juchu 側でのみ確認済みにしました"


def _whole_seconds(moment: datetime, *, up: bool) -> datetime:
    floored = moment.replace(microsecond=0)
    return floored + ONE_SECOND if up and floored != moment else floored


class MakeShopConnector:
    """MakeShop for one shop; settings as ``Shop.connector_settings()`` gives them.

    Settings keys: ``shop_id`` (MakeShop ショップID), ``order_token`` (注文データ連携 認証コード) — required;
    ``product_token`` (商品データ連携 認証コード, needed for stock); ``base_url`` (default www.makeshop.jp);
    ``rate_per_second`` (1) and ``rate_burst`` (2) per 認証コード; ``timeout_seconds`` (30).
    """

    #: MakeShop's largest stock quantity: pushes are clamped to it, and the reconciliation compares against it.
    max_stock_quantity = wire.MAX_STOCK

    def __init__(
        self, settings: Mapping[str, str], transport: httpx.BaseTransport | None = None, clock: Clock | None = None
    ) -> None:
        self.client = MakeShopClient(settings, transport=transport, clock=clock)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.client.close()

    # ---- reading orders ----------------------------------------------------------------------------

    def fetch_new_orders(self, since: datetime | None, until: datetime) -> FetchResult:
        """Orders placed, paid, cancelled or edited in ``[since, until)`` (by modify date); since None: 14 days."""
        start = _whole_seconds(since if since is not None else until - LOOKBACK, up=False)
        end = _whole_seconds(until, up=True)
        found: dict[str, ET.Element] = {}
        while start < end:
            window_end = min(end, start + wire.MAX_PERIOD)
            found |= self._read_window(start, window_end)
            start = window_end
        orders, errors = self._map(list(found.values()))
        return FetchResult(tuple(orders), tuple(errors), cursor=until)

    def fetch_orders(self, numbers: Sequence[str]) -> FetchResult:
        """The named orders as MakeShop holds them; unknown or unreadable ones come back as errors."""
        wanted = list(dict.fromkeys(numbers))
        found = self._read_numbers(wanted)
        orders, errors = self._map(list(found.values()))
        errors += [
            ItemResult(n, Outcome.REJECTED, "NOT_FOUND", "MakeShop に注文がありません")
            for n in wanted
            if n not in found
        ]
        return FetchResult(tuple(orders), tuple(errors))

    def _read_window(self, start: datetime, end: datetime) -> dict[str, ET.Element]:
        """Every order modified in ``[start, end)``; pages read last to first after learning the total."""
        params = {
            "datetype": "modify",
            "start": wire.param_datetime(start),
            "end": wire.param_datetime(end - ONE_SECOND),
            "limit": str(wire.PAGE_LIMIT),
        }
        first = self.client.orders("get", {**params, "page": "1"})
        total = _count(first, "total")
        pages = max(1, math.ceil(total / wire.PAGE_LIMIT))
        found = _orders_of(first)
        if pages > 1:
            for page in range(pages, 0, -1):
                found |= _orders_of(self.client.orders("get", {**params, "page": str(page)}))
        return found

    def _read_numbers(self, numbers: Sequence[str]) -> dict[str, ET.Element]:
        found: dict[str, ET.Element] = {}
        for offset in range(0, len(numbers), wire.ORDERNUM_BATCH):
            batch = numbers[offset : offset + wire.ORDERNUM_BATCH]
            found |= _orders_of(self.client.orders("get", {"ordernum": ",".join(batch), "limit": "100"}))
        return {n: node for n, node in found.items() if n in set(numbers)}

    @staticmethod
    def _map(nodes: list[ET.Element]) -> tuple[list[MallOrder], list[ItemResult]]:
        orders: list[MallOrder] = []
        errors: list[ItemResult] = []
        for i, node in enumerate(nodes):
            try:
                orders.append(mapping.to_mall_order(node))
            except MappingError as exc:
                key = exc.order_number or f"order[{i}]"
                errors.append(ItemResult(key, Outcome.REJECTED, "MAPPING", str(exc), {"field": exc.field}))
        return orders, errors

    # ---- writing -----------------------------------------------------------------------------------

    def confirm(self, numbers: Sequence[str]) -> list[ItemResult]:
        """MakeShop has no confirmation step: every number is accepted with a note (CONFIRM_AT_MALL = False)."""
        return [ItemResult(n, Outcome.ACCEPTED, data={"note": NO_CONFIRM_NOTE}) for n in dict.fromkeys(numbers)]

    def cancel(self, number: str, reason: str) -> ItemResult:
        """``cmd=cancel``; an order MakeShop already cancelled counts as done. MakeShop takes no reason."""
        data = {"note": f"MakeShop の取消APIは理由を受け付けません (理由: {reason or '-'})"}
        try:
            self.client.orders("cancel", {"ordernum": number})
        except MakeShopApiError as exc:
            if exc.code == ALREADY_CANCELLED:
                return ItemResult(number, Outcome.ACCEPTED, data={**data, "note": "キャンセル済みでした"})
            return ItemResult(number, Outcome.REJECTED, exc.code, exc.text, data)
        return ItemResult(number, Outcome.ACCEPTED, data=data)

    def report_shipments(self, batch: Sequence[ShipmentReport]) -> list[ItemResult]:
        """``cmd=status`` (発送済) per destination, idempotent: the order is read back first and the tracking
        numbers already there are kept and never added twice; MakeShop overwrites the list with what we send."""
        nodes = self._read_numbers(list(dict.fromkeys(r.mall_order_number for r in batch)))
        state: dict[tuple[str, str], tuple[str, list[str]]] = {}
        results: list[ItemResult] = []
        for report in batch:
            results.append(self._report_one(report, nodes.get(report.mall_order_number), state))
        return results

    def _report_one(
        self, report: ShipmentReport, node: ET.Element | None, state: dict[tuple[str, str], tuple[str, list[str]]]
    ) -> ItemResult:
        key, number = report.key, report.mall_order_number
        if node is None:
            return ItemResult(key, Outcome.REJECTED, "NOT_FOUND", f"MakeShop に注文 {number} がありません")
        if (node.findtext("canceled") or "").strip() == "1":
            return ItemResult(key, Outcome.REJECTED, "CANCELLED", f"注文 {number} は MakeShop でキャンセルされています")
        deliveries = node.findall("deliveries/delivery")
        wanted = report.mall_package_id or (deliveries[0].findtext("deliveryid") if len(deliveries) == 1 else "")
        delivery = next((d for d in deliveries if (d.findtext("deliveryid") or "").strip() == wanted), None)
        if delivery is None or not wanted:
            return ItemResult(key, Outcome.REJECTED, "NO_DELIVERY", f"注文 {number} に配送先 {wanted!r} がありません")
        status, slips = state.get(
            (number, wanted),
            (
                (delivery.findtext("status") or "").strip(),
                [s.text.strip() for s in delivery.findall("slips/slipno") if s.text and s.text.strip()],
            ),
        )
        new = [t for t in dict.fromkeys(report.tracking_numbers) if t not in slips]
        if status == wire.SHIPPED and not new:
            return ItemResult(key, Outcome.ACCEPTED, data={"note": "MakeShop に反映済みでした"})
        merged = slips + new
        if len(merged) > wire.MAX_SLIPS:
            return ItemResult(
                key, Outcome.REJECTED, "TOO_MANY_TRACKING", f"お問い合わせ番号は {wire.MAX_SLIPS} 件までです"
            )
        params = {
            "ordernum": number,
            "deliveryid": wanted,
            "status": wire.SHIPPED,
            "company": wire.carrier_code(report.carrier_code),
            "ship_date": wire.param_date(report.shipped_on),
        }
        if merged:
            params["slipno"] = ",".join(merged)
        try:
            self.client.orders("status", params)
        except MakeShopApiError as exc:
            return ItemResult(key, Outcome.REJECTED, exc.code, exc.text)
        except ConnectorError as exc:
            if not exc.retryable:
                raise
            return ItemResult(key, Outcome.RETRY, exc.code, str(exc))
        state[number, wanted] = (wire.SHIPPED, merged)
        return ItemResult(key, Outcome.ACCEPTED, data={"company": params["company"]})

    def push_stock(self, batch: Sequence[StockLevel]) -> list[ItemResult]:
        """Product API ``cmd=stock`` (absolute quantities) in chunks of 100; ``sku`` is ``brand_code[:option]``."""
        results, sendable = split_by_sku(
            enumerate(batch), lambda sku: bool(wire.stock_key(sku)[0]), "商品コードが空です"
        )
        for offset in range(0, len(sendable), wire.STOCK_CHUNK):
            results |= self._push_chunk(sendable[offset : offset + wire.STOCK_CHUNK])
        return [results[i] for i in range(len(batch))]

    def read_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        """Product API ``GET cmd=stock&brand_code=…`` (100 product codes a call): ``brand_code`` reads a product
        without options, ``brand_code:option_code`` one option. Products MakeShop does not know, options it does
        not have, and a bare code of a product with options are left out."""
        wanted: dict[tuple[str, str], str] = {}
        for sku in dict.fromkeys(skus):
            key = wire.stock_key(sku)
            if key[0] and "," not in key[0]:
                wanted[key] = sku
        codes = list(dict.fromkeys(code for code, _ in wanted))
        found: list[StockLevel] = []
        for offset in range(0, len(codes), wire.STOCK_CHUNK):
            root = self.client.stock_levels(codes[offset : offset + wire.STOCK_CHUNK])
            for item in root.findall("item"):
                key = ((item.findtext("brand_code") or "").strip(), (item.findtext("option_code") or "").strip())
                stock = (item.findtext("stock") or "").strip()
                if key not in wanted:
                    continue
                if not stock.isdigit():
                    raise ConnectorError(
                        f"MakeShop 商品API cmd=stock: {wanted[key]} の <stock> が整数ではありません ({stock!r})",
                        code="MALFORMED",
                    )
                found.append(StockLevel(wanted.pop(key), int(stock)))
        return found

    def _push_chunk(self, chunk: list[tuple[int, StockLevel]]) -> dict[int, ItemResult]:
        try:
            root = self.client.stock(wire.stock_body([level for _, level in chunk]))
        except MakeShopApiError as exc:
            return {i: ItemResult(lv.sku, Outcome.REJECTED, exc.code, exc.text) for i, lv in chunk}
        answers = root.findall("item")
        results: dict[int, ItemResult] = {}
        for position, (index, level) in enumerate(chunk):
            answer = answers[position] if position < len(answers) else None
            code, option = wire.stock_key(level.sku)
            if answer is None or (
                (answer.findtext("brand_code") or "").strip(),
                (answer.findtext("option_code") or "").strip(),
            ) != (code, option):
                results[index] = ItemResult(level.sku, Outcome.RETRY, "MALFORMED", "応答にこの商品の結果がありません")
            elif (answer.findtext("result") or "").strip() == "OK":
                results[index] = ItemResult(level.sku, Outcome.ACCEPTED)
            else:
                results[index] = ItemResult(
                    level.sku,
                    Outcome.REJECTED,
                    (answer.findtext("code") or "NG").strip(),
                    (answer.findtext("message") or "").strip(),
                )
        return results


def _count(root: ET.Element, tag: str) -> int:
    value = (root.findtext(tag) or "").strip()
    if not value.isdigit():
        raise ConnectorError(f"MakeShop 注文API cmd=get: <{tag}> が整数ではありません ({value!r})", code="MALFORMED")
    return int(value)


def _orders_of(root: ET.Element) -> dict[str, ET.Element]:
    """The page's ``<order>`` nodes by order number (a node without one is kept under a positional key)."""
    found: dict[str, ET.Element] = {}
    for i, node in enumerate(root.findall("order")):
        found[mapping.order_number_of(node) or f"order[{i}]"] = node
    return found
