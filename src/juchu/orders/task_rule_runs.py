"""自動ルール in the advance pass: when an order leaves 新規受付, the matching rules' tasks run once, first.

Called by :mod:`juchu.orders.advance` inside the batch's transaction, before the decisions, with the
orders already locked; the orders a task changed are read again, so the checks see the changes. Each run
(or refusal) is a :class:`~juchu.orders.task_models.TaskRuleRun` row written in the same transaction, so a
retried pass never runs a rule twice for an order, and a rolled-back pass leaves no trace to skip.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from juchu.domain.errors import DomainError, RuleError
from juchu.domain.model import OrderSnapshot
from juchu.domain.rules import Condition, Match, Operator
from juchu.domain.task_plan import plan_task
from juchu.domain.task_rules import TaskRule, leaving_new, rules_to_run, validate_task_rule
from juchu.domain.update_tasks import UpdateTask, validate_task
from juchu.orders import writes
from juchu.orders.context import SweepContext
from juchu.orders.models import Order, OrderEvent
from juchu.orders.snapshots import ORDER_FIELDS, build_snapshots
from juchu.orders.task_models import TaskRule as TaskRuleRow
from juchu.orders.task_models import TaskRuleRun
from juchu.orders.update_tasks import apply_plan, load_catalog, load_task_orders, task_from_row


def task_rule_from_row(row: TaskRuleRow) -> TaskRule:
    """The domain rule of a stored one; raises RuleError when its conditions are malformed."""
    try:
        conditions = tuple(
            Condition(field=c["field"], op=Operator(c["op"]), value=str(c.get("value", ""))) for c in row.conditions
        )
        rule = TaskRule(
            id=row.pk or 0,
            name=row.name,
            task_id=row.task_id,
            conditions=conditions,
            match=Match(row.match),
            shop_id=row.shop_id,
            enabled=row.enabled,
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise RuleError(f"自動ルール「{row.name}」の条件が不正です: {exc}") from exc
    validate_task_rule(rule)
    return rule


def active_rules() -> tuple[list[TaskRule], dict[int, UpdateTask]]:
    """The enabled rules that can run, in rule order, and their tasks; a malformed rule or task is skipped."""
    rules: list[TaskRule] = []
    tasks: dict[int, UpdateTask] = {}
    for row in TaskRuleRow.objects.filter(enabled=True).select_related("task").order_by("position", "id"):
        try:
            rule = task_rule_from_row(row)
            task = task_from_row(row.task)
            validate_task(task)
        except DomainError:
            continue  # shown on the rule's settings page; never blocks the pipeline
        rules.append(rule)
        tasks[task.id] = task
    return rules, tasks


def run_entry_rules(
    snapshots: list[OrderSnapshot], warehouse_of: dict[int, int], now: datetime, ctx: SweepContext
) -> list[OrderSnapshot]:
    """Run the tasks of the rules that match the orders leaving 新規受付; returns the snapshots to decide.

    The orders a task changed come back read again (and ``warehouse_of`` follows a switched warehouse).
    """
    leaving = [s for s in snapshots if leaving_new(s, ctx.policy(s.shop_id).grace_period, now)]
    if not leaving:
        return snapshots
    rules, tasks = active_rules()
    if not rules:
        return snapshots
    ran: dict[int, set[int]] = defaultdict(set)
    for order_id, rule_id in TaskRuleRun.objects.filter(order_id__in=[s.id for s in leaving]).values_list(
        "order_id", "rule_id"
    ):
        ran[order_id].add(rule_id)
    todo = {s.id: hits for s in leaving if (hits := rules_to_run(rules, s, frozenset(ran[s.id])))}
    if not todo:
        return snapshots
    _run(todo, tasks, now)
    rows = list(Order.objects.filter(id__in=list(todo)).values(*ORDER_FIELDS))
    fresh = build_snapshots(rows)
    warehouse_of.update({row["id"]: row["warehouse_id"] for row in rows})
    return [fresh.get(s.id, s) for s in snapshots]


def _run(todo: dict[int, tuple[TaskRule, ...]], tasks: dict[int, UpdateTask], now: datetime) -> None:
    orders = Order.objects.in_bulk(list(todo))
    states = load_task_orders(list(todo))
    catalog = load_catalog(tasks.values())
    runs: list[TaskRuleRun] = []
    events: list[OrderEvent] = []
    for order_id, hits in todo.items():
        for number, rule in enumerate(hits):
            task = tasks[rule.task_id]
            actor = f"自動ルール「{rule.name}」"[:150]
            state = states[order_id] if number == 0 else load_task_orders([order_id])[order_id]
            try:
                plan = plan_task(task, state, catalog, automatic=True)
            except DomainError as exc:
                reason = f"更新タスク「{task.name}」を実行できませんでした: {exc}"
                detail = {"task": task.id, "task_name": task.name, "rule": rule.id, "rule_name": rule.name}
                events.append(writes.event(order_id, now, "update_task_refused", reason, actor=actor, detail=detail))
                runs.append(_run_row(order_id, rule, task, now, str(exc)))
                continue
            events += apply_plan(orders[order_id], plan, actor, now, rule=(rule.id, rule.name))
            runs.append(_run_row(order_id, rule, task, now))
    TaskRuleRun.objects.bulk_create(runs)
    writes.insert_events(events)


def _run_row(order_id: int, rule: TaskRule, task: UpdateTask, now: datetime, refusal: str = "") -> TaskRuleRun:
    return TaskRuleRun(
        order_id=order_id, rule_id=rule.id, at=now, task_name=task.name[:100], ok=not refusal, message=refusal[:1000]
    )
