"""The ``collect`` sweep: read the warehouse's results after the saved cursor and record them.

Shipped → shipment and parcels stored, stock consumed, shipping mail and mall report queued; 出荷不可 →
tag; withdrawn → package withdrawn. Replaying a result (after a crash before the cursor was saved) changes
nothing: a package has at most one shipment.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from juchu.catalog.models import Allocation, Stock
from juchu.connectors import registry
from juchu.connectors.base import ConnectorError, ResultStatus, ShipmentResult
from juchu.domain.effects import EffectKind
from juchu.domain.model import TagSource
from juchu.domain.status import PackageStatus
from juchu.fulfillment.models import Parcel, RequestState, Shipment, ShipmentRequest, Warehouse
from juchu.orders import merge_groups, writes
from juchu.orders.locking import lock_orders
from juchu.orders.models import Order, OrderEvent
from juchu.orders.models import Package as PackageRow

log = logging.getLogger("juchu.collect")


@dataclass(frozen=True, slots=True)
class CollectResult:
    """What one collect pass did."""

    results: int
    shipped: int
    unshippable: int
    withdrawn: int
    unknown: int


def collect_results(warehouse: Warehouse, now: datetime) -> CollectResult:
    """Poll the warehouse once and record what it reports."""
    connector = registry.warehouse_connector(warehouse.connector, warehouse.connector_settings())
    if connector is None:
        return CollectResult(0, 0, 0, 0, 0)
    try:
        polled = connector.poll_results(warehouse.results_cursor)
    except ConnectorError as exc:
        Warehouse.objects.filter(pk=warehouse.pk).update(last_error=f"{now:%Y-%m-%d %H:%M} 出荷実績取得: {exc}")
        return CollectResult(0, 0, 0, 0, 0)
    return record_results(warehouse, polled.results, now, cursor=polled.cursor)


def record_results(
    warehouse: Warehouse, results: Sequence[ShipmentResult], now: datetime, cursor: str | None = None
) -> CollectResult:
    """Record results the warehouse reported (by API or by file) and, when given, the next cursor."""
    counts: dict[str, int] = defaultdict(int)
    with transaction.atomic():
        # One recorder per warehouse at a time (a lease taken over from a slow worker may overlap it): the
        # second waits here, then finds the shipments recorded and changes nothing. Then the orders, before
        # their packages and stock, in the order every sweep locks them (juchu.orders.locking).
        if connection.features.has_select_for_update:
            list(Warehouse.objects.select_for_update().filter(pk=warehouse.pk).values_list("id", flat=True))
        requests = {
            r.request_id: r
            for r in ShipmentRequest.objects.filter(warehouse=warehouse, request_id__in=[x.request_id for x in results])
        }
        lock_orders(r.order_id for r in requests.values())
        events: list[OrderEvent] = []
        for result in results:
            request = requests.get(result.request_id)
            if request is None:
                counts["unknown"] += 1
                log.warning("warehouse %s reported unknown request %s", warehouse.code, result.request_id)
                continue
            counts[result.status.value] += 1
            _record(request, result, now, events)
        OrderEvent.objects.bulk_create(events)
        if cursor is not None:
            Warehouse.objects.filter(pk=warehouse.pk).update(results_cursor=cursor, last_poll_at=now, last_error="")
            warehouse.results_cursor = cursor
    return CollectResult(len(results), counts["shipped"], counts["unshippable"], counts["withdrawn"], counts["unknown"])


def _record(request: ShipmentRequest, result: ShipmentResult, now: datetime, events: list[OrderEvent]) -> None:
    if result.status is ResultStatus.SHIPPED:
        _shipped(request, result, now, events)
    elif result.status is ResultStatus.UNSHIPPABLE:
        # 同梱: the box cannot ship, so neither can any order riding on it.
        riding = merge_groups.riders([request.package_id]).get(request.package_id, [])
        for package_id, order_id in [(request.package_id, request.order_id), *riding]:
            changed = PackageRow.objects.filter(id=package_id, shipment_status=PackageStatus.ACCEPTED.value).update(
                shipment_status=PackageStatus.UNSHIPPABLE.value
            )
            if changed:
                reason = f"出荷不可: {result.reason or '理由の記載なし'} (依頼 {request.request_id})"
                events.extend(writes.set_tags(order_id, {"unshippable": (TagSource.SYSTEM, reason)}, now))
                events.append(writes.event(order_id, now, "unshippable", reason))
                Order.objects.filter(pk=order_id).update(due_at=now)
    else:
        changed = (
            PackageRow.objects.filter(id=request.package_id)
            .exclude(shipment_status__in=[PackageStatus.SHIPPED.value, PackageStatus.WITHDRAWN.value])
            .update(shipment_status=PackageStatus.WITHDRAWN.value)
        )
        ShipmentRequest.objects.filter(pk=request.pk).update(state=RequestState.WITHDRAWN, answered_at=now)
        if changed:
            events.append(
                writes.event(
                    request.order_id,
                    now,
                    "withdrawn",
                    f"出荷依頼 {request.request_id} の取下げが確定しました",
                )
            )
    Order.objects.filter(pk=request.order_id).update(due_at=now)


def _shipped(request: ShipmentRequest, result: ShipmentResult, now: datetime, events: list[OrderEvent]) -> None:
    _ship_package(request, request.package_id, request.order_id, result, now, events)
    # 同梱: every order riding on the request gets its own shipment (same carrier, date and tracking numbers),
    # hence its own mall report and shipping mail, and moves to 全出荷済 → 完了 on its own.
    for package_id, order_id in merge_groups.riders([request.package_id]).get(request.package_id, ()):
        _ship_package(request, package_id, order_id, result, now, events)
        Order.objects.filter(pk=order_id).update(due_at=now)


def _ship_package(
    request: ShipmentRequest,
    package_id: int,
    order_id: int,
    result: ShipmentResult,
    now: datetime,
    events: list[OrderEvent],
) -> None:
    if Shipment.objects.filter(package_id=package_id).exists():
        return
    own = package_id == request.package_id
    shipment = Shipment.objects.create(
        package_id=package_id,
        request=request,
        carrier_code=result.carrier_code,
        carrier_name=result.carrier_name,
        shipped_on=result.shipped_on or timezone.localdate(now),  # the day in Japan, not in UTC
        recorded_at=now,
    )
    Parcel.objects.bulk_create(
        Parcel(
            shipment=shipment,
            tracking_number=p.tracking_number,
            # A riding package shares the box: its parcels carry the tracking numbers, the lines stay the primary's.
            lines=[{"sku": line.sku, "quantity": line.quantity} for line in p.lines] if own else [],
        )
        for p in result.parcels
    )
    PackageRow.objects.filter(id=package_id).update(shipment_status=PackageStatus.SHIPPED.value)
    _consume_stock(package_id)
    order = Order.objects.select_related("shop").get(pk=order_id)
    effects = [(order.pk, EffectKind.MALL_REPORT, shipment.pk)]
    if order.shop.shipping_mail:
        effects.append((order.pk, EffectKind.SHIPPING_MAIL, shipment.pk))
    writes.add_effects(effects, now)
    trackings = ", ".join(p.tracking_number for p in result.parcels) or "-"
    events.append(
        writes.event(
            order.pk,
            now,
            "shipped",
            f"出荷されました: {result.carrier_name or result.carrier_code} お問い合わせ番号 {trackings}",
            detail={"shipment_id": shipment.pk, "carrier_code": result.carrier_code},
        )
    )


def _consume_stock(package_id: int) -> None:
    """The package left the warehouse: its allocated units leave the stock."""
    rows = list(
        Allocation.objects.filter(line__package_id=package_id).values_list(
            "id", "warehouse_id", "product_id", "quantity"
        )
    )
    units: dict[int, int] = defaultdict(int)
    stock_ids = {
        (warehouse_id, product_id): stock_id
        for stock_id, warehouse_id, product_id in Stock.objects.filter(
            warehouse_id__in={r[1] for r in rows}, product_id__in={r[2] for r in rows}
        ).values_list("id", "warehouse_id", "product_id")
    }
    for _id, warehouse_id, product_id, quantity in rows:
        if (warehouse_id, product_id) in stock_ids:
            units[stock_ids[(warehouse_id, product_id)]] += quantity
    # Stock rows by ascending id, the order advance locks them in: the two sweeps never wait in a cycle.
    for stock_id, quantity in sorted(units.items()):
        Stock.objects.filter(id=stock_id).update(on_hand=F("on_hand") - quantity, allocated=F("allocated") - quantity)
    Allocation.objects.filter(id__in=[r[0] for r in rows]).delete()
