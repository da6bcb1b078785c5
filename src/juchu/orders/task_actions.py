"""The operator's run of an update task (更新タスク) on one order, from the order page or the list's bulk action."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from juchu.domain.errors import StaleOrder
from juchu.domain.status import OrderStatus
from juchu.domain.task_plan import TaskPlan, plan_task
from juchu.domain.update_tasks import TaskRefused, validate_task
from juchu.orders import splitting, writes
from juchu.orders.advance import advance_orders
from juchu.orders.models import Order, OrderEvent
from juchu.orders.task_models import UpdateTask as UpdateTaskRow
from juchu.orders.update_tasks import apply_plan, load_catalog, load_task_orders, task_from_row


def _back_to_checked(order: Order, now: datetime, actor: str) -> list[OrderEvent]:
    """An order waiting for its request goes back to 確認済 so the change is checked and requested anew."""
    events = writes.drop_unsent_requests([order.pk], now)
    events += writes.release_allocations([order.pk], now)
    order.refresh_from_db(fields=["version", "allocated"])
    events.append(writes.move(order, OrderStatus.CHECKED, now, "更新タスクの変更を再判定します", actor=actor))
    return events


def run_task(order_id: int, task_id: int, actor: str, now: datetime, version: int | None = None) -> TaskPlan:
    """Run a task on one order for an operator; raises TaskRefused / TaskError / StaleOrder (nothing changes).

    An order in 出荷待ち goes back to 確認済 when a change concerns the shipment (its unsent request is
    dropped); stock is allocated again when a line or the warehouse changed. The order is decided at once.
    """
    task = task_from_row(UpdateTaskRow.objects.get(pk=task_id))
    validate_task(task)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if version is not None and order.version != version:
            raise StaleOrder(order_id, version)
        plan = plan_task(task, load_task_orders([order.pk])[order.pk], load_catalog([task]))
        held = splitting.held_packages(order.pk) if plan.affects_shipment or plan.needs_reallocation else []
        if plan.changes and held:  # 分割出荷: a part at its warehouse while another was refused
            raise TaskRefused(splitting.held_message(held))
        events: list[OrderEvent] = []
        if plan.changes:
            if plan.affects_shipment and order.status == OrderStatus.AWAITING_SHIPMENT.value:
                events += _back_to_checked(order, now, actor)
            elif plan.needs_reallocation and order.allocated:
                events += writes.release_allocations([order.pk], now)
                order.refresh_from_db(fields=["version", "allocated"])
        events += apply_plan(order, plan, actor, now)
        if plan.changes:
            writes.bump_version(order, now, due_at=now)
        writes.insert_events(events)
    if plan.changes:
        advance_orders([order_id], now)
    return plan
