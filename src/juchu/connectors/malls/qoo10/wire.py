"""Qoo10 wire facts: method names, status and claim codes, date formats, the carrier table, request fields.

Several facts are unverified (malls.md §6.1, §8); the choices are listed in ``docs/malls/qoo10.md`` and
``src/juchu_sandbox/qoo10/README.md``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")

GET_SHIPPING_INFO = "ShippingBasic.GetShippingInfo_v2"
GET_CLAIM_INFO = "ShippingBasic.GetClaimInfo_V3"
GET_BY_ORDER_NO = "ShippingBasic.GetShippingAndClaimInfoByOrderNo_V2"
SET_SELLER_CHECK = "ShippingBasic.SetSellerCheckYN_V2"
SET_SENDING_INFO = "ShippingBasic.SetSendingInfo"
SET_CANCEL = "Claim.SetCancelProcess"
GET_INVENTORY = "ItemsLookup.GetGoodsInventoryInfo"
GET_ITEM_DETAIL = "ItemsLookup.GetItemDetailInfo"
UPDATE_OPTION_QTY = "ItemsOptions.UpdateInventoryQtyUnit"
SET_PRICE_QTY = "ItemsOrder.SetGoodsPriceQty"

#: ResultCode of an item lookup that names no item of the seller ("Fail to find Item information").
ITEM_NOT_FOUND = -10001

#: ``search_condition`` of GetShippingInfo_v2: 1 order date, 2 payment date, 3 ship date, 4 delivered date.
BY_ORDER_DATE, BY_PAYMENT_DATE = "1", "2"
#: ``search_condition`` of GetClaimInfo_V3: 1 order date, 2 claim request date, 3 cancel/refund completed date.
CLAIM_BY_ORDER_DATE, CLAIM_BY_REQUEST_DATE, CLAIM_BY_COMPLETED_DATE = "1", "2", "3"
#: ``ShippingStat`` "" asks for statuses 1–3 (the open lines); "4" and "5" for shipped and delivered ones.
OPEN_STATUSES, SHIPPED, DELIVERED = "", "4", "5"

#: shippingStatus 1–5 (the meaning of 1–3 is partly unverified; see the docs).
STATUS_LABELS = {1: "入金待ち", 2: "配送要請", 3: "発注確認済み", 4: "配送中", 5: "配送完了"}
#: claimStatus codes that mean the line is cancelled for good (3 キャンセル完了, 16 未入金キャンセル).
CANCELLED_CLAIMS = frozenset({3, 16})
#: claimStatus codes of a cancellation still in progress (1 キャンセル要請, 2 キャンセル中): a person decides.
PENDING_CLAIMS = frozenset({1, 2})
CLAIM_LABELS = {
    1: "キャンセル要請",
    2: "キャンセル中",
    3: "キャンセル完了",
    4: "返品要請",
    5: "返品中",
    6: "返品完了",
    11: "交換申請",
    12: "交換承認",
    13: "再配送中",
    14: "未受取返金完了",
    15: "未受取一部返金完了",
    16: "未入金キャンセル",
}

#: The longest search window Qoo10 accepts (-10003 "Searching period exceeds to 90 days").
MAX_WINDOW = timedelta(days=90)

#: Juchu's carrier codes (Rakuten's, malls.md §1.6) → Qoo10 ``ShippingCorp`` names (unverified spelling).
CARRIERS = {
    "1000": "Others",
    "1001": "Yamato",
    "1002": "Sagawa",
    "1003": "JapanPost",
    "1029": "JapanPost",
}

#: SetCancelProcess ``CancelReason``: "" 在庫なし (default), 1 注文変更, 2 配送不可地域, 3 配送遅延.
CANCEL_REASONS = {
    "out_of_stock": "",
    "shop_cancel": "",
    "order_change": "1",
    "undeliverable_area": "2",
    "delivery_delay": "3",
}


def wire_moment(moment: datetime) -> str:
    """``yyyyMMddHHmmss`` in JST, the search date format Juchu sends."""
    return moment.astimezone(JST).strftime("%Y%m%d%H%M%S")


_MOMENT = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?")


def parse_moment(value: str) -> datetime:
    """A Qoo10 date-time (``2025-04-01 10:15:30`` or ``2025/04/01 10:15:30``, JST); ValueError otherwise."""
    match = _MOMENT.fullmatch(value.strip().split(".")[0])
    if match is None:
        raise ValueError(value)
    year, month, day, hour, minute, second = match.groups()
    return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=JST)


_STATUS = re.compile(r"^\s*(?:.*\()?\s*(\d+)\s*\)?\s*$")


def status_code(value: object) -> int | None:
    """``On request(2)`` / ``"2"`` / ``2`` → 2; None when there is no code."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    match = _STATUS.match(value)
    return int(match.group(1)) if match else None


def japanese_phone(value: str) -> str:
    """A Qoo10 phone (``+81-90-1234-5678``, ``+819012345678``, ``81 90…``) as a Japanese number (``090-1234-5678``)."""
    text = value.strip()
    if text.startswith("+81") or (text.startswith("81") and len(re.sub(r"\D", "", text)) in (11, 12)):
        rest = text[3:] if text.startswith("+") else text[2:]
        rest = rest.lstrip(" -()")
        if rest.startswith("(0)"):
            rest = rest[3:]
        return rest if rest.startswith("0") else "0" + rest
    return text


def postal_code(value: str) -> str:
    """``100-0005`` / ``〒1000005`` → ``1000005`` (digits only)."""
    return re.sub(r"\D", "", value)
