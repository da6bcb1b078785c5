"""Custom-tag rules (pipeline.md §4): fields, operators, all/any, removed tags, validation and preview."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from factories import make_line, make_order, make_package

from juchu.domain.errors import RuleError
from juchu.domain.model import OrderSnapshot, OrderType
from juchu.domain.rules import (
    FIELDS,
    Condition,
    FieldKind,
    Match,
    Operator,
    Rule,
    RuleHit,
    evaluate_rules,
    preview,
    rule_matches,
    validate_rule,
)
from juchu.domain.status import OrderStatus

Op = Operator


def when(field: str, op: Operator, value: str = "", **rule_fields: Any) -> Rule:
    """A one-condition rule attaching the tag ``gift``."""
    return make_rule(Condition(field, op, value), **rule_fields)


def make_rule(*conditions: Condition, **overrides: Any) -> Rule:
    values: dict[str, Any] = {"id": 1, "tag_code": "gift", "tag_label": "ギフト", "conditions": conditions}
    values.update(overrides)
    return Rule(**values)


# --- the field catalogue ---------------------------------------------------------------------------


def test_fields_cover_every_field_of_pipeline_section_4() -> None:
    assert set(FIELDS) == {
        "shop_id",
        "mall",
        "remarks",
        "buyer_name",
        "email",
        "phone",
        "prefecture",
        "postal_code",
        "island",
        "payment_method",
        "delivery_method",
        "requested_date",
        "order_type",
        "gift",
        "coupon_used",
        "points_used",
        "goods_total",
        "postage",
        "total",
        "line_count",
        "package_count",
        "line.sku",
        "line.mall_item",
        "line.quantity",
    }
    assert {name for name, f in FIELDS.items() if f.per_line} == {
        "line.sku",
        "line.mall_item",
        "line.quantity",
    }
    assert {name for name, f in FIELDS.items() if f.per_package} == {
        "prefecture",
        "postal_code",
        "island",
        "delivery_method",
        "requested_date",
    }
    assert all(f.label_ja and f.name == name for name, f in FIELDS.items())


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("remarks", FieldKind.TEXT),
        ("total", FieldKind.NUMBER),
        ("line.quantity", FieldKind.NUMBER),
        ("island", FieldKind.BOOL),
        ("gift", FieldKind.BOOL),
        ("requested_date", FieldKind.DATE),
        ("order_type", FieldKind.CHOICE),
    ],
    ids=lambda v: str(v),
)
def test_field_kind_decides_its_operators(name: str, kind: FieldKind) -> None:
    assert FIELDS[name].kind is kind
    assert (Op.CONTAINS in FIELDS[name].operators) is (kind is FieldKind.TEXT)
    assert (Op.GT in FIELDS[name].operators) is (kind in (FieldKind.NUMBER, FieldKind.DATE))


def test_every_operator_has_a_japanese_label() -> None:
    assert {op: op.label_ja for op in Operator} == {
        Op.EQ: "等しい",
        Op.NE: "等しくない",
        Op.CONTAINS: "を含む",
        Op.NOT_CONTAINS: "を含まない",
        Op.STARTS_WITH: "で始まる",
        Op.IS_EMPTY: "空である",
        Op.IS_NOT_EMPTY: "空でない",
        Op.LT: "より小さい",
        Op.LE: "以下",
        Op.GT: "より大きい",
        Op.GE: "以上",
        Op.IN: "のいずれか",
        Op.REGEX: "正規表現に一致",
    }


# --- operators on a text field (remarks) -------------------------------------------------------------

REMARKS = "ギフト包装希望"


@pytest.mark.parametrize(
    ("op", "value", "remarks", "expected"),
    [
        pytest.param(Op.EQ, "ギフト包装希望", REMARKS, True, id="eq-match"),
        pytest.param(Op.EQ, "ギフト", REMARKS, False, id="eq-no-match"),
        pytest.param(Op.NE, "ギフト", REMARKS, True, id="ne-match"),
        pytest.param(Op.NE, "ギフト包装希望", REMARKS, False, id="ne-no-match"),
        pytest.param(Op.CONTAINS, "包装", REMARKS, True, id="contains-match"),
        pytest.param(Op.CONTAINS, "のし", REMARKS, False, id="contains-no-match"),
        pytest.param(Op.NOT_CONTAINS, "のし", REMARKS, True, id="not_contains-match"),
        pytest.param(Op.NOT_CONTAINS, "包装", REMARKS, False, id="not_contains-no-match"),
        pytest.param(Op.STARTS_WITH, "ギフト", REMARKS, True, id="starts_with-match"),
        pytest.param(Op.STARTS_WITH, "包装", REMARKS, False, id="starts_with-no-match"),
        pytest.param(Op.IS_EMPTY, "", "", True, id="is_empty-match"),
        pytest.param(Op.IS_EMPTY, "", " 　", True, id="is_empty-blank-counts-as-empty"),
        pytest.param(Op.IS_EMPTY, "", REMARKS, False, id="is_empty-no-match"),
        pytest.param(Op.IS_NOT_EMPTY, "", REMARKS, True, id="is_not_empty-match"),
        pytest.param(Op.IS_NOT_EMPTY, "", "", False, id="is_not_empty-no-match"),
        pytest.param(Op.IN, "のし,ギフト包装希望", REMARKS, True, id="in-match"),
        pytest.param(Op.IN, "のし,ギフト", REMARKS, False, id="in-no-match"),
        pytest.param(Op.REGEX, "^ギフト.*希望$", REMARKS, True, id="regex-match"),
        pytest.param(Op.REGEX, "^のし", REMARKS, False, id="regex-no-match"),
        pytest.param(Op.REGEX, "包装", REMARKS, True, id="regex-searches-anywhere"),
    ],
)
def test_text_operator_on_remarks(op: Operator, value: str, remarks: str, expected: bool) -> None:
    assert rule_matches(when("remarks", op, value), make_order(remarks=remarks)) is expected


@pytest.mark.parametrize(
    ("field", "op", "value", "overrides"),
    [
        pytest.param("remarks", Op.CONTAINS, "ギフト", {"remarks": "ｷﾞﾌﾄ希望"}, id="half-width-kana"),
        pytest.param("remarks", Op.EQ, "ABC123", {"remarks": "ＡＢＣ１２３"}, id="full-width-ascii"),
        pytest.param("remarks", Op.REGEX, "ギフト", {"remarks": "ｷﾞﾌﾄ"}, id="regex-on-normalised-text"),
        pytest.param("buyer_name", Op.EQ, "山田 太郎", {"buyer_name": " 山田　太郎 "}, id="trimmed-and-nfkc"),
        pytest.param("phone", Op.EQ, "09012345678", {"phone": "090-1234-5678"}, id="phone-hyphens"),
        pytest.param("phone", Op.STARTS_WITH, "090-", {"phone": "０９０１２３４５６７８"}, id="phone-full-width"),
        pytest.param("email", Op.IN, "a@example.com、taro@example.com", {}, id="in-ideographic-comma"),
        pytest.param("email", Op.IN, "a@example.com，taro@example.com", {}, id="in-full-width-comma"),
        pytest.param("mall", Op.EQ, "rakuten", {}, id="mall"),
        pytest.param("payment_method", Op.EQ, "クレジットカード", {}, id="payment-method"),
    ],
)
def test_text_is_compared_after_nfkc_normalisation(
    field: str, op: Operator, value: str, overrides: dict[str, Any]
) -> None:
    assert rule_matches(when(field, op, value), make_order(**overrides)) is True


def test_text_comparison_is_case_sensitive() -> None:
    assert rule_matches(when("remarks", Op.CONTAINS, "gift"), make_order(remarks="GIFT")) is False


# --- operators on a number field (total) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        pytest.param(Op.EQ, "5000", True, id="eq-match"),
        pytest.param(Op.EQ, "4999", False, id="eq-no-match"),
        pytest.param(Op.NE, "4999", True, id="ne-match"),
        pytest.param(Op.NE, "5000", False, id="ne-no-match"),
        pytest.param(Op.LT, "5001", True, id="lt-match"),
        pytest.param(Op.LT, "5000", False, id="lt-no-match"),
        pytest.param(Op.LE, "5000", True, id="le-match"),
        pytest.param(Op.LE, "4999", False, id="le-no-match"),
        pytest.param(Op.GT, "4999", True, id="gt-match"),
        pytest.param(Op.GT, "5000", False, id="gt-no-match"),
        pytest.param(Op.GE, "5000", True, id="ge-match"),
        pytest.param(Op.GE, "5001", False, id="ge-no-match"),
        pytest.param(Op.IN, "1000, 5000", True, id="in-match"),
        pytest.param(Op.IN, "1000、2000，3000", False, id="in-no-match"),
        pytest.param(Op.GE, "５０００", True, id="full-width-digits"),
        pytest.param(Op.GT, "-1", True, id="negative-value"),
    ],
)
def test_number_operator_on_total(op: Operator, value: str, expected: bool) -> None:
    assert rule_matches(when("total", op, value), make_order(total=5000)) is expected


@pytest.mark.parametrize(
    ("field", "value", "overrides", "expected"),
    [
        pytest.param("shop_id", "0", {}, True, id="shop_id"),
        pytest.param("coupon_used", "0", {"coupon_used": 300}, True, id="coupon-used"),
        pytest.param("coupon_used", "0", {}, False, id="coupon-not-used"),
        pytest.param("points_used", "0", {"points_used": 50}, True, id="points-used"),
        pytest.param("goods_total", "9999", {"goods_total": 10000}, True, id="goods_total"),
        pytest.param("postage", "0", {"postage": 800}, True, id="postage"),
        pytest.param("line_count", "1", {"lines": [make_line(), make_line()]}, True, id="two-lines"),
        pytest.param("line_count", "1", {}, False, id="one-line"),
        pytest.param("package_count", "1", {"packages": [make_package(), make_package()]}, True, id="two-packages"),
    ],
)
def test_number_fields_compare_integers_greater_than(
    field: str, value: str, overrides: dict[str, Any], expected: bool
) -> None:
    assert rule_matches(when(field, Op.GT, value), make_order(**overrides)) is expected


# --- booleans, dates and choices ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "op", "value", "overrides", "expected"),
    [
        pytest.param("gift", Op.EQ, "true", {"gift": True}, True, id="gift-true"),
        pytest.param("gift", Op.EQ, "はい", {"gift": True}, True, id="gift-hai"),
        pytest.param("gift", Op.EQ, "1", {"gift": False}, False, id="gift-1-on-non-gift"),
        pytest.param("gift", Op.EQ, "いいえ", {"gift": False}, True, id="gift-iie"),
        pytest.param("gift", Op.NE, "FALSE", {"gift": True}, True, id="gift-ne-false"),
        pytest.param("gift", Op.EQ, "0", {"gift": True}, False, id="gift-0-on-gift"),
        pytest.param("island", Op.EQ, "true", {"packages": [make_package(island=True)]}, True, id="island"),
        pytest.param("island", Op.EQ, "true", {}, False, id="not-island"),
        pytest.param("order_type", Op.EQ, "予約", {"order_type": OrderType.RESERVATION}, True, id="type-by-label"),
        pytest.param("order_type", Op.EQ, "reservation", {"order_type": OrderType.RESERVATION}, True, id="by-code"),
        pytest.param("order_type", Op.NE, "通常", {}, False, id="type-ne-normal"),
        pytest.param("order_type", Op.IN, "定期、頒布会", {"order_type": OrderType.DISTRIBUTION}, True, id="type-in"),
        pytest.param("order_type", Op.IN, "定期、頒布会", {}, False, id="type-not-in"),
    ],
)
def test_bool_and_choice_fields(
    field: str, op: Operator, value: str, overrides: dict[str, Any], expected: bool
) -> None:
    assert rule_matches(when(field, op, value), make_order(**overrides)) is expected


def _order_requesting(requested: date | None) -> OrderSnapshot:
    return make_order(packages=[make_package(requested_date=requested)])


@pytest.mark.parametrize(
    ("op", "value", "requested", "expected"),
    [
        pytest.param(Op.EQ, "2024-05-10", date(2024, 5, 10), True, id="eq-match"),
        pytest.param(Op.EQ, "2024-05-10", date(2024, 5, 11), False, id="eq-no-match"),
        pytest.param(Op.LT, "2024-05-10", date(2024, 5, 9), True, id="lt-match"),
        pytest.param(Op.LT, "2024-05-10", date(2024, 5, 10), False, id="lt-no-match"),
        pytest.param(Op.LE, "2024-05-10", date(2024, 5, 10), True, id="le-match"),
        pytest.param(Op.GT, "2024-05-10", date(2024, 5, 11), True, id="gt-match"),
        pytest.param(Op.GE, "2024-05-10", date(2024, 5, 9), False, id="ge-no-match"),
        pytest.param(Op.GE, "２０２４-０５-０９", date(2024, 5, 9), True, id="full-width-date"),
        pytest.param(Op.IS_EMPTY, "", None, True, id="is_empty-no-date"),
        pytest.param(Op.IS_EMPTY, "", date(2024, 5, 9), False, id="is_empty-with-date"),
        pytest.param(Op.IS_NOT_EMPTY, "", date(2024, 5, 9), True, id="is_not_empty-with-date"),
        pytest.param(Op.LT, "2024-05-10", None, False, id="no-date-is-not-before"),
        pytest.param(Op.GE, "2024-05-10", None, False, id="no-date-is-not-after"),
        pytest.param(Op.NE, "2024-05-10", None, True, id="no-date-is-not-equal"),
    ],
)
def test_requested_date_compares_iso_dates(op: Operator, value: str, requested: date | None, expected: bool) -> None:
    assert rule_matches(when("requested_date", op, value), _order_requesting(requested)) is expected


# --- packages and lines: any package / any line ------------------------------------------------------

TWO_PACKAGES = make_order(
    packages=[
        make_package(postal_code="100-0001", delivery_method="宅配便"),
        make_package(postal_code="5300001", prefecture="大阪府", city="大阪市北区", delivery_method="メール便"),
    ]
)


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        pytest.param("prefecture", Op.EQ, "大阪府", True, id="second-package-matches"),
        pytest.param("prefecture", Op.NE, "東京都", True, id="ne-any-package"),
        pytest.param("prefecture", Op.EQ, "北海道", False, id="no-package-matches"),
        pytest.param("postal_code", Op.EQ, "1000001", True, id="postal-code-without-hyphen"),
        pytest.param("postal_code", Op.STARTS_WITH, "530", True, id="postal-prefix"),
        pytest.param("delivery_method", Op.IN, "メール便,ネコポス", True, id="delivery-method-in"),
        pytest.param("delivery_method", Op.NOT_CONTAINS, "便", False, id="not_contains-no-package"),
    ],
)
def test_package_field_matches_when_any_package_matches(field: str, op: Operator, value: str, expected: bool) -> None:
    assert rule_matches(when(field, op, value), TWO_PACKAGES) is expected


MIXED_LINES = make_order(
    lines=[
        make_line(mall_item_id="item-1", product_code="SKU-1", quantity=1),
        make_line(mall_item_id="item-2", product_code=None, quantity=12),
    ]
)
SAME_LINES = make_order(lines=[make_line(product_code="SKU-1"), make_line(product_code="SKU-1")])


@pytest.mark.parametrize(
    ("field", "op", "value", "order", "expected"),
    [
        pytest.param("line.sku", Op.EQ, "SKU-1", MIXED_LINES, True, id="sku-eq"),
        pytest.param("line.sku", Op.STARTS_WITH, "SKU", SAME_LINES, True, id="sku-starts_with"),
        pytest.param("line.sku", Op.NE, "SKU-1", MIXED_LINES, True, id="ne-some-line-differs"),
        pytest.param("line.sku", Op.NE, "SKU-1", SAME_LINES, False, id="ne-every-line-equal"),
        pytest.param("line.sku", Op.NOT_CONTAINS, "SKU", MIXED_LINES, True, id="not_contains-unmapped-line"),
        pytest.param("line.sku", Op.NOT_CONTAINS, "SKU", SAME_LINES, False, id="not_contains-every-line"),
        pytest.param("line.sku", Op.IS_EMPTY, "", MIXED_LINES, True, id="is_empty-unmapped-line"),
        pytest.param("line.sku", Op.IS_EMPTY, "", SAME_LINES, False, id="is_empty-all-mapped"),
        pytest.param("line.mall_item", Op.EQ, "item-2", MIXED_LINES, True, id="mall-item"),
        pytest.param("line.mall_item", Op.REGEX, r"^item-\d$", MIXED_LINES, True, id="mall-item-regex"),
        pytest.param("line.quantity", Op.GE, "10", MIXED_LINES, True, id="quantity-ge"),
        pytest.param("line.quantity", Op.GE, "10", SAME_LINES, False, id="quantity-ge-none"),
        pytest.param("line.quantity", Op.LT, "2", MIXED_LINES, True, id="quantity-lt"),
    ],
)
def test_line_field_matches_when_any_line_satisfies_it(
    field: str, op: Operator, value: str, order: OrderSnapshot, expected: bool
) -> None:
    assert rule_matches(when(field, op, value), order) is expected


@pytest.mark.parametrize("op", [Op.IS_EMPTY, Op.NE, Op.NOT_CONTAINS], ids=str)
def test_order_without_lines_matches_no_line_condition(op: Operator) -> None:
    order = make_order(lines=[])
    assert rule_matches(when("line.sku", op, "" if op is Op.IS_EMPTY else "SKU-1"), order) is False


# --- all / any and the reason -----------------------------------------------------------------------

GIFT = Condition("remarks", Op.CONTAINS, "ギフト")
BIG = Condition("total", Op.GE, "10000")


@pytest.mark.parametrize(
    ("match", "remarks", "total", "expected"),
    [
        pytest.param(Match.ALL, "ギフト", 10000, True, id="all-both-hold"),
        pytest.param(Match.ALL, "ギフト", 9999, False, id="all-one-fails"),
        pytest.param(Match.ANY, "ギフト", 9999, True, id="any-one-holds"),
        pytest.param(Match.ANY, "", 9999, False, id="any-none-holds"),
    ],
)
def test_all_needs_every_condition_and_any_needs_one(match: Match, remarks: str, total: int, expected: bool) -> None:
    rule = make_rule(GIFT, BIG, match=match)
    assert rule_matches(rule, make_order(remarks=remarks, total=total)) is expected


@pytest.mark.parametrize(
    ("rule", "order", "reason"),
    [
        pytest.param(make_rule(GIFT), make_order(remarks="ギフトで"), "備考欄 が「ギフト」を含む", id="one"),
        pytest.param(
            make_rule(GIFT, BIG),
            make_order(remarks="ギフト", total=12000),
            "備考欄 が「ギフト」を含む、合計金額 が「10000」以上",
            id="all-lists-every-condition",
        ),
        pytest.param(
            make_rule(GIFT, BIG, match=Match.ANY),
            make_order(total=12000),
            "合計金額 が「10000」以上",
            id="any-lists-only-what-held",
        ),
        pytest.param(
            when("line.sku", Op.IS_EMPTY),
            MIXED_LINES,
            "明細のSKU が空である（送付先1 明細 item-2）",
            id="line-says-where",
        ),
        pytest.param(
            when("prefecture", Op.EQ, "大阪府"),
            TWO_PACKAGES,
            "都道府県 が「大阪府」と等しい（送付先2）",
            id="package-says-which",
        ),
        pytest.param(
            when("remarks", Op.IN, " のし ,ギフト"),
            make_order(remarks="ギフト"),
            "備考欄 が「のし ,ギフト」のいずれか",
            id="value-as-written-trimmed",
        ),
    ],
)
def test_hit_reason_says_in_japanese_which_conditions_matched(rule: Rule, order: OrderSnapshot, reason: str) -> None:
    assert evaluate_rules([rule], order) == (
        RuleHit(rule_id=1, tag_code="gift", reason=reason, stop_at=None, restrict_shipping=False),
    )


# --- evaluate_rules ---------------------------------------------------------------------------------


def test_hits_carry_the_rules_stop_and_shipping_restriction_in_rule_order() -> None:
    rules = [
        make_rule(GIFT, id=7, tag_code="check_gift", stop_at=OrderStatus.AWAITING_CHECK),
        make_rule(BIG, id=8, tag_code="big"),
        make_rule(GIFT, id=9, tag_code="hold", stop_at=OrderStatus.AWAITING_SHIPMENT, restrict_shipping=True),
    ]
    hits = evaluate_rules(rules, make_order(remarks="ギフト"))
    assert hits == (
        RuleHit(7, "check_gift", "備考欄 が「ギフト」を含む", OrderStatus.AWAITING_CHECK, False),
        RuleHit(9, "hold", "備考欄 が「ギフト」を含む", OrderStatus.AWAITING_SHIPMENT, True),
    )


def test_disabled_rule_is_skipped() -> None:
    rules = [make_rule(GIFT, enabled=False), make_rule(GIFT, id=2, tag_code="other")]
    assert [hit.rule_id for hit in evaluate_rules(rules, make_order(remarks="ギフト"))] == [2]


def test_tag_removed_by_an_operator_is_not_attached_again() -> None:
    order = make_order(remarks="ギフト", removed_tags=frozenset({"gift"}))
    rules = [make_rule(GIFT), make_rule(GIFT, id=2, tag_code="other")]
    assert [hit.tag_code for hit in evaluate_rules(rules, order)] == ["other"]
    assert rule_matches(make_rule(GIFT), order) is True


def test_two_rules_with_the_same_tag_both_hit() -> None:
    rules = [make_rule(GIFT), make_rule(BIG, id=2)]
    hits = evaluate_rules(rules, make_order(remarks="ギフト", total=10000))
    assert [(h.rule_id, h.tag_code) for h in hits] == [(1, "gift"), (2, "gift")]


def test_no_rules_no_hits() -> None:
    assert evaluate_rules([], make_order()) == ()


def test_evaluating_an_invalid_rule_raises() -> None:
    with pytest.raises(RuleError, match="条件のフィールド「colour」は存在しません"):
        evaluate_rules([when("colour", Op.EQ, "red")], make_order())


# --- validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        pytest.param(when("colour", Op.EQ, "red"), "条件のフィールド「colour」は存在しません", id="unknown-field"),
        pytest.param(
            when("total", Op.CONTAINS, "1000"),
            "条件「合計金額(total) contains '1000'」: 演算子「を含む」(contains) は合計金額には使えません",
            id="contains-on-number",
        ),
        pytest.param(
            when("remarks", Op.GT, "a"),
            "条件「備考欄(remarks) gt 'a'」: 演算子「より大きい」(gt) は備考欄には使えません",
            id="gt-on-text",
        ),
        pytest.param(
            when("gift", Op.CONTAINS, "true"),
            "条件「ギフト・のし(gift) contains 'true'」: 演算子「を含む」(contains) はギフト・のしには使えません",
            id="contains-on-bool",
        ),
        pytest.param(
            when("total", Op.GT, "1万"),
            "条件「合計金額(total) gt '1万'」: 「1万」は整数ではありません",
            id="non-numeric-number",
        ),
        pytest.param(
            when("total", Op.GT, "1.5"),
            "条件「合計金額(total) gt '1.5'」: 「1.5」は整数ではありません",
            id="decimal-number",
        ),
        pytest.param(
            when("line.quantity", Op.IN, "1,x"),
            "条件「明細の数量(line.quantity) in '1,x'」: 「x」は整数ではありません",
            id="non-numeric-in-list",
        ),
        pytest.param(
            when("remarks", Op.REGEX, "(ギフト"),
            "条件「備考欄(remarks) regex '(ギフト'」: 正規表現が不正です "
            "(missing ), unterminated subpattern at position 0)",
            id="bad-regex",
        ),
        pytest.param(
            when("requested_date", Op.LT, "2024/05/01"),
            "条件「お届け希望日(requested_date) lt '2024/05/01'」: "
            "「2024/05/01」は YYYY-MM-DD 形式の日付ではありません",
            id="bad-date-format",
        ),
        pytest.param(
            when("requested_date", Op.LT, "2024-02-30"),
            "条件「お届け希望日(requested_date) lt '2024-02-30'」: 「2024-02-30」は存在しない日付です",
            id="impossible-date",
        ),
        pytest.param(
            when("gift", Op.EQ, "maybe"),
            "条件「ギフト・のし(gift) eq 'maybe'」: 「maybe」は真偽値ではありません (true/false, 1/0, はい/いいえ)",
            id="bad-bool",
        ),
        pytest.param(
            when("order_type", Op.EQ, "臨時"),
            "条件「注文種別(order_type) eq '臨時'」: 「臨時」は選択肢にありません: "
            "normal(通常)、reservation(予約)、subscription(定期)、distribution(頒布会)",
            id="bad-choice",
        ),
        pytest.param(
            when("remarks", Op.CONTAINS, " "),
            "条件「備考欄(remarks) contains ' '」: 演算子「を含む」には値が必要です",
            id="missing-value",
        ),
        pytest.param(
            when("remarks", Op.IN, "、,"),
            "条件「備考欄(remarks) in '、,'」: 一覧に値がありません",
            id="empty-list",
        ),
        pytest.param(make_rule(), "ルール 1 (タグ「ギフト」): 条件がありません", id="no-conditions"),
        pytest.param(
            make_rule(GIFT, stop_at=OrderStatus.SHIPPING),
            "ルール 1 (タグ「ギフト」): 停止ステータス「shipping」は指定できません "
            "(確認待、確認済、出荷待ち のいずれか)",
            id="bad-stop-at",
        ),
        pytest.param(make_rule(GIFT, tag_code=" "), "ルール 1: タグコードが空です", id="empty-tag-code"),
        pytest.param(
            make_rule(GIFT, tag_code="unmapped_item"),
            "ルール 1: タグコード「unmapped_item」はシステムタグです",
            id="system-tag-code",
        ),
    ],
)
def test_invalid_rule_is_rejected_with_a_message_naming_the_problem(rule: Rule, message: str) -> None:
    with pytest.raises(RuleError) as raised:
        validate_rule(rule)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    "rule",
    [
        pytest.param(make_rule(GIFT, BIG, match=Match.ANY, stop_at=OrderStatus.CHECKED), id="any-checked"),
        pytest.param(when("remarks", Op.IS_EMPTY), id="is_empty-without-value"),
        pytest.param(when("requested_date", Op.IS_NOT_EMPTY), id="date-is_not_empty"),
        pytest.param(when("total", Op.IN, "1,2、3，4"), id="number-list"),
        pytest.param(when("shop_id", Op.EQ, "1", stop_at=OrderStatus.AWAITING_SHIPMENT), id="awaiting-shipment"),
    ],
)
def test_valid_rule_passes_validation(rule: Rule) -> None:
    validate_rule(rule)


# --- preview ---------------------------------------------------------------------------------------


def test_preview_lists_the_orders_a_rule_would_tag_even_while_switched_off() -> None:
    gift = make_order(remarks="ギフト")
    plain = make_order(remarks="")
    removed = make_order(remarks="ギフト", removed_tags=frozenset({"gift"}))
    gift_too = make_order(remarks="ｷﾞﾌﾄ")
    assert preview(make_rule(GIFT, enabled=False), [gift, plain, removed, gift_too]) == [gift, gift_too]


def test_preview_of_an_invalid_rule_raises_even_without_orders() -> None:
    with pytest.raises(RuleError, match="条件がありません"):
        preview(make_rule(), [])
