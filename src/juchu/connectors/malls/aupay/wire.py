"""au PAY Market wire facts: paths, date formats, the carrier and cancel-reason tables, the XML request bodies.

Every value here that malls.md marks unverified is a choice written down in ``juchu_sandbox/aupay/README.md``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone

from juchu.connectors.base import ShipmentReport, StockLevel

JST = timezone(timedelta(hours=9), "JST")

API = "/wmshopapi/"
SEARCH_LIST = API + "searchTradeInfoListProc"
SEARCH_ONE = API + "searchTradeInfoProc"
UPDATE_INFO = API + "updateTradeInfoProc"
UPDATE_STATUS = API + "updateTradeStsProc"
CANCEL = API + "cancelTradeProc"
UPDATE_STOCK = API + "updateStock"
SEARCH_STOCKS = API + "searchStocks"

#: searchTradeInfoListProc ``dateType``: 0 order date (malls.md); 1 last update (our choice, unverified).
DATE_ORDERED, DATE_UPDATED = 0, 1

#: Order statuses (受注ステータス) as the API writes them.
NEW = "新規受付"
AWAITING_PAYMENT = "発送前入金待ち"
AWAITING_SHIPMENT = "発送待ち"
SHIPPED = "発送済み"
HELD = "保留"
CANCELLED = "キャンセル"
ORDER_STATUSES = frozenset({NEW, AWAITING_PAYMENT, AWAITING_SHIPMENT, SHIPPED, HELD, CANCELLED})

#: Rakuten carrier code (Juchu's ShipmentReport.carrier_code) → au PAY ``shippingCarrier`` (unverified table).
CARRIERS = {
    "1000": "9",  # その他
    "1001": "1",  # ヤマト運輸
    "1030": "1",  # ヤマト運輸 クロネコゆうパケット
    "1002": "2",  # 佐川急便
    "1003": "4",  # 日本郵便
    "1029": "4",  # 日本郵便 楽天倉庫出荷 (RSL)
    "1004": "5",  # 西濃運輸
    "1006": "6",  # 福山通運
    "1015": "7",  # NXトランスポート
    "1021": "7",  # 日本通運
}
OTHER_CARRIER = "9"
CARRIER_CODES = frozenset({"1", "2", "4", "5", "6", "7", "9"})

#: Juchu's cancel reason → ``cancelReason`` (1 お客様都合, 2 在庫切れ, 3 ショップ都合; unverified).
CANCEL_REASONS = {
    "buyer_cancel": "1",
    "customer_request": "1",
    "returned": "1",
    "long_absence": "1",
    "unpaid": "1",
    "cod_refused": "1",
    "buyer_other": "1",
    "out_of_stock": "2",
}
SHOP_REASON = "3"

#: Tracking numbers of one order travel comma-separated in ``shippingNumber`` (at most this many).
MAX_TRACKING_NUMBERS = 10
MAX_STOCK = 99_999


def wire_minute(moment: datetime) -> str:
    """An aware datetime as a search bound: JST ``YYYY/MM/DD HH:MM``."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: au PAY search windows need aware times")
    return moment.astimezone(JST).strftime("%Y/%m/%d %H:%M")


def wire_date(day: date) -> str:
    """A date as ``YYYY/MM/DD``."""
    return day.strftime("%Y/%m/%d")


def carrier_code(rakuten_code: str) -> str:
    """The au PAY ``shippingCarrier`` for a Rakuten carrier code (9 その他 when unknown)."""
    return CARRIERS.get(rakuten_code.strip(), OTHER_CARRIER)


def cancel_reason(reason: str) -> str:
    """``cancelReason`` for our reason string, or an au PAY code given as digits; default 3 ショップ都合."""
    key = reason.strip().lower()
    if key in ("1", "2", "3"):
        return key
    return CANCEL_REASONS.get(key, SHOP_REASON)


def split_tracking(value: str) -> list[str]:
    """The tracking numbers held in one ``shippingNumber``."""
    return [part.strip() for part in value.split(",") if part.strip()]


def stock_key(sku: str) -> tuple[str, str]:
    """``StockLevel.sku`` → (itemCode, itemManagementId); the second is '' for an item without variants."""
    item, _, variant = sku.partition(":")
    return item.strip(), variant.strip()


def _xml(root: ET.Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root, encoding="utf-8", xml_declaration=False)


def _request(shop_id: str, **fields: str) -> ET.Element:
    root = ET.Element("request")
    ET.SubElement(root, "shopId").text = shop_id
    for name, value in fields.items():
        ET.SubElement(root, name).text = value
    return root


def status_body(shop_id: str, order_id: str, status: str) -> bytes:
    """updateTradeStsProc: move one order to ``status``."""
    return _xml(_request(shop_id, orderId=order_id, orderStatus=status))


def shipping_body(shop_id: str, report: ShipmentReport, numbers: Sequence[str]) -> bytes:
    """updateTradeInfoProc: the order's ship date, carrier and every tracking number (overwrites)."""
    return _xml(
        _request(
            shop_id,
            orderId=report.mall_order_number,
            shippingDate=wire_date(report.shipped_on),
            shippingCarrier=carrier_code(report.carrier_code),
            shippingNumber=",".join(numbers),
        )
    )


def cancel_body(shop_id: str, order_id: str, reason: str) -> bytes:
    """cancelTradeProc for one order."""
    return _xml(_request(shop_id, orderId=order_id, cancelReason=cancel_reason(reason)))


def stock_body(shop_id: str, levels: Sequence[StockLevel]) -> bytes:
    """updateStock: absolute counts; stockSegment 1 for an item's own stock, 2 for a variant's."""
    root = _request(shop_id)
    for level in levels:
        item, variant = stock_key(level.sku)
        entry = ET.SubElement(root, "stockUpdateItem")
        ET.SubElement(entry, "itemCode").text = item
        ET.SubElement(entry, "stockSegment").text = "2" if variant else "1"
        if variant:
            ET.SubElement(entry, "itemManagementId").text = variant
        ET.SubElement(entry, "stockCount").text = str(max(0, min(MAX_STOCK, level.quantity)))
    return _xml(root)
