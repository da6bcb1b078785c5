"""The order and stock APIs' behaviour: orderList, orderInfo, orderStatusChange, orderShipStatusChange, setStock,
getStock. Each takes the parsed request and answers an XML root or raises :class:`~.xmlio.ApiError`."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from typing import Any

from juchu_sandbox.yahoo.store import JST, SHIP_COMPANIES, YahooMall, stock_key
from juchu_sandbox.yahoo.xmlio import ApiError, add_fields, bad_request, flat_fields, order_info, text, wire_value

MAX_RESULT = 2000
LIST_DEFAULT_FIELDS = ("OrderId", "OrderTime", "OrderStatus")
YAMATO_NUMBER = re.compile(r"^[0-9-]{1,14}$")
MAX_QUANTITY = 999_999
#: OrderStatus moves orderStatusChange allows (besides "same status", which marks the order seen).
STATUS_MOVES = {1: {2, 4}, 2: {3, 4, 5}, 3: {2, 4, 5}, 8: {1, 4}}


def _seller(mall: YahooMall, req: ET.Element) -> None:
    if text(req, "SellerId", required=True) != mall.seller_id:
        raise ApiError(400, "px-04003", "SellerId does not match the access token's store")


def _list_time(raw: str, name: str) -> datetime | None:
    if not raw:
        return None
    try:
        return datetime.strptime(raw, "%Y%m%d%H%M%S").replace(tzinfo=JST)
    except ValueError:
        raise bad_request(f"{name} must be YYYYMMDDHHMMSS") from None


def _int(raw: str, name: str, low: int, high: int) -> int:
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise bad_request(f"{name} must be an integer from {low} to {high}")
    return int(raw)


def _result_set(total: int, returned: int, first: int = 1) -> ET.Element:
    return ET.Element(
        "ResultSet",
        {"totalResultsAvailable": str(total), "totalResultsReturned": str(returned), "firstResultPosition": str(first)},
    )


def _ok(warnings: list[str] | None = None) -> ET.Element:
    root = _result_set(1, 1)
    result = ET.SubElement(root, "Result")
    ET.SubElement(result, "Status").text = "OK"
    for warning in warnings or []:
        ET.SubElement(result, "Warning").text = warning
    return root


def order_list(mall: YahooMall, req: ET.Element) -> ET.Element:
    """注文検索: conditions OrderId, OrderTimeFrom/To, OrderStatus, IsSeen; Result ≤ 2000, Start from 1."""
    _seller(mall, req)
    search = req.find("Search")
    if search is None:
        raise bad_request("Search is required")
    per_page = _int(text(search, "Result") or "10", "Result", 1, MAX_RESULT)
    start = _int(text(search, "Start") or "1", "Start", 1, 10**9)
    sort = text(search, "Sort") or "+order_time"
    if sort not in ("+order_time", "-order_time"):
        raise bad_request("Sort must be +order_time or -order_time")
    condition = search.find("Condition")
    if condition is None or not len(condition):
        raise bad_request("Search/Condition needs at least one condition")
    time_from = _list_time(text(condition, "OrderTimeFrom"), "OrderTimeFrom")
    time_to = _list_time(text(condition, "OrderTimeTo"), "OrderTimeTo")
    wanted_id = text(condition, "OrderId")
    status = text(condition, "OrderStatus")
    seen = text(condition, "IsSeen")
    if seen and seen not in ("true", "false"):
        raise bad_request("IsSeen must be true or false")
    fields = [f.strip() for f in (text(search, "Field") or ",".join(LIST_DEFAULT_FIELDS)).split(",") if f.strip()]
    with mall.lock:
        known = set(flat_fields(next(iter(mall.orders.values())))) if mall.orders else set(fields)
        unknown = [f for f in fields if f not in known]
        if unknown:
            raise bad_request(f"Field {','.join(unknown)} is not available in orderList")
        hits = [
            o
            for o in mall.orders.values()
            if (not wanted_id or o["OrderId"] == wanted_id)
            and (time_from is None or o["OrderTime"] >= time_from)
            and (time_to is None or o["OrderTime"] <= time_to)
            and (not status or str(o["OrderStatus"]) == status)
            and (not seen or o["IsSeen"] == (seen == "true"))
        ]
        hits.sort(key=lambda o: (o["OrderTime"], o["OrderId"]), reverse=sort.startswith("-"))
        page = hits[start - 1 : start - 1 + per_page]
        root = ET.Element("Result")
        ET.SubElement(root, "Status").text = "OK"
        node = ET.SubElement(root, "Search")
        ET.SubElement(node, "TotalCount").text = str(len(hits))
        for index, order in enumerate(page, start):
            row = ET.SubElement(node, "OrderInfo")
            ET.SubElement(row, "Index").text = str(index)
            add_fields(row, flat_fields(order), set(fields))
        return root


def order_info_answer(mall: YahooMall, req: ET.Element) -> ET.Element:
    """注文詳細: one order; ``Target/Field`` limits the answer to the listed fields."""
    _seller(mall, req)
    number = text(req, "Target/OrderId", required=True)
    field_list = text(req, "Target/Field")
    wanted = {f.strip() for f in field_list.split(",") if f.strip()} if field_list else None
    with mall.lock:
        order = mall.orders.get(number)
        if order is None:
            raise ApiError(400, "od20001", f"OrderId {number} is not found")
        root = _result_set(1, 1)
        result = ET.SubElement(root, "Result")
        ET.SubElement(result, "Status").text = "OK"
        result.append(order_info(order, wanted))
        return root


def _target(mall: YahooMall, req: ET.Element) -> dict[str, Any]:
    _seller(mall, req)
    number = text(req, "Target/OrderId", required=True)
    if text(req, "Target/IsPointFix") not in ("true", "false"):
        raise bad_request("Target/IsPointFix must be true or false")
    order = mall.orders.get(number)
    if order is None:
        raise ApiError(400, "od20001", f"OrderId {number} is not found")
    return order


def order_status_change(mall: YahooMall, req: ET.Element) -> ET.Element:
    """注文ステータス変更: the same status marks the order seen; 4 needs a CancelReason and restores stock."""
    with mall.lock:
        order = _target(mall, req)
        new = _int(text(req, "Order/OrderStatus", required=True), "Order/OrderStatus", 0, 8)
        current = order["OrderStatus"]
        if current == 4:
            raise ApiError(400, "od20002", "Cannot Be Operated : CancelOrder OrderStatus")
        if new != current and new not in STATUS_MOVES.get(current, set()):
            raise ApiError(400, "od20002", f"Cannot Be Operated : OrderStatus {current} -> {new}")
        if new == 4:
            if order["Ship"]["ShipStatus"] >= 3:
                raise ApiError(400, "od20002", "Cannot Be Operated : ShippedOrder OrderStatus")
            reason = text(req, "Order/CancelReason", required=True)
            order["CancelReason"] = _int(reason, "Order/CancelReason", 100, 999)
            mall.move_stock(order, +1)
        order["OrderStatus"] = new
        order["IsSeen"] = True
        mall.touch(order)
        return _ok()


def _ship_date(raw: str) -> date:
    try:
        return datetime.strptime(raw, "%Y%m%d").replace(tzinfo=JST).date()
    except ValueError:
        raise bad_request("Order/Ship/ShipDate must be YYYYMMDD") from None


def order_ship_status_change(mall: YahooMall, req: ET.Element) -> ET.Element:
    """出荷ステータス変更: overwrites the given Ship fields; every accepted write is recorded."""
    with mall.lock:
        order = _target(mall, req)
        ship_in = req.find("Order/Ship")
        if ship_in is None:
            raise bad_request("Order/Ship is required")
        ship = order["Ship"]
        if order["OrderStatus"] == 4:
            raise ApiError(400, "od20003", "Cannot Be Operated : CancelOrder ShipStatus")
        status = _int(text(ship_in, "ShipStatus", required=True), "ShipStatus", 0, 4)
        if status >= 3 and ship["ShipStatus"] == 0:
            raise ApiError(400, "od20003", "Cannot Be Operated : ShipStatus 0 (出荷不可) order cannot be shipped")
        numbers = [text(ship_in, f"ShipInvoiceNumber{i}") for i in (1, 2)]
        empty_reason = text(ship_in, "ShipInvoiceNumberEmptyReason")
        if any(numbers) and empty_reason:
            raise ApiError(400, "od20004", "ShipInvoiceNumber and ShipInvoiceNumberEmptyReason cannot be set together")
        company = text(ship_in, "ShipCompanyCode")
        if company and company not in SHIP_COMPANIES:
            raise ApiError(400, "od20005", f"ShipCompanyCode {company} is not valid")
        if (company or ship["ShipCompanyCode"]) == "1001":
            for number in (n for n in numbers if n):
                if not YAMATO_NUMBER.match(number):
                    raise ApiError(400, "od20004", "ShipInvoiceNumber for Yamato is digits and '-' up to 14 bytes")
        ship_date = text(ship_in, "ShipDate")
        ship["ShipStatus"] = status
        if company:
            ship["ShipCompanyCode"] = company
        for i, number in enumerate(numbers, 1):
            if ship_in.find(f"ShipInvoiceNumber{i}") is not None:
                ship[f"ShipInvoiceNumber{i}"] = number
        if ship_in.find("ShipInvoiceNumberEmptyReason") is not None:
            ship["ShipInvoiceNumberEmptyReason"] = empty_reason
        if ship_date:
            ship["ShipDate"] = _ship_date(ship_date)
        mall.ship_writes.append(
            {
                "orderId": order["OrderId"],
                "shipStatus": status,
                "shipCompanyCode": ship["ShipCompanyCode"],
                "trackingNumbers": [n for n in (ship["ShipInvoiceNumber1"], ship["ShipInvoiceNumber2"]) if n],
                "shipDate": wire_value(ship["ShipDate"]),
                "at": mall.now().isoformat(timespec="seconds"),
            }
        )
        mall.touch(order)
        warnings = [] if ship["ShipDate"] or status < 3 else ["ShipDate is empty"]
        return _ok(warnings)


def _stock_codes(mall: YahooMall, form: dict[str, str]) -> list[str]:
    if form.get("seller_id") != mall.seller_id:
        raise ApiError(400, "px-04003", "seller_id does not match the access token's store")
    codes = [c.strip() for c in (form.get("item_code") or "").split(",")]
    if not any(codes):
        raise bad_request("item_code is required")
    return codes


def set_stock(mall: YahooMall, form: dict[str, str]) -> ET.Element:
    """在庫更新: per item ``Quantity`` or ``ErrorCode``; a single refused item is an ``<Error>`` answer."""
    codes = _stock_codes(mall, form)
    quantities = [q.strip() for q in (form.get("quantity") or "").split(",")]
    if len(quantities) != len(codes):
        raise bad_request("item_code and quantity must list the same number of values")
    with mall.lock:
        known = {stock_key(r["ItemId"], r["SubCode"]) for r in mall.catalogue} | set(mall.stock)
        results = []
        for code, raw in zip(codes, quantities, strict=True):
            if code not in known:
                results.append((code, None, "st-01001", f"item_code {code} is not found"))
            elif not raw.isdigit() or int(raw) > MAX_QUANTITY:
                results.append(
                    (code, None, "st-01002", f"quantity {raw!r} must be an integer from 0 to {MAX_QUANTITY}")
                )
            else:
                mall.stock[code] = int(raw)
                mall.stock_writes += 1
                results.append((code, int(raw), "", ""))
        if len(results) == 1 and results[0][2]:
            raise ApiError(400, results[0][2], results[0][3])
        root = _result_set(len(results), len(results))
        for code, quantity, error, message in results:
            node = ET.SubElement(root, "Result")
            ET.SubElement(node, "SellerId").text = mall.seller_id
            ET.SubElement(node, "ItemCode").text = code
            if error:
                ET.SubElement(node, "ErrorCode").text = error
                ET.SubElement(node, "ErrorMessage").text = message
            else:
                ET.SubElement(node, "Quantity").text = str(quantity)
        return root


def get_stock(mall: YahooMall, form: dict[str, str]) -> ET.Element:
    """在庫参照: the quantity of each ``item_code``."""
    codes = _stock_codes(mall, form)
    with mall.lock:
        root = _result_set(len(codes), len(codes))
        for code in codes:
            node = ET.SubElement(root, "Result")
            ET.SubElement(node, "SellerId").text = mall.seller_id
            ET.SubElement(node, "ItemCode").text = code
            if code in mall.stock:
                ET.SubElement(node, "Quantity").text = str(mall.stock[code])
            else:
                ET.SubElement(node, "ErrorCode").text = "st-01001"
                ET.SubElement(node, "ErrorMessage").text = f"item_code {code} is not found"
        return root
