"""Qoo10 order rows → MallOrder: one Juchu order per cart (``packNo``), one line per Qoo10 ``orderNo``.

Qoo10 answers one row per ordered item (``orderNo``); the rows bought together share a ``packNo`` (cart),
one buyer, one destination and one shipment. Juchu's order number is the ``packNo``; the package's
``mall_package_id`` lists the cart's live ``orderNo`` s (comma-separated), which the shipping report uses.

What the rows mean (shippingStatus, claimStatus — partly unverified, see docs/malls/qoo10.md):

* paid: the cart's live lines are in status 2 (配送要請) or later, or carry a ``PaymentDate``; status 1 is
  入金待ち (bank transfer / コンビニ not yet paid) → UNPAID.
* confirmed: every live line is in status 3 (発注確認済み, after SetSellerCheckYN_V2) or later.
* cancelled: every line has claimStatus 3 (キャンセル完了) or 16 (未入金キャンセル).
* change_pending: some line has a cancellation in progress (claim 1/2), or some but not all lines are
  cancelled (those lines are left out of the order).

Reading is strict: a row missing a field or with a field of the wrong type raises :class:`MappingError`
naming the cart and the field, so one bad cart is one per-order error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from juchu.connectors.addresses import split_address
from juchu.connectors.base import MallLine, MallOrder, MallPackage
from juchu.connectors.malls.qoo10 import wire
from juchu.domain.model import Address, PaymentState

MAX_STORED_INT = 2**31 - 1


class MappingError(ValueError):
    """A cart whose rows cannot be read: names the packNo and the field."""

    def __init__(self, number: str, field: str, problem: str) -> None:
        super().__init__(f"Qoo10注文 {number or '(番号不明)'}: {field} {problem}")
        self.order_number = number
        self.field = field


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def key_of(value: object) -> str:
    """An ``orderNo``/``packNo`` (int or digit string) as text, '' when it is neither."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip().isdigit():
        return value.strip()
    return ""


def pack_of(row: object) -> str:
    """The packNo of a raw row, '' when unreadable."""
    return key_of(row.get("packNo")) if isinstance(row, dict) else ""


def order_no_of(row: object) -> str:
    """The orderNo of a raw row, '' when unreadable."""
    return key_of(row.get("orderNo")) if isinstance(row, dict) else ""


def group_by_pack(rows: Iterable[object]) -> tuple[dict[str, list[dict[str, Any]]], list[object]]:
    """Rows by packNo (the last row of an orderNo wins), and the rows without a readable packNo/orderNo."""
    packs: dict[str, dict[str, dict[str, Any]]] = {}
    unreadable: list[object] = []
    for row in rows:
        pack, order_no = pack_of(row), order_no_of(row)
        if not pack or not order_no:
            unreadable.append(row)
            continue
        assert isinstance(row, dict)
        packs.setdefault(pack, {})[order_no] = row
    return {pack: list(lines.values()) for pack, lines in packs.items()}, unreadable


class _Row:
    """Typed access to one row's fields, raising MappingError with the orderNo in the path."""

    def __init__(self, number: str, row: dict[str, Any]) -> None:
        self.number = number
        self.row = row
        self.path = f"orderNo {order_no_of(row)}"

    def fail(self, key: str, problem: str) -> MappingError:
        return MappingError(self.number, f"{self.path}.{key}", problem)

    def text(self, key: str, *, required: bool = False) -> str:
        value = self.row.get(key)
        if value is None:
            if required:
                raise self.fail(key, "がありません")
            return ""
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            raise self.fail(key, f"が文字列ではありません ({_kind(value)})")
        if required and not value.strip():
            raise self.fail(key, "が空です")
        return value.strip()

    def amount(self, key: str, *, required: bool = True) -> int:
        value = self.row.get(key)
        if value is None or value == "":
            if required:
                raise self.fail(key, "がありません")
            return 0
        if isinstance(value, str):
            try:
                value = float(value.replace(",", ""))
            except ValueError:
                raise self.fail(key, f"が数値ではありません ({value!r})") from None
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise self.fail(key, f"が数値ではありません ({_kind(value)})")
        number = round(value)
        if abs(number) > MAX_STORED_INT:
            raise self.fail(key, f"が範囲外です ({value})")
        return number

    def moment(self, key: str) -> datetime | None:
        value = self.text(key)
        if not value:
            return None
        try:
            return wire.parse_moment(value)
        except ValueError:
            raise self.fail(key, f"が日時 (yyyy-MM-dd HH:mm:ss) ではありません ({value!r})") from None

    def day(self, key: str) -> date | None:
        value = self.text(key)
        if not value:
            return None
        try:
            return date.fromisoformat(value.replace("/", "-")[:10])
        except ValueError:
            raise self.fail(key, f"が日付 (yyyy-MM-dd) ではありません ({value!r})") from None

    def status(self) -> int:
        code = wire.status_code(self.row.get("shippingStatus"))
        if code is None or code not in wire.STATUS_LABELS:
            raise self.fail("shippingStatus", f"が未知の値です ({self.row.get('shippingStatus')!r})")
        return code

    def claim(self) -> int | None:
        value = self.row.get("claimStatus")
        if value in (None, "", 0, "0"):
            return None
        code = wire.status_code(value)
        if code is None or code not in wire.CLAIM_LABELS:
            raise self.fail("claimStatus", f"が未知の値です ({value!r})")
        return code


def to_mall_order(number: str, rows: list[dict[str, Any]]) -> MallOrder:
    """One cart's rows (same packNo) as a :class:`MallOrder`; MappingError when they cannot be read."""
    if not rows:
        raise MappingError(number, "ResultObject", "にこのカートの行がありません")
    readers = sorted((_Row(number, row) for row in rows), key=lambda r: int(order_no_of(r.row)))
    claims = {id(r): r.claim() for r in readers}
    statuses = {id(r): r.status() for r in readers}
    gone = [r for r in readers if claims[id(r)] in wire.CANCELLED_CLAIMS]
    live = [r for r in readers if claims[id(r)] not in wire.CANCELLED_CLAIMS]
    cancelled = not live
    shown = live or readers
    first = shown[0]
    lowest = min(statuses[id(r)] for r in shown)
    paid = lowest >= 2 or all(r.text("PaymentDate") for r in shown)
    pending_claim = any(claims[id(r)] in wire.PENDING_CLAIMS for r in readers)

    ordered = [r.moment("orderDate") for r in readers]
    if any(m is None for m in ordered):
        raise first.fail("orderDate", "がありません")
    lines = tuple(_line(r) for r in shown)
    goods_total = sum(line.unit_price * line.quantity for line in lines)
    line_discounts = sum(r.amount("discount", required=False) for r in shown)
    cart_discounts = first.amount("Cart_Discount_Seller", required=False) + first.amount(
        "Cart_Discount_Qoo10", required=False
    )
    totals = [r.amount("total", required=False) for r in shown]
    total = (sum(totals) if all(totals) else goods_total - line_discounts) - cart_discounts

    remarks = first.text("ShippingMsg")
    gift = first.text("Gift")
    notes = [f"[Qoo10 おまけ] {gift}"] if gift else []
    if gone and live:
        notes.append("[Qoo10 一部キャンセル] 注文番号 " + ", ".join(order_no_of(r.row) for r in gone))

    package = MallPackage(
        recipient_name=first.text("receiver", required=True),
        recipient_kana=first.text("receiver_gata"),
        address=_address(first),
        delivery_method=first.text("ShippingWay"),
        lines=lines,
        mall_package_id=",".join(order_no_of(r.row) for r in shown),
        phone=wire.japanese_phone(first.text("receiverMobile") or first.text("receiverTel")),
        requested_date=first.day("hopeDate"),
    )
    return MallOrder(
        mall_order_number=number,
        ordered_at=min(m for m in ordered if m is not None),
        packages=(package,),
        payment_method=first.text("PaymentMethod"),
        payment_state=PaymentState.PAID if paid else PaymentState.UNPAID,
        mall_status=_status_text(lowest, [claims[id(r)] for r in readers]),
        buyer_name=first.text("buyer"),
        buyer_kana=first.text("buyer_gata"),
        email=first.text("buyerEmail"),
        phone=wire.japanese_phone(first.text("buyerMobile") or first.text("buyerTel")),
        remarks="\n".join([remarks, *notes]).strip("\n"),
        coupon_used=line_discounts + cart_discounts,
        goods_total=goods_total,
        total=total,
        cancelled=cancelled,
        change_pending=not cancelled and (pending_claim or bool(gone)),
        confirmed=not cancelled and lowest >= 3,
    )


def line_name(row: dict[str, Any]) -> tuple[str, str]:
    """(mall item id, mall variant id) of a row, as its imported line is named; ("", "") when unreadable."""
    r = _Row("", row)
    try:
        return _item_of(r), r.text("optionCode")
    except MappingError:
        return "", ""


def _item_of(r: _Row) -> str:
    return r.text("sellerItemCode") or r.text("itemCode")


def _line(r: _Row) -> MallLine:
    item = _item_of(r)
    if not item:
        raise r.fail("sellerItemCode", "と itemCode が空です")
    quantity = r.amount("orderQty")
    if quantity <= 0:
        raise r.fail("orderQty", f"が正の数ではありません ({quantity})")
    title, option = r.text("itemTitle"), r.text("option")
    return MallLine(
        mall_item_id=item,
        quantity=quantity,
        unit_price=r.amount("orderPrice"),
        name=f"{title} {option}".strip(),
        mall_variant_id=r.text("optionCode"),
    )


def _address(r: _Row) -> Address:
    full = r.text("shippingAddr", required=True)
    prefecture, city, rest = split_address(full)
    if not prefecture:
        raise r.fail("shippingAddr", f"から都道府県を読み取れません ({full!r})")
    return Address(
        postal_code=wire.postal_code(r.text("zipCode", required=True)), prefecture=prefecture, city=city, address1=rest
    )


def _status_text(lowest: int, claims: list[int | None]) -> str:
    text = f"{lowest} {wire.STATUS_LABELS[lowest]}"
    found = sorted({c for c in claims if c is not None})
    return text + "".join(f" / クレーム{c} {wire.CLAIM_LABELS[c]}" for c in found)


def tracking_of(row: Mapping[str, Any]) -> str:
    """The tracking number Qoo10 holds for a row ('' when none); both spellings Qoo10 uses are read."""
    value = row.get("TrackingNo") or row.get("trackingNo") or ""
    return value.strip() if isinstance(value, str) else str(value)
