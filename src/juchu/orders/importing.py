"""Importing orders (受注取込): idempotent upsert of mall orders, one shop and one batch at a time.

A new order is created with its packages and lines, mapped to SKUs, and made due at once. A known order is
updated: the mall's payment, confirmation and cancel state always; its content only while no shipment
request has gone out (then it is re-decided), otherwise the order gets the ``mall_changed`` flag.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime

from django.db import IntegrityError, transaction

from juchu.catalog.models import MallItemMapping
from juchu.connectors.base import ItemResult, MallOrder, Outcome
from juchu.domain.identity import content_hash, duplicate_fingerprint
from juchu.domain.status import OrderStatus
from juchu.fulfillment.models import RequestState, ShipmentRequest
from juchu.orders import search, writes
from juchu.orders.models import Order, OrderEvent, OrderLine
from juchu.orders.models import Package as PackageRow
from juchu.shops.models import Shop

#: Statuses in which the mall's new content simply replaces ours (no request has gone out yet).
_REPLACEABLE = {
    OrderStatus.NEW,
    OrderStatus.AWAITING_CHECK,
    OrderStatus.CHECKED,
    OrderStatus.AWAITING_SHIPMENT,
}


@dataclass
class ImportResult:
    """What an import did, with a clear error per order that could not be imported."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[ItemResult] = field(default_factory=list)


#: Field names of each dataclass met by :func:`_plain`; None for a type that is not a dataclass.
_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def _field_names(cls: type) -> tuple[str, ...] | None:
    try:
        return _FIELD_NAMES[cls]
    except KeyError:
        names = tuple(f.name for f in fields(cls)) if is_dataclass(cls) else None
        _FIELD_NAMES[cls] = names
        return names


def _plain(value: object) -> object:
    """``dataclasses.asdict`` for the connector value types, without its deep copies (the values are immutable).

    Dataclasses become dicts, tuples and lists lists: the JSON text (and so the content hash) is the same.
    """
    names = _field_names(type(value))
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    return value


def _canonical(order: MallOrder) -> str:
    """The order's content that matters for a re-decision (not the mall's progress or payment state)."""
    data = _plain(order)
    for volatile in (
        "payment_state",
        "mall_status",
        "cancelled",
        "change_pending",
        "confirmed",
        "payment_error",
    ):
        data.pop(volatile, None)
    return json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)


def _nul_at(value: object, path: str) -> str | None:
    """The path of the first text holding a NUL character (PostgreSQL cannot store one), or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    names = _field_names(type(value))
    if names is not None:
        items: list[tuple[str, object]] = [(f"{path}.{n}" if path else n, getattr(value, n)) for n in names]
    elif isinstance(value, list | tuple):
        items = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
    else:
        return None
    for where, item in items:
        found = _nul_at(item, where)
        if found:
            return found
    return None


def _validate(order: MallOrder) -> str | None:
    """A reason the order cannot be stored, or None."""
    if not order.mall_order_number:
        return "注文番号がありません"
    nul = _nul_at(order, "")
    if nul:
        return f"{nul} に制御文字 (NUL) が含まれています"
    if order.ordered_at.tzinfo is None:
        return "注文日時にタイムゾーンがありません"
    if not order.packages:
        return "送付先がありません"
    for i, package in enumerate(order.packages, 1):
        if not package.lines:
            return f"送付先{i} に明細がありません"
        for j, line in enumerate(package.lines, 1):
            if line.quantity < 1:
                return f"送付先{i} 明細{j} の数量 {line.quantity} が不正です"
            if not line.mall_item_id:
                return f"送付先{i} 明細{j} に商品IDがありません"
    return None


def import_orders(shop: Shop, orders: Sequence[MallOrder], now: datetime, actor: str = "system") -> ImportResult:
    """Create or update the shop's orders; a bad order is reported and never stops the others."""
    result = ImportResult()
    good: list[MallOrder] = []
    for order in orders:
        problem = _validate(order)
        if problem:
            result.errors.append(ItemResult(order.mall_order_number or "?", Outcome.REJECTED, "INVALID", problem))
        else:
            good.append(order)
    for start in range(0, len(good), 200):
        _import_batch(shop, good[start : start + 200], now, actor, result)
    return result


def _import_batch(shop: Shop, orders: list[MallOrder], now: datetime, actor: str, result: ImportResult) -> None:
    with transaction.atomic():
        numbers = [o.mall_order_number for o in orders]
        existing = {o.mall_order_number: o for o in Order.objects.filter(shop=shop, mall_order_number__in=numbers)}
        mappings = _mappings(shop, orders)
        events: list[OrderEvent] = []
        fresh: dict[str, MallOrder] = {}
        touched: list[str] = []
        for order in orders:
            row = existing.get(order.mall_order_number)
            if row is None:
                # The same number twice in one batch: the first copy is created, the second finds it taken.
                fresh.setdefault(order.mall_order_number, order)
                result.created.append(order.mall_order_number)
            elif _update(row, order, mappings, now, events, actor):
                result.updated.append(order.mall_order_number)
                touched.append(order.mall_order_number)
            else:
                result.unchanged.append(order.mall_order_number)
        _create_all(shop, list(fresh.values()), mappings, now, events)
        writes.insert_events(events)
        touched += fresh
        search.reindex(
            list(Order.objects.filter(shop=shop, mall_order_number__in=touched).values_list("id", flat=True))
        )


def _mappings(shop: Shop, orders: list[MallOrder]) -> dict[tuple[str, str], int]:
    items = {line.mall_item_id for o in orders for p in o.packages for line in p.lines}
    return {
        (item, variant): product_id
        for item, variant, product_id in MallItemMapping.objects.filter(shop=shop, mall_item_id__in=items).values_list(
            "mall_item_id", "mall_variant_id", "product_id"
        )
    }


def resolve(mappings: dict[tuple[str, str], int], item: str, variant: str) -> int | None:
    """The product of a mall item and variant: the variant's own mapping, else the item's."""
    return mappings.get((item, variant)) or mappings.get((item, ""))


def _fingerprint(order: MallOrder) -> str:
    return duplicate_fingerprint(
        order.buyer_name,
        order.phone,
        [p.address.one_line() for p in order.packages],
        [(line.mall_item_id, line.mall_variant_id, line.quantity) for p in order.packages for line in p.lines],
    )


def _order_fields(order: MallOrder) -> dict[str, object]:
    return {
        "buyer_name": order.buyer_name,
        "buyer_kana": order.buyer_kana,
        "email": order.email,
        "phone": order.phone,
        "remarks": order.remarks,
        "order_type": order.order_type.value,
        "gift": order.gift,
        "coupon_used": order.coupon_used,
        "points_used": order.points_used,
        "goods_total": order.goods_total,
        "postage": order.postage,
        "total": order.total,
        "payment_method": order.payment_method,
        "fingerprint": _fingerprint(order),
        "content_hash": content_hash(_canonical(order)),
    }


def _mall_state(order: MallOrder) -> dict[str, object]:
    return {
        "payment_state": order.payment_state.value,
        "payment_error": order.payment_error[:500],
        "mall_status": order.mall_status,
        "mall_cancelled": order.cancelled,
        "mall_confirmed": order.confirmed,
    }


def _new_order_fields(shop: Shop, order: MallOrder, now: datetime) -> dict[str, object]:
    return {
        "shop_id": shop.pk,
        "mall_order_number": order.mall_order_number,
        "status": OrderStatus.NEW.value,
        "due_at": now,
        "ordered_at": order.ordered_at,
        "imported_at": now,
        "status_changed_at": now,
        "warehouse_id": shop.warehouse_id,
        "explanation": "新規受付: 取込みました",
        **_order_fields(order),
        **_mall_state(order),
    }


def _imported_event(order_id: int, order: MallOrder, now: datetime) -> OrderEvent:
    return writes.event(
        order_id,
        now,
        "imported",
        "モールから取り込みました",
        to_status=OrderStatus.NEW.value,
        detail={"mall_status": order.mall_status},
    )


def _create_all(shop: Shop, orders: list[MallOrder], mappings: dict, now: datetime, events: list[OrderEvent]) -> None:
    """Insert new orders with their packages and lines, a few statements for the whole batch."""
    if not orders:
        return
    rows = [_new_order_fields(shop, order, now) for order in orders]
    names = tuple(rows[0])
    try:
        with transaction.atomic():
            writes.insert_rows(Order, names, ([row[n] for n in names] for row in rows))
    except IntegrityError:
        # Another worker imported some of them a moment ago: one by one, so that its copies win.
        for order in orders:
            _create(shop, order, mappings, now, events)
        return
    # No conflict: every row with these numbers is one just inserted.
    ids = dict(
        Order.objects.filter(shop=shop, mall_order_number__in=[o.mall_order_number for o in orders]).values_list(
            "mall_order_number", "id"
        )
    )
    by_id = {ids[order.mall_order_number]: order for order in orders}
    _write_contents(by_id, mappings)
    events.extend(_imported_event(order_id, order, now) for order_id, order in by_id.items())


def _create(shop: Shop, order: MallOrder, mappings: dict, now: datetime, events: list[OrderEvent]) -> None:
    try:
        with transaction.atomic():
            row = Order.objects.create(**_new_order_fields(shop, order, now))
    except IntegrityError:
        # Another worker imported it a moment ago: that copy wins, nothing is created twice.
        return
    _write_contents({row.pk: order}, mappings)
    events.append(_imported_event(row.pk, order, now))


_PACKAGE_COLUMNS = (
    "order_id",
    "seq",
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
_LINE_COLUMNS = (
    "order_id",
    "package_id",
    "seq",
    "mall_item_id",
    "mall_variant_id",
    "name",
    "quantity",
    "unit_price",
    "product_id",
)


def _write_contents(orders: dict[int, MallOrder], mappings: dict) -> None:
    """The packages and lines of orders (by order id) that have none yet."""
    writes.insert_rows(
        PackageRow,
        _PACKAGE_COLUMNS,
        (
            (
                order_id,
                seq,
                package.mall_package_id,
                package.recipient_name,
                package.recipient_kana,
                package.phone,
                package.address.postal_code,
                package.address.prefecture,
                package.address.city,
                package.address.address1,
                package.address.address2,
                package.delivery_method,
                package.requested_date,
                package.delivery_time,
                package.island,
            )
            for order_id, order in orders.items()
            for seq, package in enumerate(order.packages, 1)
        ),
    )
    package_ids = {
        (order_id, seq): package_id
        for order_id, seq, package_id in PackageRow.objects.filter(order_id__in=list(orders)).values_list(
            "order_id", "seq", "id"
        )
    }
    writes.insert_rows(
        OrderLine,
        _LINE_COLUMNS,
        (
            (
                order_id,
                package_ids[order_id, p_seq],
                i,
                line.mall_item_id,
                line.mall_variant_id,
                line.name,
                line.quantity,
                line.unit_price,
                resolve(mappings, line.mall_item_id, line.mall_variant_id),
            )
            for order_id, order in orders.items()
            for p_seq, package in enumerate(order.packages, 1)
            for i, line in enumerate(package.lines, 1)
        ),
    )


def _sent(row: Order) -> bool:
    """Whether a shipment request of the order has gone out (is neither pending nor dropped)."""
    return (
        ShipmentRequest.objects.filter(order=row)
        .exclude(state__in=[RequestState.PENDING, RequestState.DROPPED])
        .exists()
    )


def _update(row: Order, order: MallOrder, mappings: dict, now: datetime, events: list[OrderEvent], actor: str) -> bool:
    status = OrderStatus(row.status)
    changes: dict[str, object] = {}
    for name, value in _mall_state(order).items():
        # A confirmation Juchu made stays made: some malls show it only once the order is paid (Qoo10).
        if name == "mall_confirmed" and row.mall_confirmed:
            continue
        if getattr(row, name) != value:
            changes[name] = value
    new_hash = content_hash(_canonical(order))
    content_changed = new_hash != row.content_hash
    if (content_changed or order.change_pending) and status in _REPLACEABLE and not _sent(row):
        if content_changed:
            events += writes.drop_unsent_requests([row.pk], now)
            events += writes.release_allocations([row.pk], now)
            row.refresh_from_db(fields=["version", "allocated"])
            OrderLine.objects.filter(order=row).delete()
            PackageRow.objects.filter(order=row).delete()
            _write_contents({row.pk: order}, mappings)
            changes.update(_order_fields(order))
            if status is OrderStatus.AWAITING_SHIPMENT:
                changes["status"] = OrderStatus.CHECKED.value
                events.append(
                    writes.event(
                        row.pk,
                        now,
                        "transition",
                        "モールで注文が変更されたため再判定します",
                        from_status=status.value,
                        to_status=OrderStatus.CHECKED.value,
                    )
                )
            events.append(writes.event(row.pk, now, "mall_changed", "モールの変更内容を取り込みました", actor=actor))
    elif (content_changed or order.change_pending) and not row.mall_changed and not status.is_final:
        changes["mall_changed"] = True
        changes["content_hash"] = new_hash
        events.append(writes.event(row.pk, now, "mall_changed", "出荷依頼の送信後にモールで注文が変更されました"))
    if not changes:
        return False
    if "mall_cancelled" in changes and order.cancelled:
        events.append(writes.event(row.pk, now, "mall_cancelled", "モールでキャンセルされました"))
    if "payment_state" in changes:
        events.append(writes.event(row.pk, now, "payment", f"決済状態: {order.payment_state.value}"))
    if not status.is_final:
        changes["due_at"] = now
    writes.bump_version(row, now, **changes)
    return True
