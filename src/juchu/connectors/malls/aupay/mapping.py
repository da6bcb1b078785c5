"""au PAY Market ``<orderInfo>`` → :class:`MallOrder` (the request bodies sent are in wire.py).

What an order means to Juchu (the choices are listed in docs/malls/aupay.md):

* paid: ``paymentStatus`` 入金済み → PAID, 与信済み → AUTHORIZED, 後払い審査OK → DEFERRED_APPROVED, 入金不要
  (代金引換) → NOT_REQUIRED; 未入金 → UNPAID, 後払い審査中 → DEFERRED_PENDING; 与信エラー/後払い審査NG → FAILED.
* cancelled: ``orderStatus`` キャンセル.
* changed: ``orderStatus`` 保留 (the order is held at the mall, a person must look) → ``change_pending``; a
  content change (quantity, address) is found by Juchu comparing the re-read order.
* confirmed: any ``orderStatus`` but 新規受付.

Reading is strict: a missing or malformed key raises :class:`MappingError` naming the order and the field.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime

from juchu.connectors.addresses import split_address
from juchu.connectors.base import MallLine, MallOrder, MallPackage
from juchu.connectors.malls.aupay.wire import CANCELLED, HELD, JST, NEW, ORDER_STATUSES
from juchu.domain.model import Address, PaymentState

PAYMENT_STATES = {
    "未入金": PaymentState.UNPAID,
    "入金済み": PaymentState.PAID,
    "与信済み": PaymentState.AUTHORIZED,
    "与信エラー": PaymentState.FAILED,
    "後払い審査中": PaymentState.DEFERRED_PENDING,
    "後払い審査OK": PaymentState.DEFERRED_APPROVED,
    "後払い審査NG": PaymentState.FAILED,
    "入金不要": PaymentState.NOT_REQUIRED,
}
MAX_STORED_INT = 2**31 - 1
_MOMENT = re.compile(r"(\d{4})/(\d{2})/(\d{2}) (\d{2}):(\d{2})(?::(\d{2}))?", re.ASCII)
_DAY = re.compile(r"(\d{4})/(\d{2})/(\d{2})", re.ASCII)


class MappingError(ValueError):
    """An ``<orderInfo>`` that cannot be read: names the order id and the field."""

    def __init__(self, order_id: str, field: str, problem: str) -> None:
        super().__init__(f"au PAY注文 {order_id or '(番号不明)'}: {field} {problem}")
        self.order_id = order_id
        self.field = field


def order_id_of(info: ET.Element) -> str:
    """The ``orderId`` of an ``<orderInfo>`` ('' when there is none)."""
    return (info.findtext("orderId") or "").strip()


class _Reader:
    """Typed access to one ``<orderInfo>``, raising MappingError with the field's path."""

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id

    def fail(self, path: str, problem: str) -> MappingError:
        return MappingError(self.order_id, path, problem)

    def text(self, element: ET.Element, key: str, path: str, *, required: bool = False) -> str:
        found = element.find(key)
        if found is None:
            if required:
                raise self.fail(path, "がありません")
            return ""
        value = (found.text or "").strip()
        if required and not value:
            raise self.fail(path, "が空です")
        return value

    def integer(self, element: ET.Element, key: str, path: str, *, default: int | None = None) -> int:
        value = self.text(element, key, path, required=default is None)
        if not value:
            return default or 0
        if not re.fullmatch(r"-?\d+", value, re.ASCII):
            raise self.fail(path, f"が整数ではありません ({value!r})")
        number = int(value)
        if abs(number) > MAX_STORED_INT:
            raise self.fail(path, f"が範囲外です ({value})")
        return number

    def moment(self, element: ET.Element, key: str, path: str) -> datetime:
        value = self.text(element, key, path, required=True)
        match = _MOMENT.fullmatch(value)
        try:
            if match is None:
                raise ValueError(value)
            y, mo, d, h, mi, s = (int(g or 0) for g in match.groups())
            return datetime(y, mo, d, h, mi, s, tzinfo=JST)
        except ValueError:
            raise self.fail(path, f"が日時 (YYYY/MM/DD HH:MM) ではありません ({value!r})") from None

    def day(self, element: ET.Element, key: str, path: str) -> date | None:
        value = self.text(element, key, path)
        if not value:
            return None
        match = _DAY.fullmatch(value)
        try:
            if match is None:
                raise ValueError(value)
            return date(*(int(g) for g in match.groups()))
        except ValueError:
            raise self.fail(path, f"が日付 (YYYY/MM/DD) ではありません ({value!r})") from None


def to_mall_order(info: ET.Element) -> MallOrder:
    """One ``<orderInfo>`` as a :class:`MallOrder`; MappingError when it cannot be read."""
    order_id = order_id_of(info)
    r = _Reader(order_id)
    if not order_id:
        raise r.fail("orderId", "がないか空です")
    status = r.text(info, "orderStatus", "orderStatus", required=True)
    if status not in ORDER_STATUSES:
        raise r.fail("orderStatus", f"が未知のステータスです ({status})")
    payment = r.text(info, "paymentStatus", "paymentStatus", required=True)
    if payment not in PAYMENT_STATES:
        raise r.fail("paymentStatus", f"が未知の値です ({payment})")
    lines = tuple(_line(r, detail, f"detail[{i}]") for i, detail in enumerate(info.findall("detail")))
    if not lines:
        raise r.fail("detail", "に明細がありません")
    zip_code = r.text(info, "senderZipCode", "senderZipCode", required=True).replace("-", "")
    prefecture, city, rest = split_address(r.text(info, "senderAddress", "senderAddress", required=True))
    package = MallPackage(
        recipient_name=r.text(info, "senderName", "senderName", required=True),
        recipient_kana=r.text(info, "senderKana", "senderKana"),
        address=Address(postal_code=zip_code, prefecture=prefecture, city=city, address1=rest),
        delivery_method=r.text(info, "deliveryName", "deliveryName")
        or r.text(info, "deliveryMethodId", "deliveryMethodId"),
        lines=lines,
        phone=r.text(info, "senderPhoneNumber1", "senderPhoneNumber1"),
        requested_date=r.day(info, "deliveryRequestDay", "deliveryRequestDay"),
        delivery_time=r.text(info, "deliveryRequestTime", "deliveryRequestTime"),
    )
    state = PAYMENT_STATES[payment]
    return MallOrder(
        mall_order_number=order_id,
        ordered_at=r.moment(info, "orderDate", "orderDate"),
        packages=(package,),
        payment_method=r.text(info, "settlementName", "settlementName", required=True),
        payment_state=state,
        mall_status=status,
        buyer_name=r.text(info, "ordererName", "ordererName"),
        buyer_kana=r.text(info, "ordererKana", "ordererKana"),
        email=r.text(info, "mailAddress", "mailAddress"),
        phone=r.text(info, "ordererPhoneNumber1", "ordererPhoneNumber1"),
        remarks=r.text(info, "userComment", "userComment"),
        coupon_used=r.integer(info, "couponTotalPrice", "couponTotalPrice", default=0),
        points_used=r.integer(info, "usePoint", "usePoint", default=0),
        goods_total=sum(line.unit_price * line.quantity for line in lines),
        postage=r.integer(info, "postagePrice", "postagePrice"),
        total=r.integer(info, "totalPrice", "totalPrice"),
        payment_error=f"決済状態: {payment}" if state is PaymentState.FAILED else "",
        cancelled=status == CANCELLED,
        change_pending=status == HELD,
        confirmed=status != NEW,
    )


def _line(r: _Reader, detail: ET.Element, path: str) -> MallLine:
    item_code = r.text(detail, "itemCode", f"{path}.itemCode", required=True)
    units = r.integer(detail, "unit", f"{path}.unit")
    if units <= 0:
        raise r.fail(f"{path}.unit", f"が正の数ではありません ({units})")
    name = r.text(detail, "itemName", f"{path}.itemName")
    option = r.text(detail, "itemOption", f"{path}.itemOption")
    return MallLine(
        mall_item_id=item_code,
        quantity=units,
        unit_price=r.integer(detail, "itemPrice", f"{path}.itemPrice"),
        name=f"{name} {option}".strip(),
        mall_variant_id=r.text(detail, "itemManagementId", f"{path}.itemManagementId"),
    )
