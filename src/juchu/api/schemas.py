"""Shapes shared by every router: errors, bounded ids and texts, pages, and the order payloads."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import AfterValidator, Field, StringConstraints

#: The largest id a path or query accepts (beyond it SQLite and PostgreSQL cannot even compare).
MAX_ID = 2**53
#: Dates the API accepts: the calendar and the database handle these without overflow.
FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2099, 12, 31)


def _printable(value: str) -> str:
    if any(ord(c) < 32 and c not in "\t\n\r" for c in value):
        raise ValueError("制御文字は使えません")
    return value


def _in_range(value: date | None) -> date | None:
    if value is not None and not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(f"日付は {FIRST_DATE} から {LAST_DATE} の間で指定してください")
    return value


def text(max_length: int, min_length: int = 0) -> Any:
    """A string type of at most ``max_length`` characters without control characters."""
    return Annotated[str, StringConstraints(max_length=max_length, min_length=min_length), AfterValidator(_printable)]


#: A positive id (orders, packages, shops, ...).
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
#: A calendar date within FIRST_DATE..LAST_DATE.
Day = Annotated[date, AfterValidator(_in_range)]
#: A tag code (slug).
TagCode = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
#: The order version a client read; a different current version makes an action fail with 409.
Version = Annotated[
    int | None, Field(default=None, ge=1, le=MAX_ID, strict=True, description="読み込んだ時点の version (省略可)")
]


class ErrorItem(Schema):
    """One problem with one input field."""

    field: str
    message: str


class Error(Schema):
    """Every error answer: a Japanese sentence, and per-field problems for 422."""

    detail: str
    errors: list[ErrorItem] = []


#: Error answers every authenticated operation may give.
AUTH_ERRORS: dict[int, Any] = {401: Error, 403: Error}
#: Error answers of a read of one object.
READ_ERRORS: dict[int, Any] = {**AUTH_ERRORS, 404: Error, 422: Error}
#: Error answers of a list.
LIST_ERRORS: dict[int, Any] = {**AUTH_ERRORS, 422: Error}
#: Error answers of a write with a JSON body.
WRITE_ERRORS: dict[int, Any] = {400: Error, **AUTH_ERRORS, 404: Error, 409: Error, 422: Error}


# -- orders -------------------------------------------------------------------------------------------------


class ShopRef(Schema):
    """The shop an order belongs to."""

    id: int
    code: str
    name: str
    mall: str


class TagOut(Schema):
    """A tag on an order."""

    code: str
    label: str
    source: str
    reason: str


class ShipmentOut(Schema):
    """A shipment of a package: carrier, tracking numbers (お問い合わせ番号), ship date."""

    carrier: str
    carrier_name: str
    tracking_numbers: list[str]
    shipped_on: date


class PackageOut(Schema):
    """A package (送付先) as the list shows it."""

    id: int
    seq: int
    recipient_name: str
    prefecture: str
    delivery_method: str
    requested_date: date | None
    delivery_time: str
    shipment_status: str
    shipments: list[ShipmentOut]


class OrderOut(Schema):
    """An order as the list shows it."""

    id: int
    mall_order_number: str
    shop: ShopRef
    status: str
    status_label: str
    version: int
    explanation: str
    ordered_at: datetime
    status_changed_at: datetime
    due_at: datetime | None
    buyer_name: str
    total: int
    payment_method: str
    tags: list[TagOut]
    packages: list[PackageOut]


class OrderPage(Schema):
    """One keyset page of orders; pass ``next_cursor`` as ``cursor`` for the next one."""

    items: list[OrderOut]
    next_cursor: str | None
    prev_cursor: str | None


class PackageDetail(PackageOut):
    """A package with its whole address."""

    recipient_kana: str
    phone: str
    postal_code: str
    city: str
    address1: str
    address2: str
    island: bool


class LineOut(Schema):
    """An order line (明細)."""

    id: int
    package_id: int
    seq: int
    mall_item_id: str
    mall_variant_id: str
    name: str
    quantity: int
    unit_price: int
    sku: str | None


class EventOut(Schema):
    """One timeline entry."""

    at: datetime
    actor: str
    kind: str
    from_status: str
    to_status: str
    reason: str


class OrderDetail(OrderOut):
    """An order with its buyer, address, lines and timeline."""

    buyer_kana: str
    email: str
    phone: str
    remarks: str
    order_type: str
    gift: bool
    goods_total: int
    postage: int
    coupon_used: int
    points_used: int
    payment_state: str
    payment_error: str
    mall_status: str
    warehouse: str
    packages: list[PackageDetail]  # type: ignore[assignment]
    lines: list[LineOut]
    events: list[EventOut]


class ActionResult(Schema):
    """What an action did, and the order as it is now."""

    result: str
    order: OrderDetail
