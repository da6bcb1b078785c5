"""設定 › 倉庫: cutoff (締め時間), shipping calendar, closures (休業日), and the own warehouse's slip settings."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from juchu.fulfillment.models import Warehouse
from juchu.fulfillment.selfship import settings_of
from juchu.web import settings_services as services
from juchu.web.auth import admin_required
from juchu.web.forms_selfship import OwnWarehouseCreateForm, SlipSettingsForm
from juchu.web.forms_settings import CALENDARS, ClosureForm, WarehouseForm


@admin_required
def warehouse_list(request: HttpRequest) -> HttpResponse:
    """Every warehouse with its cutoff and calendar."""
    rows = []
    for wh in Warehouse.objects.order_by("code"):
        calendar = next((v[0] for v in CALENDARS.values() if (v[1], v[2]) == (wh.every_day, wh.observe_holidays)), "")
        rows.append((wh, calendar))
    return render(request, "juchu/settings/warehouses.html", {"rows": rows, "own_form": OwnWarehouseCreateForm()})


@admin_required
@require_POST
def own_warehouse_add(request: HttpRequest) -> HttpResponse:
    """Add an own warehouse (自社倉庫): weekdays except public holidays; then its slip settings are filled in."""
    form = OwnWarehouseCreateForm(request.POST)
    if not form.is_valid():
        rows = [(wh, "") for wh in Warehouse.objects.order_by("code")]
        return render(request, "juchu/settings/warehouses.html", {"rows": rows, "own_form": form}, status=400)
    wh = form.save()
    messages.success(request, f"自社倉庫「{wh.name}」を追加しました。送り状の設定をしてください")
    return redirect("settings-warehouse", pk=wh.pk)


def _page(
    request: HttpRequest,
    wh: Warehouse,
    form: WarehouseForm,
    closure_form: ClosureForm,
    slip_form: SlipSettingsForm | None = None,
) -> HttpResponse:
    today = timezone.localdate()
    calendar = wh.calendar()
    days = [(day, calendar.is_shipping_day(day)) for day in (today + timedelta(days=i) for i in range(14))]
    closures = wh.closures.order_by("date")
    if slip_form is None and wh.is_own:
        slip_form = SlipSettingsForm.for_settings(settings_of(wh), prefix="slip")
    context = {
        "wh": wh,
        "form": form,
        "closure_form": closure_form,
        "closures": closures,
        "days": days,
        "slip_form": slip_form,
    }
    return render(request, "juchu/settings/warehouse_form.html", context)


@admin_required
@require_POST
def slip_settings_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Save an own warehouse's slip settings (sender, carrier, account codes, services)."""
    wh = get_object_or_404(Warehouse, pk=pk)
    if not wh.is_own:
        messages.error(request, "送り状の設定は自社倉庫 (コネクタ selfship) だけにあります")
        return redirect("settings-warehouse", pk=wh.pk)
    slip_form = SlipSettingsForm(request.POST, prefix="slip")
    if not slip_form.is_valid():
        return _page(request, wh, WarehouseForm(instance=wh), ClosureForm(prefix="closure"), slip_form)
    Warehouse.objects.filter(pk=wh.pk).update(slip_settings=slip_form.settings().to_json())
    messages.success(request, f"倉庫「{wh.name}」の送り状の設定を保存しました")
    return redirect("settings-warehouse", pk=wh.pk)


@admin_required
def warehouse_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a warehouse's name, cutoff and calendar; its open orders get their ship-by again."""
    wh = get_object_or_404(Warehouse, pk=pk)
    form = WarehouseForm(request.POST or None, instance=wh)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        services.after_warehouse_change(saved, timezone.now())
        messages.success(request, f"倉庫「{saved.name}」を保存しました")
        return redirect("settings-warehouse", pk=saved.pk)
    return _page(request, wh, form, ClosureForm(prefix="closure"))


@admin_required
@require_POST
def closure_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add (or replace) one day's closure or extra shipping day."""
    wh = get_object_or_404(Warehouse, pk=pk)
    closure_form = ClosureForm(request.POST, prefix="closure")
    if not closure_form.is_valid():
        return _page(request, wh, WarehouseForm(instance=wh), closure_form)
    data = closure_form.cleaned_data
    services.add_closure(wh, data["date"], data["is_open"], data["note"], timezone.now())
    kind = "臨時出荷日" if data["is_open"] else "休業日"
    messages.success(request, f"{data['date']:%Y-%m-%d} を{kind}にしました")
    return redirect("settings-warehouse", pk=wh.pk)


@admin_required
@require_POST
def closure_delete(request: HttpRequest, pk: int, closure_id: int) -> HttpResponse:
    """Remove one closure."""
    wh = get_object_or_404(Warehouse, pk=pk)
    if services.remove_closure(wh, closure_id, timezone.now()):
        messages.success(request, "休業日の設定を削除しました")
    return redirect("settings-warehouse", pk=wh.pk)
