"""Yahoo! Shopping wire shapes Juchu sends: XML ``<Req>`` bodies, setStock forms, time formats, code tables.

Every choice malls.md §4 marks unverified is listed in ``docs/malls/yahoo.md`` and the sandbox README.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")

ORDER_LIST = "/ShoppingWebService/V1/orderList"
ORDER_INFO = "/ShoppingWebService/V1/orderInfo"
ORDER_STATUS_CHANGE = "/ShoppingWebService/V1/orderStatusChange"
ORDER_SHIP_STATUS_CHANGE = "/ShoppingWebService/V1/orderShipStatusChange"
SET_STOCK = "/ShoppingWebService/V1/setStock"
GET_STOCK = "/ShoppingWebService/V1/getStock"

STATUS_PROCESSING, STATUS_CANCELLED = 2, 4
SHIP_DONE = 3
NO_TRACKING_REASON = "1"

#: The orderList columns the connector reads to decide which orders to fetch in full.
LIST_FIELDS = ("OrderId", "OrderTime", "LastUpdateTime", "OrderStatus", "IsSeen")
#: The orderInfo columns mapping.py reads (and report idempotence reads back).
INFO_FIELDS = (
    "OrderId,OrderTime,LastUpdateTime,OrderStatus,IsSeen,BuyerComments,"
    "PayStatus,PayMethod,PayMethodName,BillFirstName,BillLastName,BillFirstNameKana,BillLastNameKana,"
    "BillMailAddress,BillPhoneNumber,"
    "ShipStatus,ShipMethod,ShipMethodName,ShipRequestDate,ShipRequestTime,ShipCompanyCode,"
    "ShipInvoiceNumber1,ShipInvoiceNumber2,ShipDate,ShipFirstName,ShipLastName,ShipFirstNameKana,"
    "ShipLastNameKana,ShipZipCode,ShipPrefecture,ShipCity,ShipAddress1,ShipAddress2,ShipPhoneNumber,"
    "ShipCharge,PayCharge,GiftWrapCharge,Discount,UsePoint,TotalPrice,"
    "LineId,ItemId,SubCode,Title,UnitPrice,Quantity"
)

#: Rakuten deliveryCompany code (Juchu's carrier vocabulary) → Yahoo ShipCompanyCode (unverified, see docs).
CARRIERS = {
    "1000": "1000",  # その他
    "1001": "1001",  # ヤマト運輸
    "1002": "1002",  # 佐川急便
    "1003": "1003",  # 日本郵便
    "1029": "1003",  # 日本郵便 楽天倉庫出荷 (RSL) → 日本郵便
    "1030": "1001",  # ヤマト運輸 クロネコゆうパケット → ヤマト運輸
}
OTHER_CARRIER = "1000"

#: Juchu's cancel reasons → Yahoo CancelReason (unverified: 100 buyer's side, 200 store's side).
CANCEL_REASONS = {
    "buyer_cancel": 100,
    "customer_request": 100,
    "buyer_other": 100,
    "returned": 100,
    "long_absence": 100,
    "unpaid": 100,
    "cod_refused": 100,
}
DEFAULT_CANCEL_REASON = 200


def carrier_code(rakuten_code: str) -> str:
    """Yahoo's ShipCompanyCode for a Rakuten carrier code; その他 for one without a Yahoo counterpart."""
    return CARRIERS.get(rakuten_code, OTHER_CARRIER)


def list_time(moment: datetime) -> str:
    """``YYYYMMDDHHMMSS`` in JST, as orderList conditions want it."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: Yahoo search windows need aware times")
    return moment.astimezone(JST).strftime("%Y%m%d%H%M%S")


def _add(parent: ET.Element, tag: str, text: object | None = None) -> ET.Element:
    child = ET.SubElement(parent, tag)
    if text is not None:
        child.text = str(text)
    return child


def _tree(spec: Mapping[str, object], root: ET.Element | None = None) -> ET.Element:
    """A nested mapping as XML under ``<Req>``; ``None`` values are left out."""
    node = root if root is not None else ET.Element("Req")
    for tag, value in spec.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            _tree(value, _add(node, tag))
        else:
            _add(node, tag, value)
    return node


def to_bytes(req: ET.Element) -> bytes:
    """The request document as UTF-8 bytes with an XML declaration."""
    return ET.tostring(req, encoding="utf-8", xml_declaration=True)


def order_list_body(seller_id: str, start: datetime, end: datetime, first: int, per_page: int) -> bytes:
    """orderList: orders placed in ``[start, end]`` (seconds inclusive), oldest first, from result ``first``."""
    return to_bytes(
        _tree(
            {
                "Search": {
                    "Result": per_page,
                    "Start": first,
                    "Sort": "+order_time",
                    "Condition": {"OrderTimeFrom": list_time(start), "OrderTimeTo": list_time(end)},
                    "Field": ",".join(LIST_FIELDS),
                },
                "SellerId": seller_id,
            }
        )
    )


def order_info_body(seller_id: str, order_id: str) -> bytes:
    """orderInfo for one order with the columns mapping.py reads."""
    return to_bytes(_tree({"Target": {"OrderId": order_id, "Field": INFO_FIELDS}, "SellerId": seller_id}))


def status_change_body(seller_id: str, order_id: str, status: int, *, cancel_reason: int | None = None) -> bytes:
    """orderStatusChange to ``status`` (2 marks a new order seen; 4 cancels with a reason)."""
    order: dict[str, object] = {"OrderStatus": status, "CancelReason": cancel_reason}
    return to_bytes(
        _tree({"Target": {"OrderId": order_id, "IsPointFix": "false"}, "Order": order, "SellerId": seller_id})
    )


def ship_status_body(seller_id: str, order_id: str, company: str, tracking: Sequence[str], shipped_on: date) -> bytes:
    """orderShipStatusChange to 出荷完了 (3) with carrier, up to two tracking numbers and the ship date."""
    numbers = list(tracking[:2])
    ship = {
        "ShipStatus": SHIP_DONE,
        "ShipCompanyCode": company,
        "ShipInvoiceNumber1": numbers[0] if numbers else None,
        "ShipInvoiceNumber2": numbers[1] if len(numbers) > 1 else None,
        # The two are mutually exclusive; "1" (no tracking number for this method) is unverified.
        "ShipInvoiceNumberEmptyReason": None if numbers else NO_TRACKING_REASON,
        "ShipDate": shipped_on.strftime("%Y%m%d"),
    }
    return to_bytes(
        _tree({"Target": {"OrderId": order_id, "IsPointFix": "true"}, "Order": {"Ship": ship}, "SellerId": seller_id})
    )


#: The largest stock setStock takes (the emulator's limit, unverified): larger quantities are sent as this.
MAX_STOCK = 999_999


def stock_form(seller_id: str, levels: Sequence[tuple[str, int]]) -> dict[str, str]:
    """setStock form: comma-separated ``item_code`` (``itemcode`` or ``itemcode:subcode``) and ``quantity``."""
    return {
        "seller_id": seller_id,
        "item_code": ",".join(code for code, _ in levels),
        "quantity": ",".join(str(max(0, min(MAX_STOCK, quantity))) for _, quantity in levels),
    }
