"""同梱 (order merging) through the real pipeline, the fake mall and the fake warehouse."""

from __future__ import annotations

from datetime import timedelta

import pytest

from juchu.domain.errors import DomainError
from juchu.domain.status import OrderStatus, PackageStatus
from juchu.fulfillment.models import RequestState, Shipment, ShipmentRequest
from juchu.orders import actions, merge_actions, merging
from juchu.orders.models import Order, OrderEvent, OrderTag
from juchu.orders.models import Package as PackageRow
from juchu.runtime.models import Lease
from juchu.runtime.sweeps import run_all
from juchu.shops.models import Shop
from tests.integration.conftest import Clock, mall_order

S = OrderStatus
OPERATOR = "operator@example.jp"
BUYER = "佐藤 花子"


def sweep(clock: Clock, **delta: float) -> None:
    run_all(clock.advance(**delta))
    errors = {lease.stage: lease.last_error for lease in Lease.objects.exclude(last_error="")}
    assert not errors, errors


def order(number: str) -> Order:
    return Order.objects.get(mall_order_number=number)


def tags(number: str) -> set[str]:
    return set(OrderTag.objects.filter(order__mall_order_number=number).values_list("code", flat=True))


def place(mall, clock: Clock, number: str, *, paid: bool = False, **kwargs) -> None:
    """The buyer orders; unpaid (銀行振込) by default so the order waits at 確認済 (入金待ち)."""
    payment = "クレジットカード" if paid else "銀行振込"
    mall.put(mall_order(number, clock.now, buyer=BUYER, payment=payment, paid=paid, **kwargs), clock.now)


def two_candidates(world, fakes, clock: Clock, **second) -> None:
    mall, _warehouse = fakes
    place(mall, clock, "700-1", item="item-a", quantity=2)
    clock.advance(minutes=5)
    place(mall, clock, "700-2", item="item-b", quantity=1, **second)
    sweep(clock, minutes=31)  # past the grace period: both checked, waiting for payment
    sweep(clock, seconds=2)  # the first order notices its new partner


def pay_both(fakes, clock: Clock) -> None:
    mall, _warehouse = fakes
    mall.pay("700-1", clock.now)
    mall.pay("700-2", clock.now)
    for _ in range(3):
        sweep(clock, seconds=2)


def test_two_orders_of_the_same_buyer_are_both_tagged_merge_candidates(world, fakes, clock):
    two_candidates(world, fakes, clock)

    assert "merge_candidate" in tags("700-1")
    assert "merge_candidate" in tags("700-2")
    reason = OrderTag.objects.get(order__mall_order_number="700-1", code="merge_candidate").reason
    assert reason == "同梱候補: 注文 700-2 と同じ注文者・送付先・配送方法です"
    assert [o.mall_order_number for o in merging.candidates_of(order("700-1"))] == ["700-2"]
    # Mark only (the default): nothing stops.
    assert order("700-1").status == S.CHECKED.value and order("700-2").status == S.CHECKED.value


def test_merged_orders_ship_in_one_request_and_each_gets_its_own_shipment_report_and_completion(world, fakes, clock):
    mall, warehouse = fakes
    two_candidates(world, fakes, clock)

    primary = merge_actions.merge_orders([order("700-2").pk, order("700-1").pk], OPERATOR, clock.now)
    pay_both(fakes, clock)

    assert primary == "700-1"
    assert tags("700-1") == tags("700-2") == set()
    sent = warehouse.accepted_requests()
    assert len(sent) == 1
    request = sent[0]
    assert request.mall_order_number == "700-1"
    assert [(line.sku, line.quantity) for line in request.lines] == [("SKU-A", 2), ("SKU-B", 1)]
    assert request.note == "同梱: 注文番号 700-1、700-2"
    assert request.goods_amount == 1200 * 3
    assert ShipmentRequest.objects.count() == 1
    assert order("700-1").status == S.SHIPPING.value and order("700-2").status == S.SHIPPING.value

    warehouse.ship(request.request_id)
    for _ in range(4):
        sweep(clock, seconds=2)

    shipments = Shipment.objects.order_by("package__order__mall_order_number")
    assert [s.package.order.mall_order_number for s in shipments] == ["700-1", "700-2"]
    assert shipments[0].parcels.get().tracking_number == shipments[1].parcels.get().tracking_number
    assert shipments[0].carrier_code == shipments[1].carrier_code
    assert shipments[0].shipped_on == shipments[1].shipped_on
    assert len(mall.reports_for("700-1")) == 1 and len(mall.reports_for("700-2")) == 1
    assert mall.reports_for("700-2")[0].tracking_numbers == mall.reports_for("700-1")[0].tracking_numbers
    assert order("700-1").status == S.COMPLETED.value and order("700-2").status == S.COMPLETED.value
    for number, other in (("700-1", "700-2"), ("700-2", "700-1")):
        merged = OrderEvent.objects.get(order__mall_order_number=number, kind="merged")
        assert other in merged.reason and merged.actor == OPERATOR


def test_the_primary_waits_for_its_partner_and_names_it(world, fakes, clock):
    mall, warehouse = fakes
    two_candidates(world, fakes, clock)
    merge_actions.merge_orders([order("700-1").pk, order("700-2").pk], OPERATOR, clock.now)

    mall.pay("700-1", clock.now)
    for _ in range(3):
        sweep(clock, seconds=2)

    assert warehouse.accepted_requests() == []
    first = order("700-1")
    assert first.status == S.AWAITING_SHIPMENT.value
    assert first.explanation == "出荷待ち: 同梱する注文 700-2 (確認済) の出荷準備を待っています"
    assert order("700-2").status == S.CHECKED.value


def test_a_merge_undone_before_the_request_gives_two_separate_requests(world, fakes, clock):
    _mall, warehouse = fakes
    two_candidates(world, fakes, clock)
    merge_actions.merge_orders([order("700-1").pk, order("700-2").pk], OPERATOR, clock.now)

    apart = merge_actions.unmerge(order("700-2").pk, OPERATOR, clock.now)
    pay_both(fakes, clock)

    assert apart == ["700-1", "700-2"]
    assert sorted(r.mall_order_number for r in warehouse.accepted_requests()) == ["700-1", "700-2"]
    assert all(r.note == "" for r in warehouse.accepted_requests())
    assert PackageRow.objects.filter(merged_into__isnull=False).count() == 0
    unmerged = OrderEvent.objects.get(order__mall_order_number="700-1", kind="unmerged")
    assert "700-2" in unmerged.reason


def test_unmerge_is_refused_once_the_request_was_sent(world, fakes, clock):
    two_candidates(world, fakes, clock)
    merge_actions.merge_orders([order("700-1").pk, order("700-2").pk], OPERATOR, clock.now)
    pay_both(fakes, clock)

    with pytest.raises(DomainError) as refused:
        merge_actions.unmerge(order("700-1").pk, OPERATOR, clock.now)

    assert str(refused.value) == "同梱の出荷依頼は送信済みのため解除できません (注文 700-1: 出荷作業中)"
    assert PackageRow.objects.filter(merged_into__isnull=False).count() == 1


@pytest.mark.parametrize(
    ("second", "reason"),
    [
        ({"postal": "1500001", "prefecture": "東京都"}, "注文 700-1 と 700-2 は送付先の住所が違います"),
    ],
)
def test_merge_is_refused_for_different_addresses(world, fakes, clock, second, reason):
    two_candidates(world, fakes, clock, **second)

    with pytest.raises(DomainError) as refused:
        merge_actions.merge_orders([order("700-1").pk, order("700-2").pk], OPERATOR, clock.now)

    assert str(refused.value) == reason
    assert tags("700-1") == tags("700-2") == set()
    assert PackageRow.objects.filter(merged_into__isnull=False).count() == 0
    assert not OrderEvent.objects.filter(kind="merged").exists()


def test_merge_is_refused_across_shops(world, fakes, clock):
    mall, _warehouse = fakes
    other = Shop.objects.create(code="other", name="別店", mall="rakuten", warehouse=world["warehouse"])
    place(mall, clock, "700-1")
    sweep(clock, minutes=31)
    first = order("700-1")
    twin = Order.objects.create(
        shop=other,
        mall_order_number="900-1",
        status=S.CHECKED.value,
        ordered_at=first.ordered_at,
        imported_at=clock.now,
        status_changed_at=clock.now,
        buyer_name=first.buyer_name,
        phone=first.phone,
        warehouse=world["warehouse"],
    )
    package = first.packages.get()
    PackageRow.objects.create(
        order=twin,
        seq=1,
        recipient_name=package.recipient_name,
        postal_code=package.postal_code,
        prefecture=package.prefecture,
        city=package.city,
        address1=package.address1,
        delivery_method=package.delivery_method,
    )

    with pytest.raises(DomainError) as refused:
        merge_actions.merge_orders([first.pk, twin.pk], OPERATOR, clock.now)

    assert str(refused.value) == "注文 700-1 と 900-1 はショップが違います"


def test_merge_is_refused_after_the_request_was_sent(world, fakes, clock):
    mall, _warehouse = fakes
    place(mall, clock, "700-1", paid=True)
    sweep(clock, minutes=31)
    sweep(clock, seconds=2)
    assert order("700-1").status == S.SHIPPING.value
    place(mall, clock, "700-2")
    sweep(clock, minutes=31)

    assert "merge_candidate" not in tags("700-2")
    with pytest.raises(DomainError) as refused:
        merge_actions.merge_orders([order("700-1").pk, order("700-2").pk], OPERATOR, clock.now)
    assert str(refused.value) == "注文 700-1 は出荷依頼を送信済みです (出荷作業中)"


def test_an_order_cancelled_at_the_mall_leaves_the_merge_before_the_request(world, fakes, clock):
    mall, warehouse = fakes
    place(mall, clock, "700-1", item="item-a")
    clock.advance(minutes=1)
    place(mall, clock, "700-2", item="item-b")
    clock.advance(minutes=1)
    place(mall, clock, "700-3", item="item-c")
    sweep(clock, minutes=31)
    sweep(clock, seconds=2)
    merge_actions.merge_orders([order(n).pk for n in ("700-1", "700-2", "700-3")], OPERATOR, clock.now)

    mall.cancel_as_buyer("700-1", clock.now)  # the primary
    sweep(clock, seconds=2)
    mall.pay("700-2", clock.now)
    mall.pay("700-3", clock.now)
    for _ in range(3):
        sweep(clock, seconds=2)

    assert order("700-1").status == S.CANCELLED.value
    assert order("700-1").packages.get().merged_into is None
    sent = warehouse.accepted_requests()
    assert [(r.mall_order_number, r.note) for r in sent] == [("700-2", "同梱: 注文番号 700-2、700-3")]
    assert [line.sku for line in sent[0].lines] == ["SKU-B", "SKU-C"]
    left = OrderEvent.objects.get(order__mall_order_number="700-3", kind="unmerged")
    assert left.reason == "注文 700-1 を同梱から外しました (モールでキャンセルされたため)。残り: 700-2、700-3"


def test_an_operator_cancel_of_one_of_two_merged_orders_undoes_the_merge(world, fakes, clock):
    _mall, warehouse = fakes
    two_candidates(world, fakes, clock)
    merge_actions.merge_orders([order("700-1").pk, order("700-2").pk], OPERATOR, clock.now)

    actions.cancel_order(order("700-1").pk, OPERATOR, clock.now, "購入者の依頼")
    pay_both(fakes, clock)

    assert PackageRow.objects.filter(merged_into__isnull=False).count() == 0
    assert [(r.mall_order_number, r.note) for r in warehouse.accepted_requests()] == [("700-2", "")]


def test_a_shop_that_stops_merge_candidates_holds_them_at_awaiting_check_until_merged(world, fakes, clock):
    _mall, warehouse = fakes
    Shop.objects.filter(pk=world["shop"].pk).update(stop_merge_candidates=True)
    mall = fakes[0]
    place(mall, clock, "700-1", paid=True, item="item-a")
    place(mall, clock, "700-2", paid=True, item="item-b")
    sweep(clock, minutes=31)
    sweep(clock, seconds=2)

    assert order("700-1").status == S.AWAITING_CHECK.value
    assert order("700-2").status == S.AWAITING_CHECK.value
    assert warehouse.accepted_requests() == []

    merge_actions.merge_orders([order("700-1").pk, order("700-2").pk], OPERATOR, clock.now)
    for _ in range(3):
        sweep(clock, seconds=2)

    assert [r.mall_order_number for r in warehouse.accepted_requests()] == ["700-1"]
    assert order("700-2").status == S.SHIPPING.value


def test_the_default_shop_only_marks_candidates_and_ships_them_apart(world, fakes, clock):
    mall, warehouse = fakes
    place(mall, clock, "700-1", paid=True, item="item-a")
    place(mall, clock, "700-2", paid=True, item="item-b")
    sweep(clock, minutes=31)
    sweep(clock, seconds=2)

    assert sorted(r.mall_order_number for r in warehouse.accepted_requests()) == ["700-1", "700-2"]


def test_merged_package_rides_without_a_request_of_its_own(world, fakes, clock):
    two_candidates(world, fakes, clock)
    merge_actions.merge_orders([order("700-1").pk, order("700-2").pk], OPERATOR, clock.now)
    fakes[0].pay("700-2", clock.now)
    for _ in range(2):
        sweep(clock, seconds=2)

    second = order("700-2")
    assert second.status == S.AWAITING_SHIPMENT.value
    assert second.packages.get().shipment_status == PackageStatus.REQUESTED.value
    assert not ShipmentRequest.objects.filter(order=second).exclude(state=RequestState.DROPPED).exists()
    assert second.explanation.startswith("出荷待ち: 注文 700-1 に同梱して出荷します")
    assert second.due_at is None or second.due_at <= clock.now + timedelta(days=1)


def test_a_large_group_names_ten_candidates_and_counts_the_rest_so_its_tags_settle(world, fakes, clock):
    from juchu.domain.checks import MERGE_NAMED

    mall, _warehouse = fakes
    numbers = [f"800-{i:02d}" for i in range(13)]
    for number in numbers:
        place(mall, clock, number)
    sweep(clock, minutes=31)
    for _ in range(4):
        sweep(clock, seconds=2)

    reason = OrderTag.objects.get(order__mall_order_number="800-00", code="merge_candidate").reason
    assert "ほか 2 件" in reason
    assert merging.named_in(reason) == frozenset(numbers[1 : 1 + MERGE_NAMED])
    # and nothing keeps waking the group: one more pass finds no order due
    assert not Order.objects.filter(due_at__lte=clock.advance(seconds=1), status=S.CHECKED.value).exists()
