"""The fields a custom-tag condition can test, their kinds and operators, and how an order's values are read."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from juchu.domain.model import Line, OrderSnapshot, OrderType, Package


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


FieldValue = str | int | bool | date | None
#: A field's values in an order, each with where it was found ("" for the order itself).
FieldGetter = Callable[[OrderSnapshot], list[tuple[str, FieldValue]]]


def normalise_text(raw: str) -> str:
    """NFKC text, trimmed: how every text value and pattern is compared."""
    return unicodedata.normalize("NFKC", raw).strip()


_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−ー]")


def _digits_text(raw: str) -> str:
    """NFKC text without hyphens of any kind or spaces (phone numbers, postal codes)."""
    return _SEPARATORS.sub("", normalise_text(raw).removeprefix("〒"))


_Entry = tuple[FieldDef, FieldGetter]


def _order(name: str, label: str, kind: FieldKind, get: Callable[[OrderSnapshot], FieldValue]) -> _Entry:
    return FieldDef(name, label, kind), lambda order: [("", get(order))]


def _package(name: str, label: str, kind: FieldKind, get: Callable[[Package], FieldValue]) -> _Entry:
    def values(order: OrderSnapshot) -> list[tuple[str, FieldValue]]:
        many = len(order.packages) > 1
        return [(f"送付先{i}" if many else "", get(p)) for i, p in enumerate(order.packages, 1)]

    return FieldDef(name, label, kind, per_package=True), values


def _line(name: str, label: str, kind: FieldKind, get: Callable[[Line], FieldValue]) -> _Entry:
    def values(order: OrderSnapshot) -> list[tuple[str, FieldValue]]:
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
GETTERS: dict[str, FieldGetter] = {f.name: get for f, get in _FIELD_TABLE}
#: Fields compared without hyphens and spaces.
_DIGIT_FIELDS = frozenset({"phone", "postal_code"})


def normaliser_for(fd: FieldDef) -> Callable[[str], str]:
    """How a text field's values are normalised (phone numbers and postal codes also lose hyphens and spaces)."""
    return _digits_text if fd.name in _DIGIT_FIELDS else normalise_text
