"""ファイル › 自社出荷: issue the own warehouse's due requests as a batch, download its paperwork, import tracking."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from juchu.fulfillment.models import SelfShipBatch, Shipment
from juchu.fulfillment.selfship import (
    NotReady,
    batch_request_ids,
    batch_slips,
    due_requests,
    import_tracking,
    issue_batch,
    restricted_requests,
    settings_of,
)
from juchu.fulfillment.selfship_paperwork import delivery_notes, picking_list
from juchu.fulfillment.selfship_settings import CARRIER_LABELS, ISSUED_FILE_LABELS
from juchu.fulfillment.slips import Carrier
from juchu.web.auth import operator_required
from juchu.web.forms_selfship import IssueForm, TrackingUploadForm, own_warehouses

#: Due orders listed before issuing; the count covers them all.
DUE_SHOWN = 200


def _attachment(data: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@operator_required
def selfship_page(request: HttpRequest) -> HttpResponse:
    """The own warehouses: due requests to issue, the recent batches, and the tracking upload."""
    warehouses = list(own_warehouses())
    now = timezone.now()
    chosen = next((w for w in warehouses if str(w.pk) == request.GET.get("warehouse")), None) or (
        warehouses[0] if warehouses else None
    )
    context: dict[str, Any] = {"warehouses": warehouses, "warehouse": chosen}
    if chosen is not None:
        due = due_requests(chosen, now).select_related("order", "package")
        settings = settings_of(chosen)
        context.update(
            due=list(due[:DUE_SHOWN]),
            due_count=due.count(),
            restricted_count=restricted_requests(chosen).count(),
            missing=settings.missing(),
            carrier_label=CARRIER_LABELS[settings.carrier],
            issued_file_label=ISSUED_FILE_LABELS[settings.carrier],
            issue_form=IssueForm(initial={"warehouse": chosen.pk}),
            upload_form=TrackingUploadForm(initial={"warehouse": chosen.pk}),
            batches=_recent_batches(chosen),
        )
    return render(request, "juchu/files/selfship.html", context)


def _recent_batches(warehouse: Any) -> list[SelfShipBatch]:
    return list(
        SelfShipBatch.objects.filter(warehouse=warehouse)
        .annotate(
            count=Count("items"),
            flagged=Count("items", filter=~Q(items__slip_error="")),
            shipped=Count("items", filter=Q(items__request__package__shipment__isnull=False)),
        )
        .order_by("-issued_at", "-id")[:20]
    )


@operator_required
@require_POST
def selfship_issue(request: HttpRequest) -> HttpResponse:
    """出荷指示: every due request of the warehouse into one batch; the orders move to 出荷作業中."""
    form = IssueForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("自社倉庫を選んでください")
    warehouse = form.cleaned_data["warehouse"]
    try:
        issued = issue_batch(warehouse, timezone.now(), request.user.get_username())
    except NotReady as exc:
        messages.error(request, str(exc))
        return redirect(f"{_page_url()}?warehouse={warehouse.pk}")
    if issued.batch is None:
        messages.info(request, "出荷指示を出す出荷依頼はありませんでした")
        return redirect(f"{_page_url()}?warehouse={warehouse.pk}")
    messages.success(request, f"出荷指示 #{issued.batch.pk} を出しました: 出荷依頼 {issued.issued} 件")
    if issued.flagged:
        messages.warning(request, f"{len(issued.flagged)} 件は送り状CSVに入りません。下の一覧を確認してください")
    return redirect("files-selfship-batch", pk=issued.batch.pk)


def _page_url() -> str:
    return reverse("files-selfship")


@operator_required
def batch_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One batch: its requests with their orders, slip keys, flags and tracking numbers; the downloads."""
    batch = get_object_or_404(SelfShipBatch.objects.select_related("warehouse"), pk=pk)
    items = list(batch.items.select_related("request__order", "request__package").order_by("id"))
    shipments = {
        s.package_id: s
        for s in Shipment.objects.filter(package_id__in=[i.request.package_id for i in items]).prefetch_related(
            "parcels"
        )
    }
    rows = [(item, shipments.get(item.request.package_id)) for item in items]
    slips = batch_slips(batch) if items else None
    return render(
        request,
        "juchu/files/selfship_batch.html",
        {
            "batch": batch,
            "rows": rows,
            "flagged": [item for item in items if item.slip_error],
            "warnings": slips.warnings if slips else (),
            "carrier_label": CARRIER_LABELS.get(Carrier(batch.carrier), batch.carrier) if batch.carrier else "",
            "issued_file_label": ISSUED_FILE_LABELS.get(Carrier(batch.carrier), "") if batch.carrier else "",
            "upload_form": TrackingUploadForm(initial={"warehouse": batch.warehouse_id}),
            "shipped_count": len(shipments),
        },
    )


@operator_required
@require_GET
def batch_slips_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The batch's carrier slip CSV (CP932), written again from the requests."""
    batch = get_object_or_404(SelfShipBatch.objects.select_related("warehouse"), pk=pk)
    return _attachment(
        batch_slips(batch).data, "text/csv; charset=Shift_JIS", f"slips-{batch.warehouse.code}-{batch.pk}.csv"
    )


@operator_required
@require_GET
def batch_picking_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The batch's picking list (PDF)."""
    batch = get_object_or_404(SelfShipBatch.objects.select_related("warehouse"), pk=pk)
    data = picking_list(batch_request_ids(batch), timezone.now())
    return _attachment(data, "application/pdf", f"picking-{batch.warehouse.code}-{batch.pk}.pdf")


@operator_required
@require_GET
def batch_notes_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The batch's delivery notes (納品書, PDF)."""
    batch = get_object_or_404(SelfShipBatch.objects.select_related("warehouse"), pk=pk)
    data = delivery_notes(batch_request_ids(batch), settings_of(batch.warehouse))
    return _attachment(data, "application/pdf", f"notes-{batch.warehouse.code}-{batch.pk}.pdf")


@operator_required
@require_POST
def selfship_import(request: HttpRequest) -> HttpResponse:
    """Record the tracking numbers in a carrier's issued-slip file; bad rows are listed, the rest recorded."""
    form = TrackingUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "juchu/files/selfship_import.html", {"form": form}, status=400)
    warehouse = form.cleaned_data["warehouse"]
    result = import_tracking(warehouse, form.cleaned_data["file"], timezone.now(), form.cleaned_data["carrier"])
    return render(
        request,
        "juchu/files/selfship_import.html",
        {
            "form": None,
            "warehouse": warehouse,
            "result": result,
            "upload_form": TrackingUploadForm(initial={"warehouse": warehouse.pk}),
        },
    )
