"""Field checks for the RSL emulator: the synchronous ``E…`` rejections that need no warehouse state.

A shipment request is checked in field order and the first failure wins: ``E005`` (invalid field, the message
names it), ``E004`` (unsupported delivery method) and ``E003`` (invalid address). The warehouse then checks
``E006`` (duplicate mall order number), ``E001`` (unknown SKU) and ``E002`` (insufficient stock).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

DELIVERY_METHODS = frozenset(
    {"YUPACK", "YUPACKET", "YUPACKET_1CM", "YUPACKET_2CM", "YUPACKET_3CM", "CVS_PICKUP", "POST_OFFICE_PICKUP"}
)

PREFECTURES = frozenset(
    [
        "北海道",
        "青森県",
        "岩手県",
        "宮城県",
        "秋田県",
        "山形県",
        "福島県",
        "茨城県",
        "栃木県",
        "群馬県",
        "埼玉県",
        "千葉県",
        "東京都",
        "神奈川県",
        "新潟県",
        "富山県",
        "石川県",
        "福井県",
        "山梨県",
        "長野県",
        "岐阜県",
        "静岡県",
        "愛知県",
        "三重県",
        "滋賀県",
        "京都府",
        "大阪府",
        "兵庫県",
        "奈良県",
        "和歌山県",
        "鳥取県",
        "島根県",
        "岡山県",
        "広島県",
        "山口県",
        "徳島県",
        "香川県",
        "愛媛県",
        "高知県",
        "福岡県",
        "佐賀県",
        "長崎県",
        "熊本県",
        "大分県",
        "宮崎県",
        "鹿児島県",
        "沖縄県",
    ]
)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_POSTAL = re.compile(r"^[0-9]{7}$")
_JAN = re.compile(r"^[0-9]{8}$|^[0-9]{13}$")


class Rejection(Exception):
    """A synchronous refusal: ``code`` is an RSL ``E…`` code, ``message`` says why (naming the field)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ParsedRequest:
    """What the warehouse needs from a well-formed ShipmentRequest."""

    request_id: str
    mall_order_number: str
    package_number: int
    shop_code: str
    delivery_method: str
    delivery_date: date | None
    lines: list[dict[str, Any]]
    need: dict[str, int]  # quantity per SKU, in first-appearance order


def text(obj: dict[str, Any], key: str, path: str, *, required: bool = True, code: str = "E005") -> str | None:
    """A string field: required ones must be non-blank; optional ones may be absent or null."""
    value = obj.get(key)
    if value is None:
        if required:
            raise Rejection(code, f"{path} is required")
        return None
    if not isinstance(value, str):
        raise Rejection("E005", f"{path} must be a string")
    if required and not value.strip():
        raise Rejection(code, f"{path} must not be empty")
    return value


def integer(obj: dict[str, Any], key: str, path: str, *, minimum: int, required: bool = True) -> int | None:
    """An integer field (JSON booleans are not integers) of at least ``minimum``."""
    value = obj.get(key)
    if value is None:
        if required:
            raise Rejection("E005", f"{path} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Rejection("E005", f"{path} must be an integer")
    if value < minimum:
        raise Rejection("E005", f"{path} must be at least {minimum}")
    return value


def iso_date(obj: dict[str, Any], key: str, path: str, *, required: bool) -> date | None:
    """A ``YYYY-MM-DD`` field."""
    value = text(obj, key, path, required=required)
    if value is None:
        return None
    if not _DATE.match(value):
        raise Rejection("E005", f"{path} must be a date YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Rejection("E005", f"{path} is not a valid date") from None


def _address(value: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise Rejection("E005", f"{path} is required and must be an object")
    text(value, "name", f"{path}.name")
    for key in ("nameKana", "address2", "phone"):
        text(value, key, f"{path}.{key}", required=False)
    postal = value.get("postalCode")
    if not isinstance(postal, str) or not _POSTAL.match(postal):
        raise Rejection("E003", f"{path}.postalCode must be 7 digits")
    prefecture = text(value, "prefecture", f"{path}.prefecture", code="E003")
    if prefecture not in PREFECTURES:
        raise Rejection("E003", f"{path}.prefecture {prefecture!r} is not a prefecture")
    text(value, "city", f"{path}.city", code="E003")
    text(value, "address1", f"{path}.address1", code="E003")


def _lines(value: Any, *, priced: bool = True) -> tuple[list[dict[str, Any]], dict[str, int]]:
    if not isinstance(value, list) or not value:
        raise Rejection("E005", "lines must be a non-empty list")
    lines: list[dict[str, Any]] = []
    need: dict[str, int] = {}
    for index, line in enumerate(value):
        path = f"lines[{index}]"
        if not isinstance(line, dict):
            raise Rejection("E005", f"{path} must be an object")
        sku = text(line, "sku", f"{path}.sku")
        quantity = integer(line, "quantity", f"{path}.quantity", minimum=1)
        if priced:
            integer(line, "unitPrice", f"{path}.unitPrice", minimum=0)
        assert sku is not None and quantity is not None
        lines.append({"sku": sku, "quantity": quantity})
        need[sku] = need.get(sku, 0) + quantity
    return lines, need


def parse_request(raw: Any) -> ParsedRequest:
    """Check one ShipmentRequest (field order, first failure wins); raise :class:`Rejection`."""
    if not isinstance(raw, dict):
        raise Rejection("E005", "request must be an object")
    request_id = text(raw, "requestId", "requestId")
    mall_order_number = text(raw, "mallOrderNumber", "mallOrderNumber")
    package_number = raw.get("packageNumber", 1)
    if isinstance(package_number, bool) or not isinstance(package_number, int) or package_number < 1:
        raise Rejection("E005", "packageNumber must be an integer of 1 or more")
    shop_code = text(raw, "shopCode", "shopCode")
    method = text(raw, "deliveryMethod", "deliveryMethod")
    if method not in DELIVERY_METHODS:
        raise Rejection("E004", f"deliveryMethod {method!r} is not supported")
    delivery_date = iso_date(raw, "deliveryDate", "deliveryDate", required=False)
    text(raw, "deliveryTime", "deliveryTime", required=False)
    text(raw, "dropOffLocation", "dropOffLocation", required=False)
    _address(raw.get("recipient"), "recipient")
    if raw.get("sender") is not None:  # optional: RSL knows the shop's address from shopCode
        _address(raw["sender"], "sender")
    lines, need = _lines(raw.get("lines"))
    amounts = raw.get("amounts")
    if not isinstance(amounts, dict):
        raise Rejection("E005", "amounts is required and must be an object")
    for key in ("goods", "postage", "codAmount"):
        integer(amounts, key, f"amounts.{key}", minimum=0)
    text(raw, "note", "note", required=False)
    assert request_id and mall_order_number and shop_code and method
    return ParsedRequest(request_id, mall_order_number, package_number, shop_code, method, delivery_date, lines, need)


def check_item(body: Any) -> dict[str, Any]:
    """``PUT /items/{sku}`` body: ``name`` required; ``janCode`` (8 or 13 digits), ``sizeCategory``, ``price``."""
    if not isinstance(body, dict):
        raise Rejection("E005", "body must be an object")
    text(body, "name", "name")
    jan = text(body, "janCode", "janCode", required=False)
    if jan is not None and jan != "" and not _JAN.match(jan):
        raise Rejection("E005", "janCode must be 8 or 13 digits")
    text(body, "sizeCategory", "sizeCategory", required=False)
    integer(body, "price", "price", minimum=0, required=False)
    return {key: body.get(key) for key in ("name", "janCode", "sizeCategory", "price")}


def check_inbound(body: Any) -> tuple[str, date, list[dict[str, Any]], dict[str, int]]:
    """``POST /inbound-plans`` body: ``planId``, ``arrivalDate``, ``lines`` required; ``carrier``, ``boxes``."""
    if not isinstance(body, dict):
        raise Rejection("E005", "body must be an object")
    plan_id = text(body, "planId", "planId")
    arrival = iso_date(body, "arrivalDate", "arrivalDate", required=True)
    text(body, "carrier", "carrier", required=False)
    integer(body, "boxes", "boxes", minimum=1, required=False)
    lines, need = _lines(body.get("lines"), priced=False)
    assert plan_id is not None and arrival is not None
    return plan_id, arrival, lines, need
