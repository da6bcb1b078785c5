"""受注詳細 › 更新タスクを実行: an operator runs a task on one order from its page."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from juchu.domain.errors import DomainError, StaleOrder
from juchu.orders import task_actions
from juchu.orders.models import Order
from juchu.orders.task_models import UpdateTask
from juchu.web.auth import operator_required
from juchu.web.views.order_detail import STALE_MESSAGE


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


@require_POST
@operator_required
def run_task(request: HttpRequest, pk: int) -> HttpResponse:
    """Run the chosen task on the order; the page says what changed or why nothing did."""
    get_object_or_404(Order, pk=pk)
    task = UpdateTask.objects.filter(pk=_int(request.POST.get("task"))).first()
    if task is None:
        messages.error(request, "実行する更新タスクを選んでください")
        return redirect("order-detail", pk=pk)
    version = _int(request.POST.get("version"))
    try:
        plan = task_actions.run_task(pk, task.pk, request.user.get_username(), timezone.now(), version)
    except StaleOrder:
        messages.error(request, STALE_MESSAGE)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"更新タスク「{task.name}」を実行しました: {plan.summary()}")
    return redirect("order-detail", pk=pk)
