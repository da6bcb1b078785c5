"""RSL wire JSON ↔ Juchu's warehouse value types. RSL's field names live only here and in the CSV module."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

from juchu.connectors.base import (
    InboundPlan,
    ParcelData,
    RequestLine,
    ResultStatus,
    ShipmentRequestData,
    ShipmentResult,
    StockLevel,
)

JST = timezone(timedelta(hours=9), "JST")

#: The delivery method codes RSL knows; Juchu maps the mall's method to one of these before sending.
DELIVERY_METHODS = frozenset(
    {"YUPACK", "YUPACKET", "YUPACKET_1CM", "YUPACKET_2CM", "YUPACKET_3CM", "CVS_PICKUP", "POST_OFFICE_PICKUP"}
)
_POSTAL = re.compile(r"[0-9]{7}")


class MappingError(ValueError):
    """One record could not be translated; names the request (or SKU) and the field at fault."""

    def __init__(self, key: str, field: str, reason: str) -> None:
        super().__init__(f"{key or '(ID不明)'} の {field}: {reason}")
        self.key = key
        self.field = field
        self.reason = reason


# ---- outgoing ----------------------------------------------------------------------------------------


def postal_code(value: str) -> str:
    """A postal code as RSL wants it: 7 ASCII digits, no hyphen or 〒; '' when it cannot be one."""
    digits = re.sub(r"[\s\-‐－ー〒]", "", unicodedata.normalize("NFKC", value))
    return digits if _POSTAL.fullmatch(digits) else ""


def phone_number(value: str) -> str:
    """A phone number in ASCII without spaces (hyphens kept)."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", value))


def check_request(data: ShipmentRequestData) -> None:
    """Raise :class:`MappingError` for what RSL could only reject (method, postal code, lines)."""
    key = data.request_id
    if data.delivery_method not in DELIVERY_METHODS:
        raise MappingError(
            key,
            "deliveryMethod",
            f"'{data.delivery_method}' はRSLの配送方法コードではありません（配送方法の対応表を確認してください）",
        )
    if not postal_code(data.address.postal_code):
        raise MappingError(key, "recipient.postalCode", f"'{data.address.postal_code}' は7桁の郵便番号ではありません")
    if not data.lines:
        raise MappingError(key, "lines", "明細がありません")
    for line in data.lines:
        if line.quantity < 1:
            raise MappingError(key, "lines.quantity", f"SKU {line.sku} の数量 {line.quantity} は1以上にしてください")


def request_to_json(data: ShipmentRequestData) -> dict[str, Any]:
    """A ShipmentRequest body; raises :class:`MappingError` for what RSL could only reject."""
    check_request(data)
    body: dict[str, Any] = {
        "requestId": data.request_id,
        "mallOrderNumber": data.mall_order_number,
        "packageNumber": data.package_number,
        "shopCode": data.shop_code,
        "deliveryMethod": data.delivery_method,
    }
    if data.requested_date is not None:
        body["deliveryDate"] = data.requested_date.isoformat()
    if data.delivery_time:
        body["deliveryTime"] = data.delivery_time
    body["recipient"] = {
        "name": data.recipient_name,
        "postalCode": postal_code(data.address.postal_code),
        "prefecture": data.address.prefecture,
        "city": data.address.city,
        "address1": data.address.address1,
        "address2": data.address.address2,
        "phone": phone_number(data.phone),
    }
    body["lines"] = [{"sku": x.sku, "quantity": x.quantity, "unitPrice": x.unit_price} for x in data.lines]
    body["amounts"] = {"goods": data.goods_amount, "postage": data.postage, "codAmount": data.cod_amount}
    body["giftWrapping"] = data.gift
    body["note"] = data.note
    return body


def inbound_to_json(plan: InboundPlan) -> dict[str, Any]:
    """An inbound plan (入荷予定) body."""
    return {
        "planId": plan.plan_id,
        "arrivalDate": plan.arrival_date.isoformat(),
        "lines": [{"sku": x.sku, "quantity": x.quantity} for x in plan.lines],
    }


def item_to_json(name: str, jan_code: str, size_category: str, price: int) -> dict[str, Any]:
    """An item master body for ``PUT /items/{sku}``."""
    return {"name": name, "janCode": jan_code, "sizeCategory": size_category, "price": price}


# ---- incoming ----------------------------------------------------------------------------------------


def result_key(item: object) -> str:
    """The requestId of a result item if it has a readable one, else ''."""
    if isinstance(item, Mapping):
        value = item.get("requestId")
        if isinstance(value, str):
            return value
    return ""


def result_cursor(item: object) -> str:
    """The cursor just after a result item ('' when it carries none)."""
    if isinstance(item, Mapping):
        value = item.get("cursor")
        if isinstance(value, str):
            return value
        if _is_int(value):
            return str(value)
    return ""


def result_from_json(item: object) -> ShipmentResult:
    """A ShipmentResult from RSL's; raises :class:`MappingError` naming the requestId and field."""
    if not isinstance(item, Mapping):
        raise MappingError("", "(result)", f"結果がオブジェクトではありません: {_preview(item)}")
    key = result_key(item)
    if not key:
        raise MappingError(
            "", "requestId", f"requestId がないか文字列ではありません: {_preview(item.get('requestId'))}"
        )
    raw_status = item.get("status")
    status = _STATUSES.get(raw_status) if isinstance(raw_status, str) else None
    if status is None:
        raise MappingError(key, "status", f"未知の状態です: {_preview(raw_status)}")
    shipped = status is ResultStatus.SHIPPED
    return ShipmentResult(
        request_id=key,
        status=status,
        warehouse_order_id=_code(item, key, "rslOrderId", required=False),
        shipped_on=_date(item.get("shippedOn"), key, "shippedOn") if shipped else None,
        carrier_code=_code(item, key, "carrierCode", required=shipped),
        carrier_name=_text(item, key, "carrierName"),
        parcels=_parcels(item.get("parcels"), key),
        reason=_text(item, key, "reason"),
    )


_STATUSES = {s.value: s for s in ResultStatus}


#: The largest stock a warehouse may report (the stock columns are 32-bit integers).
MAX_STOCK = 2**31 - 1


def stock_from_json(item: object) -> StockLevel:
    """Available stock of one inventory item; raises :class:`MappingError` naming the SKU and field."""
    if not isinstance(item, Mapping):
        raise MappingError("", "(item)", f"在庫がオブジェクトではありません: {_preview(item)}")
    sku = item.get("sku")
    if not isinstance(sku, str) or not sku:
        raise MappingError("", "sku", f"sku がないか文字列ではありません: {_preview(sku)}")
    available = item.get("available")
    if not _is_int(available) or available < 0:
        raise MappingError(sku, "available", f"0以上の整数ではありません: {_preview(available)}")
    if available > MAX_STOCK:
        raise MappingError(sku, "available", f"在庫数が範囲外です ({available}、上限 {MAX_STOCK})")
    return StockLevel(sku, available)


def _parcels(value: object, key: str) -> tuple[ParcelData, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise MappingError(key, "parcels", "配列ではありません")
    return tuple(_parcel(parcel, key, f"parcels[{i}]") for i, parcel in enumerate(value))


def _parcel(parcel: object, key: str, where: str) -> ParcelData:
    if not isinstance(parcel, Mapping):
        raise MappingError(key, where, "オブジェクトではありません")
    tracking = parcel.get("trackingNumber")
    if not isinstance(tracking, str) or not tracking.strip():
        raise MappingError(key, f"{where}.trackingNumber", f"お問い合わせ番号がありません: {_preview(tracking)}")
    lines = parcel.get("lines")
    if lines is None:
        lines = []
    if not isinstance(lines, list):
        raise MappingError(key, f"{where}.lines", "配列ではありません")
    parsed = []
    for j, line in enumerate(lines):
        at = f"{where}.lines[{j}]"
        if not isinstance(line, Mapping):
            raise MappingError(key, at, "オブジェクトではありません")
        sku, quantity = line.get("sku"), line.get("quantity")
        if not isinstance(sku, str) or not sku:
            raise MappingError(key, f"{at}.sku", f"SKUがありません: {_preview(sku)}")
        if not _is_int(quantity) or quantity < 1:
            raise MappingError(key, f"{at}.quantity", f"1以上の整数ではありません: {_preview(quantity)}")
        parsed.append(RequestLine(sku, quantity))
    return ParcelData(tracking.strip(), tuple(parsed))


def parse_date(value: object) -> date | None:
    """A date from 'YYYY-MM-DD' (or 'YYYY/MM/DD') or an aware ISO datetime taken in JST; None if neither."""
    if not isinstance(value, str):
        return None
    text = value.strip().replace("/", "-")
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    try:
        return moment.astimezone(JST).date()
    except OverflowError:  # 0001-01-01T00:00:00+23:59 has no date in JST
        return None


def _date(value: object, key: str, field: str) -> date:
    parsed = parse_date(value)
    if parsed is None:
        raise MappingError(key, field, f"日付 (YYYY-MM-DD) ではありません: {_preview(value)}")
    return parsed


def _code(item: Mapping[str, Any], key: str, field: str, *, required: bool) -> str:
    value = item.get(field)
    if _is_int(value):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    if value is None or value == "" or (isinstance(value, str) and not value.strip()):
        if required:
            raise MappingError(key, field, "値がありません")
        return ""
    raise MappingError(key, field, f"文字列ではありません: {_preview(value)}")


def _text(item: Mapping[str, Any], key: str, field: str) -> str:
    value = item.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MappingError(key, field, f"文字列ではありません: {_preview(value)}")
    return value


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _preview(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
