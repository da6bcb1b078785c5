"""更新タスク: a named list of actions on an order's fields, and the checks a task must pass to be saved or run.

Semantics, in one place:

* A task holds 1 to :data:`MAX_ACTIONS` actions, applied in order to a working copy of the order, so a
  later action sees an earlier one (two postage additions add up; a memo set then appended reads both).
* Each action says whether it is also written back to the mall (モールへ反映). Only the kinds in
  :data:`MALL_WRITABLE` may say yes; Juchu has no mall write for an order's fields yet, so none may.

What a task changes on one order is :mod:`juchu.domain.task_plan`; the rules that run it automatically are
:mod:`juchu.domain.task_rules`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from juchu.domain.errors import DomainError
from juchu.domain.tags import is_system_tag

#: How many actions one task may hold.
MAX_ACTIONS = 30
#: The longest memo (メモ) an order may carry.
MAX_MEMO = 2000
#: The largest postage change one action may make, in yen.
MAX_POSTAGE_STEP = 1_000_000
#: The largest quantity of a novelty line.
MAX_NOVELTY_QUANTITY = 999


class TaskError(DomainError):
    """A task definition that cannot run (too many actions, a missing or malformed parameter)."""


class TaskRefused(DomainError):
    """The task cannot be applied to this order now; the message says why and names the action."""


class Target(StrEnum):
    """What an action changes: the order itself, each package, or the lines."""

    ORDER = "order"
    PACKAGE = "package"
    LINE = "line"

    @property
    def label_ja(self) -> str:
        """受注 / 送付先 / 明細."""
        return {"order": "受注", "package": "送付先", "line": "明細"}[self.value]


class ParamKind(StrEnum):
    """How a parameter's text is read."""

    TEXT = "text"
    INT = "int"
    BOOL = "bool"
    CHOICE = "choice"
    CODE = "code"  # a tag or warehouse code: half-width letters, digits, - and _


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One parameter of an action kind."""

    name: str
    label_ja: str
    kind: ParamKind
    required: bool = True
    max_length: int = 100
    minimum: int = 0
    maximum: int = 0
    choices: tuple[tuple[str, str], ...] = ()


class ActionKind(StrEnum):
    """What one action does."""

    SET_DELIVERY_METHOD = "set_delivery_method"
    SET_DELIVERY_TIME = "set_delivery_time"
    ADD_POSTAGE = "add_postage"
    ADD_NOVELTY = "add_novelty"
    SET_MEMO = "set_memo"
    SWITCH_WAREHOUSE = "switch_warehouse"
    ADD_TAG = "add_tag"
    REMOVE_TAG = "remove_tag"

    @property
    def spec(self) -> ActionSpec:
        """The kind's label, target and parameters."""
        return SPECS[self]

    @property
    def label_ja(self) -> str:
        """The Japanese name shown in the editor and the timeline."""
        return SPECS[self].label_ja


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """An action kind: its label, what it changes, its parameters and whether it concerns the shipment."""

    label_ja: str
    target: Target
    params: tuple[ParamSpec, ...]
    #: A change of this kind must reach the warehouse: an order waiting for its request is re-requested.
    affects_shipment: bool = True


MEMO_MODES: tuple[tuple[str, str], ...] = (("append", "追記"), ("replace", "上書き"))

_P, _K = ParamSpec, ParamKind
SPECS: dict[ActionKind, ActionSpec] = {
    ActionKind.SET_DELIVERY_METHOD: ActionSpec(
        "配送方法の変更", Target.PACKAGE, (_P("method", "配送方法", _K.TEXT, max_length=100),)
    ),
    ActionKind.SET_DELIVERY_TIME: ActionSpec(
        "お届け時間帯の指定",
        Target.PACKAGE,
        (_P("time", "お届け時間帯 (空欄で指定なし)", _K.TEXT, required=False, max_length=40),),
    ),
    ActionKind.ADD_POSTAGE: ActionSpec(
        "送料を加算",
        Target.ORDER,
        (_P("amount", "金額 (円、マイナスで減算)", _K.INT, minimum=-MAX_POSTAGE_STEP, maximum=MAX_POSTAGE_STEP),),
    ),
    ActionKind.ADD_NOVELTY: ActionSpec(
        "ノベルティ追加",
        Target.LINE,
        (
            _P("sku", "SKU", _K.TEXT, max_length=64),
            _P("quantity", "数量", _K.INT, minimum=1, maximum=MAX_NOVELTY_QUANTITY),
        ),
    ),
    ActionKind.SET_MEMO: ActionSpec(
        "メモ",
        Target.ORDER,
        (
            _P("text", "メモ", _K.TEXT, max_length=1000),
            _P("mode", "書き方", _K.CHOICE, required=False, choices=MEMO_MODES),
        ),
        affects_shipment=False,
    ),
    ActionKind.SWITCH_WAREHOUSE: ActionSpec(
        "出荷倉庫の変更", Target.ORDER, (_P("warehouse", "出荷倉庫", _K.CODE, max_length=40),)
    ),
    ActionKind.ADD_TAG: ActionSpec(
        "タグ付与",
        Target.ORDER,
        (
            _P("code", "タグコード", _K.CODE, max_length=64),
            _P("hold", "確認待で停止", _K.BOOL, required=False),
        ),
        affects_shipment=False,
    ),
    ActionKind.REMOVE_TAG: ActionSpec(
        "タグ削除", Target.ORDER, (_P("code", "タグコード", _K.CODE, max_length=64),), affects_shipment=False
    ),
}

#: The kinds Juchu can also write back to the mall. Empty: no mall connector writes an order's fields yet,
#: so every action is モール反映なし and its flag cannot be set.
MALL_WRITABLE: frozenset[ActionKind] = frozenset()

_CODE = re.compile(r"[A-Za-z0-9_-]+")
_INT = re.compile(r"-?[0-9]+")
TRUE_WORDS = frozenset({"true", "1", "on", "yes", "はい"})
_FALSE = frozenset({"", "false", "0", "off", "no", "いいえ"})


@dataclass(frozen=True, slots=True)
class TaskAction:
    """One action of a task: its kind, its parameters as text, and whether it is written back to the mall."""

    kind: ActionKind
    params: tuple[tuple[str, str], ...] = ()
    #: モールへ反映: also write this change back to the mall (only for kinds in MALL_WRITABLE).
    mall_write: bool = False

    @classmethod
    def of(cls, kind: ActionKind, *, mall_write: bool = False, **params: str | int | bool) -> TaskAction:
        """An action from keyword parameters (values are kept as text, as the editor stores them)."""
        text = {k: (("true" if v else "false") if isinstance(v, bool) else str(v)) for k, v in params.items()}
        return cls(kind, tuple(sorted(text.items())), mall_write)

    def param(self, name: str) -> str:
        """The parameter's text ("" when absent)."""
        return dict(self.params).get(name, "")


@dataclass(frozen=True, slots=True)
class UpdateTask:
    """A named task (更新タスク): its actions in the order they run."""

    id: int
    name: str
    actions: tuple[TaskAction, ...]


def _param_problem(spec: ParamSpec, raw: str) -> str | None:
    text = raw.strip()
    if not text:
        return f"{spec.label_ja}を入力してください" if spec.required and spec.kind is not ParamKind.BOOL else None
    if len(text) > spec.max_length:
        return f"{spec.label_ja}は{spec.max_length}文字以内にしてください"
    if spec.kind is ParamKind.INT:
        if not _INT.fullmatch(text):
            return f"{spec.label_ja}は整数で入力してください (「{text}」)"
        if not spec.minimum <= int(text) <= spec.maximum:
            return f"{spec.label_ja}は{spec.minimum:,}以上{spec.maximum:,}以下にしてください"
    if spec.kind is ParamKind.BOOL and text.casefold() not in TRUE_WORDS | _FALSE:
        return f"{spec.label_ja}は true か false です"
    if spec.kind is ParamKind.CHOICE and text not in {code for code, _label in spec.choices}:
        allowed = "、".join(f"{code}({label})" for code, label in spec.choices)
        return f"{spec.label_ja}「{text}」は選択肢にありません: {allowed}"
    if spec.kind is ParamKind.CODE and not _CODE.fullmatch(text):
        return f"{spec.label_ja}は半角英数・ハイフン・アンダースコアで入力してください (「{text}」)"
    return None


def action_problems(action: TaskAction) -> dict[str, str]:
    """What is wrong with one action, by parameter name ("kind", "mall_write" or a parameter); empty if fine."""
    try:
        spec = SPECS[ActionKind(action.kind)]
    except ValueError:
        return {"kind": f"種類「{action.kind}」は存在しません"}
    problems: dict[str, str] = {}
    known = {p.name for p in spec.params}
    for name in sorted(dict(action.params).keys() - known):
        if dict(action.params)[name].strip():
            problems[name] = f"{spec.label_ja}には項目「{name}」はありません"
    for param in spec.params:
        problem = _param_problem(param, action.param(param.name))
        if problem:
            problems[param.name] = problem
    code = action.param("code").strip()
    if action.kind in (ActionKind.ADD_TAG, ActionKind.REMOVE_TAG) and code and is_system_tag(code):
        problems["code"] = f"「{code}」はシステムタグです。システムタグは原因が解消すると自動で外れます"
    if action.mall_write and action.kind not in MALL_WRITABLE:
        problems["mall_write"] = f"{spec.label_ja}はモール反映なしです (Juchu はこの項目をモールへ書き込めません)"
    return problems


def action_title(number: int, action: TaskAction) -> str:
    """How the editor and the errors name an action: アクション 3 (送料を加算)."""
    try:
        label = ActionKind(action.kind).label_ja
    except ValueError:
        label = str(action.kind)
    return f"アクション {number} ({label})"


def task_problems(task: UpdateTask) -> list[str]:
    """Every problem of the task, each naming its action row; empty when the task can run."""
    problems: list[str] = []
    if not task.name.strip():
        problems.append("タスク名を入力してください")
    if not task.actions:
        problems.append("アクションを1つ以上追加してください")
    if len(task.actions) > MAX_ACTIONS:
        problems.append(f"アクションは{MAX_ACTIONS}個までです ({len(task.actions)}個あります)")
    for number, action in enumerate(task.actions, 1):
        for message in action_problems(action).values():
            problems.append(f"{action_title(number, action)}: {message}")
    return problems


def validate_task(task: UpdateTask) -> None:
    """Raise :class:`TaskError` with every problem (each naming its action) unless the task can run."""
    problems = task_problems(task)
    if problems:
        raise TaskError(f"更新タスク「{task.name}」: " + "; ".join(problems))
