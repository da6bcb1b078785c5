"""同梱 (order merging): which orders may ship in one box, who is the primary, when the box may go out.

Orders of one shop, one buyer (name + phone or e-mail), one destination (recipient, postal code, address),
one delivery method and one warehouse, none of which has a shipment request out at the warehouse yet, may be
merged: the oldest order is the primary, the others' packages ride on the primary's request. Each order keeps
its own shipment record, mall report and shipping mail. Pure: no Django, no clock.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from juchu.domain.checks import normalise_postal_code
from juchu.domain.errors import DomainError
from juchu.domain.model import Address, MergePartner, OrderSnapshot
from juchu.domain.status import OrderStatus, PackageStatus

S = OrderStatus

#: Statuses in which an order's request has not gone out yet (pipeline.md §1: before 出荷作業中).
BEFORE_REQUEST = frozenset({S.NEW, S.AWAITING_CHECK, S.CHECKED, S.AWAITING_SHIPMENT})
#: Package statuses before the warehouse has the request.
_UNSENT = frozenset({PackageStatus.PENDING, PackageStatus.REQUESTED})


class MergeRefused(DomainError):
    """The orders cannot be merged (or unmerged); the message says why, in Japanese."""


@dataclass(frozen=True, slots=True)
class MergeFacts:
    """What the merge rules need to know about one order (one package)."""

    order_id: int
    mall_order_number: str
    shop_id: int
    warehouse_id: int
    ordered_at: datetime
    status: OrderStatus
    buyer_name: str
    phone: str
    email: str
    recipient_name: str
    address: Address
    delivery_method: str
    #: How many packages (送付先) the order has; only single-package orders merge.
    packages: int = 1
    #: A shipment request of the order went out to the warehouse (accepted, or claimed and on its way).
    request_out: bool = False
    cancelled: bool = False
    #: 代金引換: the box's amount to collect is the sum of its orders, so COD merges only with COD.
    cod: bool = False
    #: The primary package of the merge group the order is in, None when it is not merged.
    group: int | None = None


def _norm(text: str) -> str:
    """NFKC, no white space, lower case: ``山田　太郎`` and ``山田 太郎`` are the same name."""
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def _phone(text: str) -> str:
    return re.sub(r"[^0-9]", "", unicodedata.normalize("NFKC", text))


def _postal(address: Address) -> str:
    return normalise_postal_code(address.postal_code) or _norm(address.postal_code)


def _place(address: Address) -> str:
    return _norm(f"{address.prefecture}{address.city}{address.address1}{address.address2}")


def merge_key(buyer_name: str, recipient_name: str, address: Address, delivery_method: str) -> str:
    """The indexed key that finds possible merge partners: buyer name, destination and delivery method.

    Phone and e-mail are not in it (either may match, see :func:`why_not_mergeable`), nor the shop and
    warehouse (separate columns).
    """
    parts = [_norm(buyer_name), _norm(recipient_name), _postal(address), _place(address), _norm(delivery_method)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def snapshot_key(order: OrderSnapshot) -> str:
    """The merge key of an order, or "" when it cannot merge at all (not exactly one package)."""
    if len(order.packages) != 1:
        return ""
    package = order.packages[0]
    return merge_key(order.buyer_name, package.recipient_name, package.address, package.delivery_method)


def _same_buyer(a: MergeFacts, b: MergeFacts) -> bool:
    if _norm(a.buyer_name) != _norm(b.buyer_name):
        return False
    same_phone = bool(_phone(a.phone)) and _phone(a.phone) == _phone(b.phone)
    same_mail = bool(a.email.strip()) and _norm(a.email) == _norm(b.email)
    return same_phone or same_mail


def _not_mergeable_alone(order: MergeFacts) -> str | None:
    """Why this order cannot be merged with any other, or None."""
    number = order.mall_order_number
    if order.cancelled or order.status is S.CANCELLED:
        return f"注文 {number} はキャンセルされています"
    if order.status not in BEFORE_REQUEST or order.request_out:
        return f"注文 {number} は出荷依頼を送信済みです ({order.status.label_ja})"
    if order.packages != 1:
        return f"注文 {number} は送付先が複数あるため同梱できません"
    return None


def why_not_mergeable(a: MergeFacts, b: MergeFacts) -> str | None:
    """Why ``a`` and ``b`` cannot ship in one box, in Japanese; None when they can."""
    for order in (a, b):
        alone = _not_mergeable_alone(order)
        if alone is not None:
            return alone
    pair = f"注文 {a.mall_order_number} と {b.mall_order_number}"
    if a.shop_id != b.shop_id:
        return f"{pair} はショップが違います"
    if a.warehouse_id != b.warehouse_id:
        return f"{pair} は出荷倉庫が違います"
    if not _same_buyer(a, b):
        return f"{pair} は注文者 (氏名と電話番号またはメールアドレス) が違います"
    if _norm(a.recipient_name) != _norm(b.recipient_name):
        return f"{pair} は送付先の氏名が違います"
    if _postal(a.address) != _postal(b.address) or _place(a.address) != _place(b.address):
        return f"{pair} は送付先の住所が違います"
    if _norm(a.delivery_method) != _norm(b.delivery_method):
        return f"{pair} は配送方法が違います"
    if a.cod != b.cod:
        return f"{pair} は代金引換とそれ以外の決済が混在しています"
    return None


def candidates(order: MergeFacts, others: Sequence[MergeFacts]) -> tuple[str, ...]:
    """Mall order numbers of the ``others`` that ``order`` could be merged with (not already in its group)."""
    found = []
    for other in others:
        if other.order_id == order.order_id:
            continue
        if order.group is not None and other.group == order.group:
            continue
        if why_not_mergeable(order, other) is None:
            found.append(other.mall_order_number)
    return tuple(sorted(found))


def primary_of(orders: Sequence[MergeFacts]) -> MergeFacts:
    """The primary of a merge: the oldest order (then the lowest id)."""
    return min(orders, key=lambda o: (o.ordered_at, o.order_id))


@dataclass(frozen=True, slots=True)
class MergePlan:
    """A checked merge: the primary and the orders whose packages ride on its request."""

    primary: MergeFacts
    secondaries: tuple[MergeFacts, ...]

    @property
    def numbers(self) -> tuple[str, ...]:
        """Every merged order's mall number, the primary first."""
        return (self.primary.mall_order_number, *(o.mall_order_number for o in self.secondaries))


def plan_merge(orders: Sequence[MergeFacts]) -> MergePlan:
    """Check that every pair of ``orders`` may merge; raise :class:`MergeRefused` with the first reason."""
    unique = {o.order_id: o for o in orders}
    if len(unique) < 2:
        raise MergeRefused("同梱するには2件以上の受注を選んでください")
    members = sorted(unique.values(), key=lambda o: (o.ordered_at, o.order_id))
    groups = {o.group for o in members}
    if len(groups) == 1 and None not in groups:
        raise MergeRefused("選んだ受注はすでに同梱されています")
    first = members[0]
    for other in members[1:]:
        reason = why_not_mergeable(first, other)
        if reason is not None:
            raise MergeRefused(reason)
    primary = primary_of(members)
    return MergePlan(primary, tuple(o for o in members if o.order_id != primary.order_id))


def check_unmerge(members: Sequence[MergeFacts]) -> None:
    """Raise :class:`MergeRefused` unless the group's request has not gone out yet."""
    if len(members) < 2:
        raise MergeRefused("この受注は同梱されていません")
    for order in members:
        if order.request_out or (order.status not in BEFORE_REQUEST and order.status is not S.CANCELLED):
            where = f"注文 {order.mall_order_number}: {order.status.label_ja}"
            raise MergeRefused(f"同梱の出荷依頼は送信済みのため解除できません ({where})")


def partner_ready(partner: MergePartner) -> bool:
    """A merged order is ready when it waits at 出荷待ち and no tag restricts its shipping instruction."""
    return partner.status is S.AWAITING_SHIPMENT and not partner.shipping_restricted


def merge_wait(order: OrderSnapshot) -> str | None:
    """Why a merged order at 出荷待ち does not send its request now, or None when it may.

    The primary waits until every merged order is ready; the others never send their own (their packages
    ride on the primary's request).
    """
    if not order.merged_with:
        return None
    if not order.merge_primary:
        primary = next((p for p in order.merged_with if p.primary), None)
        name = primary.mall_order_number if primary is not None else "-"
        return f"注文 {name} に同梱して出荷します (出荷依頼は {name} の依頼にまとめます)"
    waiting = [p for p in order.merged_with if not partner_ready(p)]
    if not waiting:
        return None
    names = "、".join(f"{p.mall_order_number} ({p.status.label_ja})" for p in waiting)
    return f"同梱する注文 {names} の出荷準備を待っています"


def request_note(numbers: Sequence[str]) -> str:
    """The note the warehouse gets on a merged request: every mall order number in the box."""
    return "同梱: 注文番号 " + "、".join(numbers)


def combine_lines(lines: Sequence[tuple[str, int, int]]) -> tuple[tuple[str, int, int], ...]:
    """Lines (SKU, quantity, unit price) of several packages as one request's lines: one line per SKU with
    the quantities summed (the first unit price seen), sorted by SKU."""
    quantities: dict[str, int] = {}
    prices: dict[str, int] = {}
    for sku, quantity, price in lines:
        quantities[sku] = quantities.get(sku, 0) + quantity
        prices.setdefault(sku, price)
    return tuple((sku, quantities[sku], prices[sku]) for sku in sorted(quantities))


def package_unsent(status: PackageStatus) -> bool:
    """Whether a package's request has not reached the warehouse yet."""
    return status in _UNSENT
