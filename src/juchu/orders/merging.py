"""同梱 (order merging), the database side: candidates, merge, unmerge, and leaving a merge on cancel.

The rules (who may merge, who is the primary, when the box may go out) are in :mod:`juchu.domain.merging`.
Here a merge is stored as ``Package.merged_into``: each merged order's package points at the primary order's
package. Only the primary's package gets a shipment request; the others ride on it (writes.create_requests),
its payload carries every merged line (fulfillment/submit.py), and each merged package gets its own shipment
when the warehouse reports the box shipped (fulfillment/collect.py).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Q

from juchu.domain import merging as rules
from juchu.domain.checks import MERGE_NAMED
from juchu.domain.errors import StaleOrder
from juchu.domain.model import Address, MergePartner, OrderSnapshot, PaymentKind
from juchu.domain.pipeline import Decision
from juchu.domain.status import OrderStatus, PackageStatus
from juchu.fulfillment.models import RequestState, ShipmentRequest
from juchu.orders import writes
from juchu.orders.batchsql import where_in
from juchu.orders.locking import lock_orders
from juchu.orders.models import Order, OrderEvent
from juchu.orders.models import Package as PackageRow
from juchu.shops.models import PaymentMethodMapping

_BEFORE = [s.value for s in rules.BEFORE_REQUEST]
_REASON_NUMBERS = re.compile(r"注文 (.+?)(?: ほか \d+ 件)? と同じ注文者")


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


# ---- reading ------------------------------------------------------------------------------------------


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


def candidates_of(order: Order) -> list[Order]:
    """The orders the operator could merge this one with now (for the order page)."""
    if not order.merge_key or order.status not in _BEFORE:
        return []
    others = list(
        Order.objects.filter(merge_key=order.merge_key, shop_id=order.shop_id, status__in=_BEFORE)
        .exclude(pk=order.pk)
        .values_list("id", flat=True)
    )
    if not others:
        return []
    known = facts([order.pk, *others])
    if order.pk not in known:
        return []
    numbers = set(rules.candidates(known[order.pk], list(known.values())))
    return list(Order.objects.filter(id__in=others, mall_order_number__in=numbers).order_by("ordered_at", "id"))


def group_orders(order: Order) -> list[tuple[Order, bool]]:
    """Every order merged with this one (itself included), oldest first, each with whether it is the primary."""
    groups = groups_of(order.packages.values_list("id", flat=True))
    members = [m for group in groups.values() for m in group]
    if not members:
        return []
    by_id = Order.objects.in_bulk([m.order_id for m in members])
    return [(by_id[m.order_id], m.primary) for m in members]


# ---- the advance hook ---------------------------------------------------------------------------------


def note_candidates(snapshots: list[OrderSnapshot], now: datetime) -> tuple[list[OrderSnapshot], set[int]]:
    """Before a batch is decided: refresh merge keys, take mall-cancelled orders out of their merge, and give
    each snapshot its merge candidates and merge partners. Also returns the orders outside the batch whose
    candidate tag now says something else: the caller makes them due (:func:`wake`) once the batch has
    committed, and they re-check themselves (level-triggered)."""
    if not snapshots:
        return snapshots, set()
    by_id = {s.id: s for s in snapshots}
    keys = {s.id: rules.snapshot_key(s) for s in snapshots}
    stored = dict(where_in(Order.objects.all(), "id", list(by_id)).values_list("id", "merge_key"))
    changed = [(key, oid) for oid, key in keys.items() if stored.get(oid) != key]
    if changed:
        table = connection.ops.quote_name(Order._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {table} SET merge_key = %s WHERE id = %s", changed)
    package_ids = [p.id for s in snapshots for p in s.packages]
    groups = groups_of(package_ids)
    in_group = {m.order_id for group in groups.values() for m in group}
    leaving = [s.id for s in snapshots if s.mall_cancelled and s.status in rules.BEFORE_REQUEST and s.id in in_group]
    if leaving:
        writes.insert_events(detach(leaving, now, "モールでキャンセルされたため"))
        groups = groups_of(package_ids)
    found = _candidates(snapshots, keys)
    woken = _changed_candidates(snapshots, found)
    partners = _partners(groups)
    return [
        replace(
            s,
            merge_candidates=found.get(s.id, ()),
            merged_with=partners.get(s.id, ((), False))[0],
            merge_primary=partners.get(s.id, ((), False))[1],
        )
        if s.id in found or s.id in partners
        else s
        for s in snapshots
    ], woken


def _candidates(snapshots: list[OrderSnapshot], keys: Mapping[int, str]) -> dict[int, tuple[str, ...]]:
    before = {s.id for s in snapshots if s.status in rules.BEFORE_REQUEST}
    wanted = {k for oid, k in keys.items() if k and oid in before}
    if not wanted:
        return {}
    per_key: dict[str, set[int]] = defaultdict(set)
    for oid, key in Order.objects.filter(merge_key__in=wanted, status__in=_BEFORE).values_list("id", "merge_key"):
        per_key[key].add(oid)
    interesting = {oid for ids in per_key.values() if len(ids) > 1 for oid in ids}
    if not interesting:
        return {}
    known = facts(interesting)
    found = {}
    for s in snapshots:
        if s.id in known and keys[s.id] in per_key:
            others = [known[o] for o in per_key[keys[s.id]] if o in known]
            numbers = rules.candidates(known[s.id], others)
            if numbers:
                found[s.id] = numbers
    return found


def named_in(reason: str) -> frozenset[str]:
    """The order numbers a 同梱候補 tag's reason names."""
    match = _REASON_NUMBERS.search(reason)
    return frozenset(match.group(1).split("、")) if match else frozenset()


def _changed_candidates(snapshots: list[OrderSnapshot], found: Mapping[int, tuple[str, ...]]) -> set[int]:
    """The orders outside the batch that became or stopped being a batch order's candidates (a plain read)."""
    numbers_of: dict[int, set[str]] = defaultdict(set)
    for s in snapshots:
        old = next((named_in(t.reason) for t in s.tags if t.code == "merge_candidate"), frozenset())
        new = frozenset(found.get(s.id, ())[:MERGE_NAMED])  # what the new reason names
        if old != new:
            numbers_of[s.shop_id] |= old ^ new
    batch = [s.id for s in snapshots]
    woken: set[int] = set()
    for shop_id, numbers in numbers_of.items():
        woken.update(
            Order.objects.filter(shop_id=shop_id, mall_order_number__in=numbers)
            .exclude(id__in=batch)
            .values_list("id", flat=True)
        )
    return woken


def _partners(groups: Mapping[int, list[Member]]) -> dict[int, tuple[tuple[MergePartner, ...], bool]]:
    found = {}
    for members in groups.values():
        for me in members:
            others = tuple(
                MergePartner(m.order_id, m.mall_order_number, m.status, m.shipping_restricted, m.primary)
                for m in members
                if m.order_id != me.order_id
            )
            found[me.order_id] = (others, me.primary)
    return found


def partners_to_wake(snapshots: list[OrderSnapshot], decisions: Mapping[int, Decision]) -> set[int]:
    """After a batch is decided: an order that moved (or a merged order waiting at 出荷待ち) has its merge
    partners made due (:func:`wake`), so the primary sees at once whether the box is ready."""
    found = set()
    for s in snapshots:
        d = decisions[s.id]
        if s.merged_with and (d.transitions or (not s.merge_primary and d.status is OrderStatus.AWAITING_SHIPMENT)):
            found.update(p.order_id for p in s.merged_with)
    return found


def wake(order_ids: set[int], now: datetime) -> None:
    """Make these orders due now. Called after the batch that found them has committed: they are outside it,
    another worker may hold them in its own batch, and updating them while holding this batch's locks would
    let two batches wait for each other (a deadlock on PostgreSQL)."""
    if order_ids:
        Order.objects.filter(id__in=order_ids).exclude(status__in=["completed", "cancelled"]).update(due_at=now)


# ---- changing a merge ----------------------------------------------------------------------------------


def merge_orders(order_ids: Sequence[int], actor: str, now: datetime, version: tuple[int, int] | None = None) -> str:
    """Merge the orders (and the groups they are already in) into one box; returns the primary's number.

    ``version`` is (order id, version) of the page the operator looked at: a stale page is refused.
    """
    from juchu.orders.advance import advance_orders

    with transaction.atomic():
        ids = _with_groups(order_ids)
        lock_orders(ids)
        _lock_requests(ids)
        if (
            version is not None
            and Order.objects.filter(pk=version[0]).values_list("version", flat=True).first() != version[1]
        ):
            raise StaleOrder(*version)
        known = facts(ids)
        missing = sorted(set(ids) - known.keys())
        if missing:
            raise rules.MergeRefused("送付先のない受注は同梱できません")
        plan = rules.plan_merge([known[i] for i in ids])
        packages = _single_packages(ids)
        primary = packages[plan.primary.order_id]
        PackageRow.objects.filter(pk=primary).update(merged_into=None)
        PackageRow.objects.filter(id__in=[packages[o.order_id] for o in plan.secondaries]).update(merged_into=primary)
        events = _fix_requests(list(packages.values()), now)
        numbers = "、".join(plan.numbers)
        for order in Order.objects.filter(id__in=ids):
            is_primary = order.pk == plan.primary.order_id
            # The primary holds its request until the next decision says the whole box is ready.
            writes.bump_version(order, now, due_at=now, shipping_restricted=is_primary or order.shipping_restricted)
            role = "親 (この注文の出荷依頼にまとめます)" if is_primary else f"親: {plan.primary.mall_order_number}"
            events.append(
                writes.event(
                    order.pk,
                    now,
                    "merged",
                    f"注文 {numbers} を同梱しました ({role})",
                    actor=actor,
                    detail={"orders": list(plan.numbers), "primary": plan.primary.mall_order_number},
                )
            )
        OrderEvent.objects.bulk_create(events)
    advance_orders(ids, now)
    return plan.primary.mall_order_number


def unmerge(order_id: int, actor: str, now: datetime, version: int | None = None) -> list[str]:
    """Undo the merge the order is in, before its request went out; returns the orders now apart."""
    from juchu.orders.advance import advance_orders

    with transaction.atomic():
        ids = _with_groups([order_id])
        lock_orders(ids)
        _lock_requests(ids)
        if (
            version is not None
            and Order.objects.filter(pk=order_id).values_list("version", flat=True).first() != version
        ):
            raise StaleOrder(order_id, version)
        known = facts(ids)
        rules.check_unmerge([known[i] for i in ids if i in known])
        packages = list(PackageRow.objects.filter(order_id__in=ids).values_list("id", flat=True))
        PackageRow.objects.filter(id__in=packages).update(merged_into=None)
        events = _fix_requests(packages, now)
        numbers = [known[i].mall_order_number for i in ids]
        for order in Order.objects.filter(id__in=ids):
            writes.bump_version(order, now, due_at=now)
            events.append(
                writes.event(
                    order.pk,
                    now,
                    "unmerged",
                    f"同梱を解除しました (注文 {'、'.join(numbers)})。それぞれ別に出荷依頼します",
                    actor=actor,
                    detail={"orders": numbers},
                )
            )
        OrderEvent.objects.bulk_create(events)
    advance_orders(ids, now)
    return numbers


def detach(order_ids: Sequence[int], now: datetime, why: str, actor: str = "system") -> list[OrderEvent]:
    """Take cancelled orders out of their merge before its request went out; the rest stay merged (a new
    primary if needed) or go apart when one is left. Versions are not bumped (callers may hold the orders in
    a batch); the remaining orders are made due. Returns the events to write."""
    leaving = set(order_ids)
    own = list(PackageRow.objects.filter(order_id__in=leaving).values_list("id", flat=True))
    events: list[OrderEvent] = []
    for members in groups_of(own).values():
        ids = [m.order_id for m in members]
        known = facts(ids)
        if any(known[i].request_out for i in ids if i in known):
            continue  # the box is at the warehouse: the normal cancel/withdraw path applies
        stay = [m for m in members if m.order_id not in leaving]
        gone = [m for m in members if m.order_id in leaving]
        PackageRow.objects.filter(id__in=[m.package_id for m in gone]).update(merged_into=None)
        if len(stay) > 1:
            primary = stay[0]  # members come oldest first
            PackageRow.objects.filter(pk=primary.package_id).update(merged_into=None)
            PackageRow.objects.filter(id__in=[m.package_id for m in stay[1:]]).update(merged_into=primary.package_id)
        else:
            PackageRow.objects.filter(id__in=[m.package_id for m in stay]).update(merged_into=None)
        # A leaving package that rode on another's request has no request of its own: back to 未依頼.
        PackageRow.objects.filter(
            id__in=[m.package_id for m in gone], shipment_status=PackageStatus.REQUESTED.value
        ).exclude(shipment_requests__state=RequestState.PENDING).update(shipment_status=PackageStatus.PENDING.value)
        events += _fix_requests([m.package_id for m in stay], now)
        names = "、".join(m.mall_order_number for m in gone)
        rest = "、".join(m.mall_order_number for m in stay)
        for m in members:
            text = f"注文 {names} を同梱から外しました ({why})" + (
                f"。残り: {rest}" if len(stay) > 1 else "。同梱は解除されました"
            )
            events.append(writes.event(m.order_id, now, "unmerged", text, actor=actor, detail={"removed": names}))
        Order.objects.filter(id__in=[m.order_id for m in stay]).update(due_at=now)
    return events


def _check_version(order_id: int, version: int) -> None:
    if Order.objects.filter(pk=order_id).values_list("version", flat=True).first() != version:
        raise StaleOrder(order_id, version)


def _with_groups(order_ids: Iterable[int]) -> list[int]:
    """The orders plus every order already merged with one of them, by ascending id."""
    ids = set(order_ids)
    own = PackageRow.objects.filter(order_id__in=ids).values_list("id", flat=True)
    ids |= {m.order_id for group in groups_of(own).values() for m in group}
    return sorted(ids)


def _lock_requests(order_ids: Sequence[int]) -> None:
    """Hold the orders' unsent requests so that submit cannot claim one while the merge changes (it skips
    locked rows); a request it claimed first shows as out (sent_at) and the change is refused."""
    if connection.features.has_select_for_update:
        list(
            ShipmentRequest.objects.select_for_update()
            .filter(order_id__in=order_ids, state=RequestState.PENDING)
            .order_by("id")
            .values_list("id", flat=True)
        )


def _single_packages(order_ids: Sequence[int]) -> dict[int, int]:
    return dict(PackageRow.objects.filter(order_id__in=order_ids).values_list("order_id", "id"))


def _fix_requests(package_ids: Sequence[int], now: datetime) -> list[OrderEvent]:
    """Make the requests follow the packages' roles: a riding package has no request of its own (an unsent
    one is dropped); a package shipping on its own (or carrying others) at 出荷待ち has one."""
    events: list[OrderEvent] = []
    rows = list(
        PackageRow.objects.filter(id__in=package_ids).values_list(
            "id", "order_id", "merged_into_id", "shipment_status", "order__status"
        )
    )
    riding = [pid for pid, _o, into, _s, _st in rows if into is not None]
    dropped = list(
        ShipmentRequest.objects.filter(package_id__in=riding, state=RequestState.PENDING).values_list(
            "id", "order_id", "request_id"
        )
    )
    if dropped:
        ShipmentRequest.objects.filter(id__in=[d[0] for d in dropped]).update(
            state=RequestState.DROPPED, answered_at=now
        )
        events += [
            writes.event(oid, now, "request_dropped", f"同梱のため未送信の出荷依頼 {rid} を取り消しました")
            for _i, oid, rid in dropped
        ]
    has_pending = set(
        ShipmentRequest.objects.filter(package_id__in=package_ids, state=RequestState.PENDING).values_list(
            "package_id", flat=True
        )
    )
    needed = [
        pid
        for pid, _o, into, shipment, status in rows
        if into is None
        and status == OrderStatus.AWAITING_SHIPMENT.value
        and shipment == PackageStatus.REQUESTED.value
        and pid not in has_pending
    ]
    for row in writes.create_requests(needed, now):
        events.append(writes.event(row[0], now, row[3], row[6], detail=row[7]))
    # Before 出荷待ち no package is 出荷依頼中; at 出荷待ち a riding package is (on the primary's request).
    waiting = [pid for pid, _o, _i, _s, status in rows if status == OrderStatus.AWAITING_SHIPMENT.value]
    PackageRow.objects.filter(id__in=riding).filter(id__in=waiting).update(
        shipment_status=PackageStatus.REQUESTED.value
    )
    PackageRow.objects.filter(id__in=package_ids, shipment_status=PackageStatus.REQUESTED.value).exclude(
        id__in=waiting
    ).exclude(shipment_requests__state=RequestState.PENDING).update(shipment_status=PackageStatus.PENDING.value)
    return events


__all__ = [
    "candidates_of",
    "detach",
    "facts",
    "group_orders",
    "groups_of",
    "merge_orders",
    "note_candidates",
    "partners_to_wake",
    "riders",
    "unmerge",
    "wake",
]
