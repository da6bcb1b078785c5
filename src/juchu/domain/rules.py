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
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache

from juchu.domain.errors import RuleError
from juchu.domain.model import Line, OrderSnapshot, OrderType, Package
from juchu.domain.status import OrderStatus
from juchu.domain.tags import is_system_tag


class Operator(StrEnum):
    """How a condition compares a field with its value."""

    EQ = "eq"
    NE = "ne"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    STARTS_WITH = "starts_with"
    IS_EMPTY = "is_empty"
    IS_NOT_EMPTY = "is_not_empty"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    IN = "in"
    REGEX = "regex"

    @property
    def label_ja(self) -> str:
        """The Japanese label shown in the rule editor."""
        return _OPERATOR_TEXT[self][0]

    @property
    def needs_value(self) -> bool:
        """Whether the operator compares against a value (everything but is_empty / is_not_empty)."""
        return self not in (Operator.IS_EMPTY, Operator.IS_NOT_EMPTY)

    def describe(self, value: str) -> str:
        """The operator with its value as a Japanese predicate, e.g. ``「ギフト」を含む``."""
        return _OPERATOR_TEXT[self][1].format(v=value)


_OPERATOR_TEXT: dict[Operator, tuple[str, str]] = {
    Operator.EQ: ("等しい", "「{v}」と等しい"),
    Operator.NE: ("等しくない", "「{v}」と等しくない"),
    Operator.CONTAINS: ("を含む", "「{v}」を含む"),
    Operator.NOT_CONTAINS: ("を含まない", "「{v}」を含まない"),
    Operator.STARTS_WITH: ("で始まる", "「{v}」で始まる"),
    Operator.IS_EMPTY: ("空である", "空である"),
    Operator.IS_NOT_EMPTY: ("空でない", "空でない"),
    Operator.LT: ("より小さい", "「{v}」より小さい"),
    Operator.LE: ("以下", "「{v}」以下"),
    Operator.GT: ("より大きい", "「{v}」より大きい"),
    Operator.GE: ("以上", "「{v}」以上"),
    Operator.IN: ("のいずれか", "「{v}」のいずれか"),
    Operator.REGEX: ("正規表現に一致", "正規表現「{v}」に一致"),
}


class Match(StrEnum):
    """Whether every condition or any one of them must hold."""

    ALL = "all"
    ANY = "any"


class FieldKind(StrEnum):
    """The type of a rule field, which decides its operators and how its value is parsed."""

    TEXT = "text"
    NUMBER = "number"
    BOOL = "bool"
    DATE = "date"
    CHOICE = "choice"


_O = Operator
#: The operators each kind of field accepts.
OPERATORS_BY_KIND: dict[FieldKind, frozenset[Operator]] = {
    FieldKind.TEXT: frozenset(Operator) - {_O.LT, _O.LE, _O.GT, _O.GE},
    FieldKind.NUMBER: frozenset({_O.EQ, _O.NE, _O.LT, _O.LE, _O.GT, _O.GE, _O.IN}),
    FieldKind.BOOL: frozenset({_O.EQ, _O.NE}),
    FieldKind.DATE: frozenset({_O.EQ, _O.NE, _O.LT, _O.LE, _O.GT, _O.GE, _O.IS_EMPTY, _O.IS_NOT_EMPTY}),
    FieldKind.CHOICE: frozenset({_O.EQ, _O.NE, _O.IN}),
}


@dataclass(frozen=True, slots=True)
class FieldDef:
    """A field a condition can test: its label, kind, where it lives, and (for choices) its values."""

    name: str
    label_ja: str
    kind: FieldKind
    #: True for fields of each line (明細); the condition holds when any line satisfies it.
    per_line: bool = False
    #: True for fields of each package (送付先); the condition holds when any package satisfies it.
    per_package: bool = False
    #: For choice fields, (code, Japanese label) pairs; either may be written as a condition's value.
    choices: tuple[tuple[str, str], ...] = ()

    @property
    def operators(self) -> frozenset[Operator]:
        """The operators this field accepts."""
        return OPERATORS_BY_KIND[self.kind]


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


_Value = str | int | bool | date | None
#: A field's values in an order, each with where it was found ("" for the order itself).
_Getter = Callable[[OrderSnapshot], list[tuple[str, _Value]]]


def _text(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).strip()


_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−ー]")


def _digits_text(raw: str) -> str:
    """NFKC text without hyphens of any kind or spaces (phone numbers, postal codes)."""
    return _SEPARATORS.sub("", _text(raw).removeprefix("〒"))


_Entry = tuple[FieldDef, _Getter]


def _order(name: str, label: str, kind: FieldKind, get: Callable[[OrderSnapshot], _Value]) -> _Entry:
    return FieldDef(name, label, kind), lambda order: [("", get(order))]


def _package(name: str, label: str, kind: FieldKind, get: Callable[[Package], _Value]) -> _Entry:
    def values(order: OrderSnapshot) -> list[tuple[str, _Value]]:
        many = len(order.packages) > 1
        return [(f"送付先{i}" if many else "", get(p)) for i, p in enumerate(order.packages, 1)]

    return FieldDef(name, label, kind, per_package=True), values


def _line(name: str, label: str, kind: FieldKind, get: Callable[[Line], _Value]) -> _Entry:
    def values(order: OrderSnapshot) -> list[tuple[str, _Value]]:
        return [
            (f"送付先{i} 明細 {line.mall_item_id}", get(line))
            for i, p in enumerate(order.packages, 1)
            for line in p.lines
        ]

    return FieldDef(name, label, kind, per_line=True), values


_T, _N, _B, _D = FieldKind.TEXT, FieldKind.NUMBER, FieldKind.BOOL, FieldKind.DATE
_ORDER_TYPE = FieldDef(
    "order_type", "注文種別", FieldKind.CHOICE, choices=tuple((t.value, t.label_ja) for t in OrderType)
)

_FIELD_TABLE: tuple[_Entry, ...] = (
    _order("shop_id", "ショップ", _N, lambda o: o.shop_id),
    _order("mall", "モール", _T, lambda o: o.mall),
    _order("remarks", "備考欄", _T, lambda o: o.remarks),
    _order("buyer_name", "注文者名", _T, lambda o: o.buyer_name),
    _order("email", "メールアドレス", _T, lambda o: o.email),
    _order("phone", "電話番号", _T, lambda o: o.phone),
    _package("prefecture", "都道府県", _T, lambda p: p.address.prefecture),
    _package("postal_code", "郵便番号", _T, lambda p: p.address.postal_code),
    _package("island", "離島", _B, lambda p: p.island),
    _order("payment_method", "決済方法", _T, lambda o: o.payment_method),
    _package("delivery_method", "配送方法", _T, lambda p: p.delivery_method),
    _package("requested_date", "お届け希望日", _D, lambda p: p.requested_date),
    (_ORDER_TYPE, lambda o: [("", o.order_type.value)]),
    _order("gift", "ギフト・のし", _B, lambda o: o.gift),
    _order("coupon_used", "クーポン利用額", _N, lambda o: o.coupon_used),
    _order("points_used", "ポイント利用額", _N, lambda o: o.points_used),
    _order("goods_total", "商品合計", _N, lambda o: o.goods_total),
    _order("postage", "送料", _N, lambda o: o.postage),
    _order("total", "合計金額", _N, lambda o: o.total),
    _order("line_count", "明細数", _N, lambda o: len(o.lines)),
    _order("package_count", "送付先数", _N, lambda o: len(o.packages)),
    _line("line.sku", "明細のSKU", _T, lambda li: li.product_code or ""),
    _line("line.mall_item", "明細のモール商品番号", _T, lambda li: li.mall_item_id),
    _line("line.quantity", "明細の数量", _N, lambda li: li.quantity),
)

#: Every field a condition may name, by name.
FIELDS: dict[str, FieldDef] = {f.name: f for f, _get in _FIELD_TABLE}
_GETTERS: dict[str, _Getter] = {f.name: get for f, get in _FIELD_TABLE}
#: Fields compared without hyphens and spaces.
_DIGIT_FIELDS = frozenset({"phone", "postal_code"})


def _normaliser(fd: FieldDef) -> Callable[[str], str]:
    return _digits_text if fd.name in _DIGIT_FIELDS else _text


_LIST_SPLIT = re.compile(r"[,、，]")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TRUE = frozenset({"true", "1", "yes", "はい"})
_FALSE = frozenset({"false", "0", "no", "いいえ"})

_Predicate = Callable[[_Value], bool]


@dataclass(frozen=True, slots=True)
class _Compiled:
    #: The condition in Japanese, e.g. 備考欄 が「ギフト」を含む.
    text: str
    get: _Getter
    test: _Predicate


def _fail(cond: Condition, message: str) -> RuleError:
    label = FIELDS[cond.field].label_ja if cond.field in FIELDS else cond.field
    return RuleError(f"条件「{label}({cond.field}) {cond.op!s} {cond.value!r}」: {message}")


def _parse(fd: FieldDef, cond: Condition, raw: str) -> str | int | bool | date:
    """One value of ``cond`` parsed for the field's kind; raises RuleError when it does not fit."""
    text = _text(raw)
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
            if text in (code, _text(label)):
                return code
        allowed = "、".join(f"{code}({label})" for code, label in fd.choices)
        raise _fail(cond, f"「{raw}」は選択肢にありません: {allowed}")
    return _normaliser(fd)(raw)


def _normalised(get: _Getter, normalise: Callable[[str], str]) -> _Getter:
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
    if op.needs_value and not _text(cond.value):
        raise _fail(cond, f"演算子「{op.label_ja}」には値が必要です")
    get = _GETTERS[fd.name]
    if fd.kind is FieldKind.TEXT:
        get = _normalised(get, _normaliser(fd))
    return _Compiled(f"{fd.label_ja} が{op.describe(_text(cond.value))}", get, _predicate(fd, cond, op))


def _predicate(fd: FieldDef, cond: Condition, op: Operator) -> _Predicate:
    if op is Operator.IS_EMPTY:
        return lambda v: v is None or v == ""
    if op is Operator.IS_NOT_EMPTY:
        return lambda v: v is not None and v != ""
    if op is Operator.IN:
        items = [item for item in _LIST_SPLIT.split(cond.value) if _text(item)]
        if not items:
            raise _fail(cond, "一覧に値がありません")
        members = frozenset(_parse(fd, cond, item) for item in items)
        return lambda v: v in members
    if op is Operator.REGEX:
        try:
            pattern = re.compile(_text(cond.value))
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


def _rank(value: _Value) -> int | None:
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
