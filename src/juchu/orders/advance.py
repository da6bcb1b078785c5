"""The ``advance`` sweep: take the orders that are due, decide, allocate, write — a batch at a time."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime

from django.db import connection, transaction

from juchu.catalog.models import Allocation as AllocationRow
from juchu.catalog.models import Product, Stock
from juchu.domain.allocation import Demand, DemandLine, PlacedResult, allocate_across
from juchu.domain.effects import EffectKind
from juchu.domain.model import OrderSnapshot
from juchu.domain.pipeline import Decision, after_allocation, awaiting_note, decide
from juchu.domain.status import OrderStatus
from juchu.orders import merging, splitting, task_rule_runs, writes
from juchu.orders.context import SweepContext, set_components
from juchu.orders.models import Order
from juchu.orders.snapshots import ORDER_FIELDS, build_snapshots

log = logging.getLogger("juchu.advance")

_LEAVING_SHIPMENT_QUEUE = {OrderStatus.AWAITING_CHECK, OrderStatus.CHECKED, OrderStatus.CANCELLED}


@dataclass(frozen=True, slots=True)
class AdvanceResult:
    """What one advance batch did."""

    looked_at: int
    moved: int
    #: Orders outside the batch to make due once it has committed (同梱 partners and candidates).
    wake: frozenset[int] = frozenset()


def advance_all_due(
    now: datetime, batch: int = 500, max_batches: int = 1000, shop_id: int | None = None
) -> AdvanceResult:
    """The advance sweep: batches of due orders (of one shop, if given) until none is left (bounded)."""
    context = SweepContext(now)
    looked = moved = 0
    for _ in range(max_batches):
        result = advance_due_orders(now, limit=batch, shop_id=shop_id, context=context)
        looked, moved = looked + result.looked_at, moved + result.moved
        if result.looked_at < batch:
            break
    return AdvanceResult(looked, moved)


def advance_due_orders(
    now: datetime, limit: int = 500, shop_id: int | None = None, context: SweepContext | None = None
) -> AdvanceResult:
    """Decide every due order of one batch (oldest due first) and write the results in one transaction.

    ``context`` (policies, rules, calendars) may be shared by the batches of one sweep.
    """
    try:
        result = _advance_batch(now, limit, shop_id, context, lock_stock=False)
    except StockTaken:
        # Another sweep took stock this batch counted on: decide the batch again, reading the stock under lock.
        result = _advance_batch(now, limit, shop_id, context, lock_stock=True)
    merging.wake(set(result.wake), now)
    return result


def _advance_batch(
    now: datetime, limit: int, shop_id: int | None, context: SweepContext | None, lock_stock: bool
) -> AdvanceResult:
    with transaction.atomic():
        query = Order.objects.filter(due_at__lte=now)
        if shop_id is not None:
            query = query.filter(shop_id=shop_id)
        if connection.features.has_select_for_update_skip_locked:
            query = query.select_for_update(skip_locked=True, of=("self",))
        rows = list(query.order_by("due_at").values(*ORDER_FIELDS)[:limit])
        if not rows:
            return AdvanceResult(0, 0)
        warehouse_of = {row["id"]: row["warehouse_id"] for row in rows}
        snapshots = build_snapshots(rows)
        return _decide_and_write(list(snapshots.values()), warehouse_of, now, context, lock_stock)


def advance_orders(order_ids: list[int], now: datetime) -> AdvanceResult:
    """Decide the named orders at once, due or not (used right after an operator's action)."""
    with transaction.atomic():
        query = Order.objects.filter(id__in=order_ids)
        if connection.features.has_select_for_update:
            query = query.select_for_update(of=("self",))
        rows = list(query.values(*ORDER_FIELDS))
        warehouse_of = {row["id"]: row["warehouse_id"] for row in rows}
        result = _decide_and_write(list(build_snapshots(rows).values()), warehouse_of, now, lock_stock=True)
    merging.wake(set(result.wake), now)
    return result


class StockTaken(writes.StaleBatch):
    """Stock this batch allocated was taken by another sweep meanwhile; the batch was rolled back."""


def _decide_and_write(
    snapshots: list[OrderSnapshot],
    warehouse_of: dict[int, int],
    now: datetime,
    ctx: SweepContext | None = None,
    lock_stock: bool = True,
) -> AdvanceResult:
    ctx = ctx if ctx is not None and ctx.now == now else SweepContext(now)
    # 自動ルール: the tasks of orders leaving 新規受付 run first, so that the checks see what they changed.
    snapshots = task_rule_runs.run_entry_rules(snapshots, warehouse_of, now, ctx)
    # 同梱: merge candidates and merge partners, which the checks and the 出荷待ち decision read.
    snapshots, woken = merging.note_candidates(snapshots, now)
    decisions: dict[int, Decision] = {}
    for snap in snapshots:
        decisions[snap.id] = decide(snap, ctx.pipeline(snap, warehouse_of[snap.id]))
    wanting = [s for s in snapshots if decisions[s.id].needs_allocation]
    allocated: set[int] = set()
    taken: dict[int, int] = {}
    split_events: list[tuple] = []
    if wanting:
        result, taken = _allocate(wanting, warehouse_of, now, lock_stock, ctx)
        allocated = set(result.allocations)
        for snap in wanting:
            ok = snap.id in allocated
            shortage = result.explain_shortage(snap.id) if snap.id in result.shortages else ""
            note = awaiting_note(snap, ctx.pipeline(snap, warehouse_of[snap.id]))
            decisions[snap.id] = after_allocation(decisions[snap.id], snap, ok, shortage, note)
        # 分割出荷: packages whose lines ship from another warehouse are moved or split before their requests.
        by_id = {s.id: s for s in wanting}
        for order_id, outcome in splitting.apply_placements(
            by_id, result.placements, warehouse_of, ctx.own_warehouses(), now
        ).items():
            d = decisions[order_id]
            decisions[order_id] = replace(
                d,
                request_packages=(*d.request_packages, *outcome.new_packages),
                explanation=f"{d.status.label_ja}: {outcome.explanation}",
            )
            split_events += outcome.events
    _write(snapshots, decisions, allocated, now)
    writes.insert_events(split_events)
    woken |= merging.partners_to_wake(snapshots, decisions)
    _take_stock(taken)
    moved = sum(1 for d in decisions.values() if d.transitions)
    return AdvanceResult(len(snapshots), moved, frozenset(woken))


def _allocate(
    wanting: list[OrderSnapshot], warehouse_of: dict[int, int], now: datetime, lock_stock: bool, ctx: SweepContext
) -> tuple[PlacedResult, dict[int, int]]:
    """Allocate stock to the orders that wait for it, over their warehouses; write the allocation rows.

    An order may use its shop's 分割出荷 warehouse too (not when it is merged: a box leaves one warehouse).
    Returns the allocation and the units to take per stock row (see :func:`_take_stock`). With
    ``lock_stock`` the stock rows are read under lock (no other sweep can take them meanwhile); without, they
    are read as they are, which lets sweeps of several shops allocate from one warehouse at once.
    """
    demands = []
    for s in wanting:
        own = warehouse_of[s.id]
        second = ctx.split_warehouse(s.shop_id)
        warehouses = (own,) if second is None or second == own or s.merged_with else (own, second)
        lines = tuple(
            DemandLine(line.id, line.product_code or "", line.quantity, package.warehouse_id)
            for package in s.packages
            for line in package.lines
        )
        demands.append(Demand(s.id, s.ordered_at, lines, warehouses))
    codes = {line.product_code for d in demands for line in d.lines}
    sets = set_components(codes)
    skus = codes | {component for parts in sets.values() for component, _q in parts}
    warehouse_ids = {w for d in demands for w in d.warehouses} | {
        line.warehouse_id for d in demands for line in d.lines if line.warehouse_id is not None
    }
    stock_query = Stock.objects.filter(warehouse_id__in=warehouse_ids, product__code__in=skus)
    if lock_stock and connection.features.has_select_for_update:
        stock_query = stock_query.select_for_update(of=("self",)).order_by("id")
    stock = {
        (wid, code): (sid, pid, on_hand - alloc)
        for sid, wid, pid, code, on_hand, alloc in stock_query.values_list(
            "id", "warehouse_id", "product_id", "product__code", "on_hand", "allocated"
        )
    }
    available: dict[int, dict[str, int]] = {w: {} for w in warehouse_ids}
    for (wid, code), (_s, _p, avail) in stock.items():
        available[wid][code] = avail
    result = allocate_across(demands, available, sets)
    product_ids = {code: pid for (_w, code), (_s, pid, _a) in stock.items()}
    missing = {a.sku for allocations in result.allocations.values() for a in allocations} - product_ids.keys()
    if missing:
        product_ids.update(Product.objects.filter(code__in=missing).values_list("code", "id"))
    rows, units = [], defaultdict(int)
    for order_id, allocations in result.allocations.items():
        for a in allocations:
            rows.append((order_id, a.line_id, a.warehouse_id, product_ids[a.sku], a.quantity, now))
            units[stock[(a.warehouse_id, a.sku)][0]] += a.quantity
    writes.insert_rows(
        AllocationRow, ("order_id", "line_id", "warehouse_id", "product_id", "quantity", "created_at"), rows
    )
    return result, units


def _take_stock(units: dict[int, int]) -> None:
    """Count the allocated units on their stock rows, last in the transaction so the row locks are held briefly.

    Each row changes only while it still has the units free (``allocated <= on_hand - units``), checked by the
    database at the moment of the update: whatever other sweeps took meanwhile, stock is never oversold. A row
    without them rolls the whole batch back (:class:`StockTaken`). Rows go by ascending id, the order every
    sweep that writes stock follows.
    """
    if not units:
        return
    table = connection.ops.quote_name(Stock._meta.db_table)
    params = [(quantity, stock_id, quantity) for stock_id, quantity in sorted(units.items())]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET allocated = allocated + %s WHERE id = %s AND allocated <= on_hand - %s", params
        )
        changed = cursor.rowcount
    if changed != len(params):
        raise StockTaken("stock changed during allocation")


def _write(
    snapshots: list[OrderSnapshot], decisions: dict[int, Decision], allocated_ids: set[int], now: datetime
) -> None:
    updates = []
    events: list = []
    tags_to_set, tags_to_clear = {}, {}
    effects: list[tuple[int, EffectKind, int | None]] = []
    request_packages: list[int] = []
    release, drop, withdrawn = [], [], []
    for snap in snapshots:
        d = decisions[snap.id]
        status = d.status
        for t in d.transitions:  # the row writes.event would make, without building a model instance
            events.append((snap.id, now, "system", "transition", t.source.value, t.target.value, t.reason[:1000], {}))
        if d.set_tags:
            tags_to_set[snap.id] = d.set_tags
        if d.clear_tags:
            tags_to_clear[snap.id] = d.clear_tags
        effects.extend((snap.id, kind, None) for kind in d.effects)
        if EffectKind.WITHDRAWAL in d.effects:
            withdrawn.append(snap.id)
        request_packages.extend(d.request_packages)
        if d.release_allocation:
            release.append(snap.id)
        if snap.status is OrderStatus.AWAITING_SHIPMENT and status in _LEAVING_SHIPMENT_QUEUE:
            drop.append(snap.id)
        if status is OrderStatus.CANCELLED and snap.status is not OrderStatus.CANCELLED:
            drop.append(snap.id)
        allocated = (snap.allocated or snap.id in allocated_ids) and not d.release_allocation
        updates.append(
            writes.OrderUpdate(
                order_id=snap.id,
                version=snap.version,
                status=status.value,
                old_status=snap.status.value,
                due_at=None if status.is_final else d.due_at,
                explanation=d.explanation,
                allocated=allocated,
                thanks_mail_queued=snap.thanks_mail_queued or EffectKind.THANKS_MAIL in d.effects,
                shipping_restricted=d.shipping_restricted,
            )
        )
    writes.update_orders(updates, now)
    events += writes.set_tags_many(tags_to_set, now)
    events += writes.clear_tags_many(tags_to_clear, now, "原因が解消しました")
    writes.add_effects(effects, now)
    events += writes.drop_unsent_requests(sorted(set(drop)), now)
    events += writes.release_allocations(release, now)
    events += writes.create_requests(request_packages, now)
    events += splitting.withdraw_unsent(withdrawn, now)  # 分割出荷: a part not yet sent is simply not sent
    writes.insert_events(events)
