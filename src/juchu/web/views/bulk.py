"""Bulk actions on the selected orders of the list, and the CSV export of a filter."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from juchu.domain.errors import DomainError
from juchu.orders import actions, merge_actions, queries, task_actions
from juchu.orders.exports import export_orders
from juchu.orders.models import Order, UpdateTask
from juchu.web.auth import Role, has_role, viewer_required

#: Bulk actions and what each needs: (needs operator, takes a tag, needs a reason).
_ACTIONS = {"confirm", "release_tag", "hold", "cancel", "re_request", "run_task", "merge", "export"}


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next") or "/orders/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/orders/"
    return redirect(target)


def _runner(request: HttpRequest, action: str) -> Callable[[int], object] | str:
    """The per-order call for ``action``, or an error message when its input is missing."""
    actor = request.user.get_username()
    now = timezone.now()
    reason = request.POST.get("reason", "").strip()
    if action == "confirm":
        return lambda pk: actions.confirm_by_hand(pk, actor, now, reason or "一括で確認済にしました")
    if action == "release_tag":
        tag = request.POST.get("tag", "").strip()
        if not tag:
            return "外すタグを選んでください"
        return lambda pk: actions.release_tag(pk, tag, actor, now, reason)
    if action == "hold":
        tag = request.POST.get("hold_tag", "").strip() or "hold"
        return lambda pk: actions.hold(pk, tag, reason or "一括で停止しました", actor, now)
    if action == "cancel":
        if not reason:
            return "キャンセルの理由を入力してください"
        return lambda pk: actions.cancel_order(pk, actor, now, reason)
    if action == "run_task":
        task_id = request.POST.get("task", "")
        task = UpdateTask.objects.filter(pk=int(task_id)).first() if task_id.isdigit() else None
        if task is None:
            return "実行する更新タスクを選んでください"
        return lambda pk: task_actions.run_task(pk, task.pk, actor, now)
    return lambda pk: actions.re_request(pk, actor, now)


@require_POST
@viewer_required
def bulk_action(request: HttpRequest) -> HttpResponse:
    """Apply one action to every selected order; each order succeeds or fails on its own, with its reason."""
    action = request.POST.get("action", "")
    if action not in _ACTIONS:
        return HttpResponseBadRequest(f"不明な一括操作です: {action!r}")
    try:
        ids = sorted({int(v) for v in request.POST.getlist("ids")})
    except ValueError:
        return HttpResponseBadRequest("ids: 受注IDが数値ではありません")
    if action == "export":
        rows = Order.objects.filter(id__in=ids).order_by("ordered_at", "id")
        return _csv_response(rows, request.POST.get("encoding", "cp932"))
    if not has_role(request.user, Role.OPERATOR):
        return HttpResponse("この操作にはオペレーター以上の権限が必要です", status=403)
    if not ids:
        messages.warning(request, "受注が選択されていません")
        return _back(request)
    if action == "merge":
        return _merge(request, ids)
    runner = _runner(request, action)
    if isinstance(runner, str):
        messages.error(request, runner)
        return _back(request)
    numbers = dict(Order.objects.filter(id__in=ids).values_list("id", "mall_order_number"))
    failures: list[str] = []
    done = 0
    for pk in ids:
        if pk not in numbers:
            failures.append(f"ID {pk}: 受注が見つかりません")
            continue
        try:
            runner(pk)
            done += 1
        except DomainError as exc:
            failures.append(f"{numbers[pk]}: {exc}")
    label = f"「{request.POST.get('label') or action}」"
    if action == "run_task":
        label = f"更新タスク「{UpdateTask.objects.get(pk=request.POST['task']).name}」"
    if done:
        messages.success(request, f"{done} 件の受注に{label}を実行しました")
    for failure in failures[:50]:
        messages.error(request, failure)
    if len(failures) > 50:
        messages.error(request, f"ほか {len(failures) - 50} 件が失敗しました")
    return _back(request)


def _merge(request: HttpRequest, ids: list[int]) -> HttpResponse:
    """同梱: the selected orders together into one box (all or nothing, unlike the per-order actions)."""
    try:
        primary = merge_actions.merge_orders(ids, request.user.get_username(), timezone.now())
    except DomainError as exc:
        messages.error(request, f"同梱できません: {exc}")
    else:
        messages.success(request, f"{len(ids)} 件の受注を同梱しました (親: {primary})")
    return _back(request)


def _csv_response(rows, encoding: str) -> HttpResponse:
    encoding = "utf-8" if encoding == "utf-8" else "cp932"
    response = StreamingHttpResponse(export_orders(rows, encoding), content_type=f"text/csv; charset={encoding}")
    stamp = timezone.localtime().strftime("%Y%m%d_%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="orders_{stamp}.csv"'
    return response


@viewer_required
def export_csv(request: HttpRequest) -> HttpResponse:
    """Every order of the list's current filter as CSV (CP932 unless ?encoding=utf-8)."""
    try:
        f = queries.OrderFilter.from_params(request.GET)
    except queries.FilterError as exc:
        return HttpResponseBadRequest(str(exc))
    return _csv_response(queries.filtered(f).order_by("ordered_at", "id"), request.GET.get("encoding", "cp932"))
