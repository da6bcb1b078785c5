"""Custom-tag rules (カスタムタグ, pipeline.md §4): conditions over order fields that attach a shop's tag.

Semantics, in one place:

* Text is compared after NFKC normalisation and trimming (全角英数 and 半角カナ compare equal to their
  usual forms); the comparison is case-sensitive. Phone numbers and postal codes also drop hyphens and
  spaces, so ``090-1234-5678`` equals ``09012345678``. A regex pattern is normalised the same way and is
  searched for anywhere in the text.
* Numbers are integers (yen, counts). Dates are ISO ``YYYY-MM-DD``. Booleans accept true/false, 1/0,
  yes/no and はい/いいえ. ``in`` takes a list separated by ``,``, ``、`` or ``，``.
* Fields that live on packages (prefecture, postal code, island, delivery method, requested date) match
  when ANY package satisfies the condition; per-line fields match when ANY line does. This holds for the
  negative operators too: ``line.sku ne A`` matches an order with at least one line whose SKU is not A,
  and ``line.sku is_empty`` matches an order with at least one unmapped line. An order without lines or
  packages matches no condition on such a field.
* A missing requested date is empty: it satisfies ``is_empty`` and ``ne``, and no other operator.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache

from juchu.domain.errors import RuleError
from juchu.domain.model import OrderSnapshot

# FIELDS, FieldDef, FieldKind, Operator and OPERATORS_BY_KIND are re-exported: callers import them from here.
from juchu.domain.rule_fields import FIELDS as FIELDS
from juchu.domain.rule_fields import GETTERS, FieldGetter, FieldValue, normalise_text, normaliser_for
from juchu.domain.rule_fields import OPERATORS_BY_KIND as OPERATORS_BY_KIND
from juchu.domain.rule_fields import FieldDef as FieldDef
from juchu.domain.rule_fields import FieldKind as FieldKind
from juchu.domain.rule_fields import Operator as Operator
from juchu.domain.status import OrderStatus
from juchu.domain.tags import is_system_tag


class Match(StrEnum):
    """Whether every condition or any one of them must hold."""

    ALL = "all"
    ANY = "any"


@dataclass(frozen=True, slots=True)
class Condition:
    """One test of a field against a value, e.g. remarks contains ギフト."""

    field: str
    op: Operator
    value: str = ""


#: The statuses a rule may stop an order at (確認待, 確認済, 出荷待ち).
RULE_STOP_STATUSES: frozenset[OrderStatus] = frozenset(
    {OrderStatus.AWAITING_CHECK, OrderStatus.CHECKED, OrderStatus.AWAITING_SHIPMENT}
)


@dataclass(frozen=True, slots=True)
class Rule:
    """A shop's rule: when its conditions hold, attach ``tag_code`` and optionally stop the order."""

    id: int
    tag_code: str
    tag_label: str
    conditions: tuple[Condition, ...]
    match: Match = Match.ALL
    #: The status the order stops at while the tag is on it (AWAITING_CHECK, CHECKED or AWAITING_SHIPMENT).
    stop_at: OrderStatus | None = None
    #: 出荷指示を制限する: hold the order in 出荷待ち while the tag is on it.
    restrict_shipping: bool = False
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class RuleHit:
    """A rule that matched an order, with a Japanese reason naming the conditions that held."""

    rule_id: int
    tag_code: str
    reason: str
    stop_at: OrderStatus | None
    restrict_shipping: bool


_LIST_SPLIT = re.compile(r"[,、，]")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TRUE = frozenset({"true", "1", "yes", "はい"})
_FALSE = frozenset({"false", "0", "no", "いいえ"})

_Predicate = Callable[[FieldValue], bool]


@dataclass(frozen=True, slots=True)
class _Compiled:
    #: The condition in Japanese, e.g. 備考欄 が「ギフト」を含む.
    text: str
    get: FieldGetter
    test: _Predicate


def _fail(cond: Condition, message: str) -> RuleError:
    label = FIELDS[cond.field].label_ja if cond.field in FIELDS else cond.field
    return RuleError(f"条件「{label}({cond.field}) {cond.op!s} {cond.value!r}」: {message}")


def _parse(fd: FieldDef, cond: Condition, raw: str) -> str | int | bool | date:
    """One value of ``cond`` parsed for the field's kind; raises RuleError when it does not fit."""
    text = normalise_text(raw)
    if fd.kind is FieldKind.NUMBER:
        if not re.fullmatch(r"-?[0-9]+", text):
            raise _fail(cond, f"「{raw}」は整数ではありません")
        return int(text)
    if fd.kind is FieldKind.DATE:
        if not _ISO_DATE.fullmatch(text):
            raise _fail(cond, f"「{raw}」は YYYY-MM-DD 形式の日付ではありません")
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise _fail(cond, f"「{raw}」は存在しない日付です") from None
    if fd.kind is FieldKind.BOOL:
        if text.casefold() in _TRUE:
            return True
        if text.casefold() in _FALSE:
            return False
        raise _fail(cond, f"「{raw}」は真偽値ではありません (true/false, 1/0, はい/いいえ)")
    if fd.kind is FieldKind.CHOICE:
        for code, label in fd.choices:
            if text in (code, normalise_text(label)):
                return code
        allowed = "、".join(f"{code}({label})" for code, label in fd.choices)
        raise _fail(cond, f"「{raw}」は選択肢にありません: {allowed}")
    return normaliser_for(fd)(raw)


def _normalised(get: FieldGetter, normalise: Callable[[str], str]) -> FieldGetter:
    return lambda order: [(w, normalise(v) if isinstance(v, str) else v) for w, v in get(order)]


def _compile_condition(cond: Condition) -> _Compiled:
    fd = FIELDS.get(cond.field)
    if fd is None:
        raise RuleError(f"条件のフィールド「{cond.field}」は存在しません")
    try:
        op = Operator(cond.op)
    except ValueError:
        raise _fail(cond, f"演算子「{cond.op}」は存在しません") from None
    if op not in fd.operators:
        raise _fail(cond, f"演算子「{op.label_ja}」({op.value}) は{fd.label_ja}には使えません")
    if op.needs_value and not normalise_text(cond.value):
        raise _fail(cond, f"演算子「{op.label_ja}」には値が必要です")
    get = GETTERS[fd.name]
    if fd.kind is FieldKind.TEXT:
        get = _normalised(get, normaliser_for(fd))
    return _Compiled(f"{fd.label_ja} が{op.describe(normalise_text(cond.value))}", get, _predicate(fd, cond, op))


def _predicate(fd: FieldDef, cond: Condition, op: Operator) -> _Predicate:
    if op is Operator.IS_EMPTY:
        return lambda v: v is None or v == ""
    if op is Operator.IS_NOT_EMPTY:
        return lambda v: v is not None and v != ""
    if op is Operator.IN:
        items = [item for item in _LIST_SPLIT.split(cond.value) if normalise_text(item)]
        if not items:
            raise _fail(cond, "一覧に値がありません")
        members = frozenset(_parse(fd, cond, item) for item in items)
        return lambda v: v in members
    if op is Operator.REGEX:
        try:
            pattern = re.compile(normalise_text(cond.value))
        except re.error as exc:
            raise _fail(cond, f"正規表現が不正です ({exc})") from None
        return lambda v: isinstance(v, str) and pattern.search(v) is not None
    return _comparison(op, _parse(fd, cond, cond.value))


def _comparison(op: Operator, x: str | int | bool | date) -> _Predicate:
    """A predicate for the binary operators, on values of the same kind as ``x``."""
    if op is Operator.EQ:
        return lambda v: v == x
    if op is Operator.NE:
        return lambda v: v != x
    if op in _ORDERINGS:
        compare, bound = _ORDERINGS[op], _rank(x)
        return lambda v: (rank := _rank(v)) is not None and bound is not None and compare(rank, bound)
    if op is Operator.CONTAINS:
        return lambda v: isinstance(v, str) and str(x) in v
    if op is Operator.NOT_CONTAINS:
        return lambda v: isinstance(v, str) and str(x) not in v
    if op is Operator.STARTS_WITH:
        return lambda v: isinstance(v, str) and v.startswith(str(x))
    raise AssertionError(f"unhandled operator {op}")  # pragma: no cover - _compile_condition checked it


def _rank(value: FieldValue) -> int | None:
    """Numbers and dates as comparable integers; None for anything that has no order."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return None
    return value.toordinal() if isinstance(value, date) else value


_ORDERINGS: dict[Operator, Callable[[int, int], bool]] = {
    Operator.LT: operator.lt,
    Operator.LE: operator.le,
    Operator.GT: operator.gt,
    Operator.GE: operator.ge,
}


@lru_cache(maxsize=1024)
def _compile(rule: Rule) -> tuple[_Compiled, ...]:
    if not rule.tag_code.strip():
        raise RuleError(f"ルール {rule.id}: タグコードが空です")
    if is_system_tag(rule.tag_code):
        raise RuleError(f"ルール {rule.id}: タグコード「{rule.tag_code}」はシステムタグです")
    if not rule.conditions:
        raise RuleError(f"ルール {rule.id} (タグ「{rule.tag_label}」): 条件がありません")
    if rule.match not in set(Match):
        raise RuleError(f"ルール {rule.id}: 一致条件「{rule.match}」は all か any です")
    if rule.stop_at is not None and rule.stop_at not in RULE_STOP_STATUSES:
        allowed = "、".join(s.label_ja for s in OrderStatus if s in RULE_STOP_STATUSES)
        raise RuleError(
            f"ルール {rule.id} (タグ「{rule.tag_label}」): 停止ステータス「{rule.stop_at}」は"
            f"指定できません ({allowed} のいずれか)"
        )
    return tuple(_compile_condition(c) for c in rule.conditions)


def validate_rule(rule: Rule) -> None:
    """Raise :class:`RuleError`, naming the field, operator and value, unless ``rule`` can be evaluated."""
    _compile(rule)


def _where_it_holds(compiled: _Compiled, order: OrderSnapshot) -> str | None:
    """None if the condition fails; otherwise the location of the first value it holds for ("" if order)."""
    for where, value in compiled.get(order):
        if compiled.test(value):
            return where
    return None


def _matched(rule: Rule, order: OrderSnapshot) -> list[str]:
    """The reasons of the conditions that hold; empty when the rule as a whole does not match."""
    reasons: list[str] = []
    for compiled in _compile(rule):
        where = _where_it_holds(compiled, order)
        if where is None:
            if rule.match == Match.ALL:
                return []
            continue
        reasons.append(f"{compiled.text}（{where}）" if where else compiled.text)
    return reasons


def rule_matches(rule: Rule, order: OrderSnapshot) -> bool:
    """Whether the rule's conditions hold for ``order`` (ignores ``enabled`` and removed tags)."""
    return bool(_matched(rule, order))


def _hit(rule: Rule, order: OrderSnapshot) -> RuleHit | None:
    if rule.tag_code in order.removed_tags:
        return None
    reasons = _matched(rule, order)
    if not reasons:
        return None
    return RuleHit(
        rule_id=rule.id,
        tag_code=rule.tag_code,
        reason="、".join(reasons),
        stop_at=rule.stop_at,
        restrict_shipping=rule.restrict_shipping,
    )


def evaluate_rules(rules: Iterable[Rule], order: OrderSnapshot) -> tuple[RuleHit, ...]:
    """The hits of the enabled rules that match ``order``, in rule order.

    Rules whose tag an operator removed from this order are skipped. Two rules attaching the same tag
    both appear. Raises :class:`RuleError` for a rule that does not validate.
    """
    hits = (_hit(rule, order) for rule in rules if rule.enabled)
    return tuple(hit for hit in hits if hit is not None)


def preview(rule: Rule, orders: Sequence[OrderSnapshot]) -> list[OrderSnapshot]:
    """The orders the rule would tag if it were switched on (a removed tag is still not attached again)."""
    validate_rule(rule)
    return [order for order in orders if _hit(rule, order) is not None]
