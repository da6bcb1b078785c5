"""What running an update task (更新タスク) on one order changes: a plan of field changes, decided purely.

* Only orders in an editable status (before the warehouse accepted the shipment request) are changed;
  any other order is refused as a whole, and so is an order that one action cannot apply to (an unknown
  SKU or warehouse, postage that would become negative). A refusal changes nothing.
* Actions apply in order to a working copy of the order, so a later action sees an earlier one.
* An action whose result equals the current value (the delivery method is already 宅配便) is no change.
* Package actions change every package (送付先) of the order; a novelty line goes to the first package.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from juchu.domain.status import EDITABLE, OrderStatus
from juchu.domain.update_tasks import (
    MAX_MEMO,
    SPECS,
    TRUE_WORDS,
    ActionKind,
    TaskAction,
    TaskRefused,
    UpdateTask,
    action_title,
    validate_task,
)


@dataclass(frozen=True, slots=True)
class TaskPackage:
    """The fields of one package a task may change."""

    id: int
    seq: int
    delivery_method: str
    delivery_time: str = ""


@dataclass(frozen=True, slots=True)
class TaskOrder:
    """The fields of one order a task may change, and what it needs to know to decide."""

    id: int
    status: OrderStatus
    postage: int
    total: int
    warehouse_code: str
    packages: tuple[TaskPackage, ...]
    memo: str = ""
    tags: frozenset[str] = frozenset()
    #: Tags an operator removed; an automatic rule's task never attaches them again.
    removed_tags: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class TaskCatalog:
    """What the task's references must exist in: the SKUs and the warehouses (code → name)."""

    skus: frozenset[str] = frozenset()
    warehouses: Mapping[str, str] = field(default_factory=dict)


class Field(StrEnum):
    """A field a change writes."""

    DELIVERY_METHOD = "package.delivery_method"
    DELIVERY_TIME = "package.delivery_time"
    POSTAGE = "order.postage"
    TOTAL = "order.total"
    MEMO = "order.memo"
    WAREHOUSE = "order.warehouse"
    LINE_ADDED = "line.added"
    TAG_ADDED = "tag.added"
    TAG_REMOVED = "tag.removed"


@dataclass(frozen=True, slots=True)
class Change:
    """One field the task changes on one order (or one package, or a new line)."""

    action_no: int
    kind: ActionKind
    field: Field
    #: How the timeline names the field, e.g. 送付先1 配送方法.
    label: str
    before: str
    after: str
    #: The new value: text, yen, a warehouse or tag code, or a SKU for a new line.
    value: str | int
    package_id: int | None = None
    quantity: int = 0
    #: For a tag: stop the order at 確認待 (the tag is the operator's kind, as with 停止).
    hold: bool = False
    mall_write: bool = False


@dataclass(frozen=True, slots=True)
class TaskPlan:
    """What running a task on one order changes, in action order."""

    task_id: int
    task_name: str
    changes: tuple[Change, ...]

    @property
    def affects_shipment(self) -> bool:
        """Whether a change must reach the warehouse (delivery, postage, lines, warehouse)."""
        return any(SPECS[c.kind].affects_shipment for c in self.changes)

    @property
    def needs_reallocation(self) -> bool:
        """Whether stock allocated to the order no longer fits (a new line or another warehouse)."""
        return any(c.field in (Field.LINE_ADDED, Field.WAREHOUSE) for c in self.changes)

    def timeline(self) -> dict[str, list[str]]:
        """Field label → [before, after] over the whole run (first before, last after; "(なし)" for empty)."""
        found: dict[str, list[str]] = {}
        for change in self.changes:
            if change.label in found:
                found[change.label][1] = change.after or NOTHING
            else:
                found[change.label] = [change.before or NOTHING, change.after or NOTHING]
        return found

    def summary(self) -> str:
        """The changes in one line of Japanese, or 変更なし."""
        parts = [f"{label}: {before} → {after}" for label, (before, after) in self.timeline().items()]
        return "、".join(parts) if parts else "変更なし"


#: How the timeline writes an empty value.
NOTHING = "(なし)"


def yen(amount: int) -> str:
    """An amount of yen as the screens write it: 1,500円."""
    return f"{amount:,}円"


@dataclass
class _Working:
    """The order as the actions so far left it; mutable only inside this module."""

    order: TaskOrder
    postage: int
    total: int
    memo: str
    warehouse: str
    methods: dict[int, str]
    times: dict[int, str]
    tags: set[str]
    changes: list[Change]


def plan_task(task: UpdateTask, order: TaskOrder, catalog: TaskCatalog, *, automatic: bool = False) -> TaskPlan:
    """The changes ``task`` makes to ``order``; raises TaskRefused (nothing changes) or TaskError (bad task).

    ``automatic`` is true when a rule runs the task: tags an operator removed are then not attached again.
    """
    validate_task(task)
    if order.status not in EDITABLE:
        raise TaskRefused(f"{order.status.label_ja} の受注は変更できません (倉庫が出荷依頼を受け付けた後です)")
    work = _Working(
        order=order,
        postage=order.postage,
        total=order.total,
        memo=order.memo,
        warehouse=order.warehouse_code,
        methods={p.id: p.delivery_method for p in order.packages},
        times={p.id: p.delivery_time for p in order.packages},
        tags=set(order.tags),
        changes=[],
    )
    for number, action in enumerate(task.actions, 1):
        _APPLY[action.kind](work, number, action, catalog, automatic)
    return TaskPlan(task.id, task.name, tuple(work.changes))


def _change(
    work: _Working,
    number: int,
    action: TaskAction,
    change: tuple[Field, str, str, str, str | int],
    *,
    package_id: int | None = None,
    quantity: int = 0,
    hold: bool = False,
) -> None:
    """Record one change: (field, label, before, after, new value)."""
    fld, label, before, after, value = change
    work.changes.append(
        Change(number, action.kind, fld, label, before, after, value, package_id, quantity, hold, action.mall_write)
    )


def _packages(work: _Working, number: int, action: TaskAction) -> tuple[TaskPackage, ...]:
    if not work.order.packages:
        raise TaskRefused(f"{action_title(number, action)}: この受注には送付先がありません")
    return work.order.packages


def _package_label(work: _Working, package: TaskPackage, name: str) -> str:
    return f"送付先{package.seq} {name}" if len(work.order.packages) > 1 else name


def _set_delivery_method(work: _Working, n: int, action: TaskAction, _c: TaskCatalog, _a: bool) -> None:
    method = action.param("method").strip()
    for package in _packages(work, n, action):
        before = work.methods[package.id]
        if before != method:
            label = _package_label(work, package, "配送方法")
            _change(work, n, action, (Field.DELIVERY_METHOD, label, before, method, method), package_id=package.id)
            work.methods[package.id] = method


def _set_delivery_time(work: _Working, n: int, action: TaskAction, _c: TaskCatalog, _a: bool) -> None:
    time = action.param("time").strip()
    for package in _packages(work, n, action):
        before = work.times[package.id]
        if before != time:
            label = _package_label(work, package, "お届け時間帯")
            _change(work, n, action, (Field.DELIVERY_TIME, label, before, time, time), package_id=package.id)
            work.times[package.id] = time


def _add_postage(work: _Working, n: int, action: TaskAction, _c: TaskCatalog, _a: bool) -> None:
    amount = int(action.param("amount"))
    if amount == 0:
        return
    postage, total = work.postage + amount, work.total + amount
    if postage < 0:
        raise TaskRefused(f"{action_title(n, action)}: 送料が {yen(postage)} になります (送料 {yen(work.postage)})")
    _change(work, n, action, (Field.POSTAGE, "送料", yen(work.postage), yen(postage), postage))
    _change(work, n, action, (Field.TOTAL, "合計金額", yen(work.total), yen(total), total))
    work.postage, work.total = postage, total


def _add_novelty(work: _Working, n: int, action: TaskAction, catalog: TaskCatalog, _a: bool) -> None:
    sku, quantity = action.param("sku").strip(), int(action.param("quantity"))
    if sku not in catalog.skus:
        raise TaskRefused(f"{action_title(n, action)}: SKU「{sku}」は登録されていません")
    package = _packages(work, n, action)[0]
    label = _package_label(work, package, f"明細追加 {sku}")
    after = f"{sku} × {quantity} (0円)"
    _change(work, n, action, (Field.LINE_ADDED, label, "", after, sku), package_id=package.id, quantity=quantity)


def _set_memo(work: _Working, n: int, action: TaskAction, _c: TaskCatalog, _a: bool) -> None:
    text = action.param("text").strip()
    memo = work.memo + "\n" + text if action.param("mode") != "replace" and work.memo else text
    if len(memo) > MAX_MEMO:
        raise TaskRefused(f"{action_title(n, action)}: メモが{MAX_MEMO}文字を超えます")
    if memo != work.memo:
        _change(work, n, action, (Field.MEMO, "メモ", work.memo, memo, memo))
        work.memo = memo


def _switch_warehouse(work: _Working, n: int, action: TaskAction, catalog: TaskCatalog, _a: bool) -> None:
    code = action.param("warehouse").strip()
    if code not in catalog.warehouses:
        raise TaskRefused(f"{action_title(n, action)}: 倉庫「{code}」は登録されていません")
    if code != work.warehouse:
        before = catalog.warehouses.get(work.warehouse, work.warehouse)
        _change(work, n, action, (Field.WAREHOUSE, "出荷倉庫", before, catalog.warehouses[code], code))
        work.warehouse = code


def _add_tag(work: _Working, n: int, action: TaskAction, _c: TaskCatalog, automatic: bool) -> None:
    code = action.param("code").strip()
    if code in work.tags or (automatic and code in work.order.removed_tags):
        return
    hold = action.param("hold").strip().casefold() in TRUE_WORDS
    after = f"{code} (確認待で停止)" if hold else code
    _change(work, n, action, (Field.TAG_ADDED, f"タグ付与 {code}", "", after, code), hold=hold)
    work.tags.add(code)


def _remove_tag(work: _Working, n: int, action: TaskAction, _c: TaskCatalog, _a: bool) -> None:
    code = action.param("code").strip()
    if code in work.tags:
        _change(work, n, action, (Field.TAG_REMOVED, f"タグ削除 {code}", code, "", code))
        work.tags.discard(code)


_APPLY = {
    ActionKind.SET_DELIVERY_METHOD: _set_delivery_method,
    ActionKind.SET_DELIVERY_TIME: _set_delivery_time,
    ActionKind.ADD_POSTAGE: _add_postage,
    ActionKind.ADD_NOVELTY: _add_novelty,
    ActionKind.SET_MEMO: _set_memo,
    ActionKind.SWITCH_WAREHOUSE: _switch_warehouse,
    ActionKind.ADD_TAG: _add_tag,
    ActionKind.REMOVE_TAG: _remove_tag,
}
