"""The ``submit`` sweep: send pending shipment requests (出荷依頼) to their warehouse, 100 per call.

Three steps so that no network call happens inside a transaction: claim a batch (short transaction), call
the warehouse, record every answer (short transaction). The request id is the warehouse's idempotency key,
so a crash after the call and before the record only means the same request is sent again and answered
the same.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef

from juchu.catalog.models import Allocation
from juchu.connectors import registry
from juchu.connectors.base import (
    ConnectorError,
    ItemResult,
    Outcome,
    RequestLine,
    ShipmentRequestData,
)
from juchu.domain import merging as merge_rules
from juchu.domain.effects import EffectKind, retry_delay_seconds
from juchu.domain.model import Address, TagSource
from juchu.domain.status import SENDABLE, OrderStatus, PackageStatus
from juchu.fulfillment.models import RequestState, ShipmentRequest, Warehouse
from juchu.orders import merge_groups, writes
from juchu.orders.locking import lock_orders
from juchu.orders.models import Order, OrderEvent
from juchu.orders.models import Package as PackageRow
from juchu.shops.models import DeliveryMethodMapping

log = logging.getLogger("juchu.submit")
BATCH = 100


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """What one submit batch did."""

    sent: int
    accepted: int
    rejected: int
    retried: int


def submit_pending_requests(warehouse: Warehouse, now: datetime) -> SubmitResult:
    """Send one batch of due requests to ``warehouse`` and record the answers."""
    connector = registry.warehouse_connector(warehouse.connector, warehouse.connector_settings())
    if connector is None:
        return SubmitResult(0, 0, 0, 0)
    claimed = claim_requests(warehouse, now)
    if not claimed:
        return SubmitResult(0, 0, 0, 0)
    try:
        answers = connector.submit(claimed)
    except ConnectorError as exc:
        answers = [ItemResult(r.request_id, Outcome.RETRY, exc.code, str(exc)) for r in claimed]
    by_id = {a.key: a for a in answers}
    missing = [r.request_id for r in claimed if r.request_id not in by_id]
    for request_id in missing:
        by_id[request_id] = ItemResult(request_id, Outcome.RETRY, "NO_ANSWER", "倉庫から回答がありませんでした")
    return record_answers(by_id, now)


def claim_requests(warehouse: Warehouse, now: datetime) -> list[ShipmentRequestData]:
    """Take up to 100 due pending requests of the warehouse (not handed out again until the claim expires)."""
    with transaction.atomic():
        query = ShipmentRequest.objects.filter(
            warehouse=warehouse,
            state=RequestState.PENDING,
            next_attempt_at__lte=now,
            order__status__in=[s.value for s in SENDABLE],
            order__shipping_restricted=False,
        )
        # 同梱: a box goes out only when every order riding on it waits at 出荷待ち unrestricted, whatever the
        # primary's last decision said (it may have read a partner before the partner moved).
        not_ready = PackageRow.objects.filter(merged_into=OuterRef("package_id")).exclude(
            order__status=OrderStatus.AWAITING_SHIPMENT.value, order__shipping_restricted=False
        )
        query = query.exclude(Exists(not_ready))
        if connection.features.has_select_for_update_skip_locked:
            query = query.select_for_update(skip_locked=True, of=("self",))
        requests = list(query.order_by("next_attempt_at", "id")[:BATCH])
        if not requests:
            return []
        ids = [r.pk for r in requests]
        ShipmentRequest.objects.filter(id__in=ids).update(
            next_attempt_at=now + timedelta(seconds=settings.JUCHU_CLAIM_SECONDS),
            attempts=F("attempts") + 1,
            sent_at=now,
        )
        return _payloads(requests)


def _payloads(requests: list[ShipmentRequest]) -> list[ShipmentRequestData]:
    package_ids = [r.package_id for r in requests]
    packages = {p.pk: p for p in PackageRow.objects.filter(id__in=package_ids).select_related("order__shop")}
    # 同梱: the packages riding on a request put their lines, amounts and order numbers into it.
    riders = merge_groups.riders(package_ids)
    carried_by = {pid: into for into, riding in riders.items() for pid, _oid in riding}
    riding_orders = {
        o.pk: o for o in Order.objects.filter(id__in=[oid for riding in riders.values() for _p, oid in riding])
    }
    lines: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    for package_id, sku, quantity, price in Allocation.objects.filter(
        line__package_id__in=[*package_ids, *carried_by]
    ).values_list("line__package_id", "product__code", "quantity", "line__unit_price"):
        lines[carried_by.get(package_id, package_id)].append((sku, quantity, price))
    shops = {p.order.shop_id for p in packages.values()}
    methods = {
        (shop_id, mall): code
        for shop_id, mall, code in DeliveryMethodMapping.objects.filter(shop_id__in=shops).values_list(
            "shop_id", "mall_method", "warehouse_method"
        )
    }
    payloads = []
    for request in requests:
        package = packages[request.package_id]
        order = package.order
        merged = [riding_orders[oid] for _p, oid in riders.get(package.pk, ())]
        payloads.append(
            ShipmentRequestData(
                request_id=request.request_id,
                mall_order_number=order.mall_order_number,
                shop_code=order.shop.code,
                delivery_method=methods.get((order.shop_id, package.delivery_method), package.delivery_method),
                recipient_name=package.recipient_name,
                address=Address(
                    package.postal_code, package.prefecture, package.city, package.address1, package.address2
                ),
                lines=tuple(RequestLine(*line) for line in merge_rules.combine_lines(lines[package.pk])),
                phone=package.phone,
                requested_date=package.requested_date,
                delivery_time=package.delivery_time,
                goods_amount=order.goods_total + sum(o.goods_total for o in merged),
                postage=order.postage + sum(o.postage for o in merged),
                gift=order.gift,
                note=merge_rules.request_note([order.mall_order_number, *(o.mall_order_number for o in merged)])
                if merged
                else "",
                package_number=package.seq,
            )
        )
    return payloads


def record_answers(answers: dict[str, ItemResult], now: datetime) -> SubmitResult:
    """Store the warehouse's answer to each request; move orders whose packages are all accepted."""
    accepted = rejected = retried = 0
    with transaction.atomic():
        # Orders first, then their requests (juchu.orders.locking): an advance batch that holds one of these
        # orders is waited for, never deadlocked with, and the orders are read after it committed.
        lock_orders(ShipmentRequest.objects.filter(request_id__in=list(answers)).values_list("order_id", flat=True))
        requests = list(ShipmentRequest.objects.filter(request_id__in=list(answers)).select_related("order"))
        events: list[OrderEvent] = []
        touched_orders: set[int] = set()
        for request in requests:
            answer = answers[request.request_id]
            if answer.outcome is Outcome.ACCEPTED:
                accepted += 1
                _accepted(request, answer, now, events)
                touched_orders.add(request.order_id)
            elif answer.outcome is Outcome.REJECTED:
                rejected += 1
                _rejected(request, answer, now, events)
            else:
                retried += 1
                _retry(request, answer, now, events)
        for order in Order.objects.filter(id__in=touched_orders, status=OrderStatus.AWAITING_SHIPMENT.value):
            # A package accepted earlier may have shipped meanwhile: only packages not yet accepted count.
            waiting = set(
                PackageRow.objects.filter(
                    order=order, shipment_status__in=[PackageStatus.PENDING.value, PackageStatus.REQUESTED.value]
                ).values_list("shipment_status", flat=True)
            )
            if not waiting:
                events.append(
                    writes.move(
                        order,
                        OrderStatus.SHIPPING,
                        now,
                        "倉庫が出荷依頼を受け付けました",
                        explanation="出荷作業中: 倉庫で出荷作業中です。出荷実績を待っています",
                        due_at=None,
                    )
                )
            elif PackageStatus.PENDING.value not in waiting:
                # 分割出荷: another part waits at its own warehouse; the pipeline moves the order and says so.
                Order.objects.filter(pk=order.pk).update(due_at=now)
        # 分割出荷: the last part of an order already at a warehouse: its explanation changes.
        Order.objects.filter(
            id__in=touched_orders, status__in=[OrderStatus.SHIPPING.value, OrderStatus.PARTIALLY_SHIPPED.value]
        ).update(due_at=now)
        OrderEvent.objects.bulk_create(events)
    return SubmitResult(len(requests), accepted, rejected, retried)


def _accepted(request: ShipmentRequest, answer: ItemResult, now: datetime, events: list[OrderEvent]) -> None:
    ship_by = answer.data.get("ship_by")
    dropped = request.state == RequestState.DROPPED
    request.state = RequestState.ACCEPTED
    request.warehouse_order_id = answer.data.get("warehouse_order_id", "")
    request.ship_by = datetime.fromisoformat(ship_by).date() if ship_by else None
    request.answered_at = now
    request.last_error = ""
    request.save(update_fields=["state", "warehouse_order_id", "ship_by", "answered_at", "last_error"])
    PackageRow.objects.filter(id=request.package_id).update(shipment_status=PackageStatus.ACCEPTED.value)
    # 同梱: the packages riding on the request are at the warehouse too; their orders move on their own.
    riding = PackageRow.objects.filter(merged_into_id=request.package_id)
    riding.update(shipment_status=PackageStatus.ACCEPTED.value)
    Order.objects.filter(id__in=riding.values("order_id")).update(due_at=now)
    if request.first_failure_at is not None:
        events.extend(
            writes.clear_tags_many(
                {request.order_id: ["shipment_request_error"]}, now, "再試行で出荷依頼が受け付けられました"
            )
        )
    events.append(
        writes.event(
            request.order_id,
            now,
            "request_accepted",
            f"倉庫が出荷依頼 {request.request_id} を受け付けました (出荷予定日 {ship_by or '-'})",
            detail={"request_id": request.request_id, "warehouse_order_id": request.warehouse_order_id},
        )
    )
    if dropped or request.order.status == OrderStatus.CANCELLED.value:
        # Cancelled while the request was on its way: ask the warehouse not to ship it.
        writes.add_effects([(request.order_id, EffectKind.WITHDRAWAL, request.package_id)], now)
        events.append(
            writes.event(
                request.order_id,
                now,
                "withdrawal_queued",
                "キャンセル済みの注文の出荷依頼が受け付けられたため取下げを依頼します",
            )
        )


def _rejected(request: ShipmentRequest, answer: ItemResult, now: datetime, events: list[OrderEvent]) -> None:
    request.state = RequestState.REJECTED
    request.answered_at = now
    request.last_error = f"{answer.code} {answer.message}".strip()
    request.save(update_fields=["state", "answered_at", "last_error"])
    PackageRow.objects.filter(id=request.package_id).update(shipment_status=PackageStatus.PENDING.value)
    reason = f"出荷依頼エラー: {answer.code} {answer.message} (依頼 {request.request_id})"
    events.extend(writes.set_tags(request.order_id, {"shipment_request_error": (TagSource.SYSTEM, reason)}, now))
    order = Order.objects.get(pk=request.order_id)
    # 分割出荷: another part may already be at its warehouse, or shipped; this part still needs the operator.
    if order.status in [s.value for s in SENDABLE]:
        events.append(
            writes.move(order, OrderStatus.AWAITING_CHECK, now, reason, explanation=f"確認待: {reason}", due_at=None)
        )
    else:
        Order.objects.filter(pk=order.pk).update(due_at=now)


def _retry(request: ShipmentRequest, answer: ItemResult, now: datetime, events: list[OrderEvent]) -> None:
    request.first_failure_at = request.first_failure_at or now
    request.next_attempt_at = now + timedelta(seconds=retry_delay_seconds(request.attempts, *_retry_backoff()))
    request.last_error = f"{answer.code} {answer.message}".strip()
    request.save(update_fields=["first_failure_at", "next_attempt_at", "last_error"])
    if now - request.first_failure_at >= timedelta(minutes=30):
        reason = f"出荷依頼の送信に30分以上失敗しています (再試行中): {request.last_error}"
        events.extend(writes.set_tags(request.order_id, {"shipment_request_error": (TagSource.SYSTEM, reason)}, now))


def _retry_backoff() -> tuple[float, float]:
    """JUCHU_RETRY_BASE_SECONDS and JUCHU_RETRY_MAX_SECONDS: the first retry's delay and the longest one."""
    return settings.JUCHU_RETRY_BASE_SECONDS, settings.JUCHU_RETRY_MAX_SECONDS
