"""同梱 (order merging) in the pipeline: candidates (同梱候補), merge partners, and the orders to wake.

How a merge is stored is in :mod:`juchu.orders.merge_groups`; merging, unmerging and leaving a merge on
cancel in :mod:`juchu.orders.merge_actions`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from django.db import connection, transaction

from juchu.domain import merging as rules
from juchu.domain.checks import MERGE_NAMED
from juchu.domain.model import MergePartner, OrderSnapshot
from juchu.domain.pipeline import Decision
from juchu.domain.status import OrderStatus
from juchu.orders import writes
from juchu.orders.batchsql import where_in
from juchu.orders.merge_actions import detach
from juchu.orders.merge_groups import Member, facts, groups_of
from juchu.orders.models import Order

_BEFORE = [s.value for s in rules.BEFORE_REQUEST]
_REASON_NUMBERS = re.compile(r"注文 (.+?)(?: ほか \d+ 件)? と同じ注文者")


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
    let two batches wait for each other (a deadlock on PostgreSQL).

    The rows are locked by ascending id before the update: two sweeps waking overlapping sets at the same moment
    would otherwise lock them in whatever order each UPDATE met them and wait for each other (seen on
    PostgreSQL under load, test_concurrency).
    """
    if not order_ids:
        return
    with transaction.atomic():
        query = Order.objects.filter(id__in=order_ids).exclude(status__in=["completed", "cancelled"])
        if connection.features.has_select_for_update:
            query = query.select_for_update(of=("self",))
        ids = list(query.order_by("id").values_list("id", flat=True))
        Order.objects.filter(id__in=ids).update(due_at=now)
