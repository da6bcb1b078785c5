"""The few ways an order's rows change, shared by the sweeps and the operator's actions.

Every function here runs inside the caller's transaction, works on a batch, and writes the order event
that says what happened. Nothing here talks to the outside world.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import repeat
from typing import Any

from django.db import connection, models
from django.db.models import F
from django.db.models.functions import Coalesce

from juchu.catalog.models import Allocation, Stock
from juchu.domain.effects import EffectKind, EffectState, effect_key
from juchu.domain.errors import StaleOrder
from juchu.domain.model import TagSource
from juchu.domain.status import OrderStatus, PackageStatus
from juchu.fulfillment.models import RequestState, ShipmentRequest
from juchu.orders import splitting
from juchu.orders.batchsql import where_in
from juchu.orders.models import Effect, Order, OrderEvent, OrderTag
from juchu.orders.models import Package as PackageRow


class StaleBatch(Exception):
    """Some orders of a batch changed since they were read; the whole batch was rolled back."""


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """The new state of one order, applied only if its version is still ``version``."""

    order_id: int
    version: int
    status: str
    old_status: str
    due_at: datetime | None
    explanation: str
    allocated: bool
    thanks_mail_queued: bool
    shipping_restricted: bool


def insert_rows(
    model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence[object]], *, ignore_conflicts: bool = False
) -> int:
    """Insert plain value tuples (in ``names`` order) with one ``executemany``; other fields get their default.

    Values are prepared as the ORM would (aware datetimes to the backend's format, JSON dumped), so the rows
    are indistinguishable from ``bulk_create``'s, at a fraction of the cost. Returns the number of rows given.
    """
    rows = list(rows)
    if not rows:
        return 0
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    given = {f.attname for f in fields}
    rest = [f for f in meta.concrete_fields if f.attname not in given and not f.primary_key]
    fields += rest
    defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
    prepare = [_preparer(f) for f in fields[: len(names)]]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    # Column by column: each value that needs it goes through its field's preparer once.
    columns = [col if p is None else list(map(p, col)) for p, col in zip(prepare, zip(*rows, strict=True), strict=True)]
    rows = list(zip(*columns, *(repeat(value, len(rows)) for value in defaults), strict=True))
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    return len(rows)


def _preparer(field: models.Field):
    """A function preparing one value of ``field`` for the database, or None when it goes as it is."""
    if isinstance(field, models.DateTimeField):
        adapt = connection.ops.adapt_datetimefield_value
        cache: dict[object, object] = {}

        def prepare_datetime(value: object) -> object:
            if value is None:
                return None
            try:
                return cache[value]
            except KeyError:
                cache[value] = adapted = adapt(value)
                return adapted

        return prepare_datetime
    if isinstance(field, models.JSONField):
        empty = field.get_db_prep_save({}, connection)
        if connection.vendor == "sqlite" and field.encoder is None:
            # What JSONField stores on SQLite is json.dumps(value); skip the generic path's overhead.
            return lambda value: empty if value == {} else json.dumps(value)
        return lambda value: empty if value == {} else field.get_db_prep_save(value, connection)
    if isinstance(field, models.DateField | models.DecimalField):
        return lambda value: field.get_db_prep_save(value, connection)
    return None


EVENT_COLUMNS = ("order_id", "at", "actor", "kind", "from_status", "to_status", "reason", "detail")


def insert_events(events: Iterable[OrderEvent | tuple]) -> int:
    """Write unsaved order events (as made by :func:`event`, or tuples in :data:`EVENT_COLUMNS` order)."""
    return insert_rows(
        OrderEvent,
        EVENT_COLUMNS,
        (
            e
            if isinstance(e, tuple)
            else (e.order_id, e.at, e.actor, e.kind, e.from_status, e.to_status, e.reason, e.detail)
            for e in events
        ),
    )


def update_orders(updates: Sequence[OrderUpdate], now: datetime) -> None:
    """Write the orders' new state with a version check; raise StaleBatch if any changed meanwhile."""
    if not updates:
        return
    table = Order._meta.db_table
    sql = (
        f"UPDATE {table} SET status = %s, due_at = %s, explanation = %s, version = version + 1, "
        "allocated = %s, thanks_mail_queued = %s, shipping_restricted = %s, status_changed_at = "
        "CASE WHEN status = %s THEN status_changed_at ELSE %s END WHERE id = %s AND version = %s"
    )
    prepare = _preparer(Order._meta.get_field("due_at"))
    stamp = prepare(now)
    params = [
        (
            u.status,
            prepare(u.due_at),
            u.explanation[:500],
            u.allocated,
            u.thanks_mail_queued,
            u.shipping_restricted,
            u.status,
            stamp,
            u.order_id,
            u.version,
        )
        for u in updates
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
        changed = cursor.rowcount
    if changed != len(updates):
        raise StaleBatch(f"{len(updates) - changed} of {len(updates)} orders changed while being decided")


def bump_version(order: Order, now: datetime, **fields: object) -> None:
    """Update one order (already read by the caller) if nobody changed it since; raise StaleOrder if so."""
    values = dict(fields)
    if "status" in values and values["status"] != order.status:
        values["status_changed_at"] = now
    changed = Order.objects.filter(pk=order.pk, version=order.version).update(version=F("version") + 1, **values)
    if changed != 1:
        raise StaleOrder(order.pk, order.version)
    order.version += 1
    for name, value in values.items():
        setattr(order, name, value)


def event_of(row: Sequence[Any]) -> OrderEvent:
    """An unsaved order event from a tuple in :data:`EVENT_COLUMNS` order."""
    return OrderEvent(**dict(zip(EVENT_COLUMNS, row, strict=True)))


def event(
    order_id: int,
    now: datetime,
    kind: str,
    reason: str = "",
    *,
    actor: str = "system",
    from_status: str = "",
    to_status: str = "",
    detail: Mapping[str, object] | None = None,
) -> OrderEvent:
    """An unsaved order event (bulk-create a list of them)."""
    return OrderEvent(
        order_id=order_id,
        at=now,
        actor=actor,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        reason=reason[:1000],
        detail=dict(detail or {}),
    )


def set_tags(
    order_id: int, tags: Mapping[str, tuple[TagSource, str]], now: datetime, actor: str = "system"
) -> list[OrderEvent]:
    """Attach or refresh tags; returns the events to write."""
    return set_tags_many({order_id: tags}, now, actor)


def set_tags_many(
    tags_by_order: Mapping[int, Mapping[str, tuple[TagSource, str]]], now: datetime, actor: str = "system"
) -> list[OrderEvent]:
    """Attach or refresh tags on many orders at once; returns the events to write."""
    wanted = {(oid, code): value for oid, tags in tags_by_order.items() for code, value in tags.items()}
    if not wanted:
        return []
    existing = {
        (oid, code): (tid, source, reason)
        for tid, oid, code, source, reason in OrderTag.objects.filter(
            order_id__in=list(tags_by_order), code__in={code for _oid, code in wanted}
        ).values_list("id", "order_id", "code", "source", "reason")
    }
    refresh = [
        existing[key][0]
        for key, (source, reason) in wanted.items()
        if key in existing and existing[key][1:] != (source.value, reason)
    ]
    if refresh:
        OrderTag.objects.filter(id__in=refresh).delete()
    new_rows, events = [], []
    for (oid, code), (source, reason) in wanted.items():
        old = existing.get((oid, code))
        if old is not None and old[1:] == (source.value, reason):
            continue
        new_rows.append(OrderTag(order_id=oid, code=code, source=source.value, reason=reason[:500], created_at=now))
        if old is None:
            events.append(event(oid, now, "tag_added", reason, actor=actor, detail={"tag": code}))
    OrderTag.objects.bulk_create(new_rows)
    return events


def clear_tags_many(
    codes_by_order: Mapping[int, Iterable[str]], now: datetime, reason: str, actor: str = "system"
) -> list[OrderEvent]:
    """Remove tags from many orders; returns the events to write."""
    events = []
    for oid, codes in codes_by_order.items():
        codes = list(codes)
        if not codes:
            continue
        OrderTag.objects.filter(order_id=oid, code__in=codes).delete()
        events.extend(event(oid, now, "tag_cleared", reason, actor=actor, detail={"tag": c}) for c in codes)
    return events


def add_effects(items: Iterable[tuple[int, EffectKind, int | None]], now: datetime) -> None:
    """Queue effects (order id, kind, item id); an effect whose key exists is not queued again."""
    pending = EffectState.PENDING.value
    insert_rows(
        Effect,
        ("order_id", "kind", "item_id", "key", "state", "next_attempt_at", "created_at"),
        ((oid, kind.value, item, effect_key(kind, oid, item), pending, now, now) for oid, kind, item in items),
        ignore_conflicts=True,
    )


def create_requests(package_ids: Sequence[int], now: datetime) -> list[tuple]:
    """A new pending shipment request per package (request id: shop-order-package-attempt).

    Returns the events to write, as :data:`EVENT_COLUMNS` tuples.
    """
    if not package_ids:
        return []
    events: list[tuple] = []
    # 同梱: a package merged into another order's package rides on that package's request (orders/merge_groups.py).
    riding = list(
        where_in(PackageRow.objects.filter(merged_into__isnull=False), "id", package_ids).values_list(
            "id", "order_id", "merged_into__order__mall_order_number"
        )
    )
    if riding:
        PackageRow.objects.filter(id__in=[r[0] for r in riding]).update(shipment_status=PackageStatus.REQUESTED.value)
        events += [
            (oid, now, "system", "request_merged", "", "", f"注文 {number} の出荷依頼に同梱します", {"primary": number})
            for _pid, oid, number in riding
        ]
        package_ids = [pid for pid in package_ids if pid not in {r[0] for r in riding}]
    packages = list(
        where_in(PackageRow.objects.all(), "id", package_ids)
        # 分割出荷: a package split off to another warehouse goes there, the rest to the order's.
        .annotate(to_warehouse=Coalesce("warehouse_id", "order__warehouse_id"))
        .values_list("id", "seq", "order_id", "order__mall_order_number", "order__shop__code", "to_warehouse")
    )
    attempts: dict[int, int] = defaultdict(int)
    for pid in where_in(ShipmentRequest.objects.all(), "package_id", package_ids).values_list("package_id", flat=True):
        attempts[pid] += 1
    # 分割出荷: a part joined back and split again reuses its seq; its old requests keep their ids.
    taken = set(
        where_in(ShipmentRequest.objects.all(), "order_id", sorted({p[2] for p in packages})).values_list(
            "request_id", flat=True
        )
    )
    rows = []
    pending = RequestState.PENDING.value
    for pid, seq, oid, number, shop_code, warehouse_id in packages:
        attempt = attempts[pid] + 1
        while f"{shop_code}-{number}-{seq}-{attempt}" in taken:
            attempt += 1
        request_id = f"{shop_code}-{number}-{seq}-{attempt}"
        rows.append((request_id, oid, pid, warehouse_id, pending, now, now))
        events.append(
            (
                oid,
                now,
                "system",
                "request_queued",
                "",
                "",
                f"出荷依頼 {request_id} を作成しました",
                {"request_id": request_id},
            )
        )
    insert_rows(
        ShipmentRequest,
        ("request_id", "order_id", "package_id", "warehouse_id", "state", "next_attempt_at", "created_at"),
        rows,
    )
    where_in(PackageRow.objects.all(), "id", package_ids).update(shipment_status=PackageStatus.REQUESTED.value)
    return events


def drop_unsent_requests(order_ids: Sequence[int], now: datetime) -> list[OrderEvent]:
    """Cancel requests not yet sent (the order left 出荷待ち before submit); packages back to 未依頼."""
    if not order_ids:
        return []
    # 同梱: a merged package has no request of its own; it leaves 出荷待ち with its order all the same.
    PackageRow.objects.filter(
        order_id__in=order_ids, merged_into__isnull=False, shipment_status=PackageStatus.REQUESTED.value
    ).update(shipment_status=PackageStatus.PENDING.value)
    pending = list(
        ShipmentRequest.objects.filter(order_id__in=order_ids, state=RequestState.PENDING).values_list(
            "id", "order_id", "package_id", "request_id"
        )
    )
    if not pending:
        return []
    ShipmentRequest.objects.filter(id__in=[p[0] for p in pending]).update(state=RequestState.DROPPED, answered_at=now)
    PackageRow.objects.filter(id__in=[p[2] for p in pending], shipment_status=PackageStatus.REQUESTED.value).update(
        shipment_status=PackageStatus.PENDING.value
    )
    return [
        event(oid, now, "request_dropped", f"未送信の出荷依頼 {rid} を取り消しました") for _i, oid, _p, rid in pending
    ]


def release_allocations(order_ids: Sequence[int], now: datetime) -> list[OrderEvent]:
    """Give the orders' allocated stock back; returns the events to write."""
    if not order_ids:
        return []
    rows = list(
        Allocation.objects.filter(order_id__in=order_ids).values_list(
            "order_id", "warehouse_id", "product_id", "quantity"
        )
    )
    per_stock: dict[tuple[int, int], int] = defaultdict(int)
    for _oid, warehouse_id, product_id, quantity in rows:
        per_stock[(warehouse_id, product_id)] += quantity
    for (warehouse_id, product_id), quantity in sorted(per_stock.items()):
        Stock.objects.filter(warehouse_id=warehouse_id, product_id=product_id).update(
            allocated=F("allocated") - quantity
        )
    Allocation.objects.filter(order_id__in=order_ids).delete()
    Order.objects.filter(id__in=order_ids).update(allocated=False)
    released = sorted({oid for oid, *_ in rows})
    joined = splitting.rejoin(order_ids, now)  # 分割出荷: the next allocation starts from the mall's packages
    return [event(oid, now, "allocation_released", "引当を解除しました") for oid in released] + [
        event_of(row) for row in joined
    ]


def wake_orders_waiting_for(product_ids: Iterable[int], now: datetime) -> int:
    """Make 確認済 orders that wait for stock of these products due now (a stock arrival)."""
    ids = list(product_ids)
    if not ids:
        return 0
    from juchu.catalog.models import SetComponent

    set_ids = list(SetComponent.objects.filter(component_id__in=ids).values_list("set_product_id", flat=True))
    waiting = set(
        Order.objects.filter(
            status=OrderStatus.CHECKED.value, allocated=False, lines__product_id__in=ids + set_ids
        ).values_list("id", flat=True)
    )
    return Order.objects.filter(id__in=waiting).update(due_at=now)


def move(
    order: Order, target: OrderStatus, now: datetime, reason: str, actor: str = "system", **fields: object
) -> OrderEvent:
    """Move one order (read by the caller) along the transition table; returns the event to write.

    Raises IllegalTransition for a move the table forbids and StaleOrder if the order changed since read.
    """
    from juchu.domain.status import check_transition

    source = OrderStatus(order.status)
    check_transition(source, target)
    bump_version(order, now, status=target.value, **fields)
    return event(order.pk, now, "transition", reason, actor=actor, from_status=source.value, to_status=target.value)
