"""Rakuten wire shapes ↔ Juchu's connector types (getOrder v9 → MallOrder; the bodies sent are in wire.py).

Reading is strict: a key that is missing or of the wrong type raises :class:`MappingError` naming the order
and the field, so one malformed order becomes one per-order error and never a half-read import.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from juchu.connectors.base import MallLine, MallOrder, MallPackage

# The domain → wire bodies live in wire.py; they are re-exported here, where callers import them from.
from juchu.connectors.malls.rakuten.wire import CANCEL_REASON_CODES as CANCEL_REASON_CODES
from juchu.connectors.malls.rakuten.wire import CANCEL_REASONS as CANCEL_REASONS
from juchu.connectors.malls.rakuten.wire import DEFAULT_CANCEL_REASON as DEFAULT_CANCEL_REASON
from juchu.connectors.malls.rakuten.wire import JST as JST
from juchu.connectors.malls.rakuten.wire import MAX_QUANTITY as MAX_QUANTITY
from juchu.connectors.malls.rakuten.wire import MAX_SHIPPINGS_PER_BASKET as MAX_SHIPPINGS_PER_BASKET
from juchu.connectors.malls.rakuten.wire import ExistingShipping as ExistingShipping
from juchu.connectors.malls.rakuten.wire import cancel_body as cancel_body
from juchu.connectors.malls.rakuten.wire import cancel_reason_code as cancel_reason_code
from juchu.connectors.malls.rakuten.wire import existing_shippings as existing_shippings
from juchu.connectors.malls.rakuten.wire import inventory_item as inventory_item
from juchu.connectors.malls.rakuten.wire import inventory_key as inventory_key
from juchu.connectors.malls.rakuten.wire import new_shipping_models as new_shipping_models
from juchu.connectors.malls.rakuten.wire import search_body as search_body
from juchu.connectors.malls.rakuten.wire import wire_datetime as wire_datetime
from juchu.domain.model import Address, OrderType, PaymentState

UNFIXED = -9999  # Rakuten's "amount not decided yet"
#: The largest amount, count or price Juchu stores (its integer columns are 32-bit on PostgreSQL).
MAX_STORED_INT = 2**31 - 1
GET_ORDER_VERSION = 9

ORDER_TYPES = {1: OrderType.NORMAL, 4: OrderType.SUBSCRIPTION, 5: OrderType.DISTRIBUTION, 6: OrderType.RESERVATION}
PROGRESS_CODES = frozenset({100, 200, 300, 400, 500, 600, 700, 800, 900})
SHIPPING_TERMS = {1: "午前中", 2: "午後", 9: "その他"}


class MappingError(ValueError):
    """A getOrder order that cannot be read: names the order number and the field."""

    def __init__(self, order_number: str, field: str, problem: str) -> None:
        super().__init__(f"楽天注文 {order_number or '(番号不明)'}: {field} {problem}")
        self.order_number = order_number
        self.field = field


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


class _Reader:
    """Typed access to one order's JSON, raising MappingError with the field's path."""

    def __init__(self, number: str) -> None:
        self.number = number

    def fail(self, path: str, problem: str) -> MappingError:
        return MappingError(self.number, path, problem)

    def _get(self, obj: Mapping[str, Any], key: str, path: str) -> Any:
        if key not in obj:
            raise self.fail(path, "がありません")
        return obj[key]

    def obj(self, obj: Mapping[str, Any], key: str, path: str) -> dict[str, Any]:
        value = self._get(obj, key, path)
        if not isinstance(value, dict):
            raise self.fail(path, f"がオブジェクトではありません ({_kind(value)})")
        return value

    def opt_obj(self, obj: Mapping[str, Any], key: str, path: str) -> dict[str, Any] | None:
        return None if obj.get(key, 0) is None else self.obj(obj, key, path)

    def seq(self, obj: Mapping[str, Any], key: str, path: str, *, nullable: bool = False) -> list[Any]:
        value = self._get(obj, key, path)
        if value is None and nullable:
            return []
        if not isinstance(value, list):
            raise self.fail(path, f"が配列ではありません ({_kind(value)})")
        return value

    def integer(self, obj: Mapping[str, Any], key: str, path: str) -> int:
        value = self._get(obj, key, path)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(path, f"が整数ではありません ({_kind(value)})")
        return value

    def amount(self, obj: Mapping[str, Any], key: str, path: str) -> int:
        """An integer Juchu stores (yen, units, points): within ±MAX_STORED_INT."""
        value = self.integer(obj, key, path)
        if abs(value) > MAX_STORED_INT:
            raise self.fail(path, f"が範囲外です ({value})")
        return value

    def opt_integer(self, obj: Mapping[str, Any], key: str, path: str) -> int | None:
        """An integer that may be null or absent."""
        return None if obj.get(key) is None else self.integer(obj, key, path)

    def text(self, obj: Mapping[str, Any], key: str, path: str, *, nullable: bool = False) -> str:
        value = self._get(obj, key, path)
        if value is None and nullable:
            return ""
        if not isinstance(value, str):
            raise self.fail(path, f"が文字列ではありません ({_kind(value)})")
        return value

    def opt_text(self, obj: Mapping[str, Any], key: str, path: str) -> str:
        """A string that may be null or absent ('' then)."""
        return "" if obj.get(key) is None else self.text(obj, key, path)

    def day(self, obj: Mapping[str, Any], key: str, path: str) -> date | None:
        value = self.opt_text(obj, key, path)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise self.fail(path, f"が日付 (YYYY-MM-DD) ではありません ({value!r})") from None

    def moment(self, obj: Mapping[str, Any], key: str, path: str, *, nullable: bool = False) -> datetime | None:
        value = self.text(obj, key, path, nullable=nullable)
        if not value:
            if nullable:
                return None
            raise self.fail(path, "が空です")
        try:
            moment = _wire_moment(value)
        except ValueError:
            raise self.fail(path, f"が日時 (yyyy-MM-ddTHH:mm:ss+0900) ではありません ({value!r})") from None
        try:
            moment.astimezone(UTC)  # stored in UTC: 0001-01-01T00:00:00+0900 has no UTC time
        except OverflowError:
            raise self.fail(path, f"が範囲外の日時です ({value!r})") from None
        return moment


_WIRE_MOMENT = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})([+-])(\d{2})(\d{2})", re.ASCII)
_OFFSETS: dict[tuple[str, str, str], timezone] = {}


def _wire_moment(value: str) -> datetime:
    """``datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")``, without its generic parsing for the usual shape."""
    match = _WIRE_MOMENT.fullmatch(value)
    if match is not None:
        year, month, day, hour, minute, second, sign, off_h, off_m = match.groups()
        try:
            zone = _OFFSETS.get((sign, off_h, off_m))
            if zone is None and int(off_m) < 60:
                offset = timedelta(hours=int(off_h), minutes=int(off_m))
                zone = _OFFSETS[sign, off_h, off_m] = timezone(-offset if sign == "-" else offset)
            if zone is not None:
                return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=zone)
        except ValueError:
            pass
    # Anything unusual: strptime decides (and raises ValueError as before).
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")


def order_number_of(raw: object) -> str:
    """The order number of a raw OrderModel, or '' when there is none to read."""
    if isinstance(raw, dict) and isinstance(raw.get("orderNumber"), str):
        return str(raw["orderNumber"])
    return ""


def to_mall_order(raw: object) -> MallOrder:
    """One getOrder ``OrderModel`` as a :class:`MallOrder`; MappingError when it cannot be read.

    Deleted packages and items (``packageDeleteFlag``/``deleteItemFlag`` 1) are left out. ``noshi`` texts and
    amounts still -9999 (imported as 0) are written as notes under the buyer's remarks, one line each.
    """
    if not isinstance(raw, dict):
        raise MappingError("", "OrderModel", f"がオブジェクトではありません ({_kind(raw)})")
    number = order_number_of(raw)
    r = _Reader(number)
    if not number.strip():
        raise r.fail("orderNumber", "がないか空です")
    notes: list[str] = []

    progress = r.integer(raw, "orderProgress", "orderProgress")
    if progress not in PROGRESS_CODES:
        raise r.fail("orderProgress", f"が未知のコードです ({progress})")
    ordered_at = r.moment(raw, "orderDatetime", "orderDatetime")
    assert ordered_at is not None
    shop_confirmed_at = r.moment(raw, "shopOrderCfmDatetime", "shopOrderCfmDatetime", nullable=True)
    type_code = r.integer(raw, "orderType", "orderType")
    if type_code not in ORDER_TYPES:
        raise r.fail("orderType", f"が未知のコードです ({type_code})")
    gift = r.integer(raw, "giftCheckFlag", "giftCheckFlag") == 1
    remarks = r.text(raw, "remarks", "remarks", nullable=True)
    requested_date = r.day(raw, "deliveryDate", "deliveryDate")
    delivery_time = _shipping_term(r.opt_integer(raw, "shippingTerm", "shippingTerm"))

    def money(obj: Mapping[str, Any], key: str, label: str) -> int:
        value = r.amount(obj, key, key)
        if value == UNFIXED:
            notes.append(f"[金額未確定] {label} ({key}) は未確定 (-9999) のため 0 円で取り込みました")
            return 0
        return value

    goods_total = money(raw, "goodsPrice", "商品合計")
    postage = money(raw, "postagePrice", "送料")
    total = money(raw, "totalPrice", "合計金額")
    coupon_used = money(raw, "couponAllTotalPrice", "クーポン利用額")

    orderer = r.obj(raw, "OrdererModel", "OrdererModel")
    settlement = r.opt_obj(raw, "SettlementModel", "SettlementModel")
    payment_method = r.text(settlement, "settlementMethod", "SettlementModel.settlementMethod") if settlement else ""
    delivery = r.obj(raw, "DeliveryModel", "DeliveryModel")
    delivery_method = r.text(delivery, "deliveryName", "DeliveryModel.deliveryName", nullable=True)
    point = r.opt_obj(raw, "PointModel", "PointModel")
    points_used = 0
    if point and point.get("usedPoint") is not None:
        points_used = r.amount(point, "usedPoint", "PointModel.usedPoint")

    packages: list[MallPackage] = []
    for i, package in enumerate(r.seq(raw, "PackageModelList", "PackageModelList")):
        path = f"PackageModelList[{i}]"
        if not isinstance(package, dict):
            raise r.fail(path, f"がオブジェクトではありません ({_kind(package)})")
        if r.opt_integer(package, "packageDeleteFlag", f"{path}.packageDeleteFlag") == 1:
            continue
        mapped = _package(r, package, path, delivery_method, requested_date, delivery_time)
        noshi = r.opt_text(package, "noshi", f"{path}.noshi").strip()
        if noshi:
            notes.append(f"[のし] 送付先{len(packages) + 1} (basketId {mapped.mall_package_id}): {noshi}")
        packages.append(mapped)
    if not packages:
        raise r.fail("PackageModelList", "に送付先がありません")

    return MallOrder(
        mall_order_number=number,
        ordered_at=ordered_at,
        packages=tuple(packages),
        payment_method=payment_method,
        payment_state=PaymentState.PAID if 300 <= progress < 800 else PaymentState.UNPAID,
        mall_status=str(progress),
        buyer_name=_name(r, orderer, "OrdererModel", "familyName", "firstName"),
        buyer_kana=_name(r, orderer, "OrdererModel", "familyNameKana", "firstNameKana"),
        email=r.opt_text(orderer, "emailAddress", "OrdererModel.emailAddress"),
        phone=_phone(r, orderer, "OrdererModel"),
        remarks="\n".join([remarks.rstrip("\n"), *notes]).strip("\n") if notes else remarks,
        order_type=ORDER_TYPES[type_code],
        gift=gift,
        coupon_used=coupon_used,
        points_used=points_used,
        goods_total=goods_total,
        postage=postage,
        total=total,
        cancelled=progress in (800, 900),
        change_pending=progress == 400,
        confirmed=progress >= 200 or shop_confirmed_at is not None,
    )


def _package(
    r: _Reader,
    package: dict[str, Any],
    path: str,
    delivery_method: str,
    requested_date: date | None,
    delivery_time: str,
) -> MallPackage:
    basket_id = r.integer(package, "basketId", f"{path}.basketId")
    spath = f"{path}.SenderModel"
    sender = r.obj(package, "SenderModel", spath)
    lines = []
    for j, item in enumerate(r.seq(package, "ItemModelList", f"{path}.ItemModelList")):
        line = _line(r, item, f"{path}.ItemModelList[{j}]")
        if line is not None:
            lines.append(line)
    if not lines:
        raise r.fail(f"{path}.ItemModelList", "に明細がありません")
    return MallPackage(
        recipient_name=_name(r, sender, spath, "familyName", "firstName"),
        recipient_kana=_name(r, sender, spath, "familyNameKana", "firstNameKana"),
        address=Address(
            postal_code=r.text(sender, "zipCode1", f"{spath}.zipCode1")
            + r.text(sender, "zipCode2", f"{spath}.zipCode2"),
            prefecture=r.text(sender, "prefecture", f"{spath}.prefecture"),
            city=r.opt_text(sender, "city", f"{spath}.city"),
            address1=r.opt_text(sender, "subAddress", f"{spath}.subAddress"),
        ),
        delivery_method=delivery_method,
        lines=tuple(lines),
        mall_package_id=str(basket_id),
        phone=_phone(r, sender, spath),
        requested_date=requested_date,
        delivery_time=delivery_time,
        island=r.integer(sender, "isolatedIslandFlag", f"{spath}.isolatedIslandFlag") == 1,
    )


def _line(r: _Reader, item: object, path: str) -> MallLine | None:
    if not isinstance(item, dict):
        raise r.fail(path, f"がオブジェクトではありません ({_kind(item)})")
    if r.opt_integer(item, "deleteItemFlag", f"{path}.deleteItemFlag") == 1:
        return None
    manage_number = r.text(item, "manageNumber", f"{path}.manageNumber")
    if not manage_number.strip():
        raise r.fail(f"{path}.manageNumber", "が空です")
    units = r.amount(item, "units", f"{path}.units")
    if units <= 0:
        raise r.fail(f"{path}.units", f"が正の数ではありません ({units})")
    variant = ""
    skus = r.seq(item, "SkuModelList", f"{path}.SkuModelList", nullable=True)
    if skus:
        if not isinstance(skus[0], dict):
            raise r.fail(f"{path}.SkuModelList[0]", f"がオブジェクトではありません ({_kind(skus[0])})")
        variant = r.opt_text(skus[0], "variantId", f"{path}.SkuModelList[0].variantId")
    return MallLine(
        mall_item_id=manage_number,
        quantity=units,
        unit_price=r.amount(item, "price", f"{path}.price"),
        name=r.opt_text(item, "itemName", f"{path}.itemName"),
        mall_variant_id=variant,
    )


def _name(r: _Reader, obj: dict[str, Any], path: str, family: str, first: str) -> str:
    parts = (r.opt_text(obj, family, f"{path}.{family}"), r.opt_text(obj, first, f"{path}.{first}"))
    return " ".join(p.strip() for p in parts if p.strip())


def _phone(r: _Reader, obj: dict[str, Any], path: str) -> str:
    parts = (r.opt_text(obj, key, f"{path}.{key}") for key in ("phoneNumber1", "phoneNumber2", "phoneNumber3"))
    return "-".join(p for p in parts if p)


def _shipping_term(term: int | None) -> str:
    """``shippingTerm`` as text: 1 午前中, 2 午後, 9 その他, 1416 → 14:00-16:00, 0/null → ''."""
    if not term:
        return ""
    if term in SHIPPING_TERMS:
        return SHIPPING_TERMS[term]
    start, end = divmod(term, 100)
    if 7 <= start < end <= 24:
        return f"{start:02d}:00-{end:02d}:00"
    return str(term)
