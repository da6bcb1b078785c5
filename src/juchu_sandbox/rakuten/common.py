"""Shared helpers of the Rakuten emulator: JST time formats, message items, error bodies."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

JST = timezone(timedelta(hours=9), "JST")

# RMS order API datetimes: offset without a colon; anything else is SEARCH_ORDER_ERROR_011.
RMS_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0900$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

SETTLEMENT_NAMES = {
    1: "クレジットカード",
    2: "代金引換",
    3: "後払い",
    4: "ショッピングクレジット／ローン",
    5: "オートローン",
    6: "リース",
    7: "請求書払い",
    8: "ポイント",
    9: "銀行振込",
    12: "Apple Pay",
    13: "セブンイレブン（前払）",
    14: "ローソン、郵便局ATM等（前払）",
    16: "Alipay",
    17: "PayPal",
    21: "後払い決済",
    27: "Alipay（支付宝）",
}

DELIVERY_COMPANIES = {
    "1000": "その他",
    "1001": "ヤマト運輸",
    "1002": "佐川急便",
    "1003": "日本郵便",
    "1004": "西濃運輸",
    "1005": "セイノースーパーエクスプレス",
    "1006": "福山通運",
    "1007": "名鉄運輸",
    "1008": "トナミ運輸",
    "1009": "第一貨物",
    "1010": "新潟運輸",
    "1011": "中越運送",
    "1012": "岡山県貨物運送",
    "1013": "久留米運送",
    "1014": "山陽自動車運送",
    "1015": "NXトランスポート",
    "1016": "エコ配",
    "1017": "EMS",
    "1018": "DHL",
    "1019": "FedEx",
    "1020": "UPS",
    "1021": "日本通運",
    "1022": "TNT",
    "1023": "OCS",
    "1024": "USPS",
    "1025": "SFエクスプレス",
    "1026": "Aramex",
    "1027": "SGHグローバル・ジャパン",
    "1028": "Rakuten EXPRESS",
    "1029": "日本郵便 楽天倉庫出荷",
    "1030": "ヤマト運輸 クロネコゆうパケット",
    "1031": "名鉄NX運輸",
}

PROGRESS_NAMES = {
    100: "注文確認待ち",
    200: "楽天処理中",
    300: "発送待ち",
    400: "変更確定待ち",
    500: "発送済",
    600: "支払手続き中",
    700: "支払手続き済",
    800: "キャンセル確定待ち",
    900: "キャンセル確定",
}

# changeReasonDetailApply values accepted by cancelOrder (malls.md §1.2).
CANCEL_REASONS = {1, 2, 3, 4, 5, 6, 8, 10, 13, 14, 15}


def now_jst() -> datetime:
    return datetime.now(JST)


def fmt_dt(value: datetime | None) -> str | None:
    """``yyyy-MM-ddTHH:mm:ss+0900`` (the order API's format)."""
    if value is None:
        return None
    return value.astimezone(JST).strftime("%Y-%m-%dT%H:%M:%S+0900")


def fmt_iso(value: datetime) -> str:
    """``yyyy-MM-ddTHH:mm:ss+09:00`` (the inventory API's format)."""
    return value.astimezone(JST).strftime("%Y-%m-%dT%H:%M:%S+09:00")


def fmt_date(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.astimezone(JST).date()
    return value.isoformat()


def parse_rms_dt(value: Any) -> datetime | None:
    """Parse an order-API datetime; None when the format is not exactly ``…+0900``."""
    if not isinstance(value, str) or not RMS_DATETIME_RE.match(value):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None


def parse_any_dt(value: Any) -> datetime | None:
    """Parse a stored datetime or date string leniently (for search over stored orders)."""
    if not isinstance(value, str) or not value:
        return None
    if DATE_RE.match(value):
        try:
            return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=JST)
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(value.replace("+0900", "+09:00"))
    except ValueError:
        return None


def valid_date(value: Any) -> bool:
    if not isinstance(value, str) or not DATE_RE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def message(kind: str, code: str, text: str, **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"messageType": kind, "messageCode": code, "message": text}
    item.update(extra)
    return item


class RmsError(Exception):
    """An order-API error answered as ``{"MessageModelList": [...]}`` plus ``extra`` keys, with ``status``."""

    def __init__(
        self,
        status: int,
        messages: list[dict[str, Any]],
        extra: dict[str, Any] | None = None,
    ):
        super().__init__(messages[0]["messageCode"] if messages else "error")
        self.status = status
        self.messages = messages
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        return {**self.extra, "MessageModelList": self.messages}


def rms_error(status: int, code: str, text: str, **extra: Any) -> RmsError:
    return RmsError(status, [message("ERROR", code, text)], extra or None)


class InventoryError(Exception):
    """An inventory-API error: ``{"errors": [{"code", "message", "metadata": {"propertyPath"}}]}``."""

    def __init__(self, status: int, code: str, text: str, property_path: str | None = None):
        super().__init__(code)
        self.status = status
        self.code = code
        self.text = text
        self.property_path = property_path

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.text}
        if self.property_path is not None:
            error["metadata"] = {"propertyPath": self.property_path}
        return {"errors": [error]}
