"""設定 › 倉庫: cutoff (締め時間), shipping calendar and closures (休業日)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from juchu.fulfillment.models import Warehouse
from juchu.web import settings_services as services
from juchu.web.auth import admin_required
from juchu.web.forms_settings import CALENDARS, ClosureForm, WarehouseForm


@admin_required
def warehouse_list(request: HttpRequest) -> HttpResponse:
    """Every warehouse with its cutoff and calendar."""
    rows = []
    for wh in Warehouse.objects.order_by("code"):
        calendar = next((v[0] for v in CALENDARS.values() if (v[1], v[2]) == (wh.every_day, wh.observe_holidays)), "")
        rows.append((wh, calendar))
    return render(request, "juchu/settings/warehouses.html", {"rows": rows})


def _page(request: HttpRequest, wh: Warehouse, form: WarehouseForm, closure_form: ClosureForm) -> HttpResponse:
    today = timezone.localdate()
    calendar = wh.calendar()
    days = [(day, calendar.is_shipping_day(day)) for day in (today + timedelta(days=i) for i in range(14))]
    closures = wh.closures.order_by("date")
    context = {"wh": wh, "form": form, "closure_form": closure_form, "closures": closures, "days": days}
    return render(request, "juchu/settings/warehouse_form.html", context)


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
