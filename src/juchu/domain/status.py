"""Order and package statuses, their labels, and the one table of legal moves (pipeline.md §1)."""

from __future__ import annotations

from enum import StrEnum

from juchu.domain.errors import IllegalTransition


class OrderStatus(StrEnum):
    """Where an order is in the pipeline."""

    NEW = "new"
    AWAITING_CHECK = "awaiting_check"
    CHECKED = "checked"
    AWAITING_SHIPMENT = "awaiting_shipment"
    SHIPPING = "shipping"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def label_ja(self) -> str:
        """The Japanese label operators see."""
        return _ORDER_LABELS[self][0]

    @property
    def label_en(self) -> str:
        """The English label."""
        return _ORDER_LABELS[self][1]

    @property
    def colour(self) -> str:
        """A UI colour name for badges."""
        return _ORDER_LABELS[self][2]

    @property
    def is_final(self) -> bool:
        """True for statuses no order ever leaves."""
        return self in (OrderStatus.COMPLETED, OrderStatus.CANCELLED)


_ORDER_LABELS: dict[OrderStatus, tuple[str, str, str]] = {
    OrderStatus.NEW: ("新規受付", "New", "grey"),
    OrderStatus.AWAITING_CHECK: ("確認待", "Awaiting check", "red"),
    OrderStatus.CHECKED: ("確認済", "Checked", "orange"),
    OrderStatus.AWAITING_SHIPMENT: ("出荷待ち", "Awaiting shipment", "blue"),
    OrderStatus.SHIPPING: ("出荷作業中", "Shipping", "indigo"),
    OrderStatus.PARTIALLY_SHIPPED: ("一部出荷済", "Partially shipped", "teal"),
    OrderStatus.SHIPPED: ("全出荷済", "Shipped", "green"),
    OrderStatus.COMPLETED: ("完了", "Completed", "darkgreen"),
    OrderStatus.CANCELLED: ("キャンセル", "Cancelled", "black"),
}

S = OrderStatus

#: The legal moves, one line per source status (pipeline.md §1). Anything else raises.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.NEW: frozenset({S.AWAITING_CHECK, S.CHECKED, S.CANCELLED}),
    S.AWAITING_CHECK: frozenset({S.CHECKED, S.CANCELLED}),
    S.CHECKED: frozenset({S.AWAITING_CHECK, S.AWAITING_SHIPMENT, S.CANCELLED}),
    S.AWAITING_SHIPMENT: frozenset({S.SHIPPING, S.AWAITING_CHECK, S.CHECKED, S.CANCELLED}),
    S.SHIPPING: frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED, S.AWAITING_CHECK, S.CANCELLED}),
    S.PARTIALLY_SHIPPED: frozenset({S.SHIPPED, S.AWAITING_CHECK}),
    S.SHIPPED: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}

#: Statuses in which an operator may cancel at once (no withdrawal needed).
CANCELLABLE_AT_ONCE = frozenset({S.NEW, S.AWAITING_CHECK, S.CHECKED, S.AWAITING_SHIPMENT})
#: Statuses before the warehouse accepted the request: the order may still be edited.
EDITABLE = CANCELLABLE_AT_ONCE
#: Statuses whose pending shipment requests may still go to their warehouse: 出荷待ち, and — once one part of a
#: split order (分割出荷) is at a warehouse — the order's other parts in 出荷作業中 and 一部出荷済.
SENDABLE = frozenset({S.AWAITING_SHIPMENT, S.SHIPPING, S.PARTIALLY_SHIPPED})
#: Statuses the advance sweep looks at.
ACTIVE = frozenset(s for s in OrderStatus if not s.is_final)


def is_allowed(source: OrderStatus, target: OrderStatus) -> bool:
    """Whether ``source -> target`` is a legal move."""
    return target in TRANSITIONS[source]


def check_transition(source: OrderStatus, target: OrderStatus) -> None:
    """Raise :class:`IllegalTransition` unless ``source -> target`` is legal."""
    if not is_allowed(source, target):
        raise IllegalTransition(source.value, target.value)


class PackageStatus(StrEnum):
    """A package's (送付先) shipment status."""

    PENDING = "pending"
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    SHIPPED = "shipped"
    UNSHIPPABLE = "unshippable"
    WITHDRAWAL_REQUESTED = "withdrawal_requested"
    WITHDRAWN = "withdrawn"

    @property
    def label_ja(self) -> str:
        """The Japanese label operators see."""
        return _PACKAGE_LABELS[self]


_PACKAGE_LABELS: dict[PackageStatus, str] = {
    PackageStatus.PENDING: "未依頼",
    PackageStatus.REQUESTED: "出荷依頼中",
    PackageStatus.ACCEPTED: "出荷中",
    PackageStatus.SHIPPED: "出荷済",
    PackageStatus.UNSHIPPABLE: "出荷不可",
    PackageStatus.WITHDRAWAL_REQUESTED: "取下げ依頼中",
    PackageStatus.WITHDRAWN: "取下げ済",
}
