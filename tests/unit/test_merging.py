"""同梱 (order merging): the pure rules — who may merge, the primary, readiness, the combined request."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from factories import ORDERED_AT, make_order, make_policy

from juchu.domain.checks import CheckContext, PostalEntry
from juchu.domain.merging import (
    MergeFacts,
    MergeRefused,
    candidates,
    check_unmerge,
    combine_lines,
    merge_key,
    merge_wait,
    plan_merge,
    request_note,
    snapshot_key,
    why_not_mergeable,
)
from juchu.domain.model import Address, MergePartner, PaymentKind
from juchu.domain.pipeline import PipelineContext, after_allocation, decide
from juchu.domain.status import OrderStatus

S = OrderStatus
T0 = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
HOME = Address("100-0001", "東京都", "千代田区", "千代田1-1")


def facts(number: str = "700-1", **overrides: Any) -> MergeFacts:
    """An order of shop 1, buyer 佐藤 花子, to 千代田区 by 宅配便, waiting at 確認済."""
    values: dict[str, Any] = {
        "order_id": int(number.split("-")[1]),
        "mall_order_number": number,
        "shop_id": 1,
        "warehouse_id": 1,
        "ordered_at": T0,
        "status": S.CHECKED,
        "buyer_name": "佐藤 花子",
        "phone": "03-1234-5678",
        "email": "hanako@example.jp",
        "recipient_name": "佐藤 花子",
        "address": HOME,
        "delivery_method": "宅配便",
    }
    values.update(overrides)
    return MergeFacts(**values)


# --- who may merge with whom -----------------------------------------------------------------------------


def test_same_buyer_destination_and_method_may_merge() -> None:
    assert why_not_mergeable(facts("700-1"), facts("700-2")) is None


def test_full_width_and_spacing_differences_do_not_matter() -> None:
    other = facts(
        "700-2", buyer_name="佐藤　花子", address=Address("１００－０００１", "東京都", "千代田区", "千代田１－１")
    )
    assert why_not_mergeable(facts("700-1"), other) is None


def test_the_same_email_is_enough_when_the_phone_differs() -> None:
    assert why_not_mergeable(facts("700-1"), facts("700-2", phone="090-0000-0000")) is None


def test_the_same_phone_is_enough_when_the_email_differs() -> None:
    assert why_not_mergeable(facts("700-1"), facts("700-2", email="other@example.jp")) is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"shop_id": 2}, "注文 700-1 と 700-2 はショップが違います"),
        ({"warehouse_id": 2}, "注文 700-1 と 700-2 は出荷倉庫が違います"),
        ({"buyer_name": "佐藤 太郎"}, "注文 700-1 と 700-2 は注文者 (氏名と電話番号またはメールアドレス) が違います"),
        (
            {"phone": "090-0000-0000", "email": "other@example.jp"},
            "注文 700-1 と 700-2 は注文者 (氏名と電話番号またはメールアドレス) が違います",
        ),
        ({"recipient_name": "佐藤 一郎"}, "注文 700-1 と 700-2 は送付先の氏名が違います"),
        ({"address": replace(HOME, postal_code="1500001")}, "注文 700-1 と 700-2 は送付先の住所が違います"),
        ({"address": replace(HOME, address1="千代田1-2")}, "注文 700-1 と 700-2 は送付先の住所が違います"),
        ({"delivery_method": "メール便"}, "注文 700-1 と 700-2 は配送方法が違います"),
        ({"cod": True}, "注文 700-1 と 700-2 は代金引換とそれ以外の決済が混在しています"),
        ({"status": S.SHIPPING}, "注文 700-2 は出荷依頼を送信済みです (出荷作業中)"),
        ({"status": S.AWAITING_SHIPMENT, "request_out": True}, "注文 700-2 は出荷依頼を送信済みです (出荷待ち)"),
        ({"cancelled": True}, "注文 700-2 はキャンセルされています"),
        ({"status": S.CANCELLED}, "注文 700-2 はキャンセルされています"),
        ({"packages": 2}, "注文 700-2 は送付先が複数あるため同梱できません"),
    ],
)
def test_orders_that_differ_cannot_merge_and_the_reason_says_how(changes: dict[str, Any], reason: str) -> None:
    assert why_not_mergeable(facts("700-1"), facts("700-2", **changes)) == reason


def test_candidates_leave_out_the_order_itself_its_own_merge_group_and_the_unmergeable() -> None:
    me = facts("700-1", group=10)
    others = [me, facts("700-2", group=10), facts("700-3"), facts("700-4", shop_id=2), facts("700-5")]
    assert candidates(me, others) == ("700-3", "700-5")


def test_merge_key_ignores_phone_and_email_but_not_the_destination() -> None:
    key = merge_key("佐藤 花子", "佐藤 花子", HOME, "宅配便")
    assert key == merge_key("佐藤　花子", "佐藤花子", replace(HOME, postal_code="1000001"), "宅配便")
    assert key != merge_key("佐藤 花子", "佐藤 花子", replace(HOME, address2="101号"), "宅配便")
    assert key != merge_key("佐藤 花子", "佐藤 花子", HOME, "メール便")


def test_an_order_with_several_packages_has_no_merge_key() -> None:
    order = make_order()
    assert snapshot_key(order) != ""
    assert snapshot_key(replace(order, packages=order.packages * 2)) == ""


# --- planning a merge ------------------------------------------------------------------------------------


def test_the_oldest_order_is_the_primary() -> None:
    plan = plan_merge([facts("700-2", ordered_at=T0 + timedelta(hours=1)), facts("700-1"), facts("700-3")])
    assert plan.primary.mall_order_number == "700-1"
    assert [o.mall_order_number for o in plan.secondaries] == ["700-3", "700-2"]
    assert plan.numbers == ("700-1", "700-3", "700-2")


def test_a_merge_needs_two_orders() -> None:
    with pytest.raises(MergeRefused, match="2件以上"):
        plan_merge([facts("700-1"), facts("700-1")])


def test_a_merge_of_orders_already_merged_together_is_refused() -> None:
    with pytest.raises(MergeRefused, match="すでに同梱されています"):
        plan_merge([facts("700-1", group=5), facts("700-2", group=5)])


def test_one_unmergeable_order_refuses_the_whole_merge() -> None:
    with pytest.raises(MergeRefused, match="注文 700-1 と 700-3 は配送方法が違います"):
        plan_merge([facts("700-1"), facts("700-2"), facts("700-3", delivery_method="メール便")])


def test_unmerge_is_refused_once_the_request_went_out() -> None:
    check_unmerge([facts("700-1", status=S.AWAITING_SHIPMENT), facts("700-2", status=S.CHECKED)])
    with pytest.raises(MergeRefused) as refused:
        check_unmerge([facts("700-1", status=S.SHIPPING), facts("700-2", status=S.SHIPPING)])
    assert str(refused.value) == "同梱の出荷依頼は送信済みのため解除できません (注文 700-1: 出荷作業中)"
    with pytest.raises(MergeRefused, match="送信済み"):
        check_unmerge([facts("700-1", status=S.AWAITING_SHIPMENT, request_out=True), facts("700-2")])


# --- readiness and the combined request -----------------------------------------------------------------


def partner(number: str, status: OrderStatus, *, restricted: bool = False, primary: bool = False) -> MergePartner:
    return MergePartner(int(number.split("-")[1]), number, status, restricted, primary)


def test_the_primary_waits_for_a_partner_that_is_not_at_awaiting_shipment_and_names_it() -> None:
    order = make_order(merged_with=(partner("700-2", S.CHECKED),), merge_primary=True)
    assert merge_wait(order) == "同梱する注文 700-2 (確認済) の出荷準備を待っています"


def test_the_primary_waits_for_a_restricted_partner() -> None:
    order = make_order(merged_with=(partner("700-2", S.AWAITING_SHIPMENT, restricted=True),), merge_primary=True)
    assert merge_wait(order) == "同梱する注文 700-2 (出荷待ち) の出荷準備を待っています"


def test_the_primary_sends_when_every_partner_is_ready() -> None:
    order = make_order(merged_with=(partner("700-2", S.AWAITING_SHIPMENT),), merge_primary=True)
    assert merge_wait(order) is None


def test_a_riding_order_never_sends_its_own_request() -> None:
    order = make_order(merged_with=(partner("700-1", S.AWAITING_SHIPMENT, primary=True),))
    assert merge_wait(order) == "注文 700-1 に同梱して出荷します (出荷依頼は 700-1 の依頼にまとめます)"


def test_an_unmerged_order_does_not_wait() -> None:
    assert merge_wait(make_order()) is None


def test_combined_lines_sum_quantities_per_sku() -> None:
    lines = [("SKU-B", 1, 500), ("SKU-A", 2, 1200), ("SKU-B", 3, 500)]
    assert combine_lines(lines) == (("SKU-A", 2, 1200), ("SKU-B", 4, 500))


def test_the_request_note_names_every_mall_order_number() -> None:
    assert request_note(["700-1", "700-2"]) == "同梱: 注文番号 700-1、700-2"


# --- the pipeline with merges ---------------------------------------------------------------------------

POSTAL = {"1000001": PostalEntry("1000001", "東京都", "千代田区", "13101")}


def ctx(**policy: Any) -> PipelineContext:
    values: dict[str, Any] = {"payment_methods": {"クレジットカード": PaymentKind.CARD}}
    values.update(policy)
    now = ORDERED_AT + timedelta(hours=1)
    return PipelineContext(checks=CheckContext(now=now, policy=make_policy(**values), postal=POSTAL.get))


def test_a_merge_candidate_is_only_marked_by_default() -> None:
    order = make_order(status=S.CHECKED, allocated=True, merge_candidates=("700-2",))
    decision = decide(order, ctx())
    assert decision.status is S.AWAITING_SHIPMENT
    assert "merge_candidate" in decision.set_tags


def test_a_shop_that_stops_merge_candidates_holds_them_at_awaiting_check() -> None:
    order = make_order(status=S.CHECKED, allocated=True, merge_candidates=("700-2",))
    decision = decide(order, ctx(stop_merge_candidates=True))
    assert decision.status is S.AWAITING_CHECK
    assert decision.explanation == "確認待: 同梱候補: 注文 700-2 と同じ注文者・送付先・配送方法です"


def test_a_waiting_primary_reaching_awaiting_shipment_holds_its_request() -> None:
    order = make_order(status=S.CHECKED, allocated=True, merged_with=(partner("700-2", S.CHECKED),), merge_primary=True)
    decision = decide(order, ctx())
    assert decision.status is S.AWAITING_SHIPMENT
    assert decision.shipping_restricted is True
    assert decision.explanation == "出荷待ち: 同梱する注文 700-2 (確認済) の出荷準備を待っています"


def test_a_primary_allocated_in_the_sweep_holds_its_request_too() -> None:
    order = make_order(status=S.CHECKED, merged_with=(partner("700-2", S.NEW),), merge_primary=True)
    decision = after_allocation(decide(order, ctx()), order, True, "")
    assert decision.shipping_restricted is True
    assert decision.explanation == "出荷待ち: 同梱する注文 700-2 (新規受付) の出荷準備を待っています"


def test_a_riding_order_at_awaiting_shipment_is_not_restricted_so_the_primary_sees_it_ready() -> None:
    order = make_order(
        status=S.AWAITING_SHIPMENT, allocated=True, merged_with=(partner("700-1", S.CHECKED, primary=True),)
    )
    decision = decide(order, ctx())
    assert decision.status is S.AWAITING_SHIPMENT
    assert decision.shipping_restricted is False
    assert decision.explanation == "出荷待ち: 注文 700-1 に同梱して出荷します (出荷依頼は 700-1 の依頼にまとめます)"
