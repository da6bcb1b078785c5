"""The QAPI methods the emulator answers: each takes the call's fields and returns its ``ResultObject``.

A refusal raises :class:`QapiError` (answered as ``{"ResultCode": <negative>, "ResultMsg": …}``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from juchu_sandbox.qoo10.store import CANCELLED_CLAIMS, CARRIERS, JST, STATUS_LABELS, Mall, QapiError, fmt

MAX_SPAN = timedelta(days=90)
MAX_INT = 2**31 - 1


def _search_dates(fields: dict[str, str], bad_date: int, too_long: int) -> tuple[datetime, datetime]:
    """search_Sdate/search_Edate (``yyyyMMdd`` or ``yyyyMMddHHmmss``, both ends included)."""
    out = []
    for key in ("search_Sdate", "search_Edate"):
        raw = fields.get(key, "").strip()
        try:
            if re.fullmatch(r"\d{8}", raw):
                moment = datetime.strptime(raw, "%Y%m%d").replace(tzinfo=JST)
                if key == "search_Edate":
                    moment += timedelta(days=1, seconds=-1)
            elif re.fullmatch(r"\d{14}", raw):
                moment = datetime.strptime(raw, "%Y%m%d%H%M%S").replace(tzinfo=JST)
            else:
                raise ValueError(raw)
        except ValueError:
            raise QapiError(bad_date, f"Search Date Error ({key})") from None
        out.append(moment)
    start, end = out
    if end < start:
        raise QapiError(bad_date, "Search Date Error (search_Sdate is after search_Edate)")
    if end - start > MAX_SPAN:
        raise QapiError(too_long, "Searching period exceeds to 90 days.")
    return start, end


def _cap(mall: Mall, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return rows[: int(mall.settings["rowCap"])]


def shipping_row(line: dict[str, Any]) -> dict[str, Any]:
    """A line as GetShippingInfo_v2 answers it."""
    return {
        "shippingStatus": STATUS_LABELS[line["status"]],
        **line["row"],
        "orderDate": fmt(line["orderDate"]),
        "PaymentDate": fmt(line["paymentDate"]),
        "EstShippingDate": "",
        "ShippingDate": fmt(line["shippingDate"]),
        "DeliveredDate": "",
        "DeliveryCompany": line["carrier"],
        "TrackingNo": line["tracking"],
    }


def _claim_fields(line: dict[str, Any]) -> dict[str, Any]:
    return {
        "claimStatus": str(line["claim"] or ""),
        "cancelRefundDate": fmt(line["cancelRefundDate"]),
        "reason": line["reason"],
        "requestDate": fmt(line["requestDate"]),
    }


def claim_row(line: dict[str, Any]) -> dict[str, Any]:
    """A line as GetClaimInfo_V3 answers it."""
    row = line["row"]
    keep = ("orderNo", "packNo", "itemCode", "sellerItemCode", "itemTitle", "orderQty", "receiver", "receiverTel")
    return {
        **_claim_fields(line),
        "orderDate": fmt(line["orderDate"]),
        "PaymentDate": fmt(line["paymentDate"]),
        "shippingDate": fmt(line["shippingDate"]),
        "DeliveredDate": "",
        **{k: row[k] for k in keep},
        "receiverMobile": row["receiverMobile"],
        "buyer": row["buyer"],
        "buyerTel": row["buyerTel"],
        "buyerMobile": row["buyerMobile"],
        "paymentNation": "JP",
        "currency": "JPY",
        "paymentAmount": row["total"],
        "deliveryCompany": line["carrier"],
        "trackingNo": line["tracking"],
        "deliveryCompanyReturn": "",
        "trackingNoReturn": "",
    }


def get_shipping_info(mall: Mall, fields: dict[str, str]) -> Any:
    """ShippingBasic.GetShippingInfo_v2: lines not cancelled, by status ("" = 1–3) and a date window."""
    stat = fields.get("ShippingStat", "").strip()
    if stat not in ("", "0", "1", "2", "3", "4", "5"):
        raise QapiError(-10003, "Invalid ShippingStat")
    wanted = {1, 2, 3} if stat in ("", "0") else {int(stat)}
    condition = fields.get("search_condition", "1").strip() or "1"
    if condition not in ("1", "2", "3", "4"):
        raise QapiError(-999, "Invalid search_condition")
    start, end = _search_dates(fields, -10001, -10002)
    by = {"1": "orderDate", "2": "paymentDate", "3": "shippingDate", "4": "deliveredDate"}[condition]
    with mall.lock:
        rows = [
            shipping_row(line)
            for _no, line in sorted(mall.lines.items())
            if line["claim"] not in CANCELLED_CLAIMS
            and line["status"] in wanted
            and line.get(by) is not None
            and start <= line[by] <= end
        ]
        return _cap(mall, rows)


def get_claim_info(mall: Mall, fields: dict[str, str]) -> Any:
    """ShippingBasic.GetClaimInfo_V3: lines with a claim, by claim status ("" = all) and a date window."""
    stat = fields.get("ClaimStat", "").strip()
    if stat and (not stat.isdigit() or int(stat) not in (1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16)):
        raise QapiError(-999, "Invalid ClaimStat")
    condition = fields.get("search_condition", "2").strip() or "2"
    if condition not in ("1", "2", "3"):
        raise QapiError(-999, "Invalid search_condition")
    start, end = _search_dates(fields, -10002, -10003)
    by = {"1": "orderDate", "2": "requestDate", "3": "cancelRefundDate"}[condition]
    with mall.lock:
        rows = [
            claim_row(line)
            for _no, line in sorted(mall.lines.items())
            if line["claim"] is not None
            and (not stat or line["claim"] == int(stat))
            and line.get(by) is not None
            and start <= line[by] <= end
        ]
        return _cap(mall, rows)


def _line(mall: Mall, fields: dict[str, str], key: str) -> dict[str, Any]:
    raw = fields.get(key, "").strip()
    if not raw.isdigit():
        raise QapiError(-10001, f"{key} is wrong (not a number)")
    line = mall.lines.get(int(raw))
    if line is None:
        raise QapiError(-10002, "Order information does not exist.")
    return line


def get_by_order_no(mall: Mall, fields: dict[str, str]) -> Any:
    """ShippingBasic.GetShippingAndClaimInfoByOrderNo_V2: one line with its claim fields (a one-item list)."""
    with mall.lock:
        line = _line(mall, fields, "OrderNo")
        row = shipping_row(line)
        for key in ("ShippingDate", "DeliveryCompany", "TrackingNo"):
            row.pop(key)
        row.update(shippingDate=fmt(line["shippingDate"]), deliveryCompany=line["carrier"], trackingNo=line["tracking"])
        return [{**row, **_claim_fields(line)}]


def _open(line: dict[str, Any]) -> bool:
    return line["claim"] not in CANCELLED_CLAIMS


def set_seller_check(mall: Mall, fields: dict[str, str]) -> Any:
    """ShippingBasic.SetSellerCheckYN_V2: 2 → 3; on 1 the check is kept and the line goes to 3 when paid."""
    est, delay = fields.get("EstShipDt", "").strip(), fields.get("DelayType", "").strip()
    if est:
        try:
            if date.fromisoformat(f"{est[:4]}-{est[4:6]}-{est[6:]}") < mall.now().date() or len(est) != 8:
                raise ValueError(est)
        except ValueError:
            raise QapiError(-999, "EstShipDt must be yyyyMMdd, today or later") from None
    if delay and delay not in ("1", "2", "3", "4"):
        raise QapiError(-999, "DelayType is 1, 2, 3 or 4")
    with mall.lock:
        line = _line(mall, fields, "OrderNo")
        if not _open(line) or line["status"] not in (1, 2) or (line["status"] == 1 and line["sellerChecked"]):
            raise QapiError(-10004, "The order status is not valid for this request.")
        line["sellerChecked"] = True
        if line["status"] == 2:
            line["status"] = 3
    return None


def set_sending_info(mall: Mall, fields: dict[str, str]) -> Any:
    """ShippingBasic.SetSendingInfo: 2/3 → 4 with carrier and tracking; on 4 it overwrites them."""
    corp, tracking = fields.get("ShippingCorp", "").strip(), fields.get("TrackingNo", "").strip()
    if corp not in CARRIERS:
        raise QapiError(-10005, f"ShippingCorp is not a registered delivery company ({', '.join(CARRIERS)})")
    if not tracking or len(tracking) > 50:
        raise QapiError(-999, "TrackingNo is required (max 50)")
    with mall.lock:
        line = _line(mall, fields, "OrderNo")
        if not _open(line) or line["claim"] in (1, 2) or line["status"] not in (2, 3, 4):
            raise QapiError(-10004, "The order status is not valid for this request.")
        line["status"] = 4
        line["carrier"], line["tracking"] = corp, tracking
        line["trackingHistory"].append(tracking)
        line["shippingDate"] = line["shippingDate"] or mall.now()
        mall.shipment_writes += 1
    return None


def set_cancel(mall: Mall, fields: dict[str, str]) -> Any:
    """Claim.SetCancelProcess: the seller cancels a line in status 1–3 (claim 3, stock returned)."""
    reason = fields.get("CancelReason", "").strip()
    if reason not in ("", "1", "2", "3"):
        raise QapiError(-999, "CancelReason is empty, 1, 2 or 3")
    with mall.lock:
        line = _line(mall, fields, "ContrNo")
        if not _open(line) or line["status"] > 3:
            raise QapiError(-10004, "The order status is not valid for this request.")
        cancel_line(
            mall,
            line,
            "販売者キャンセル: " + {"": "在庫なし", "1": "注文変更", "2": "配送不可地域", "3": "配送遅延"}[reason],
        )
    return None


def cancel_line(mall: Mall, line: dict[str, Any], reason: str) -> None:
    """Cancel one line now (caller holds the lock)."""
    now = mall.now()
    line["claim"], line["reason"] = 3, reason
    line["requestDate"] = line["requestDate"] or now
    line["cancelRefundDate"] = now
    row = line["row"]
    mall.adjust_stock(row["sellerItemCode"], row["optionCode"], row["orderQty"])


def get_inventory(mall: Mall, fields: dict[str, str]) -> Any:
    """ItemsLookup.GetGoodsInventoryInfo: an item's options (empty for an item without options)."""
    with mall.lock:
        item = mall.find_item(fields.get("ItemCode", "").strip(), fields.get("SellerCode", "").strip())
        return [{"ItemCode": item["ItemCode"], "SellerCode": item["SellerCode"], **o} for o in item["options"].values()]


def get_item_detail(mall: Mall, fields: dict[str, str]) -> Any:
    """ItemsLookup.GetItemDetailInfo: one item's details, ``ItemQty`` its own quantity (0 for an item whose
    stock lives on its options)."""
    with mall.lock:
        item = mall.find_item(fields.get("ItemCode", "").strip(), fields.get("SellerCode", "").strip())
        return [
            {
                "ItemCode": item["ItemCode"],
                "SellerCode": item["SellerCode"],
                "ItemTitle": item["ItemTitle"],
                "ItemPrice": item["ItemPrice"],
                "ItemQty": 0 if item["options"] else item["ItemQty"],
                "ItemStatus": "S2",
            }
        ]


def _quantity(fields: dict[str, str], key: str) -> int:
    raw = fields.get(key, "").strip()
    if not raw.isdigit() or int(raw) > MAX_INT:
        raise QapiError(-999, f"{key} is an integer from 0 to {MAX_INT}")
    return int(raw)


def update_option_qty(mall: Mall, fields: dict[str, str]) -> Any:
    """ItemsOptions.UpdateInventoryQtyUnit: one option's quantity, the option named by name and value."""
    item_code = fields.get("ItemCode", "").strip()
    name, value, code = (fields.get(k, "").strip() for k in ("OptionName", "OptionValue", "OptionCode"))
    if not item_code or not name or not value or not code:
        raise QapiError(-999, "ItemCode, OptionName, OptionValue and OptionCode are required")
    qty = _quantity(fields, "Qty")
    with mall.lock:
        item = mall.find_item(item_code, fields.get("SellerCode", "").strip())
        option = next(
            (o for o in item["options"].values() if o["OptionName"] == name and o["OptionValue"] == value), None
        )
        if option is None or option["OptionCode"] != code:
            raise QapiError(-10101, "Processing Error - no option with this OptionName/OptionValue/OptionCode")
        option["Qty"] = qty
        mall.stock_writes += 1
    return None


def set_price_qty(mall: Mall, fields: dict[str, str]) -> Any:
    """ItemsOrder.SetGoodsPriceQty: an item's price and/or quantity (items without options only)."""
    with mall.lock:
        item = mall.find_item(fields.get("ItemCode", "").strip(), fields.get("SellerCode", "").strip())
        price_raw = fields.get("ItemPrice", "").strip()
        qty = _quantity(fields, "ItemQty") if fields.get("ItemQty", "").strip() else None
        if price_raw and (not price_raw.isdigit() or int(price_raw) <= 0):
            raise QapiError(-999, "ItemPrice is a positive integer")
        if qty is not None and item["options"]:
            raise QapiError(-10101, "Processing Error - the item has options: use UpdateInventoryQtyUnit")
        if price_raw:
            item["ItemPrice"] = int(price_raw)
        if qty is not None:
            item["ItemQty"] = qty
            mall.stock_writes += 1
    return None


METHODS: dict[str, Callable[[Mall, dict[str, str]], Any]] = {
    "ShippingBasic.GetShippingInfo_v2": get_shipping_info,
    "ShippingBasic.GetClaimInfo_V3": get_claim_info,
    "ShippingBasic.GetShippingAndClaimInfoByOrderNo_V2": get_by_order_no,
    "ShippingBasic.SetSellerCheckYN_V2": set_seller_check,
    "ShippingBasic.SetSendingInfo": set_sending_info,
    "Claim.SetCancelProcess": set_cancel,
    "ItemsLookup.GetGoodsInventoryInfo": get_inventory,
    "ItemsLookup.GetItemDetailInfo": get_item_detail,
    "ItemsOptions.UpdateInventoryQtyUnit": update_option_qty,
    "ItemsOrder.SetGoodsPriceQty": set_price_qty,
}
