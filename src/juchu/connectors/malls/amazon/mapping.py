"""Amazon SP-API Orders v0 payloads → Juchu's MallOrder.

One order is read from four answers: the ``Order`` (getOrders/getOrder), its ``OrderItems`` (getOrderItems,
all pages), its ``ShippingAddress`` (getOrderAddress) and its ``BuyerInfo`` (getOrderBuyerInfo).

What the statuses mean to Juchu:

* ``Pending`` / ``PendingAvailability`` — payment not authorised yet (a konbini ``CVS`` order waits here until
  the buyer pays): never imported by ``fetch_new_orders``; when read by number they map to UNPAID.
* ``Unshipped`` / ``PartiallyShipped`` — paid: ``COD`` → NOT_REQUIRED (代金引換), ``CVS`` → PAID (the buyer paid
  at the konbini), anything else (``Other``: card, gift card, points) → AUTHORIZED.
* ``Shipped`` / ``InvoiceUnconfirmed`` — shipped (PAID).
* ``Canceled`` — cancelled. ``Unfulfillable`` (multi-channel only) is read as cancelled too. A cancelled
  order's items may come with ``QuantityOrdered`` 0; such a line is read as quantity 1 so the order stays
  readable and its cancellation reaches Juchu.
* An item with ``BuyerRequestedCancel.IsBuyerRequestedCancel`` true → ``change_pending``: the buyer asked to
  cancel and the shop must decide (cancel in Seller Central, or ship); a note goes into the remarks.

Amazon has no confirmation call, so every readable order is ``confirmed``. Reading is strict: a missing or
mistyped key raises :class:`MappingError` naming the order and the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from juchu.connectors.base import MallLine, MallOrder, MallPackage
from juchu.domain.model import Address, OrderType, PaymentState

STATUSES = frozenset(
    {
        "PendingAvailability",
        "Pending",
        "Unshipped",
        "PartiallyShipped",
        "Shipped",
        "InvoiceUnconfirmed",
        "Canceled",
        "Unfulfillable",
    }
)
UNPAID_STATUSES = frozenset({"PendingAvailability", "Pending"})
CANCELLED_STATUSES = frozenset({"Canceled", "Unfulfillable"})
MAX_STORED_INT = 2**31 - 1


class MappingError(ValueError):
    """An order that cannot be read: names the order id and the field."""

    def __init__(self, order_id: str, field: str, problem: str) -> None:
        super().__init__(f"Amazon注文 {order_id or '(番号不明)'}: {field} {problem}")
        self.order_number = order_id
        self.field = field


def order_id_of(raw: object) -> str:
    """The AmazonOrderId of a raw order, or ''."""
    if isinstance(raw, dict) and isinstance(raw.get("AmazonOrderId"), str):
        return str(raw["AmazonOrderId"])
    return ""


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


class _Reader:
    """Typed access to one order's JSON, raising MappingError with the field's path."""

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id

    def fail(self, path: str, problem: str) -> MappingError:
        return MappingError(self.order_id, path, problem)

    def text(self, obj: Mapping[str, Any], key: str, path: str) -> str:
        if key not in obj:
            raise self.fail(path, "がありません")
        value = obj[key]
        if not isinstance(value, str):
            raise self.fail(path, f"が文字列ではありません ({_kind(value)})")
        return value

    def opt_text(self, obj: Mapping[str, Any], key: str, path: str) -> str:
        return "" if obj.get(key) is None else self.text(obj, key, path)

    def obj(self, obj: Mapping[str, Any], key: str, path: str) -> dict[str, Any]:
        value = obj.get(key)
        if not isinstance(value, dict):
            raise self.fail(path, f"がオブジェクトではありません ({_kind(value)})")
        return value

    def integer(self, obj: Mapping[str, Any], key: str, path: str) -> int:
        value = obj.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(path, f"が整数ではありません ({_kind(value)})")
        if abs(value) > MAX_STORED_INT:
            raise self.fail(path, f"が範囲外です ({value})")
        return value

    def money(self, obj: Mapping[str, Any], key: str, path: str) -> int:
        """A ``Money`` object (``{"CurrencyCode": "JPY", "Amount": "1080.00"}``) as integer yen; absent → 0."""
        if obj.get(key) is None:
            return 0
        money = self.obj(obj, key, path)
        currency = self.opt_text(money, "CurrencyCode", f"{path}.CurrencyCode")
        if currency and currency != "JPY":
            raise self.fail(f"{path}.CurrencyCode", f"が JPY ではありません ({currency})")
        raw = self.text(money, "Amount", f"{path}.Amount")
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            raise self.fail(f"{path}.Amount", f"が数値ではありません ({raw!r})") from None
        if not amount.is_finite() or amount != amount.to_integral_value() or abs(amount) > MAX_STORED_INT:
            raise self.fail(f"{path}.Amount", f"が円の整数ではありません ({raw!r})")
        return int(amount)

    def moment(self, obj: Mapping[str, Any], key: str, path: str) -> datetime:
        raw = self.text(obj, key, path)
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise self.fail(path, f"が ISO 8601 日時ではありません ({raw!r})") from None
        if moment.tzinfo is None:
            raise self.fail(path, f"にタイムゾーンがありません ({raw!r})")
        return moment


def _flag(value: object) -> bool:
    """SP-API v0 booleans come as JSON booleans or as the strings "true"/"false"."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def payment_state(status: str, payment_method: str) -> PaymentState:
    """The payment state an order in ``status`` paid by ``payment_method`` (COD/CVS/Other) stands for."""
    if status in UNPAID_STATUSES:
        return PaymentState.UNPAID
    if status in CANCELLED_STATUSES:
        return PaymentState.UNPAID
    if payment_method == "COD":
        return PaymentState.NOT_REQUIRED
    if payment_method == "CVS" or status in ("Shipped", "InvoiceUnconfirmed"):
        return PaymentState.PAID
    return PaymentState.AUTHORIZED


def to_mall_order(raw: object, items: Sequence[object], address: object, buyer: object | None = None) -> MallOrder:
    """One order and its items, shipping address and buyer info as a :class:`MallOrder`; MappingError if not."""
    if not isinstance(raw, dict):
        raise MappingError("", "Order", f"がオブジェクトではありません ({_kind(raw)})")
    order_id = order_id_of(raw)
    r = _Reader(order_id)
    if not order_id.strip():
        raise r.fail("AmazonOrderId", "がないか空です")
    status = r.text(raw, "OrderStatus", "OrderStatus")
    if status not in STATUSES:
        raise r.fail("OrderStatus", f"が未知の値です ({status})")
    channel = r.text(raw, "FulfillmentChannel", "FulfillmentChannel")
    if channel != "MFN":
        raise r.fail("FulfillmentChannel", f"が MFN ではありません ({channel}: FBA の注文は取り込みません)")
    ordered_at = r.moment(raw, "PurchaseDate", "PurchaseDate")
    payment_method = r.opt_text(raw, "PaymentMethod", "PaymentMethod")
    delivery = r.opt_text(raw, "ShipmentServiceLevelCategory", "ShipmentServiceLevelCategory")
    order_type = OrderType.RESERVATION if raw.get("OrderType") == "Preorder" else OrderType.NORMAL

    lines: list[MallLine] = []
    notes: list[str] = []
    goods = postage = 0
    gift = False
    for i, item in enumerate(items):
        path = f"OrderItems[{i}]"
        if not isinstance(item, dict):
            raise r.fail(path, f"がオブジェクトではありません ({_kind(item)})")
        sku = r.text(item, "SellerSKU", f"{path}.SellerSKU").strip()
        if not sku:
            raise r.fail(f"{path}.SellerSKU", "が空です")
        quantity = r.integer(item, "QuantityOrdered", f"{path}.QuantityOrdered")
        if quantity <= 0:
            if status not in CANCELLED_STATUSES:
                raise r.fail(f"{path}.QuantityOrdered", f"が正の数ではありません ({quantity})")
            quantity = 1  # a cancelled order may come with its quantities zeroed: keep the line readable
        price = r.money(item, "ItemPrice", f"{path}.ItemPrice")  # the line's total, not the unit price
        goods += price
        postage += r.money(item, "ShippingPrice", f"{path}.ShippingPrice") + r.money(item, "CODFee", f"{path}.CODFee")
        gift = gift or _flag(item.get("IsGift"))
        cancel = item.get("BuyerRequestedCancel")
        if isinstance(cancel, dict) and _flag(cancel.get("IsBuyerRequestedCancel")):
            reason = cancel.get("BuyerCancelReason") or "理由なし"
            notes.append(f"[キャンセル依頼] 購入者が {sku} のキャンセルを依頼しています ({reason})")
        lines.append(
            MallLine(
                mall_item_id=sku,
                quantity=quantity,
                unit_price=price // quantity,
                name=r.opt_text(item, "Title", f"{path}.Title"),
            )
        )
    if not lines:
        raise r.fail("OrderItems", "に明細がありません")

    if not isinstance(address, dict):
        raise r.fail("ShippingAddress", f"がオブジェクトではありません ({_kind(address)})")
    a = "ShippingAddress"
    postal = r.opt_text(address, "PostalCode", f"{a}.PostalCode").replace("-", "").replace("－", "").strip()
    street2 = [r.opt_text(address, k, f"{a}.{k}").strip() for k in ("AddressLine2", "AddressLine3")]
    package = MallPackage(
        recipient_name=r.opt_text(address, "Name", f"{a}.Name").strip(),
        address=Address(
            postal_code=postal,
            prefecture=r.opt_text(address, "StateOrRegion", f"{a}.StateOrRegion").strip(),
            city=r.opt_text(address, "City", f"{a}.City").strip(),
            address1=r.opt_text(address, "AddressLine1", f"{a}.AddressLine1").strip(),
            address2=" ".join(s for s in street2 if s),
        ),
        delivery_method=delivery,
        lines=tuple(lines),
        mall_package_id="1",
        phone=r.opt_text(address, "Phone", f"{a}.Phone").strip(),
    )
    buyer_info = buyer if isinstance(buyer, dict) else {}
    return MallOrder(
        mall_order_number=order_id,
        ordered_at=ordered_at,
        packages=(package,),
        payment_method=payment_method,
        payment_state=payment_state(status, payment_method),
        mall_status=status,
        buyer_name=r.opt_text(buyer_info, "BuyerName", "BuyerInfo.BuyerName").strip(),
        email=r.opt_text(buyer_info, "BuyerEmail", "BuyerInfo.BuyerEmail").strip(),
        phone=package.phone,
        remarks="\n".join(notes),
        order_type=order_type,
        gift=gift,
        goods_total=goods,
        postage=postage,
        total=r.money(raw, "OrderTotal", "OrderTotal") or goods + postage,
        cancelled=status in CANCELLED_STATUSES,
        change_pending=bool(notes) and status not in CANCELLED_STATUSES,
        confirmed=True,
    )
