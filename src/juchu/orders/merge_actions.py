"""同梱 (order merging), changed: merge, unmerge, and leaving a merge on cancel.

How a merge is stored is in :mod:`juchu.orders.merge_groups`; the rules in :mod:`juchu.domain.merging`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import connection, transaction

from juchu.domain import merging as rules
from juchu.domain.errors import StaleOrder
from juchu.domain.status import OrderStatus, PackageStatus
from juchu.fulfillment.models import RequestState, ShipmentRequest
from juchu.orders import writes
from juchu.orders.locking import lock_orders
from juchu.orders.merge_groups import facts, groups_of
from juchu.orders.models import Order, OrderEvent
from juchu.orders.models import Package as PackageRow


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
