"""分割出荷: packages split across warehouses by the allocation, and joined again when it is released.

The allocation (domain/allocation.allocate_across) says which warehouse each line ships from. A package
whose lines all go to one warehouse other than its own is moved there; a package whose lines go to several
keeps the lines of its current warehouse and gives the others to a new package per warehouse (same
destination, ``split_from`` the original). Each package then gets its own shipment request to its
warehouse, its own shipment and its own report to the mall (decision 0010).

When the allocation is released before anything went to a warehouse (the order goes back to be checked,
is edited or cancelled), the parts are joined again, so that the next allocation starts from the order
as the mall sent it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Max

from juchu.domain.model import OrderSnapshot
from juchu.domain.pipeline import AWAIT_BATCH, HELD_BY_WAREHOUSE, SEND_AND_AWAIT_BATCH, SEND_REQUEST
from juchu.domain.status import PackageStatus
from juchu.fulfillment.models import RequestState, ShipmentRequest, Warehouse
from juchu.orders.models import OrderLine
from juchu.orders.models import Package as PackageRow

#: Copied to the new part of a split package: the destination and how it is delivered.
_DESTINATION = (
    "mall_package_id",
    "recipient_name",
    "recipient_kana",
    "phone",
    "postal_code",
    "prefecture",
    "city",
    "address1",
    "address2",
    "delivery_method",
    "requested_date",
    "delivery_time",
    "island",
)


@dataclass(frozen=True, slots=True)
class SplitOutcome:
    """What :func:`apply_placements` did to one order."""

    #: New packages (one per extra warehouse), to be requested with the order's other pending packages.
    new_packages: tuple[int, ...]
    #: The order's explanation in 出荷待ち.
    explanation: str
    #: Timeline entries, as writes.EVENT_COLUMNS tuples.
    events: tuple[tuple, ...]


def apply_placements(
    snapshots: Mapping[int, OrderSnapshot],
    placements: Mapping[int, Mapping[int, int]],
    warehouse_of: Mapping[int, int],
    own_warehouses: frozenset[int],
    now: datetime,
) -> dict[int, SplitOutcome]:
    """Move or split the packages of allocated orders whose lines ship from another warehouse than planned.

    ``placements`` is order id → line id → warehouse (the allocation's); orders whose every line stays in
    its package's warehouse are left alone and not in the result. ``own_warehouses`` (自社出荷) only changes
    what the explanation says comes next.
    """
    moves: dict[int, list[tuple[int, dict[int, list[int]]]]] = {}
    for order_id, plan in placements.items():
        own = warehouse_of[order_id]
        changes = []
        for package in snapshots[order_id].packages:
            if package.shipment_status is not PackageStatus.PENDING or not package.lines:
                continue
            current = package.warehouse_id or own
            groups: dict[int, list[int]] = defaultdict(list)
            for line in package.lines:
                groups[plan.get(line.id, current)].append(line.id)
            if set(groups) != {current}:
                changes.append((package.id, dict(groups)))
        if changes:
            moves[order_id] = changes
    if not moves:
        return {}
    names = dict(Warehouse.objects.values_list("id", "name"))
    next_seq = dict(
        PackageRow.objects.filter(order_id__in=moves)
        .values("order_id")
        .annotate(top=Max("seq"))
        .values_list("order_id", "top")
    )
    rows = {p.pk: p for p in PackageRow.objects.filter(id__in=[pid for c in moves.values() for pid, _g in c])}
    # Plan every order first, then write in a few statements: a sweep may split hundreds of orders at once.
    rerouted: dict[int | None, list[int]] = defaultdict(list)
    parts: list[tuple[int, PackageRow, list[int], int]] = []  # (order, new package, its lines, warehouse)
    events: dict[int, list[tuple]] = defaultdict(list)
    for order_id, changes in moves.items():
        own = warehouse_of[order_id]
        for package_id, groups in changes:
            row = rows[package_id]
            current = row.warehouse_id or own
            keep = current if current in groups else next(iter(groups))
            if keep != current:
                rerouted[None if keep == own else keep].append(row.pk)
            if len(groups) == 1:
                events[order_id].append(_rerouted(order_id, now, names[own], names[keep], row))
            for warehouse, line_ids in groups.items():
                if warehouse == keep:
                    continue
                next_seq[order_id] = next_seq.get(order_id, 0) + 1
                part = PackageRow(
                    order_id=order_id,
                    seq=next_seq[order_id],
                    warehouse_id=None if warehouse == own else warehouse,
                    split_from=row,
                    **{name: getattr(row, name) for name in _DESTINATION},
                )
                parts.append((order_id, part, line_ids, warehouse))
                events[order_id].append(_event(order_id, now, names[warehouse], line_ids, part.seq))
    for warehouse_id, package_ids in rerouted.items():
        PackageRow.objects.filter(id__in=package_ids).update(warehouse_id=warehouse_id)
    _create_parts([part for _o, part, _l, _w in parts])
    _move_lines([(part.pk, line_id) for _o, part, line_ids, _w in parts for line_id in line_ids])
    created: dict[int, list[int]] = defaultdict(list)
    for order_id, part, _lines, _w in parts:
        created[order_id].append(part.pk)
    outcomes: dict[int, SplitOutcome] = {}
    for order_id, changes in moves.items():
        own = warehouse_of[order_id]
        used = sorted({w for _pid, groups in changes for w in groups}, key=lambda w: (w != own, w))
        at_own = {w for w in used if w in own_warehouses}
        then = AWAIT_BATCH if at_own == set(used) else SEND_AND_AWAIT_BATCH if at_own else SEND_REQUEST
        if created[order_id]:
            explanation = f"{len(used)}つの倉庫 ({'・'.join(names[w] for w in used)}) に分けて出荷します。{then}"
        else:
            where = "・".join(names[w] for w in used)
            explanation = f"{where} から出荷します ({names[own]} の在庫では揃わないため)。{then}"
        outcomes[order_id] = SplitOutcome(tuple(created[order_id]), explanation, tuple(events[order_id]))
    return outcomes


def _create_parts(parts: list[PackageRow]) -> None:
    """Insert the new packages and learn their ids (one statement where the database returns them)."""
    if connection.features.can_return_rows_from_bulk_insert:
        PackageRow.objects.bulk_create(parts)
    else:  # SQLite before 3.35 returns no ids
        for part in parts:
            part.save(force_insert=True)


def _move_lines(moves: list[tuple[int, int]]) -> None:
    """(package id, line id) pairs: each line now belongs to that package (one executemany)."""
    if not moves:
        return
    table = connection.ops.quote_name(OrderLine._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET package_id = %s WHERE id = %s", moves)


def _rerouted(order_id: int, now: datetime, own: str, to: str, row: PackageRow) -> tuple:
    return (
        order_id,
        now,
        "system",
        "package_rerouted",
        "",
        "",
        f"{own} の在庫では揃わないため、送付先{row.seq} を {to} から出荷します",
        {"package": row.pk, "warehouse": to},
    )


def _event(order_id: int, now: datetime, warehouse: str, line_ids: Sequence[int], seq: int) -> tuple:
    return (
        order_id,
        now,
        "system",
        "package_split",
        "",
        "",
        f"分割出荷: 明細 {len(line_ids)} 件を 送付先{seq} として {warehouse} から出荷します",
        {"package_seq": seq, "lines": list(line_ids), "warehouse": warehouse},
    )


def rejoin(order_ids: Sequence[int], now: datetime) -> list[tuple]:
    """Join the split parts of these orders back into their packages while none of them is at a warehouse.

    A part whose package or itself has a request that was sent (or a shipment) stays as it is: the
    warehouse knows it. The requests a part had that never went out (dropped) move with its lines, so the
    history stays. Returns the events to write (writes.EVENT_COLUMNS tuples).
    """
    if not order_ids:
        return []
    parts = list(
        PackageRow.objects.filter(order_id__in=order_ids, split_from__isnull=False).select_related("split_from")
    )
    pending = PackageStatus.PENDING.value
    events: list[tuple] = []
    for part in parts:
        origin = part.split_from
        if part.shipment_status != pending or origin is None or origin.shipment_status != pending:
            continue
        OrderLine.objects.filter(package=part).update(package=origin)
        ShipmentRequest.objects.filter(package=part).update(package=origin)
        part.delete()
        events.append(
            (
                part.order_id,
                now,
                "system",
                "package_joined",
                "",
                "",
                f"分割出荷を取り消し、送付先{part.seq} の明細を 送付先{origin.seq} に戻しました",
                {"package_seq": part.seq, "into": origin.seq},
            )
        )
    # Every package still waiting for its request may go to any warehouse again at the next allocation.
    PackageRow.objects.filter(
        order_id__in=order_ids, shipment_status=pending, warehouse__isnull=False, split_parts__isnull=True
    ).exclude(split_from__isnull=False).update(warehouse=None)
    return events


def withdraw_unsent(order_ids: Sequence[int], now: datetime) -> list[tuple]:
    """Orders being withdrawn (出荷取下げ) in 出荷作業中: their requests that never went out are dropped and those
    packages count as withdrawn at once — a split order's part still waiting for the own warehouse's batch must
    not be issued after the order was cancelled. A request on its way that the warehouse then accepts is
    withdrawn as it is recorded (fulfillment/submit.py, ``_accepted``). Returns the events to write
    (writes.EVENT_COLUMNS tuples)."""
    if not order_ids:
        return []
    unsent = list(
        ShipmentRequest.objects.filter(order_id__in=order_ids, state=RequestState.PENDING).values_list(
            "id", "order_id", "package_id", "request_id"
        )
    )
    if not unsent:
        return []
    ShipmentRequest.objects.filter(id__in=[u[0] for u in unsent]).update(state=RequestState.DROPPED, answered_at=now)
    PackageRow.objects.filter(id__in=[u[2] for u in unsent]).update(shipment_status=PackageStatus.WITHDRAWN.value)
    return [
        (
            order_id,
            now,
            "system",
            "request_dropped",
            "",
            "",
            f"出荷依頼 {request_id} は倉庫へ送る前だったため取り消しました",
            {"request_id": request_id},
        )
        for _id, order_id, _package, request_id in unsent
    ]


#: A package a warehouse holds (or shipped): its stock and request are the warehouse's, not the order page's.
HELD = (*(status.value for status in HELD_BY_WAREHOUSE), PackageStatus.SHIPPED.value)


def held_packages(order_id: int) -> list[int]:
    """The seqs of the order's packages a warehouse holds or shipped: a split order back at 確認待 (one part
    refused) may have its other part there, and an edit would give that part's stock back and re-plan it."""
    return sorted(PackageRow.objects.filter(order_id=order_id, shipment_status__in=HELD).values_list("seq", flat=True))


def held_message(seqs: Sequence[int]) -> str:
    """Why such an order cannot be edited, in Japanese."""
    return f"送付先{'・'.join(str(s) for s in seqs)} は倉庫が受け付け済み (または出荷済) のため編集できません"
