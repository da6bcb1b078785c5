"""MakeShop ``<order>`` XML → Juchu's MallOrder (the tag set is the one documented in the sandbox README).

When an order counts as what:

* **paid**: ``pay_status`` 1 (card orders are 1 at once; bank transfer and konbini once the buyer paid; COD stays
  0 until the carrier collects, and the shop's payment mapping 代金引換 → COD lets it ship unpaid);
* **cancelled**: ``canceled`` 1;
* **changed**: MakeShop has no "change awaiting confirmation" state — an edit in the shop admin bumps
  ``modify_date`` and the connector re-reads the order, so Juchu sees the new content (``change_pending`` stays
  False);
* **confirmed**: MakeShop has no confirmation step; always False.

Reading is strict: a missing or malformed tag raises :class:`MappingError` naming the order and the field, so one
bad order becomes one per-order error.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from xml.etree import ElementTree as ET

from juchu.connectors.base import MallLine, MallOrder, MallPackage
from juchu.connectors.malls.makeshop.wire import JST
from juchu.domain.model import Address, PaymentState

MAX_STORED_INT = 2**31 - 1
DELIVERY_STATUS_NAMES = {"0": "未発送", "1": "発送準備中", "2": "発送済"}
CANCELLED_STATUS = "キャンセル"
_INT = re.compile(r"-?\d+")


class MappingError(ValueError):
    """An ``<order>`` that cannot be read: names the order number and the field."""

    def __init__(self, order_number: str, field: str, problem: str) -> None:
        super().__init__(f"MakeShop注文 {order_number or '(番号不明)'}: {field} {problem}")
        self.order_number = order_number
        self.field = field


def order_number_of(node: ET.Element) -> str:
    """The ``ordernum`` of an ``<order>``, or '' when there is none."""
    return (node.findtext("ordernum") or "").strip()


class _Reader:
    """Typed access to one order's XML, raising MappingError with the tag's path."""

    def __init__(self, number: str) -> None:
        self.number = number

    def fail(self, path: str, problem: str) -> MappingError:
        return MappingError(self.number, path, problem)

    def node(self, parent: ET.Element, tag: str, path: str) -> ET.Element:
        found = parent.find(tag)
        if found is None:
            raise self.fail(path, "がありません")
        return found

    def text(self, parent: ET.Element, tag: str, path: str, *, required: bool = False) -> str:
        value = (self.node(parent, tag, path).text or "").strip()
        if required and not value:
            raise self.fail(path, "が空です")
        return value

    def opt_text(self, parent: ET.Element, tag: str) -> str:
        return (parent.findtext(tag) or "").strip()

    def integer(self, parent: ET.Element, tag: str, path: str) -> int:
        value = self.text(parent, tag, path)
        if not _INT.fullmatch(value):
            raise self.fail(path, f"が整数ではありません ({value!r})")
        number = int(value)
        if abs(number) > MAX_STORED_INT:
            raise self.fail(path, f"が範囲外です ({number})")
        return number

    def flag(self, parent: ET.Element, tag: str, path: str) -> bool:
        value = self.text(parent, tag, path)
        if value not in ("0", "1"):
            raise self.fail(path, f"が 0 または 1 ではありません ({value!r})")
        return value == "1"

    def moment(self, parent: ET.Element, tag: str, path: str) -> datetime:
        value = self.text(parent, tag, path, required=True)
        try:
            return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=JST)
        except ValueError:
            raise self.fail(path, f"が日時 (yyyy-mm-dd hh:mm:ss) ではありません ({value!r})") from None

    def day(self, parent: ET.Element, tag: str, path: str) -> date | None:
        value = self.opt_text(parent, tag)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise self.fail(path, f"が日付 (yyyy-mm-dd) ではありません ({value!r})") from None


def to_mall_order(node: ET.Element) -> MallOrder:
    """One ``<order>`` as a :class:`MallOrder`; MappingError when it cannot be read."""
    number = order_number_of(node)
    r = _Reader(number)
    if not number:
        raise r.fail("ordernum", "がないか空です")
    cancelled = r.flag(node, "canceled", "canceled")
    paid = r.flag(node, "pay_status", "pay_status")
    buyer = r.node(node, "buyer", "buyer")
    deliveries = r.node(node, "deliveries", "deliveries").findall("delivery")
    if not deliveries:
        raise r.fail("deliveries", "に配送先がありません")
    packages = tuple(_package(r, d, f"deliveries/delivery[{i}]") for i, d in enumerate(deliveries))
    statuses = sorted(r.text(d, "status", f"deliveries/delivery[{i}]/status") for i, d in enumerate(deliveries))
    if any(s not in DELIVERY_STATUS_NAMES for s in statuses):
        raise r.fail("deliveries/delivery/status", f"が未知のコードです ({', '.join(statuses)})")
    return MallOrder(
        mall_order_number=number,
        ordered_at=r.moment(node, "order_date", "order_date"),
        packages=packages,
        payment_method=r.text(node, "pay_method", "pay_method"),
        payment_state=PaymentState.PAID if paid else PaymentState.UNPAID,
        mall_status=CANCELLED_STATUS if cancelled else DELIVERY_STATUS_NAMES[statuses[0]],
        buyer_name=r.text(buyer, "name", "buyer/name"),
        buyer_kana=r.opt_text(buyer, "kana"),
        email=r.opt_text(buyer, "email"),
        phone=r.opt_text(buyer, "tel"),
        remarks=r.opt_text(node, "memo"),
        points_used=r.integer(node, "use_point", "use_point"),
        goods_total=r.integer(node, "sum_price", "sum_price"),
        postage=r.integer(node, "deli_price", "deli_price"),
        total=r.integer(node, "total_price", "total_price"),
        cancelled=cancelled,
        change_pending=False,
        confirmed=False,
    )


def _package(r: _Reader, node: ET.Element, path: str) -> MallPackage:
    items = r.node(node, "items", f"{path}/items").findall("item")
    if not items:
        raise r.fail(f"{path}/items", "に明細がありません")
    zip_code = r.text(node, "zip", f"{path}/zip").replace("-", "").replace("－", "")
    return MallPackage(
        recipient_name=r.text(node, "name", f"{path}/name", required=True),
        recipient_kana=r.opt_text(node, "kana"),
        address=Address(
            postal_code=zip_code,
            prefecture=r.text(node, "pref", f"{path}/pref", required=True),
            city=r.text(node, "address1", f"{path}/address1"),
            address1=r.opt_text(node, "address2"),
        ),
        delivery_method=r.text(node, "deli_method", f"{path}/deli_method"),
        lines=tuple(_line(r, item, f"{path}/items/item[{j}]") for j, item in enumerate(items)),
        mall_package_id=r.text(node, "deliveryid", f"{path}/deliveryid", required=True),
        phone=r.opt_text(node, "tel"),
        requested_date=r.day(node, "deli_date", f"{path}/deli_date"),
        delivery_time=r.opt_text(node, "deli_time"),
    )


def _line(r: _Reader, item: ET.Element, path: str) -> MallLine:
    quantity = r.integer(item, "quantity", f"{path}/quantity")
    if quantity <= 0:
        raise r.fail(f"{path}/quantity", f"が正の数ではありません ({quantity})")
    return MallLine(
        mall_item_id=r.text(item, "brand_code", f"{path}/brand_code", required=True),
        quantity=quantity,
        unit_price=r.integer(item, "price", f"{path}/price"),
        name=r.opt_text(item, "name"),
        mall_variant_id=r.opt_text(item, "option_code"),
    )
