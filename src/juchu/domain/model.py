"""Plain value types the decisions work on: an order snapshot, the shop's policy, tags and effects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from juchu.domain.status import OrderStatus, PackageStatus


class PaymentState(StrEnum):
    """What the mall says about the buyer's payment."""

    UNPAID = "unpaid"
    PAID = "paid"
    AUTHORIZED = "authorized"
    NOT_REQUIRED = "not_required"
    DEFERRED_PENDING = "deferred_pending"
    DEFERRED_APPROVED = "deferred_approved"
    FAILED = "failed"

    @property
    def settled(self) -> bool:
        """Paid, card authorised, or nothing to wait for (pipeline.md §2 checked.2)."""
        return self in (
            PaymentState.PAID,
            PaymentState.AUTHORIZED,
            PaymentState.NOT_REQUIRED,
            PaymentState.DEFERRED_APPROVED,
        )


class PaymentKind(StrEnum):
    """How a payment method settles, as the shop maps its mall's methods."""

    PREPAID = "prepaid"  # bank transfer, convenience store: wait for 入金
    CARD = "card"  # card / 楽天ペイ: settled once authorised
    COD = "cod"  # 代金引換: needs no prepayment
    DEFERRED = "deferred"  # 後払い: settled once approved


class OrderType(StrEnum):
    """The mall's kind of order."""

    NORMAL = "normal"
    RESERVATION = "reservation"
    SUBSCRIPTION = "subscription"
    DISTRIBUTION = "distribution"

    @property
    def label_ja(self) -> str:
        """The Japanese label (通常/予約/定期/頒布会)."""
        return {"normal": "通常", "reservation": "予約", "subscription": "定期", "distribution": "頒布会"}[self.value]


class TagSource(StrEnum):
    """Who attached a tag."""

    SYSTEM = "system"
    RULE = "rule"
    OPERATOR = "operator"


@dataclass(frozen=True, slots=True)
class Address:
    """A Japanese postal address as the mall gave it."""

    postal_code: str
    prefecture: str
    city: str = ""
    address1: str = ""
    address2: str = ""

    def one_line(self) -> str:
        """The address on one line, prefecture first."""
        return f"〒{self.postal_code} {self.prefecture}{self.city}{self.address1} {self.address2}".strip()


@dataclass(frozen=True, slots=True)
class Line:
    """One order line (明細)."""

    id: int
    mall_item_id: str
    quantity: int
    unit_price: int = 0
    name: str = ""
    mall_variant_id: str = ""
    #: The SKU or set code the line maps to; None when no mapping exists (商品未マッピング).
    product_code: str | None = None


@dataclass(frozen=True, slots=True)
class Package:
    """One destination (送付先) with its lines and shipment status."""

    id: int
    recipient_name: str
    address: Address
    delivery_method: str
    lines: tuple[Line, ...]
    phone: str = ""
    requested_date: date | None = None
    island: bool = False
    shipment_status: PackageStatus = PackageStatus.PENDING
    #: 分割出荷: the warehouse the package ships from when it is not the order's own; None: the order's.
    warehouse_id: int | None = None


@dataclass(frozen=True, slots=True)
class Tag:
    """A tag on an order: its code, who attached it and why."""

    code: str
    source: TagSource
    reason: str = ""


@dataclass(frozen=True, slots=True)
class MergePartner:
    """Another order whose package ships in the same box (同梱) as this order's."""

    order_id: int
    mall_order_number: str
    status: OrderStatus
    shipping_restricted: bool = False
    #: Whether this partner is the primary (its request carries the box).
    primary: bool = False


@dataclass(frozen=True, slots=True)
class OrderSnapshot:
    """Everything the pipeline needs to know about one order at one moment."""

    id: int
    version: int
    shop_id: int
    mall: str
    mall_order_number: str
    status: OrderStatus
    ordered_at: datetime
    packages: tuple[Package, ...]
    payment_method: str
    payment_state: PaymentState = PaymentState.UNPAID
    buyer_name: str = ""
    email: str = ""
    phone: str = ""
    remarks: str = ""
    order_type: OrderType = OrderType.NORMAL
    gift: bool = False
    coupon_used: int = 0
    points_used: int = 0
    goods_total: int = 0
    postage: int = 0
    total: int = 0
    mall_cancelled: bool = False
    mall_changed: bool = False
    mall_confirmed: bool = False
    allocated: bool = False
    thanks_mail_queued: bool = False
    #: Every shipping report to the mall has succeeded (or the shop has no mall to report to).
    mall_reports_done: bool = False
    tags: tuple[Tag, ...] = ()
    #: Tag codes an operator removed from this order; rules never attach them again.
    removed_tags: frozenset[str] = frozenset()
    #: Mall order numbers of other orders that look like duplicates of this one (found by the caller).
    duplicate_candidates: tuple[str, ...] = ()
    #: Set when the mall reports a payment or credit failure, with the mall's words.
    payment_error: str = ""
    #: Mall order numbers of other orders this one could be merged with (同梱候補, found by the caller).
    merge_candidates: tuple[str, ...] = ()
    #: The other orders merged with this one (同梱), empty when it is not merged.
    merged_with: tuple[MergePartner, ...] = ()
    #: Whether this order is the primary of its merge (its request carries the others' packages).
    merge_primary: bool = False
    #: The order's warehouse (a package split off to another names its own, 分割出荷); None when not known.
    warehouse_id: int | None = None

    @property
    def lines(self) -> tuple[Line, ...]:
        """Every line of every package."""
        return tuple(line for package in self.packages for line in package.lines)

    @property
    def tag_codes(self) -> frozenset[str]:
        """The codes of the tags now on the order."""
        return frozenset(tag.code for tag in self.tags)


@dataclass(frozen=True, slots=True)
class ShopPolicy:
    """The shop's settings that decisions depend on."""

    shop_id: int
    mall: str
    grace_period: timedelta = timedelta(0)
    quantity_threshold: int = 10
    #: The mall's delivery method names the shop has mapped (to a warehouse delivery method).
    delivery_methods: Mapping[str, str] = field(default_factory=dict)
    #: The mall's payment method names the shop has mapped, with how each settles.
    payment_methods: Mapping[str, PaymentKind] = field(default_factory=dict)
    thanks_mail: bool = True
    shipping_mail: bool = True
    cancel_mail: bool = True
    #: Whether the mall needs an explicit 注文確認 (Rakuten confirmOrder).
    confirm_at_mall: bool = False
    #: Days after ordering at which an unconfirmed order gets the confirm_deadline warning.
    confirm_deadline_days: int = 12
    #: How long a retryable shipment-request failure may last before the tag is shown.
    request_error_grace: timedelta = timedelta(minutes=30)
    #: A merge candidate (同梱候補) stops at 確認待 for a person to decide; otherwise the tag only marks it.
    stop_merge_candidates: bool = False
