"""同梱 (order merging): how a merge is stored and read.

A merge is stored as ``Package.merged_into``: each merged order's package points at the primary order's
package. Only the primary's package gets a shipment request; the others ride on it (writes.create_requests),
its payload carries every merged line (fulfillment/submit.py), and each merged package gets its own shipment
when the warehouse reports the box shipped (fulfillment/collect.py). The rules (who may merge, who is the
primary, when the box may go out) are in :mod:`juchu.domain.merging`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from juchu.domain import merging as rules
from juchu.domain.model import Address, PaymentKind
from juchu.domain.status import OrderStatus, PackageStatus
from juchu.fulfillment.models import RequestState, ShipmentRequest
from juchu.orders.batchsql import where_in
from juchu.orders.models import Order
from juchu.orders.models import Package as PackageRow
from juchu.shops.models import PaymentMethodMapping


@dataclass(frozen=True, slots=True)
class Member:
    """One package of a merge group, with its order."""

    package_id: int
    order_id: int
    mall_order_number: str
    status: OrderStatus
    shipping_restricted: bool
    ordered_at: datetime
    primary: bool


def groups_of(package_ids: Iterable[int]) -> dict[int, list[Member]]:
    """The merge groups these packages are in, keyed by the primary package (two queries; one if none)."""
    ids = list(package_ids)
    if not ids:
        return {}
    primaries = set(
        PackageRow.objects.filter(merged_into__isnull=False)
        .filter(Q(id__in=ids) | Q(merged_into__in=ids))
        .values_list("merged_into_id", flat=True)
    )
    if not primaries:
        return {}
    groups: dict[int, list[Member]] = defaultdict(list)
    for pid, oid, into, number, status, restricted, ordered_at in (
        PackageRow.objects.filter(Q(id__in=primaries) | Q(merged_into__in=primaries))
        .order_by("order__ordered_at", "order_id")
        .values_list(
            "id",
            "order_id",
            "merged_into_id",
            "order__mall_order_number",
            "order__status",
            "order__shipping_restricted",
            "order__ordered_at",
        )
    ):
        groups[into or pid].append(
            Member(pid, oid, number, OrderStatus(status), restricted, ordered_at, primary=into is None)
        )
    return dict(groups)


def riders(package_ids: Iterable[int]) -> dict[int, list[tuple[int, int]]]:
    """For each of these (primary) packages, the packages riding on its request: [(package id, order id)]."""
    found: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pid, oid, into in where_in(PackageRow.objects.all(), "merged_into_id", list(package_ids)).values_list(
        "id", "order_id", "merged_into_id"
    ):
        found[into].append((pid, oid))
    return dict(found)


def facts(order_ids: Iterable[int]) -> dict[int, rules.MergeFacts]:
    """What the merge rules need about these orders (a fixed number of queries)."""
    ids = list(set(order_ids))
    rows = list(
        where_in(Order.objects.all(), "id", ids).values_list(
            "id",
            "mall_order_number",
            "shop_id",
            "warehouse_id",
            "ordered_at",
            "status",
            "buyer_name",
            "phone",
            "email",
            "mall_cancelled",
            "payment_method",
        )
    )
    packages: dict[int, list[tuple]] = defaultdict(list)
    for row in where_in(PackageRow.objects.all(), "order_id", ids).values_list(
        "order_id",
        "id",
        "recipient_name",
        "postal_code",
        "prefecture",
        "city",
        "address1",
        "address2",
        "delivery_method",
        "shipment_status",
        "merged_into_id",
    ):
        packages[row[0]].append(row[1:])
    package_ids = [p[0] for ps in packages.values() for p in ps]
    carrying = set(
        where_in(PackageRow.objects.all(), "merged_into_id", package_ids).values_list("merged_into_id", flat=True)
    )
    # A request is out once accepted, or once claimed by submit (sent_at set) while still pending an answer.
    out = set(
        where_in(ShipmentRequest.objects.all(), "order_id", ids)
        .filter(Q(state=RequestState.ACCEPTED) | Q(state=RequestState.PENDING, sent_at__isnull=False))
        .values_list("order_id", flat=True)
    )
    cod = set(
        PaymentMethodMapping.objects.filter(shop_id__in={r[2] for r in rows}, kind=PaymentKind.COD.value).values_list(
            "shop_id", "mall_method"
        )
    )
    found = {}
    for oid, number, shop_id, warehouse_id, ordered_at, status, buyer, phone, email, cancelled, payment in rows:
        own = packages.get(oid, [])
        if not own:
            continue
        pid, recipient, postal, prefecture, city, address1, address2, method, _status, into = own[0]
        found[oid] = rules.MergeFacts(
            order_id=oid,
            mall_order_number=number,
            shop_id=shop_id,
            warehouse_id=warehouse_id,
            ordered_at=ordered_at,
            status=OrderStatus(status),
            buyer_name=buyer,
            phone=phone,
            email=email,
            recipient_name=recipient,
            address=Address(postal, prefecture, city, address1, address2),
            delivery_method=method,
            packages=len(own),
            request_out=oid in out or any(not rules.package_unsent(PackageStatus(p[8])) for p in own),
            cancelled=cancelled,
            cod=(shop_id, payment) in cod,
            group=into or (pid if pid in carrying else None),
        )
    return found
