"""Own-warehouse shipping (自社出荷): issue the due requests as a batch, read the carrier's tracking numbers back.

The own warehouse has no API (its connector ``selfship`` has no connector object), so the submit sweep
leaves its requests alone. An operator issues a batch (出荷指示): the due requests are taken exactly as the
RSL CSV export takes them and recorded as accepted, so the orders move to 出荷作業中; the batch keeps which
requests it holds and regenerates their paperwork (juchu.fulfillment.selfship_paperwork) on demand. A request
whose slip row the carrier's layout refuses stays in the batch, flagged with the column and reason.

The carrier's issued-slip file is read by the key each slip carries and recorded as shipment results
through the collect sweep's recorder, as an RSL result file is: orders move to 全出荷済, the shipping mail
and the mall report follow. A request already shipped is skipped, so importing a file again applies nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from juchu.connectors.base import ItemResult, Outcome, ParcelData, ResultStatus, ShipmentResult
from juchu.csvio.text import RowError
from juchu.domain.status import SENDABLE, OrderStatus
from juchu.fulfillment.collect import CollectResult, record_results
from juchu.fulfillment.models import RequestState, SelfShipBatch, SelfShipItem, Shipment, ShipmentRequest, Warehouse
from juchu.fulfillment.selfship_paperwork import slip_key, slip_requests, write_slips
from juchu.fulfillment.selfship_settings import CARRIER_NAMES, SlipSettings
from juchu.fulfillment.slips import Carrier, SlipError, SlipFile, read_tracking
from juchu.fulfillment.submit import claim_requests, record_answers


class NotReady(Exception):
    """The warehouse cannot issue a batch: not an own warehouse, or its slip settings are incomplete."""


@dataclass(frozen=True)
class Issued:
    """What issuing did: the batch (None when nothing was due) and the requests whose slip row was refused."""

    batch: SelfShipBatch | None
    issued: int
    flagged: tuple[SlipError, ...] = ()


@dataclass
class TrackingImported:
    """What a tracking import did: the recorder's counts, the requests skipped as already shipped, bad rows."""

    recorded: CollectResult
    shipped_orders: list[str] = field(default_factory=list)
    already_shipped: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)


def settings_of(warehouse: Warehouse) -> SlipSettings:
    """The warehouse's slip settings."""
    return SlipSettings.from_json(warehouse.slip_settings or {})


def due_requests(warehouse: Warehouse, now: datetime) -> QuerySet[ShipmentRequest]:
    """The requests the next batch would take: the same filter as the submit sweep's claim_requests."""
    return ShipmentRequest.objects.filter(
        warehouse=warehouse,
        state=RequestState.PENDING,
        next_attempt_at__lte=now,
        order__status__in=[s.value for s in SENDABLE],
        order__shipping_restricted=False,
    ).order_by("next_attempt_at", "id")


def restricted_requests(warehouse: Warehouse) -> QuerySet[ShipmentRequest]:
    """Pending requests held back by a tag that restricts the shipping instruction (出荷指示を制限する)."""
    return ShipmentRequest.objects.filter(
        warehouse=warehouse,
        state=RequestState.PENDING,
        order__status=OrderStatus.AWAITING_SHIPMENT.value,
        order__shipping_restricted=True,
    )


def issue_batch(warehouse: Warehouse, now: datetime, actor: str) -> Issued:
    """Take every due request of the own warehouse into one batch; they count as handed over (出荷作業中)."""
    if not warehouse.is_own:
        raise NotReady(f"倉庫「{warehouse.name}」は自社倉庫ではありません (コネクタ {warehouse.connector or 'なし'})")
    settings = settings_of(warehouse)
    missing = settings.missing()
    if missing:
        raise NotReady("自社出荷の設定が足りません: " + "、".join(missing))
    ship_date = warehouse.calendar().ship_by(now)
    claimed = []
    while batch := claim_requests(warehouse, now):
        claimed += batch
    if not claimed:
        return Issued(None, 0)
    rows = dict(
        ShipmentRequest.objects.filter(request_id__in=[c.request_id for c in claimed]).values_list("request_id", "pk")
    )
    slips, refused = slip_requests(list(rows.values()), settings)
    written = write_slips(settings.carrier, slips, ship_date, settings)
    flagged = _first_error_per_request([*refused, *written.errors])
    answers = {
        request_id: ItemResult(
            request_id,
            Outcome.ACCEPTED,
            data={"warehouse_order_id": slip_key(pk), "ship_by": ship_date.isoformat()},
        )
        for request_id, pk in rows.items()
    }
    with transaction.atomic():
        record_answers(answers, now)
        batch_row = SelfShipBatch.objects.create(
            warehouse=warehouse, issued_at=now, issued_by=actor, ship_date=ship_date, carrier=settings.carrier.value
        )
        SelfShipItem.objects.bulk_create(
            SelfShipItem(
                batch=batch_row,
                request_id=pk,
                slip_key=slip_key(pk),
                slip_error=flagged[rid].reason[:500] if rid in flagged else "",
                slip_error_column=flagged[rid].column[:100] if rid in flagged else "",
            )
            for rid, pk in rows.items()
        )
    return Issued(batch_row, len(rows), tuple(flagged.values()))


def _first_error_per_request(errors: list[SlipError]) -> dict[str, SlipError]:
    first: dict[str, SlipError] = {}
    for error in errors:
        first.setdefault(error.request_id, error)
    return first


def batch_request_ids(batch: SelfShipBatch) -> list[int]:
    """The batch's shipment request ids, in issue order."""
    return list(batch.items.order_by("id").values_list("request_id", flat=True))


def batch_slips(batch: SelfShipBatch) -> SlipFile:
    """The batch's carrier slip file, written again from the requests (the refused rows are left out again)."""
    settings = settings_of(batch.warehouse)
    slips, refused = slip_requests(batch_request_ids(batch), settings)
    written = write_slips(Carrier(batch.carrier), slips, batch.ship_date, settings)
    return SlipFile(written.data, written.written, (*refused, *written.errors), written.warnings)


def import_tracking(
    warehouse: Warehouse, data: bytes, now: datetime, carrier: Carrier | None = None
) -> TrackingImported:
    """Record the parcels in a carrier's issued-slip file as shipments of the warehouse's batched requests."""
    chosen = carrier or settings_of(warehouse).carrier
    parsed = read_tracking(chosen, data, timezone.localdate(now))
    errors, warnings = list(parsed.errors), list(parsed.warnings)
    references = {row.reference for row in parsed.rows}
    items = {
        item.slip_key: item
        for item in SelfShipItem.objects.filter(batch__warehouse=warehouse, slip_key__in=references).select_related(
            "request__order"
        )
    }
    # A slip typed by hand may carry the full request id (出荷依頼ID) instead of the key.
    for item in SelfShipItem.objects.filter(
        batch__warehouse=warehouse, request__request_id__in=references - set(items)
    ).select_related("request__order"):
        items[item.request.request_id] = item
    shipped_packages = set(
        Shipment.objects.filter(package_id__in=[i.request.package_id for i in items.values()]).values_list(
            "package_id", flat=True
        )
    )
    parcels: dict[int, list[ParcelData]] = defaultdict(list)
    shipped_on: dict[int, date] = {}
    by_pk: dict[int, SelfShipItem] = {}
    already: set[str] = set()
    for row in parsed.rows:
        item = items.get(row.reference)
        if item is None:
            errors.append(RowError(row.row, "お客様管理番号", f"'{row.reference}' はこの倉庫の出荷指示にありません"))
            continue
        request = item.request
        order_number = request.order.mall_order_number
        if request.package_id in shipped_packages:
            already.add(order_number)
            continue
        if request.state != RequestState.ACCEPTED:
            reason = f"出荷依頼は {request.get_state_display()} です (受注 {order_number})。出荷しないでください"
            errors.append(RowError(row.row, "お客様管理番号", reason, order_number))
            continue
        by_pk[request.pk] = item
        parcels[request.pk].append(ParcelData(row.tracking_number))
        shipped_on.setdefault(request.pk, row.shipped_on)
    results = [
        ShipmentResult(
            request_id=by_pk[pk].request.request_id,
            status=ResultStatus.SHIPPED,
            shipped_on=shipped_on[pk],
            carrier_code=chosen.value,
            carrier_name=CARRIER_NAMES[chosen],
            parcels=tuple(parcels[pk]),
        )
        for pk in parcels
    ]
    recorded = record_results(warehouse, results, now) if results else CollectResult(0, 0, 0, 0, 0)
    return TrackingImported(
        recorded=recorded,
        shipped_orders=sorted({by_pk[pk].request.order.mall_order_number for pk in parcels}),
        already_shipped=sorted(already),
        errors=sorted(errors, key=lambda e: e.row),
        warnings=warnings,
    )
