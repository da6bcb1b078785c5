"""Shared bits of the MakeShop emulator: JST time formats, the error type, codes and carrier names."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")

#: Request parameters ``start``/``end``: ``yyyymmddhhmmss`` in JST.
PARAM_DATETIME = "%Y%m%d%H%M%S"
#: Dates and times inside the XML answers: ``yyyy-mm-dd hh:mm:ss`` in JST.
XML_DATETIME = "%Y-%m-%d %H:%M:%S"
SLIP_RE = re.compile(r"^[0-9A-Za-z-]{1,30}$")

# Error codes (README.md "Errors"); every error but E009 is answered with HTTP 200.
AUTH = "E001"
BAD_PARAMETER = "E002"
NO_ORDER = "E003"
WRONG_STATE = "E004"
ALREADY_CANCELLED = "E005"
NO_DELIVERY = "E006"
RATE_LIMITED = "E009"
TOO_MANY = "E010"
NO_PRODUCT = "E101"
NO_OPTION = "E102"
BAD_STOCK = "E103"

#: Delivery status (配送ステータス) of one destination.
NOT_SHIPPED, PREPARING, SHIPPED = 0, 1, 2
DELIVERY_STATUS_NAMES = {NOT_SHIPPED: "未発送", PREPARING: "発送準備中", SHIPPED: "発送済"}

#: ``company`` codes of ``cmd=status`` (the emulator's choice; README.md).
CARRIERS = {
    "1": "ヤマト運輸",
    "2": "佐川急便",
    "3": "日本郵便",
    "4": "西濃運輸",
    "5": "福山通運",
    "6": "日本通運",
    "99": "その他",
}

CARD, BANK, KONBINI, COD = "クレジットカード決済", "銀行振込", "コンビニ決済", "代金引換"
PAYMENT_METHODS = (CARD, BANK, KONBINI, COD)
PAID_AT_ONCE = frozenset({CARD})
DELIVERY_METHODS = ("宅配便", "メール便")


class ApiError(Exception):
    """A request the MakeShop API refuses: answered as ``<error><code/><message/></error>``."""

    def __init__(self, code: str, message: str, status: int = 200) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
        self.status = status


def now_jst() -> datetime:
    """The real clock, in JST, whole seconds."""
    return datetime.now(JST).replace(microsecond=0)


def fmt_xml(moment: datetime | None) -> str:
    """A datetime as the XML shows it ('' for none)."""
    return moment.astimezone(JST).strftime(XML_DATETIME) if moment else ""


def parse_param(value: str, name: str) -> datetime:
    """A ``yyyymmddhhmmss`` request parameter; E002 when it is not one."""
    if not re.fullmatch(r"\d{14}", value or ""):
        raise ApiError(BAD_PARAMETER, f"{name} は yyyymmddhhmmss で指定してください")
    try:
        return datetime.strptime(value, PARAM_DATETIME).replace(tzinfo=JST)
    except ValueError:
        raise ApiError(BAD_PARAMETER, f"{name} の日時が不正です") from None
