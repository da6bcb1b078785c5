"""受注詳細: everything about one order, why it is where it is, and the operator's actions on it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from juchu.domain.effects import EffectState
from juchu.domain.errors import DomainError, StaleOrder
from juchu.domain.status import EDITABLE, OrderStatus
from juchu.mail.carriers import tracking_url
from juchu.orders import actions, merge_actions, merging
from juchu.orders.models import Order, OrderLine, Package
from juchu.web.auth import operator_required, viewer_required
from juchu.web.views.order_list import tag_labels

STALE_MESSAGE = "この受注は画面を開いた後に変更されています。最新の内容を確認してからやり直してください"


class PackageForm(forms.Form):
    """The editable fields of a package (送付先) before shipping."""

    recipient_name = forms.CharField(label="送付先名", max_length=200)
    phone = forms.CharField(label="電話番号", max_length=40, required=False)
    postal_code = forms.CharField(label="郵便番号", max_length=20)
    prefecture = forms.CharField(label="都道府県", max_length=20)
    city = forms.CharField(label="市区町村", max_length=200, required=False)
    address1 = forms.CharField(label="番地", max_length=300, required=False)
    address2 = forms.CharField(label="建物名", max_length=300, required=False)
    delivery_method = forms.CharField(label="配送方法", max_length=100)
    requested_date = forms.DateField(
        label="お届け希望日", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    delivery_time = forms.CharField(label="お届け時間帯", max_length=40, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class LineForm(forms.Form):
    """A line's quantity before shipping."""

    quantity = forms.IntegerField(label="数量", min_value=1, max_value=9999)
    version = forms.IntegerField(widget=forms.HiddenInput)


def _next_step(order: Order) -> str:
    """When the pipeline looks at the order again, in words."""
    if OrderStatus(order.status).is_final:
        return "この受注の処理は終わっています。"
    if order.due_at is None:
        return "外部の結果 (入金・倉庫・モール) を待っています。届きしだい自動で進みます。"
    due = timezone.localtime(order.due_at)
    if due <= timezone.localtime():
        return "まもなく自動で再判定されます。"
    return f"{due:%m月%d日 %H:%M} に自動で再判定されます。"


def _context(order: Order) -> dict[str, Any]:
    labels = tag_labels()
    packages = list(order.packages.select_related("warehouse", "split_from").prefetch_related("lines__product").all())
    shipments = []
    for package in packages:
        shipment = getattr(package, "shipment", None)
        if shipment is not None:
            parcels = [
                (p.tracking_number, tracking_url(shipment.carrier_code, p.tracking_number))
                for p in shipment.parcels.all()
            ]
            shipments.append((package, shipment, parcels))
    editable = OrderStatus(order.status) in EDITABLE
    return {
        "order": order,
        "status": OrderStatus(order.status),
        "packages": packages,
        "package_forms": {
            p.pk: PackageForm(initial={**_package_initial(p), "version": order.version}) for p in packages
        }
        if editable
        else {},
        "editable": editable,
        "tags": [(t, *labels.get(t.code, (t.code, "custom"))) for t in order.tags.order_by("created_at")],
        "next_step": _next_step(order),
        "events": list(order.events.order_by("-at", "-id")[:300]),
        "shipments": shipments,
        "requests": list(order.shipment_requests.select_related("warehouse").order_by("created_at", "id"))
        if hasattr(order, "shipment_requests")
        else [],
        "mails": list(order.mails.all()),
        "failed_effects": list(order.effects.filter(state=EffectState.FAILED.value)),
        "pending_effects": list(order.effects.filter(state=EffectState.PENDING.value).exclude(last_error="")),
        "can_confirm": order.status == OrderStatus.AWAITING_CHECK.value,
        "can_cancel": not OrderStatus(order.status).is_final,
        # 同梱: the orders merged with this one, and those it could still be merged with.
        "merge_group": merging.group_orders(order),
        "merge_candidates": merging.candidates_of(order) if editable else [],
    }


def _package_initial(package: Package) -> dict[str, Any]:
    return {name: getattr(package, name) for name in actions.EDITABLE_PACKAGE_FIELDS}


@viewer_required
def order_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The order page."""
    order = get_object_or_404(Order.objects.select_related("shop", "warehouse"), pk=pk)
    return render(request, "juchu/orders/detail.html", _context(order))


def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST["version"])
    except (KeyError, ValueError):
        return None


def _report(
    request: HttpRequest, pk: int, run: Callable[[], object], done: str | Callable[[object], str]
) -> HttpResponse:
    """Run one action and say how it went on the order page (a stale page and a refusal each in words)."""
    try:
        result = run()
    except StaleOrder:
        messages.error(request, STALE_MESSAGE)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done(result) if callable(done) else done)
    return redirect("order-detail", pk=pk)


@require_POST
@operator_required
def order_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One action on one order: hold, release-tag, confirm, cancel, re-request, retry."""
    get_object_or_404(Order, pk=pk)
    actor, now, version = request.user.get_username(), timezone.now(), _version(request)
    reason = request.POST.get("reason", "").strip()
    tag = request.POST.get("tag", "").strip()

    def cancel() -> str:
        if not reason:
            raise actions.ActionRefused("キャンセルの理由を入力してください")
        at_mall = request.POST.get("cancel_at_mall") == "on"
        return actions.cancel_order(pk, actor, now, reason, cancel_at_mall=at_mall, version=version)

    def merge() -> str:
        partners = [int(v) for v in request.POST.getlist("with") if v.isdigit()]
        if not partners:
            raise actions.ActionRefused("同梱する受注を選んでください")
        return merge_actions.merge_orders([pk, *partners], actor, now, (pk, version) if version is not None else None)

    calls: dict[str, tuple[Callable[[], object], str | Callable[[object], str]]] = {
        "hold": (
            lambda: actions.hold(pk, tag or "hold", reason or "オペレーターが停止しました", actor, now, version),
            "受注を停止しました",
        ),
        "release-tag": (
            lambda: actions.release_tag(pk, tag, actor, now, reason, version),
            "タグを外しました。受注を再判定しました",
        ),
        "confirm": (lambda: actions.confirm_by_hand(pk, actor, now, reason, version), "手動で確認済にしました"),
        "cancel": (cancel, str),
        "re-request": (lambda: actions.re_request(pk, actor, now, version), "出荷を再依頼しました"),
        "retry": (
            lambda: actions.retry_failed_effects(pk, actor, now, version),
            lambda n: f"{n} 件の処理を再実行します",
        ),
        "merge": (merge, lambda primary: f"同梱しました (親: {primary})"),
        "unmerge": (
            lambda: merge_actions.unmerge(pk, actor, now, version),
            lambda numbers: f"同梱を解除しました ({'、'.join(numbers)})",  # type: ignore[arg-type]
        ),
    }
    if action not in calls:
        raise Http404(f"unknown action {action}")
    return _report(request, pk, *calls[action])


@require_POST
@operator_required
def edit_package(request: HttpRequest, pk: int, package_id: int) -> HttpResponse:
    """Save a package's address and delivery; the change goes to the timeline and the order is re-checked."""
    order = get_object_or_404(Order, pk=pk)
    get_object_or_404(Package, pk=package_id, order=order)
    form = PackageForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(
            f"{form.fields[k].label if k in form.fields else k}: {' '.join(v)}" for k, v in form.errors.items()
        )
        messages.error(request, f"送付先を保存できません: {errors}")
        return redirect("order-detail", pk=pk)
    data = form.cleaned_data
    changes: dict[str, str | date | None] = {name: data[name] for name in actions.EDITABLE_PACKAGE_FIELDS}
    actor, now = request.user.get_username(), timezone.now()
    return _report(
        request,
        pk,
        lambda: actions.edit_package(pk, package_id, changes, actor, now, data["version"]),
        "送付先を変更しました",
    )


@require_POST
@operator_required
def edit_line(request: HttpRequest, pk: int, line_id: int) -> HttpResponse:
    """Save a line's quantity; allocation is redone."""
    order = get_object_or_404(Order, pk=pk)
    get_object_or_404(OrderLine, pk=line_id, order=order)
    form = LineForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("数量は1以上9999以下の整数で入力してください")
    quantity, version = form.cleaned_data["quantity"], form.cleaned_data["version"]
    actor, now = request.user.get_username(), timezone.now()
    return _report(
        request,
        pk,
        lambda: actions.edit_line_quantity(pk, line_id, quantity, actor, now, version),
        "数量を変更しました",
    )
