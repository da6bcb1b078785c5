"""Update tasks (更新タスク) on orders: stored tasks as domain ones, orders as task inputs, plans written out.

An operator runs a task on one order (:mod:`juchu.orders.task_actions`), each order of a bulk action in its
own transaction; an automatic rule runs it inside the advance pass (:mod:`juchu.orders.task_rule_runs`). Both
write through :func:`apply_plan`, which records the run in the order's timeline with every change
(before → after), the task's name and who ran it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db.models import Max

from juchu.catalog.models import Product
from juchu.domain.model import TagSource
from juchu.domain.rules import Condition
from juchu.domain.status import OrderStatus
from juchu.domain.task_plan import Change, Field, TaskCatalog, TaskOrder, TaskPackage, TaskPlan
from juchu.domain.update_tasks import ActionKind, TaskAction, TaskError, UpdateTask, validate_task
from juchu.fulfillment.models import Warehouse
from juchu.orders import writes
from juchu.orders.models import Order, OrderEvent, OrderLine, OrderTag, RemovedTag
from juchu.orders.models import Package as PackageRow
from juchu.orders.task_models import TaskRule as TaskRuleRow
from juchu.orders.task_models import UpdateTask as UpdateTaskRow


def task_from_row(row: UpdateTaskRow) -> UpdateTask:
    """The domain task of a stored one (not validated: see :func:`validate_task`); TaskError when unreadable."""
    actions = []
    try:
        for number, item in enumerate(row.actions, 1):
            try:
                kind = ActionKind(item["kind"])
            except ValueError:
                raise TaskError(f"アクション {number}: 種類「{item['kind']}」は存在しません") from None
            params = tuple(sorted((str(k), str(v)) for k, v in dict(item.get("params") or {}).items()))
            actions.append(TaskAction(kind, params, bool(item.get("mall_write", False))))
    except (KeyError, TypeError, AttributeError) as exc:
        raise TaskError(f"更新タスク「{row.name}」のアクションが読めません: {exc}") from exc
    return UpdateTask(id=row.pk or 0, name=row.name, actions=tuple(actions))


def actions_to_json(actions: Iterable[TaskAction]) -> list[dict[str, object]]:
    """Actions as the task row stores them."""
    return [
        {"kind": a.kind.value, "params": {k: v for k, v in a.params if v != ""}, "mall_write": a.mall_write}
        for a in actions
    ]


def load_task_orders(order_ids: list[int]) -> dict[int, TaskOrder]:
    """What a plan needs of each order (five queries for the lot)."""
    if not order_ids:
        return {}
    packages: dict[int, list[TaskPackage]] = defaultdict(list)
    for pid, oid, seq, method, time in (
        PackageRow.objects.filter(order_id__in=order_ids)
        .order_by("order_id", "seq")
        .values_list("id", "order_id", "seq", "delivery_method", "delivery_time")
    ):
        packages[oid].append(TaskPackage(pid, seq, method, time))
    tags: dict[int, set[str]] = defaultdict(set)
    for oid, code in OrderTag.objects.filter(order_id__in=order_ids).values_list("order_id", "code"):
        tags[oid].add(code)
    removed: dict[int, set[str]] = defaultdict(set)
    for oid, code in RemovedTag.objects.filter(order_id__in=order_ids).values_list("order_id", "code"):
        removed[oid].add(code)
    return {
        oid: TaskOrder(
            id=oid,
            status=OrderStatus(status),
            postage=postage,
            total=total,
            warehouse_code=warehouse,
            packages=tuple(packages[oid]),
            memo=memo,
            tags=frozenset(tags[oid]),
            removed_tags=frozenset(removed[oid]),
        )
        for oid, status, postage, total, warehouse, memo in Order.objects.filter(id__in=order_ids).values_list(
            "id", "status", "postage", "total", "warehouse__code", "memo"
        )
    }


def load_catalog(tasks: Iterable[UpdateTask]) -> TaskCatalog:
    """The SKUs the tasks name that exist, and every warehouse (two queries)."""
    skus = {a.param("sku").strip() for task in tasks for a in task.actions if a.kind is ActionKind.ADD_NOVELTY}
    return TaskCatalog(
        skus=frozenset(Product.objects.filter(code__in=skus).values_list("code", flat=True)),
        warehouses=dict(Warehouse.objects.values_list("code", "name")),
    )


def _run_detail(plan: TaskPlan, rule: tuple[int, str] | None) -> dict[str, object]:
    detail: dict[str, object] = {
        "task": plan.task_id,
        "task_name": plan.task_name,
        "changes": plan.timeline(),
        "actions": [
            {"no": c.action_no, "kind": c.kind.value, "field": c.field.value, "mall_write": c.mall_write}
            for c in plan.changes
        ],
    }
    if rule is not None:
        detail["rule"], detail["rule_name"] = rule
    return detail


def apply_plan(
    order: Order, plan: TaskPlan, actor: str, now: datetime, *, rule: tuple[int, str] | None = None
) -> list[OrderEvent]:
    """Write the plan's changes to the order (read under lock by the caller); returns the events to write.

    Bumps the order's version when an order field changed; package, line and tag changes are their own rows.
    ``actor`` is the operator's user name, or the rule's name (自動ルール「…」) with ``rule`` its (id, name).
    """
    events: list[OrderEvent] = []
    fields: dict[str, object] = {}
    by_field: dict[Field, list[Change]] = defaultdict(list)
    for change in plan.changes:
        by_field[change.field].append(change)
    for fld, column in ((Field.DELIVERY_METHOD, "delivery_method"), (Field.DELIVERY_TIME, "delivery_time")):
        last: dict[int, object] = {c.package_id: c.value for c in by_field[fld] if c.package_id is not None}
        for package_id, value in last.items():
            PackageRow.objects.filter(pk=package_id, order=order).update(**{column: value})
    for fld, column in ((Field.POSTAGE, "postage"), (Field.TOTAL, "total"), (Field.MEMO, "memo")):
        if by_field[fld]:
            fields[column] = by_field[fld][-1].value
    if by_field[Field.WAREHOUSE]:
        fields["warehouse_id"] = Warehouse.objects.get(code=by_field[Field.WAREHOUSE][-1].value).pk
    _add_lines(order, by_field[Field.LINE_ADDED])
    events += _tags(order, by_field[Field.TAG_ADDED], by_field[Field.TAG_REMOVED], actor, now, automatic=bool(rule))
    if fields:
        writes.bump_version(order, now, **fields)
    # The timeline shows detail["changes"] (before → after) beside the reason.
    reason = f"更新タスク「{plan.task_name}」を実行しました" + ("" if plan.changes else " (変更なし)")
    events.append(writes.event(order.pk, now, "update_task", reason, actor=actor, detail=_run_detail(plan, rule)))
    return events


def _add_lines(order: Order, changes: list[Change]) -> None:
    if not changes:
        return
    products = dict(Product.objects.filter(code__in={str(c.value) for c in changes}).values_list("code", "id"))
    names = dict(Product.objects.filter(code__in=products).values_list("code", "name"))
    next_seq = {
        pid: (seq or 0) + 1
        for pid, seq in OrderLine.objects.filter(order=order).values_list("package_id").annotate(Max("seq"))
    }
    for change in changes:
        assert change.package_id is not None  # the plan puts a new line on a package
        seq = next_seq.get(change.package_id, 1)
        next_seq[change.package_id] = seq + 1
        sku = str(change.value)
        OrderLine.objects.create(
            order=order,
            package_id=change.package_id,
            seq=seq,
            mall_item_id=sku,
            name=f"ノベルティ {names.get(sku) or sku}",
            quantity=change.quantity,
            unit_price=0,
            product_id=products[sku],
        )


def _tags(
    order: Order, added: list[Change], removed: list[Change], actor: str, now: datetime, *, automatic: bool
) -> list[OrderEvent]:
    wanted = {
        str(c.value): (TagSource.OPERATOR if c.hold else TagSource.RULE, f"更新タスクが付けました ({c.after})")
        for c in added
    }
    events = writes.set_tags(order.pk, wanted, now, actor) if wanted else []
    if wanted and not automatic:
        # Attached by hand (as with 停止): a removal earlier no longer keeps it off.
        RemovedTag.objects.filter(order=order, code__in=list(wanted)).delete()
    gone = [str(c.value) for c in removed]
    if gone:
        OrderTag.objects.filter(order=order, code__in=gone).delete()
        for code in gone:
            RemovedTag.objects.update_or_create(
                order=order, code=code, defaults={"removed_by": actor, "removed_at": now}
            )
            reason = f"タグ {code} を外しました"
            events.append(writes.event(order.pk, now, "tag_removed", reason, actor=actor, detail={"tag": code}))
    return events


# -- the settings screens' changes ---------------------------------------------------------------------------


class TaskInUse(TaskError):
    """The task is named by an automatic rule and cannot be deleted."""


def save_task(row: UpdateTaskRow, actions: Iterable[TaskAction]) -> UpdateTaskRow:
    """Store a task (its form already applied) with its actions, after the domain's checks (TaskError)."""
    actions = tuple(actions)
    validate_task(UpdateTask(id=row.pk or 0, name=row.name, actions=actions))
    row.actions = actions_to_json(actions)
    row.save()
    return row


def delete_task(row: UpdateTaskRow) -> None:
    """Delete a task that no automatic rule names; the timeline keeps what it changed."""
    users = list(row.rules.values_list("name", flat=True))
    if users:
        raise TaskInUse(f"更新タスク「{row.name}」は自動ルール「{'」「'.join(users)}」が使っています")
    row.delete()


def save_task_rule(row: TaskRuleRow, conditions: Iterable[Condition]) -> TaskRuleRow:
    """Store an automatic rule (its form already applied) with its conditions."""
    row.conditions = [{"field": c.field, "op": c.op.value, "value": c.value} for c in conditions]
    row.save()
    return row
