"""The ``advance`` decision (pipeline.md §2): one case that triggers each rule and one that must not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from factories import ORDERED_AT, PAYMENT_METHOD, make_line, make_order, make_package, make_policy
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from juchu.domain.checks import CheckContext, PostalEntry
from juchu.domain.effects import EffectKind
from juchu.domain.model import OrderSnapshot, OrderType, PaymentKind, PaymentState, Tag, TagSource
from juchu.domain.pipeline import Decision, PipelineContext, Transition, after_allocation, decide
from juchu.domain.rules import Condition, Operator, Rule
from juchu.domain.status import TRANSITIONS, OrderStatus, PackageStatus

S = OrderStatus
P = PackageStatus
E = EffectKind

POSTAL = {"1000001": PostalEntry("1000001", "東京都", "千代田区", "13101")}
NOW = ORDERED_AT + timedelta(hours=1)
GRACE = timedelta(minutes=30)
BANK = "銀行振込"
COD = "代金引換"
DEFERRED = "後払い"
PAYMENT_METHODS = {
    PAYMENT_METHOD: PaymentKind.CARD,
    BANK: PaymentKind.PREPAID,
    COD: PaymentKind.COD,
    DEFERRED: PaymentKind.DEFERRED,
}
UNMAPPED_REASON = "商品未マッピング: 送付先1 明細 item-1"
RULE_REASON = "備考欄 が「至急」を含む"


def make_ctx(*, now: datetime = NOW, rules: tuple[Rule, ...] = (), **policy: Any) -> PipelineContext:
    """One hour after ordering, the default policy (with every payment kind mapped), the in-test postal data."""
    values: dict[str, Any] = {"payment_methods": PAYMENT_METHODS}
    values.update(policy)
    checks = CheckContext(now=now, policy=make_policy(**values), postal=POSTAL.get)
    return PipelineContext(checks=checks, rules=rules)


def hold_rule(*, tag_code: str = "hold", **fields: Any) -> Rule:
    """A rule attaching ``tag_code`` when the remarks contain 至急."""
    return Rule(
        id=1,
        tag_code=tag_code,
        tag_label="保留",
        conditions=(Condition("remarks", Operator.CONTAINS, "至急"),),
        **fields,
    )


def unmapped_order(**fields: Any) -> OrderSnapshot:
    return make_order(lines=[make_line(product_code=None)], **fields)


def assert_legal_chain(order: OrderSnapshot, decision: Decision) -> None:
    """Every transition is in TRANSITIONS, each starts where the previous ended, the last ends at status."""
    current = order.status
    for transition in decision.transitions:
        assert transition.source == current
        assert transition.target in TRANSITIONS[transition.source]
        current = transition.target
    assert decision.status == current


def statuses(decision: Decision) -> list[tuple[OrderStatus, OrderStatus]]:
    return [(t.source, t.target) for t in decision.transitions]


# --- new: mall cancellation and the grace period -------------------------------------------------------


@pytest.mark.parametrize("status", [S.NEW, S.AWAITING_CHECK, S.CHECKED, S.AWAITING_SHIPMENT], ids=lambda s: s.value)
def test_cancelled_at_the_mall_before_shipping_cancels_and_releases_allocation(status: OrderStatus) -> None:
    order = make_order(status=status, mall_cancelled=True, allocated=True)
    decision = decide(order, make_ctx(grace_period=GRACE, now=ORDERED_AT))
    assert decision.status is S.CANCELLED
    assert decision.transitions == (Transition(status, S.CANCELLED, "モールでキャンセルされました"),)
    assert decision.explanation == "キャンセル: モールでキャンセルされました"
    assert decision.release_allocation is True
    assert decision.effects == ()


def test_cancelled_at_the_mall_without_allocation_releases_nothing() -> None:
    decision = decide(make_order(mall_cancelled=True), make_ctx())
    assert (decision.status, decision.release_allocation) == (S.CANCELLED, False)


def test_not_cancelled_at_the_mall_does_not_cancel() -> None:
    decision = decide(make_order(mall_cancelled=False), make_ctx())
    assert decision.status is not S.CANCELLED


def test_new_within_grace_stays_new_until_grace_ends_with_jst_time() -> None:
    now_utc = datetime(2024, 5, 1, 1, 10, tzinfo=UTC)  # 10:10 JST, ten minutes after ordering
    decision = decide(unmapped_order(), make_ctx(now=now_utc, grace_period=GRACE))
    assert decision.status is S.NEW
    assert decision.transitions == ()
    assert decision.due_at == ORDERED_AT + GRACE
    assert decision.explanation == "新規受付: キャンセル猶予中 (05/01 10:30 まで)"
    # checks wait for the grace period to end
    assert decision.set_tags == {}
    assert decision.effects == ()
    assert decision.changed is False


@pytest.mark.parametrize(
    "now",
    [
        pytest.param(ORDERED_AT + GRACE, id="exactly-at-grace-end"),
        pytest.param(ORDERED_AT + GRACE + timedelta(seconds=1), id="after-grace-end"),
    ],
)
def test_new_once_grace_is_over_leaves_new(now: datetime) -> None:
    decision = decide(make_order(), make_ctx(now=now, grace_period=GRACE))
    assert decision.status is S.CHECKED
    assert statuses(decision) == [(S.NEW, S.CHECKED)]


def test_new_with_zero_grace_leaves_new_at_once() -> None:
    decision = decide(make_order(), make_ctx(now=ORDERED_AT))
    assert statuses(decision) == [(S.NEW, S.CHECKED)]


@pytest.mark.parametrize(
    "order_type",
    [OrderType.RESERVATION, OrderType.SUBSCRIPTION, OrderType.DISTRIBUTION],
    ids=lambda t: t.value,
)
def test_grace_is_not_applied_to_reservation_subscription_distribution(order_type: OrderType) -> None:
    decision = decide(make_order(order_type=order_type), make_ctx(now=ORDERED_AT, grace_period=GRACE))
    assert decision.status is S.CHECKED
    assert statuses(decision) == [(S.NEW, S.CHECKED)]
    assert decision.due_at is None


def test_grace_is_applied_to_normal_orders() -> None:
    decision = decide(make_order(order_type=OrderType.NORMAL), make_ctx(now=ORDERED_AT, grace_period=GRACE))
    assert (decision.status, decision.due_at) == (S.NEW, ORDERED_AT + GRACE)


# --- new past grace: tags decide -------------------------------------------------------------------------


ERROR_CAUSES = [
    pytest.param(unmapped_order(), "unmapped_item", UNMAPPED_REASON, id="unmapped_item"),
    pytest.param(
        make_order(lines=[make_line(quantity=11)]),
        "quantity_anomaly",
        "数量異常: 送付先1 明細 item-1 の数量 11 が上限 10 を超えています",
        id="quantity_anomaly",
    ),
    pytest.param(
        make_order(payment_method="謎の決済"),
        "unknown_payment_method",
        "決済方法未設定: 決済方法「謎の決済」はショップの設定にありません",
        id="unknown_payment_method",
    ),
    pytest.param(
        make_order(packages=[make_package(postal_code="9999999")]),
        "address_invalid",
        "住所不備: 郵便番号 9999999 は郵便番号データにありません",
        id="address_invalid",
    ),
    pytest.param(
        make_order(payment_state=PaymentState.FAILED, payment_error="与信NG"),
        "payment_failed",
        "決済エラー: 与信NG",
        id="payment_failed",
    ),
]


@pytest.mark.parametrize(("order", "code", "reason"), ERROR_CAUSES)
def test_new_past_grace_with_an_error_tag_cause_goes_to_awaiting_check(
    order: OrderSnapshot, code: str, reason: str
) -> None:
    decision = decide(order, make_ctx())
    assert decision.status is S.AWAITING_CHECK
    assert decision.transitions == (Transition(S.NEW, S.AWAITING_CHECK, reason),)
    assert decision.set_tags == {code: (TagSource.SYSTEM, reason)}
    assert decision.explanation == f"確認待: {reason}"
    assert decision.effects == ()
    assert decision.needs_allocation is False


def test_new_past_grace_with_only_a_warning_tag_goes_to_checked() -> None:
    order = make_order(packages=[make_package(island=True)])
    decision = decide(order, make_ctx())
    assert decision.status is S.CHECKED
    assert decision.set_tags == {"remote_island": (TagSource.SYSTEM, "離島: モールの離島フラグが付いています")}


def test_new_past_grace_clean_goes_to_checked_with_mall_confirm_and_thanks_mail() -> None:
    decision = decide(make_order(), make_ctx())
    assert decision.status is S.CHECKED
    assert decision.transitions == (Transition(S.NEW, S.CHECKED, "チェック完了"),)
    assert decision.effects == (E.MALL_CONFIRM, E.THANKS_MAIL)
    assert decision.set_tags == {}
    assert decision.clear_tags == frozenset()
    # paid by card (authorised), not yet allocated: the caller allocates
    assert decision.needs_allocation is True
    assert decision.explanation == "確認済: 引当待ち"


@pytest.mark.parametrize(
    ("order_fields", "policy", "effects"),
    [
        pytest.param({}, {}, (E.MALL_CONFIRM, E.THANKS_MAIL), id="both"),
        pytest.param({"thanks_mail_queued": True}, {}, (E.MALL_CONFIRM,), id="thanks-mail-already-queued"),
        pytest.param({}, {"thanks_mail": False}, (E.MALL_CONFIRM,), id="thanks-mail-template-off"),
        pytest.param({"mall_confirmed": True}, {}, (E.THANKS_MAIL,), id="already-confirmed-at-mall"),
        pytest.param({}, {"confirm_at_mall": False}, (E.THANKS_MAIL,), id="mall-needs-no-confirm"),
        pytest.param({"thanks_mail_queued": True}, {"confirm_at_mall": False}, (), id="neither"),
    ],
)
def test_entering_checked_effects_follow_policy_and_order_flags(
    order_fields: dict[str, Any], policy: dict[str, Any], effects: tuple[EffectKind, ...]
) -> None:
    decision = decide(make_order(**order_fields), make_ctx(**policy))
    assert decision.status is S.CHECKED
    assert decision.effects == effects


# --- checked: payment and allocation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payment_method", "payment_state"),
    [
        pytest.param(BANK, PaymentState.UNPAID, id="bank-transfer-unpaid"),
        pytest.param(DEFERRED, PaymentState.DEFERRED_PENDING, id="deferred-not-approved"),
        pytest.param(PAYMENT_METHOD, PaymentState.UNPAID, id="card-not-authorised"),
    ],
)
def test_checked_unpaid_stays_checked_waiting_for_payment(payment_method: str, payment_state: PaymentState) -> None:
    order = make_order(status=S.CHECKED, payment_method=payment_method, payment_state=payment_state)
    decision = decide(order, make_ctx())
    assert decision.status is S.CHECKED
    assert decision.transitions == ()
    assert decision.explanation == "確認済: 入金待ち"
    assert decision.needs_allocation is False
    assert decision.effects == ()


@pytest.mark.parametrize(
    ("payment_method", "payment_state"),
    [
        pytest.param(BANK, PaymentState.PAID, id="bank-transfer-paid"),
        pytest.param(COD, PaymentState.UNPAID, id="cod-needs-no-payment"),
        pytest.param(DEFERRED, PaymentState.DEFERRED_APPROVED, id="deferred-approved"),
        pytest.param(PAYMENT_METHOD, PaymentState.AUTHORIZED, id="card-authorised"),
        pytest.param(BANK, PaymentState.NOT_REQUIRED, id="not-required"),
    ],
)
def test_checked_settled_payment_goes_on_to_allocation(payment_method: str, payment_state: PaymentState) -> None:
    order = make_order(status=S.CHECKED, payment_method=payment_method, payment_state=payment_state)
    decision = decide(order, make_ctx())
    assert decision.status is S.CHECKED
    assert decision.needs_allocation is True
    assert decision.explanation == "確認済: 引当待ち"


def test_checked_paid_not_allocated_then_allocated_goes_to_awaiting_shipment_with_pending_packages() -> None:
    pending_a = make_package()
    pending_b = make_package()
    requested = make_package(shipment_status=P.REQUESTED)
    order = make_order(status=S.CHECKED, packages=[pending_a, requested, pending_b])
    decision = decide(order, make_ctx())
    assert decision.needs_allocation is True
    assert decision.transitions == ()

    done = after_allocation(decision, order, True, "")
    assert done.status is S.AWAITING_SHIPMENT
    assert done.transitions == (Transition(S.CHECKED, S.AWAITING_SHIPMENT, "入金確認・引当完了"),)
    assert done.request_packages == (pending_a.id, pending_b.id)
    assert done.needs_allocation is False
    assert done.explanation == "出荷待ち: 出荷依頼を送信します"
    assert done.due_at is None
    assert_legal_chain(order, done)


def test_checked_paid_not_allocated_and_short_stays_checked_with_the_shortage() -> None:
    order = make_order(status=S.CHECKED)
    decision = decide(order, make_ctx())
    short = after_allocation(decision, order, False, "引当待ち: SKU-1 が 1 個不足")
    assert short.status is S.CHECKED
    assert short.transitions == ()
    assert short.request_packages == ()
    assert short.needs_allocation is False
    assert short.explanation == "確認済: 引当待ち: SKU-1 が 1 個不足"


def test_new_to_checked_then_allocated_keeps_the_entry_effects_and_chains() -> None:
    order = make_order()
    done = after_allocation(decide(order, make_ctx()), order, True, "")
    assert statuses(done) == [(S.NEW, S.CHECKED), (S.CHECKED, S.AWAITING_SHIPMENT)]
    assert done.effects == (E.MALL_CONFIRM, E.THANKS_MAIL)
    assert_legal_chain(order, done)


def test_after_allocation_refuses_a_decision_that_did_not_need_allocation() -> None:
    order = make_order(status=S.CHECKED, payment_method=BANK, payment_state=PaymentState.UNPAID)
    decision = decide(order, make_ctx())
    with pytest.raises(ValueError, match="did not need allocation"):
        after_allocation(decision, order, True, "")


def test_checked_paid_and_allocated_goes_to_awaiting_shipment_directly() -> None:
    package = make_package()
    order = make_order(status=S.CHECKED, allocated=True, packages=[package])
    decision = decide(order, make_ctx())
    assert decision.status is S.AWAITING_SHIPMENT
    assert decision.transitions == (Transition(S.CHECKED, S.AWAITING_SHIPMENT, "入金確認・引当完了"),)
    assert decision.request_packages == (package.id,)
    assert decision.needs_allocation is False
    assert decision.shipping_restricted is False
    assert decision.explanation == "出荷待ち: 出荷依頼を送信します"
    assert decision.effects == ()


def test_checked_allocated_but_unpaid_does_not_go_to_awaiting_shipment() -> None:
    order = make_order(status=S.CHECKED, allocated=True, payment_method=BANK, payment_state=PaymentState.UNPAID)
    decision = decide(order, make_ctx())
    assert (decision.status, decision.transitions, decision.request_packages) == (S.CHECKED, (), ())


# --- custom-tag rules: stop at 確認済, restrict shipping --------------------------------------------------


@pytest.mark.parametrize(
    ("status", "moves"),
    [
        pytest.param(S.NEW, [(S.NEW, S.CHECKED)], id="new"),
        pytest.param(S.CHECKED, [], id="checked"),
        pytest.param(S.AWAITING_SHIPMENT, [(S.AWAITING_SHIPMENT, S.CHECKED)], id="awaiting_shipment"),
    ],
)
def test_rule_hit_with_stop_at_checked_holds_the_order_in_checked(
    status: OrderStatus, moves: list[tuple[OrderStatus, OrderStatus]]
) -> None:
    order = make_order(status=status, allocated=True, remarks="至急でお願いします")
    decision = decide(order, make_ctx(rules=(hold_rule(stop_at=S.CHECKED),)))
    assert decision.status is S.CHECKED
    assert statuses(decision) == moves
    assert decision.set_tags == {"hold": (TagSource.RULE, RULE_REASON)}
    assert decision.explanation == f"確認済: {RULE_REASON}"
    assert decision.needs_allocation is False
    assert decision.request_packages == ()


def test_rule_with_stop_at_checked_that_does_not_match_does_not_hold() -> None:
    order = make_order(status=S.CHECKED, allocated=True, remarks="よろしく")
    decision = decide(order, make_ctx(rules=(hold_rule(stop_at=S.CHECKED),)))
    assert decision.status is S.AWAITING_SHIPMENT
    assert decision.set_tags == {}


def test_rule_hit_with_stop_at_awaiting_check_stops_new_at_awaiting_check() -> None:
    order = make_order(remarks="至急")
    decision = decide(order, make_ctx(rules=(hold_rule(stop_at=S.AWAITING_CHECK),)))
    assert decision.status is S.AWAITING_CHECK
    assert decision.transitions == (Transition(S.NEW, S.AWAITING_CHECK, RULE_REASON),)


def test_rule_without_stop_only_tags_the_order() -> None:
    decision = decide(make_order(remarks="至急"), make_ctx(rules=(hold_rule(),)))
    assert decision.status is S.CHECKED
    assert decision.set_tags == {"hold": (TagSource.RULE, RULE_REASON)}


@pytest.mark.parametrize(
    "rule",
    [
        pytest.param(hold_rule(restrict_shipping=True), id="restrict_shipping"),
        pytest.param(hold_rule(stop_at=S.AWAITING_SHIPMENT), id="stop_at-awaiting_shipment"),
    ],
)
def test_restricting_rule_holds_awaiting_shipment_with_shipping_restricted(rule: Rule) -> None:
    order = make_order(status=S.AWAITING_SHIPMENT, allocated=True, remarks="至急")
    decision = decide(order, make_ctx(rules=(rule,)))
    assert decision.status is S.AWAITING_SHIPMENT
    assert decision.transitions == ()
    assert decision.shipping_restricted is True
    assert decision.explanation == f"出荷待ち: 出荷指示を制限中 ({RULE_REASON})"


def test_restricting_rule_that_does_not_match_lets_awaiting_shipment_send() -> None:
    order = make_order(status=S.AWAITING_SHIPMENT, allocated=True, remarks="")
    decision = decide(order, make_ctx(rules=(hold_rule(restrict_shipping=True),)))
    assert decision.status is S.AWAITING_SHIPMENT
    assert decision.shipping_restricted is False
    assert decision.explanation == "出荷待ち: 出荷依頼を送信します"


def test_restricting_rule_lets_checked_move_to_awaiting_shipment_but_restricted() -> None:
    order = make_order(status=S.CHECKED, allocated=True, remarks="至急")
    decision = decide(order, make_ctx(rules=(hold_rule(restrict_shipping=True),)))
    assert decision.status is S.AWAITING_SHIPMENT
    assert decision.shipping_restricted is True


# --- awaiting_shipment / awaiting_check: tags appear and clear ------------------------------------------


def test_awaiting_shipment_with_a_new_error_tag_goes_back_to_awaiting_check() -> None:
    order = unmapped_order(status=S.AWAITING_SHIPMENT, allocated=True)
    decision = decide(order, make_ctx())
    assert decision.status is S.AWAITING_CHECK
    assert decision.transitions == (Transition(S.AWAITING_SHIPMENT, S.AWAITING_CHECK, UNMAPPED_REASON),)
    assert decision.set_tags == {"unmapped_item": (TagSource.SYSTEM, UNMAPPED_REASON)}


def test_awaiting_shipment_with_a_shipment_request_error_tag_goes_to_awaiting_check() -> None:
    tag = Tag("shipment_request_error", TagSource.SYSTEM, "出荷依頼エラー: E001 住所不備")
    order = make_order(status=S.AWAITING_SHIPMENT, allocated=True, tags=(tag,))
    decision = decide(order, make_ctx())
    assert statuses(decision) == [(S.AWAITING_SHIPMENT, S.AWAITING_CHECK)]
    # an event tag is not cleared by a re-evaluation
    assert decision.clear_tags == frozenset()


def test_awaiting_shipment_clean_stays_and_sends() -> None:
    order = make_order(status=S.AWAITING_SHIPMENT, allocated=True)
    decision = decide(order, make_ctx())
    assert (decision.status, decision.transitions, decision.set_tags) == (S.AWAITING_SHIPMENT, (), {})
    assert decision.explanation == "出荷待ち: 出荷依頼を送信します"


def test_awaiting_check_whose_cause_is_gone_goes_to_checked_and_clears_the_tag() -> None:
    tag = Tag("unmapped_item", TagSource.SYSTEM, UNMAPPED_REASON)
    order = make_order(status=S.AWAITING_CHECK, tags=(tag,))  # the line is mapped now
    decision = decide(order, make_ctx())
    assert decision.status is S.CHECKED
    assert decision.transitions == (Transition(S.AWAITING_CHECK, S.CHECKED, "確認待の原因が解消しました"),)
    assert decision.clear_tags == frozenset({"unmapped_item"})
    assert decision.set_tags == {}
    assert decision.effects == (E.MALL_CONFIRM, E.THANKS_MAIL)


def test_awaiting_check_whose_cause_remains_stays_without_rewriting_the_tag() -> None:
    tag = Tag("unmapped_item", TagSource.SYSTEM, UNMAPPED_REASON)
    order = unmapped_order(status=S.AWAITING_CHECK, tags=(tag,))
    decision = decide(order, make_ctx())
    assert decision.status is S.AWAITING_CHECK
    assert decision.transitions == ()
    assert decision.set_tags == {}
    assert decision.clear_tags == frozenset()
    assert decision.explanation == f"確認待: {UNMAPPED_REASON}"
    assert decision.changed is False


def test_awaiting_check_refreshes_a_tag_whose_reason_changed() -> None:
    tag = Tag("unmapped_item", TagSource.SYSTEM, "商品未マッピング: 古い理由")
    order = unmapped_order(status=S.AWAITING_CHECK, tags=(tag,))
    decision = decide(order, make_ctx())
    assert decision.set_tags == {"unmapped_item": (TagSource.SYSTEM, UNMAPPED_REASON)}


@pytest.mark.parametrize("status", [S.NEW, S.CHECKED, S.AWAITING_SHIPMENT], ids=lambda s: s.value)
def test_operator_tag_stops_the_order_at_awaiting_check(status: OrderStatus) -> None:
    tag = Tag("電話確認", TagSource.OPERATOR, "電話で確認する")
    order = make_order(status=status, allocated=True, tags=(tag,))
    decision = decide(order, make_ctx())
    assert decision.status is S.AWAITING_CHECK
    assert decision.transitions == (Transition(status, S.AWAITING_CHECK, "電話で確認する"),)
    assert decision.explanation == "確認待: 電話で確認する"


def test_operator_tag_keeps_awaiting_check_where_it_is() -> None:
    tag = Tag("電話確認", TagSource.OPERATOR, "")
    decision = decide(make_order(status=S.AWAITING_CHECK, tags=(tag,)), make_ctx())
    assert (decision.status, decision.transitions, decision.explanation) == (S.AWAITING_CHECK, (), "確認待: 電話確認")


def test_rule_tag_without_stop_does_not_stop_the_order() -> None:
    tag = Tag("gift", TagSource.RULE, "ギフト")
    decision = decide(make_order(tags=(tag,)), make_ctx())
    assert decision.status is S.CHECKED


def test_removed_system_tag_is_not_attached_again_by_the_checks() -> None:
    order = make_order(lines=[make_line(quantity=11)], removed_tags=frozenset({"quantity_anomaly"}))
    decision = decide(order, make_ctx())
    assert "quantity_anomaly" not in decision.set_tags
    assert decision.status is S.CHECKED


def test_removed_rule_tag_is_not_attached_again_by_its_rule() -> None:
    order = make_order(remarks="至急", removed_tags=frozenset({"hold"}))
    decision = decide(order, make_ctx(rules=(hold_rule(stop_at=S.CHECKED),)))
    assert decision.set_tags == {}
    assert decision.needs_allocation is True  # not held in 確認済 by the rule


# --- shipping and partially_shipped ----------------------------------------------------------------------


def shipping_order(*package_statuses: PackageStatus, status: OrderStatus = S.SHIPPING, **fields: Any) -> OrderSnapshot:
    packages = [make_package(shipment_status=ps) for ps in package_statuses]
    return make_order(status=status, allocated=True, packages=packages, **fields)


SHIPPING_CASES = [
    pytest.param(
        shipping_order(P.SHIPPED, P.SHIPPED),
        S.SHIPPED,
        [(S.SHIPPING, S.SHIPPED)],
        "全出荷済: モールへの出荷実績反映を待っています",
        id="all-shipped",
    ),
    pytest.param(
        shipping_order(P.SHIPPED, P.SHIPPED, mall_reports_done=True),
        S.COMPLETED,
        [(S.SHIPPING, S.SHIPPED), (S.SHIPPED, S.COMPLETED)],
        "完了: モールへ出荷実績を反映しました",
        id="all-shipped-and-reported",
    ),
    pytest.param(
        shipping_order(P.SHIPPED, P.ACCEPTED),
        S.PARTIALLY_SHIPPED,
        [(S.SHIPPING, S.PARTIALLY_SHIPPED)],
        "一部出荷済: 1/2 送付先が出荷済、残りの出荷を待っています",
        id="some-shipped",
    ),
    pytest.param(
        shipping_order(P.SHIPPED, P.ACCEPTED, status=S.PARTIALLY_SHIPPED),
        S.PARTIALLY_SHIPPED,
        [],
        "一部出荷済: 1/2 送付先が出荷済、残りの出荷を待っています",
        id="partially-shipped-still-waiting",
    ),
    pytest.param(
        shipping_order(P.SHIPPED, P.SHIPPED, status=S.PARTIALLY_SHIPPED),
        S.SHIPPED,
        [(S.PARTIALLY_SHIPPED, S.SHIPPED)],
        "全出荷済: モールへの出荷実績反映を待っています",
        id="partially-shipped-rest-shipped",
    ),
    pytest.param(
        shipping_order(P.ACCEPTED, P.UNSHIPPABLE),
        S.AWAITING_CHECK,
        [(S.SHIPPING, S.AWAITING_CHECK)],
        "確認待: 倉庫が出荷不可を報告しました。キャンセルするか再依頼してください",
        id="unshippable",
    ),
    pytest.param(
        shipping_order(P.SHIPPED, P.UNSHIPPABLE, status=S.PARTIALLY_SHIPPED),
        S.AWAITING_CHECK,
        [(S.PARTIALLY_SHIPPED, S.AWAITING_CHECK)],
        "確認待: 倉庫が出荷不可を報告しました。キャンセルするか再依頼してください",
        id="partially-shipped-unshippable",
    ),
    pytest.param(
        shipping_order(P.WITHDRAWN, P.WITHDRAWN),
        S.CANCELLED,
        [(S.SHIPPING, S.CANCELLED)],
        "キャンセル: 出荷取下げが確定しました",
        id="all-withdrawn",
    ),
    pytest.param(
        shipping_order(P.WITHDRAWN, P.WITHDRAWAL_REQUESTED),
        S.SHIPPING,
        [],
        "出荷作業中: 出荷取下げの結果を待っています",
        id="withdrawal-pending",
    ),
    pytest.param(
        shipping_order(P.ACCEPTED, P.ACCEPTED),
        S.SHIPPING,
        [],
        "出荷作業中: 倉庫で出荷作業中です。出荷実績を待っています",
        id="nothing-shipped-yet",
    ),
    pytest.param(
        shipping_order(P.ACCEPTED, P.REQUESTED),
        S.SHIPPING,
        [],
        "出荷作業中: 一部の送付先を倉庫で出荷作業中です。残りの送付先: 出荷依頼を送信します",
        id="a-split-part-not-yet-at-its-warehouse",
    ),
]


@pytest.mark.parametrize(("order", "status", "moves", "explanation"), SHIPPING_CASES)
def test_shipping_follows_package_statuses(
    order: OrderSnapshot, status: OrderStatus, moves: list[tuple[OrderStatus, OrderStatus]], explanation: str
) -> None:
    decision = decide(order, make_ctx())
    assert decision.status is status
    assert statuses(decision) == moves
    assert decision.explanation == explanation
    assert_legal_chain(order, decision)


def test_all_withdrawn_in_partially_shipped_does_not_cancel_or_raise() -> None:
    # partially_shipped -> cancelled is not in TRANSITIONS; decide used to raise IllegalTransition here.
    order = shipping_order(P.WITHDRAWN, P.WITHDRAWN, status=S.PARTIALLY_SHIPPED)
    decision = decide(order, make_ctx())
    assert decision.status is S.PARTIALLY_SHIPPED
    assert decision.transitions == ()
    assert decision.release_allocation is False


def test_all_withdrawn_releases_the_allocation() -> None:
    decision = decide(shipping_order(P.WITHDRAWN), make_ctx())
    assert decision.release_allocation is True


def test_shipping_does_not_rerun_checks_or_rules() -> None:
    order = make_order(
        status=S.SHIPPING,
        remarks="至急",
        packages=[make_package(lines=[make_line(product_code=None)], shipment_status=P.ACCEPTED)],
    )
    decision = decide(order, make_ctx(rules=(hold_rule(stop_at=S.AWAITING_CHECK),)))
    assert (decision.status, decision.set_tags, decision.transitions) == (S.SHIPPING, {}, ())


WITHDRAW_REASON = "モールでキャンセルされました。出荷取下げを依頼します"
AFTER_SHIPPING_REASON = "モールでキャンセルされました (出荷後)"


def test_mall_cancelled_in_shipping_tags_and_requests_withdrawal() -> None:
    decision = decide(shipping_order(P.ACCEPTED, mall_cancelled=True), make_ctx())
    assert decision.status is S.SHIPPING
    assert decision.set_tags == {"mall_cancelled": (TagSource.SYSTEM, WITHDRAW_REASON)}
    assert decision.effects == (E.WITHDRAWAL,)
    assert decision.transitions == ()


def test_mall_cancelled_in_shipping_with_the_tag_already_there_asks_no_second_withdrawal() -> None:
    tag = Tag("mall_cancelled", TagSource.SYSTEM, WITHDRAW_REASON)
    order = shipping_order(P.WITHDRAWAL_REQUESTED, mall_cancelled=True, tags=(tag,))
    decision = decide(order, make_ctx())
    assert decision.set_tags == {}
    assert decision.effects == ()
    assert decision.changed is False


def test_mall_cancelled_tag_removed_by_an_operator_is_not_attached_again() -> None:
    order = shipping_order(P.ACCEPTED, mall_cancelled=True, removed_tags=frozenset({"mall_cancelled"}))
    decision = decide(order, make_ctx())
    assert (decision.set_tags, decision.effects) == ({}, ())


def test_not_cancelled_at_the_mall_in_shipping_adds_no_tag_and_no_withdrawal() -> None:
    decision = decide(shipping_order(P.ACCEPTED), make_ctx())
    assert (decision.set_tags, decision.effects) == ({}, ())


@pytest.mark.parametrize(
    "order",
    [
        pytest.param(shipping_order(P.SHIPPED, status=S.SHIPPED, mall_cancelled=True), id="shipped"),
        pytest.param(
            shipping_order(P.SHIPPED, P.ACCEPTED, status=S.PARTIALLY_SHIPPED, mall_cancelled=True),
            id="partially_shipped",
        ),
    ],
)
def test_mall_cancelled_after_shipping_only_tags(order: OrderSnapshot) -> None:
    decision = decide(order, make_ctx())
    assert decision.status is order.status
    assert decision.set_tags == {"mall_cancelled": (TagSource.SYSTEM, AFTER_SHIPPING_REASON)}
    assert decision.effects == ()


CHANGED_REASON = "出荷依頼の送信後にモールで注文が変更されました。内容を確認してください"


@pytest.mark.parametrize("status", [S.SHIPPING, S.PARTIALLY_SHIPPED, S.SHIPPED], ids=lambda s: s.value)
def test_mall_changed_after_the_request_tags_mall_changed(status: OrderStatus) -> None:
    package_status = P.SHIPPED if status is S.SHIPPED else P.ACCEPTED
    order = shipping_order(P.SHIPPED, package_status, status=status, mall_changed=True)
    decision = decide(order, make_ctx())
    assert decision.set_tags == {"mall_changed": (TagSource.SYSTEM, CHANGED_REASON)}
    assert decision.effects == ()


def test_mall_changed_tag_already_there_is_not_set_again() -> None:
    tag = Tag("mall_changed", TagSource.SYSTEM, CHANGED_REASON)
    order = shipping_order(P.SHIPPED, status=S.SHIPPED, mall_changed=True, tags=(tag,))
    assert decide(order, make_ctx()).set_tags == {}


def test_mall_not_changed_adds_no_mall_changed_tag() -> None:
    order = shipping_order(P.SHIPPED, status=S.SHIPPED)
    assert "mall_changed" not in decide(order, make_ctx()).set_tags


# --- shipped, completed, cancelled -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reports_done", "tags", "status", "explanation"),
    [
        pytest.param(True, (), S.COMPLETED, "完了: モールへ出荷実績を反映しました", id="reports-done"),
        pytest.param(
            False,
            (Tag("mall_report_error", TagSource.SYSTEM, "出荷実績反映エラー"),),
            S.SHIPPED,
            "全出荷済: モールが出荷実績を受け付けませんでした。修正して再送してください",
            id="mall-report-error",
        ),
        pytest.param(False, (), S.SHIPPED, "全出荷済: モールへの出荷実績反映を待っています", id="reports-pending"),
    ],
)
def test_shipped_completes_when_every_mall_report_succeeded(
    reports_done: bool, tags: tuple[Tag, ...], status: OrderStatus, explanation: str
) -> None:
    order = shipping_order(P.SHIPPED, status=S.SHIPPED, mall_reports_done=reports_done, tags=tags)
    decision = decide(order, make_ctx())
    assert decision.status is status
    assert decision.explanation == explanation
    assert_legal_chain(order, decision)


@pytest.mark.parametrize("status", [S.COMPLETED, S.CANCELLED], ids=lambda s: s.value)
def test_final_statuses_never_change(status: OrderStatus) -> None:
    order = unmapped_order(status=status, mall_cancelled=True, mall_changed=True, mall_reports_done=True)
    decision = decide(order, make_ctx(rules=(hold_rule(stop_at=S.AWAITING_CHECK),)))
    assert decision == Decision(status=status, explanation=f"{status.label_ja}: これ以上の処理はありません")
    assert decision.changed is False


# --- properties ------------------------------------------------------------------------------------------

TAG_POOL = [
    Tag("unmapped_item", TagSource.SYSTEM, UNMAPPED_REASON),
    Tag("shipment_request_error", TagSource.SYSTEM, "E001"),
    Tag("unshippable", TagSource.SYSTEM, "出荷不可"),
    Tag("mall_cancelled", TagSource.SYSTEM, WITHDRAW_REASON),
    Tag("mall_changed", TagSource.SYSTEM, CHANGED_REASON),
    Tag("mall_report_error", TagSource.SYSTEM, "反映エラー"),
    Tag("remote_island", TagSource.SYSTEM, "離島"),
    Tag("hold", TagSource.RULE, RULE_REASON),
    Tag("電話確認", TagSource.OPERATOR, "電話で確認する"),
]
RULE_POOL = [
    hold_rule(),
    hold_rule(stop_at=S.AWAITING_CHECK),
    hold_rule(stop_at=S.CHECKED),
    hold_rule(stop_at=S.AWAITING_SHIPMENT),
    hold_rule(restrict_shipping=True),
]


@st.composite
def snapshots(draw: st.DrawFn) -> OrderSnapshot:
    package_count = draw(st.integers(min_value=0, max_value=3))
    packages = [
        make_package(
            shipment_status=draw(st.sampled_from(list(PackageStatus))),
            island=draw(st.booleans()),
            postal_code=draw(st.sampled_from(["1000001", "9999999", "12"])),
            lines=[
                make_line(
                    product_code=draw(st.sampled_from(["SKU-1", None])),
                    quantity=draw(st.integers(min_value=1, max_value=12)),
                )
            ],
        )
        for _ in range(package_count)
    ]
    tags = draw(st.lists(st.sampled_from(TAG_POOL), unique_by=lambda t: t.code, max_size=4))
    return make_order(
        status=draw(st.sampled_from(list(OrderStatus))),
        packages=packages,
        payment_method=draw(st.sampled_from([PAYMENT_METHOD, BANK, COD, DEFERRED, "謎の決済"])),
        payment_state=draw(st.sampled_from(list(PaymentState))),
        order_type=draw(st.sampled_from(list(OrderType))),
        remarks=draw(st.sampled_from(["", "至急"])),
        mall_cancelled=draw(st.booleans()),
        mall_changed=draw(st.booleans()),
        mall_confirmed=draw(st.booleans()),
        allocated=draw(st.booleans()),
        thanks_mail_queued=draw(st.booleans()),
        mall_reports_done=draw(st.booleans()),
        tags=tuple(tags),
        removed_tags=frozenset(draw(st.sets(st.sampled_from(["unmapped_item", "hold", "mall_cancelled"])))),
    )


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    order=snapshots(),
    minutes=st.integers(min_value=0, max_value=60),
    rules=st.lists(st.sampled_from(RULE_POOL), max_size=2),
    allocated_now=st.booleans(),
)
@example(order=shipping_order(P.WITHDRAWN, status=S.PARTIALLY_SHIPPED), minutes=60, rules=[], allocated_now=False).via(
    "regression: partially_shipped with every package withdrawn"
)
def test_decide_never_raises_and_every_transition_is_legal_and_chains(
    order: OrderSnapshot, minutes: int, rules: list[Rule], allocated_now: bool
) -> None:
    ctx = make_ctx(now=ORDERED_AT + timedelta(minutes=minutes), grace_period=GRACE, rules=tuple(rules))
    decision = decide(order, ctx)
    assert_legal_chain(order, decision)
    if decision.transitions:
        assert decision.transitions[0].source == order.status
    else:
        assert decision.status == order.status
    assert not (decision.set_tags.keys() & order.removed_tags)
    if decision.needs_allocation:
        assert decision.status is S.CHECKED
        finished = after_allocation(decision, order, allocated_now, "引当待ち")
        assert_legal_chain(order, finished)
        assert finished.status is (S.AWAITING_SHIPMENT if allocated_now else S.CHECKED)


def test_an_order_whose_packages_the_warehouse_all_accepted_is_shipping_even_if_one_already_shipped() -> None:
    # given the second package's request was accepted only after the first package had shipped
    order = make_order(
        status=OrderStatus.AWAITING_SHIPMENT,
        allocated=True,
        packages=(
            make_package(id=1, shipment_status=PackageStatus.SHIPPED),
            make_package(id=2, shipment_status=PackageStatus.ACCEPTED),
        ),
    )
    decision = decide(order, make_ctx())
    assert [(t.source, t.target) for t in decision.transitions] == [
        (OrderStatus.AWAITING_SHIPMENT, OrderStatus.SHIPPING),
        (OrderStatus.SHIPPING, OrderStatus.PARTIALLY_SHIPPED),
    ]


def test_one_package_at_a_warehouse_makes_the_order_shipping_once_every_other_has_its_request() -> None:
    # 分割出荷 (decision 0010): one part at RSL, the other's request waiting for the own warehouse's batch.
    at_one = make_order(
        status=OrderStatus.AWAITING_SHIPMENT,
        allocated=True,
        packages=(
            make_package(id=1, shipment_status=PackageStatus.ACCEPTED),
            make_package(id=2, shipment_status=PackageStatus.REQUESTED),
        ),
    )
    decision = decide(at_one, make_ctx())
    assert decision.status is OrderStatus.SHIPPING
    assert [t.reason for t in decision.transitions] == ["倉庫が出荷依頼を受け付けました (送付先 1/2)"]
    assert decision.request_packages == ()


def test_an_order_with_a_package_without_its_request_stays_awaiting_shipment() -> None:
    order = make_order(
        status=OrderStatus.AWAITING_SHIPMENT,
        allocated=True,
        packages=(
            make_package(id=1, shipment_status=PackageStatus.ACCEPTED),
            make_package(id=2, shipment_status=PackageStatus.PENDING),
        ),
    )
    decision = decide(order, make_ctx())
    assert decision.status is OrderStatus.AWAITING_SHIPMENT
    assert decision.transitions == ()


def test_a_mall_cancel_at_awaiting_check_withdraws_a_part_a_warehouse_holds() -> None:
    # 分割出荷: one part refused (確認待), the other at its warehouse; the mall cancels the order.
    order = make_order(
        status=OrderStatus.AWAITING_CHECK,
        allocated=True,
        mall_cancelled=True,
        packages=(
            make_package(id=1, shipment_status=PackageStatus.PENDING),
            make_package(id=2, shipment_status=PackageStatus.ACCEPTED),
        ),
    )
    decision = decide(order, make_ctx())
    assert decision.status is OrderStatus.CANCELLED
    assert decision.effects == (EffectKind.WITHDRAWAL,)
    assert decision.release_allocation


def test_a_mall_cancel_at_awaiting_check_after_a_part_shipped_only_tags_the_order() -> None:
    order = make_order(
        status=OrderStatus.AWAITING_CHECK,
        allocated=True,
        mall_cancelled=True,
        packages=(
            make_package(id=1, shipment_status=PackageStatus.PENDING),
            make_package(id=2, shipment_status=PackageStatus.SHIPPED),
        ),
    )
    decision = decide(order, make_ctx())
    assert decision.status is OrderStatus.AWAITING_CHECK
    assert "mall_cancelled" in decision.set_tags
    assert not decision.release_allocation and decision.request_packages == ()
    assert "残りの送付先は出荷しません" in decision.explanation
