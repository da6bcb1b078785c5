"""The Amazon mall connector: Juchu's MallConnector port over SP-API Orders v0, FBA Inventory and Listings Items.

* Orders: ``getOrders`` by ``LastUpdatedAfter`` (new, paid, cancelled and buyer-cancel-requested orders all
  update that date), seller-fulfilled (``MFN``) only — FBA (``AFN``) orders are never imported — in the statuses
  ``Unshipped``, ``PartiallyShipped`` and ``Canceled``. Each order is then read in full (getOrderItems, all
  pages; getOrderAddress; getOrderBuyerInfo); those reads are kept in memory per ``LastUpdateDate``, so an order
  that did not change is not read again by the next sync.
* ``confirm``: Amazon has no confirmation call; every number is accepted with a note.
* ``report_shipments``: confirmShipment with ``packageReferenceId`` = the report's part (1 unless Juchu split the
  package across warehouses, 分割出荷): sending a part again edits the same package, so a report whose answer was
  lost is never recorded twice, and a second part adds a package with its own items and tracking number.
* ``cancel``: Orders v0 has no seller cancel for MFN orders: REJECTED (cancel in Seller Central).
* ``push_stock``: one patchListingsItem per SKU; SKUs FBA holds (FBA inventory summaries) are refused per item.
* ``read_stock``: one getListingsItem per SKU (``includedData=fulfillmentAvailability``), the ``DEFAULT``
  (seller-fulfilled) quantity; FBA SKUs and SKUs Amazon does not know (404) are left out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

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
from juchu.connectors.malls.amazon import mapping, wire
from juchu.connectors.malls.amazon.client import (
    CONFIRM_SHIPMENT,
    GET_ORDER,
    GET_ORDER_ADDRESS,
    GET_ORDER_BUYER_INFO,
    GET_ORDER_ITEMS,
    GET_ORDERS,
    AmazonApiError,
    AmazonClient,
    payload_of,
)
from juchu.connectors.malls.amazon.mapping import MappingError
from juchu.connectors.malls.amazon.stock import ListingStock
from juchu.connectors.ratelimit import Clock

ORDERS = "/orders/v0/orders"
LOOKBACK = timedelta(days=14)
CACHE_SIZE = 20_000
NO_CANCEL = "NO_CANCEL_API"

Details = tuple[list[Any], object, dict[str, Any]]

_cache_lock = threading.Lock()
#: (credential hash, AmazonOrderId, LastUpdateDate) → (items, address, buyer info)
_details: OrderedDict[tuple[str, str, str], Details] = OrderedDict()


def forget_details() -> None:
    """Drop the in-memory order reads (tests)."""
    with _cache_lock:
        _details.clear()


class AmazonConnector:
    """Amazon SP-API (JP) for one seller; settings as ``Shop.connector_settings()`` gives them.

    Settings keys: ``client_id``, ``client_secret``, ``refresh_token`` (LWA), ``seller_id`` (required);
    ``base_url`` (default the Far East endpoint); ``lwa_url`` (default ``https://api.amazon.com/auth/o2/token``);
    ``marketplace_id`` (default ``A1VC38T7YXB528``, Amazon.co.jp); ``rate_per_second`` and ``rate_burst``
    (override every operation's documented limit); ``timeout_seconds`` (30); ``product_type`` (``PRODUCT``) sent
    with listings patches; ``fba_check`` (``on``; ``off`` skips the FBA inventory look-up before a stock push).
    """

    def __init__(
        self,
        settings: Mapping[str, str],
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.client = AmazonClient(settings, transport=transport, clock=clock)
        self.stock = ListingStock(
            self.client,
            product_type=settings.get("product_type") or "PRODUCT",
            fba_check=str(settings.get("fba_check") or "on").lower() not in ("off", "0", "false", "no"),
        )

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.client.close()

    # ---- reading orders ----------------------------------------------------------------------------

    def fetch_new_orders(self, since: datetime | None, until: datetime) -> FetchResult:
        """MFN orders updated since ``since`` (14 days back when None) in the import statuses.

        Orders are read oldest update first. When a transient failure stops the reading part-way, the orders
        read so far are returned with the cursor at the update time of the first order not read, so nothing is
        skipped; when it stops at the first order, the error is raised.
        """
        start = since if since is not None else until - LOOKBACK
        listed = [
            raw
            for raw in self._list_orders(wire.orders_query(self.client.marketplace_id, start))
            if raw.get("FulfillmentChannel") == "MFN" and raw.get("OrderStatus") in wire.IMPORT_STATUSES
        ]
        listed.sort(key=lambda raw: (str(raw.get("LastUpdateDate") or ""), mapping.order_id_of(raw)))
        orders: list[MallOrder] = []
        errors: list[ItemResult] = []
        for position, raw in enumerate(listed):
            try:
                self._read(raw, orders, errors)
            except ConnectorError as exc:
                if not exc.retryable or position == 0:
                    raise
                resume = mapping.order_id_of(raw)
                errors.append(
                    ItemResult(resume, Outcome.RETRY, exc.code, f"一時的なエラーのため次回の同期で読み直します: {exc}")
                )
                cursor = _moment(raw.get("LastUpdateDate")) or start
                return FetchResult(tuple(orders), tuple(errors), cursor=min(cursor, until))
        return FetchResult(tuple(orders), tuple(errors), cursor=until)

    def fetch_orders(self, numbers: Sequence[str]) -> FetchResult:
        """The named orders as Amazon holds them (getOrder each); unknown or unreadable ones come back as errors."""
        orders: list[MallOrder] = []
        errors: list[ItemResult] = []
        for number in dict.fromkeys(numbers):
            try:
                raw = payload_of(self.client.call(GET_ORDER, "GET", f"{ORDERS}/{quote(number, safe='')}"), "getOrder")
            except AmazonApiError as exc:
                errors.append(ItemResult(number, Outcome.REJECTED, exc.code, str(exc)))
                continue
            if raw.get("FulfillmentChannel") != "MFN":
                errors.append(ItemResult(number, Outcome.REJECTED, "AFN", "FBA (AFN) の注文は取り込みません"))
                continue
            self._read(raw, orders, errors)
        return FetchResult(tuple(orders), tuple(errors))

    def _list_orders(self, query: dict[str, str]) -> list[dict[str, Any]]:
        """Every page of getOrders."""
        found: list[dict[str, Any]] = []
        params = query
        while True:
            payload = payload_of(self.client.call(GET_ORDERS, "GET", ORDERS, params=params), "getOrders")
            page = payload.get("Orders")
            if not isinstance(page, list) or not all(isinstance(o, dict) for o in page):
                raise ConnectorError(
                    f"Amazon getOrders {ORDERS}: Orders がオブジェクトの配列ではありません", code="MALFORMED"
                )
            found += page
            token = payload.get("NextToken")
            if not token or not isinstance(token, str):
                return found
            params = {"MarketplaceIds": self.client.marketplace_id, "NextToken": token}

    def _read(self, raw: dict[str, Any], orders: list[MallOrder], errors: list[ItemResult]) -> None:
        """Read one listed order in full and map it; a refused read or a mapping error is that order's error."""
        number = mapping.order_id_of(raw)
        try:
            items, address, buyer = self._details(raw)
            orders.append(mapping.to_mall_order(raw, items, address, buyer))
        except AmazonApiError as exc:
            errors.append(ItemResult(number or "?", Outcome.REJECTED, exc.code, str(exc)))
        except MappingError as exc:
            errors.append(ItemResult(number or "?", Outcome.REJECTED, "MAPPING", str(exc), {"field": exc.field}))

    def _details(self, raw: dict[str, Any]) -> Details:
        number = mapping.order_id_of(raw)
        if not number:
            raise MappingError("", "AmazonOrderId", "がないか空です")
        key = (self.client.credential_hash, number, str(raw.get("LastUpdateDate") or ""))
        with _cache_lock:
            if key in _details:
                _details.move_to_end(key)
                return _details[key]
        path = f"{ORDERS}/{quote(number, safe='')}"
        items = self._items(number)
        address = payload_of(self.client.call(GET_ORDER_ADDRESS, "GET", f"{path}/address"), "getOrderAddress")
        buyer = payload_of(self.client.call(GET_ORDER_BUYER_INFO, "GET", f"{path}/buyerInfo"), "getOrderBuyerInfo")
        found: Details = (items, address.get("ShippingAddress"), buyer)
        if key[2]:
            with _cache_lock:
                _details[key] = found
                while len(_details) > CACHE_SIZE:
                    _details.popitem(last=False)
        return found

    def _items(self, number: str) -> list[Any]:
        """Every page of getOrderItems."""
        path = f"{ORDERS}/{quote(number, safe='')}/orderItems"
        items: list[Any] = []
        params: dict[str, str] | None = None
        while True:
            payload = payload_of(self.client.call(GET_ORDER_ITEMS, "GET", path, params=params), "getOrderItems")
            page = payload.get("OrderItems")
            if not isinstance(page, list):
                raise ConnectorError(f"Amazon getOrderItems {path}: OrderItems が配列ではありません", code="MALFORMED")
            items += page
            token = payload.get("NextToken")
            if not token or not isinstance(token, str):
                return items
            params = {"NextToken": token}

    # ---- writing -----------------------------------------------------------------------------------

    def confirm(self, numbers: Sequence[str]) -> list[ItemResult]:
        """Amazon has no order confirmation (注文確認) call: every number is accepted with a note."""
        note = {"note": "Amazon には注文確認の API がないため、確認は Juchu 内のみです"}
        return [ItemResult(number, Outcome.ACCEPTED, data=note) for number in dict.fromkeys(numbers)]

    def cancel(self, number: str, reason: str) -> ItemResult:
        """Refused: SP-API Orders v0 offers no seller cancel for seller-fulfilled orders."""
        return ItemResult(
            number,
            Outcome.REJECTED,
            NO_CANCEL,
            "Amazon SP-API (Orders v0) には出品者が注文をキャンセルする API がありません。"
            "セラーセントラルの「注文管理」で注文をキャンセルしてください",
            {"reason": reason},
        )

    def report_shipments(self, batch: Sequence[ShipmentReport]) -> list[ItemResult]:
        """confirmShipment per report: package ``part`` with the report's lines (every item when it names none);
        sending a part again edits that package."""
        return [self._report(report) for report in batch]

    def _report(self, report: ShipmentReport) -> ItemResult:
        number = report.mall_order_number
        path = f"{ORDERS}/{quote(number, safe='')}"
        try:
            raw = payload_of(self.client.call(GET_ORDER, "GET", path), "getOrder")
            status = raw.get("OrderStatus")
            if status in mapping.CANCELLED_STATUSES or status in mapping.UNPAID_STATUSES:
                return ItemResult(
                    report.key,
                    Outcome.REJECTED,
                    f"STATUS_{status}",
                    f"注文のステータスが {status} のため出荷通知できません",
                )
            order_items = [item for item in self._items(number) if isinstance(item, dict)]
            items, unknown = wire.package_items(order_items, report.lines)
            if unknown:
                return ItemResult(
                    report.key,
                    Outcome.REJECTED,
                    "UNKNOWN_LINE",
                    f"注文 {number} に SKU {', '.join(unknown)} の明細がないため出荷通知できません",
                )
            if not items:
                return ItemResult(report.key, Outcome.REJECTED, "NO_ITEMS", f"注文 {number} に出荷する明細がありません")
            tracking = report.tracking_numbers[0] if report.tracking_numbers else ""
            body = wire.confirm_shipment_body(
                self.client.marketplace_id,
                wire.package_reference(report.part),
                report.carrier_code,
                report.shipped_on,
                tracking,
                items,
                cod=raw.get("PaymentMethod") == "COD",
            )
            self.client.call(CONFIRM_SHIPMENT, "POST", f"{path}/shipmentConfirmation", body=body)
        except AmazonApiError as exc:
            return ItemResult(report.key, Outcome.REJECTED, exc.code, str(exc))
        except ConnectorError as exc:
            if exc.code == "AUTH":
                raise
            if not exc.retryable:
                return ItemResult(report.key, Outcome.REJECTED, exc.code, str(exc))
            return ItemResult(report.key, Outcome.RETRY, exc.code, str(exc))
        package = body["packageDetail"]
        data = {"package_reference_id": package["packageReferenceId"], "carrier_code": package["carrierCode"]}
        if len(report.tracking_numbers) > 1:
            data["note"] = (
                "Amazon の出荷通知は1個口のみ: 追跡番号 " + ", ".join(report.tracking_numbers[1:]) + " は未送信"
            )
        return ItemResult(report.key, Outcome.ACCEPTED, data=data)

    def push_stock(self, batch: Sequence[StockLevel]) -> list[ItemResult]:
        """One patchListingsItem per SKU (``sku`` is the SellerSKU); FBA SKUs are refused without a call."""
        return self.stock.push(batch)

    def read_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        """getListingsItem per SKU: the seller-fulfilled quantity (see :meth:`ListingStock.read`)."""
        return self.stock.read(skus)


def _moment(raw: object) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None
