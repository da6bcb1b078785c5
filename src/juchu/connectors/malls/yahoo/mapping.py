"""Yahoo! Shopping orderInfo XML → Juchu's MallOrder.

How the pipeline reads a Yahoo order (choices where malls.md §4 is silent; docs/malls/yahoo.md):

* **paid**: ``PayStatus`` 1 (入金済) → PAID, else UNPAID. The shop's payment mapping decides the rest
  (``PayMethodName`` 商品代引 mapped to COD needs no payment).
* **cancelled**: ``OrderStatus`` 4 (キャンセル).
* **changed**: Yahoo has no "change awaiting confirmation" state, so ``change_pending`` stays False; an order
  the store or buyer changed comes back through its ``LastUpdateTime`` and Juchu compares the content.
* **confirmed**: ``IsSeen`` true (the store has looked at the order); ``confirm`` sets it.
* ``OrderStatus`` 1 予約中 and 8 繰上げ同意待ち are reservations; 0 未入力 is not an order yet (refused).

Reading is strict: a missing element or a value of the wrong shape raises :class:`MappingError` naming the
order and the field, so one malformed order becomes one per-order error.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime

from juchu.connectors.base import MallLine, MallOrder, MallPackage
from juchu.domain.model import Address, OrderType, PaymentState

ORDER_STATUS = {
    0: "未入力",
    1: "予約中",
    2: "処理中",
    3: "保留",
    4: "キャンセル",
    5: "完了",
    8: "繰上げ同意待ち",
}
SHIP_STATUS = {0: "出荷不可", 1: "出荷可", 2: "出荷処理中", 3: "出荷完了", 4: "着荷完了"}
RESERVATION_STATUSES = (1, 8)
MAX_STORED_INT = 2**31 - 1


class MappingError(ValueError):
    """An orderInfo order that cannot be read: names the order id and the field."""

    def __init__(self, order_id: str, field: str, problem: str) -> None:
        super().__init__(f"Yahoo!ショッピング注文 {order_id or '(番号不明)'}: {field} {problem}")
        self.order_number = order_id
        self.field = field


class _Reader:
    """Typed access to one OrderInfo element, raising MappingError with the element's path."""

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id

    def fail(self, path: str, problem: str) -> MappingError:
        return MappingError(self.order_id, path, problem)

    def node(self, parent: ET.Element, tag: str, path: str) -> ET.Element:
        found = parent.find(tag)
        if found is None:
            raise self.fail(path, "がありません")
        return found

    def text(self, parent: ET.Element, tag: str, path: str, *, required: bool = True) -> str:
        found = parent.find(tag)
        if found is None:
            if required:
                raise self.fail(path, "がありません")
            return ""
        return (found.text or "").strip()

    def integer(self, parent: ET.Element, tag: str, path: str, *, default: int | None = None) -> int:
        raw = self.text(parent, tag, path, required=default is None)
        if raw == "" and default is not None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise self.fail(path, f"が整数ではありません ({raw!r})") from None
        if abs(value) > MAX_STORED_INT:
            raise self.fail(path, f"が範囲外です ({value})")
        return value

    def boolean(self, parent: ET.Element, tag: str, path: str) -> bool:
        raw = self.text(parent, tag, path).lower()
        if raw not in ("true", "false"):
            raise self.fail(path, f"が true/false ではありません ({raw!r})")
        return raw == "true"

    def moment(self, parent: ET.Element, tag: str, path: str) -> datetime:
        raw = self.text(parent, tag, path)
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            value = None
        if value is None or value.tzinfo is None:
            raise self.fail(path, f"が日時 (YYYY-MM-DDTHH:MM:SS+09:00) ではありません ({raw!r})")
        return value

    def day(self, parent: ET.Element, tag: str, path: str) -> date | None:
        raw = self.text(parent, tag, path, required=False)
        if not raw:
            return None
        try:
            return date.fromisoformat(raw.replace("/", "-")) if "-" in raw or "/" in raw else _compact_day(raw)
        except ValueError:
            raise self.fail(path, f"が日付ではありません ({raw!r})") from None


def _compact_day(raw: str) -> date:
    if len(raw) != 8 or not raw.isdigit():
        raise ValueError(raw)
    return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))


def order_info_of(root: ET.Element) -> ET.Element | None:
    """The ``OrderInfo`` element of an orderInfo answer (``ResultSet/Result/OrderInfo``)."""
    return root.find("./Result/OrderInfo")


def to_mall_order(info: ET.Element) -> MallOrder:
    """One ``OrderInfo`` element as a :class:`MallOrder`; MappingError when it cannot be read."""
    order_id = (info.findtext("OrderId") or "").strip()
    r = _Reader(order_id)
    if not order_id:
        raise r.fail("OrderId", "がないか空です")
    status = r.integer(info, "OrderStatus", "OrderStatus")
    if status not in ORDER_STATUS:
        raise r.fail("OrderStatus", f"が未知のコードです ({status})")
    if status == 0:
        raise r.fail("OrderStatus", "が 0 (未入力) の注文は取り込みません")
    pay = r.node(info, "Pay", "Pay")
    ship = r.node(info, "Ship", "Ship")
    detail = r.node(info, "Detail", "Detail")
    pay_status = r.integer(pay, "PayStatus", "Pay.PayStatus")
    if pay_status not in (0, 1):
        raise r.fail("Pay.PayStatus", f"が未知のコードです ({pay_status})")
    ship_status = r.integer(ship, "ShipStatus", "Ship.ShipStatus")
    if ship_status not in SHIP_STATUS:
        raise r.fail("Ship.ShipStatus", f"が未知のコードです ({ship_status})")

    lines = []
    for i, item in enumerate(info.findall("Item")):
        path = f"Item[{i}]"
        item_id = r.text(item, "ItemId", f"{path}.ItemId")
        if not item_id:
            raise r.fail(f"{path}.ItemId", "が空です")
        quantity = r.integer(item, "Quantity", f"{path}.Quantity")
        if quantity <= 0:
            raise r.fail(f"{path}.Quantity", f"が正の数ではありません ({quantity})")
        lines.append(
            MallLine(
                mall_item_id=item_id,
                quantity=quantity,
                unit_price=r.integer(item, "UnitPrice", f"{path}.UnitPrice"),
                name=r.text(item, "Title", f"{path}.Title", required=False),
                mall_variant_id=r.text(item, "SubCode", f"{path}.SubCode", required=False),
            )
        )
    if not lines:
        raise r.fail("Item", "に明細がありません")

    zip_code = r.text(ship, "ShipZipCode", "Ship.ShipZipCode").replace("-", "")
    package = MallPackage(
        recipient_name=_name(r, ship, "Ship", "ShipLastName", "ShipFirstName"),
        recipient_kana=_name(r, ship, "Ship", "ShipLastNameKana", "ShipFirstNameKana"),
        address=Address(
            postal_code=zip_code,
            prefecture=r.text(ship, "ShipPrefecture", "Ship.ShipPrefecture"),
            city=r.text(ship, "ShipCity", "Ship.ShipCity", required=False),
            address1=r.text(ship, "ShipAddress1", "Ship.ShipAddress1", required=False),
            address2=r.text(ship, "ShipAddress2", "Ship.ShipAddress2", required=False),
        ),
        delivery_method=r.text(ship, "ShipMethodName", "Ship.ShipMethodName", required=False),
        lines=tuple(lines),
        mall_package_id=order_id,
        phone=r.text(ship, "ShipPhoneNumber", "Ship.ShipPhoneNumber", required=False),
        requested_date=r.day(ship, "ShipRequestDate", "Ship.ShipRequestDate"),
        delivery_time=r.text(ship, "ShipRequestTime", "Ship.ShipRequestTime", required=False),
    )
    goods_total = sum(line.unit_price * line.quantity for line in lines)
    return MallOrder(
        mall_order_number=order_id,
        ordered_at=r.moment(info, "OrderTime", "OrderTime"),
        packages=(package,),
        payment_method=r.text(pay, "PayMethodName", "Pay.PayMethodName"),
        payment_state=PaymentState.PAID if pay_status == 1 else PaymentState.UNPAID,
        mall_status=f"{status} {ORDER_STATUS[status]} / 出荷 {ship_status} {SHIP_STATUS[ship_status]}",
        buyer_name=_name(r, pay, "Pay", "BillLastName", "BillFirstName"),
        buyer_kana=_name(r, pay, "Pay", "BillLastNameKana", "BillFirstNameKana"),
        email=r.text(pay, "BillMailAddress", "Pay.BillMailAddress", required=False),
        phone=r.text(pay, "BillPhoneNumber", "Pay.BillPhoneNumber", required=False),
        remarks=r.text(info, "BuyerComments", "BuyerComments", required=False),
        order_type=OrderType.RESERVATION if status in RESERVATION_STATUSES else OrderType.NORMAL,
        gift=r.integer(detail, "GiftWrapCharge", "Detail.GiftWrapCharge", default=0) > 0,
        coupon_used=abs(r.integer(detail, "Discount", "Detail.Discount", default=0)),
        points_used=r.integer(detail, "UsePoint", "Detail.UsePoint", default=0),
        goods_total=goods_total,
        postage=r.integer(detail, "ShipCharge", "Detail.ShipCharge", default=0),
        total=r.integer(detail, "TotalPrice", "Detail.TotalPrice"),
        cancelled=status == 4,
        change_pending=False,
        confirmed=r.boolean(info, "IsSeen", "IsSeen"),
    )


def shipped_numbers(info: ET.Element) -> tuple[str, str, tuple[str, ...]]:
    """What the order already holds at Yahoo: (ShipStatus, ShipCompanyCode, tracking numbers)."""
    ship = info.find("Ship")
    if ship is None:
        return "", "", ()
    numbers = tuple(
        n for n in ((ship.findtext(tag) or "").strip() for tag in ("ShipInvoiceNumber1", "ShipInvoiceNumber2")) if n
    )
    return (ship.findtext("ShipStatus") or "").strip(), (ship.findtext("ShipCompanyCode") or "").strip(), numbers


def _name(r: _Reader, node: ET.Element, path: str, family: str, first: str) -> str:
    parts = (
        r.text(node, family, f"{path}.{family}", required=False),
        r.text(node, first, f"{path}.{first}", required=False),
    )
    return " ".join(p for p in parts if p)
