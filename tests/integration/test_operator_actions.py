"""Operator actions and outside surprises, one order (or a few) at a time.

Each test drives the fakes and a hand-moved clock; it never sleeps. Each sweep pass is ``run_all(now)``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from juchu.catalog.models import Allocation, Product, Stock
from juchu.catalog.services import map_item, set_stock
from juchu.domain.status import OrderStatus
from juchu.fulfillment.models import RequestState, ShipmentRequest
from juchu.orders import actions
from juchu.orders.actions import ActionRefused
from juchu.orders.models import Effect, Order, OrderEvent, OrderLine, OrderTag
from juchu.orders.models import Package as PackageRow
from juchu.runtime.models import Lease
from juchu.runtime.sweeps import run_all, run_stage
from tests.integration.conftest import Clock, mall_order

S = OrderStatus
OPERATOR = "operator@example.jp"

# -- helpers -----------------------------------------------------------------------------------------------


def sweep(clock: Clock, **delta: float) -> None:
    """One pass of every sweep after moving the clock; a sweep that failed fails the test."""
    run_all(clock.advance(**delta))
    errors = {lease.stage: lease.last_error for lease in Lease.objects.exclude(last_error="")}
    assert not errors, errors


def order_of(number: str) -> Order:
    return Order.objects.get(mall_order_number=number)


def status_of(number: str) -> str:
    return order_of(number).status


def tags_of(number: str) -> set[str]:
    return set(OrderTag.objects.filter(order=order_of(number)).values_list("code", flat=True))


def request_ids(warehouse, number: str) -> list[str]:
    return [r.request_id for r in warehouse.accepted_requests() if r.mall_order_number == number]


def transitions(number: str) -> list[str]:
    """The statuses the order went through, from its transition events in order."""
    events = OrderEvent.objects.filter(order=order_of(number), kind="transition").order_by("at", "id")
    return [S.NEW.value, *(e.to_status for e in events)]


def place(mall, clock: Clock, number: str, **fields) -> None:
    """A buyer places an order; it is imported and waits out the grace period."""
    mall.put(mall_order(number, clock.now, **fields), clock.now)
    sweep(clock, seconds=1)
    assert status_of(number) == S.NEW.value


def after_grace(clock: Clock) -> None:
    """The 30-minute buyer-cancel grace period ends: the orders are decided."""
    sweep(clock, minutes=31)


def ship_all(warehouse, clock: Clock, number: str) -> None:
    """The warehouse ships every request of the order; the OMS collects, reports and completes it."""
    for request_id in request_ids(warehouse, number):
        warehouse.ship(request_id)
    sweep(clock, seconds=5)
    sweep(clock, seconds=5)


def awaiting_shipment(mall, clock: Clock, number: str, **fields) -> Order:
    """An order decided but not yet sent to the warehouse (出荷待ち): submit has not run."""
    place(mall, clock, number, **fields)
    clock.advance(minutes=31)
    run_stage("mall_sync", clock.now)
    run_stage("advance", clock.now)
    order = order_of(number)
    assert order.status == S.AWAITING_SHIPMENT.value, order.explanation
    return order


def allocated(code: str) -> int:
    return Stock.objects.get(product__code=code).allocated


# -- confirm_by_hand ---------------------------------------------------------------------------------------


def test_confirm_by_hand_needs_a_reason(world, fakes, clock) -> None:
    mall, _ = fakes
    # given an order stopped for an unusual quantity
    place(mall, clock, "900-1", quantity=11)
    after_grace(clock)
    assert status_of("900-1") == S.AWAITING_CHECK.value
    version = order_of("900-1").version

    # when an operator confirms it without a reason, then it is refused and nothing changes
    with pytest.raises(ActionRefused, match="理由"):
        actions.confirm_by_hand(order_of("900-1").pk, OPERATOR, clock.now, "  ")
    order = order_of("900-1")
    assert (order.status, order.version) == (S.AWAITING_CHECK.value, version)
    assert "quantity_anomaly" in tags_of("900-1")


def test_confirm_by_hand_is_refused_while_an_item_is_unmapped(world, fakes, clock) -> None:
    mall, _ = fakes
    # given an order stopped because its item is not mapped to a SKU
    place(mall, clock, "900-2", item="item-unknown")
    after_grace(clock)
    assert status_of("900-2") == S.AWAITING_CHECK.value
    assert "unmapped_item" in tags_of("900-2")

    # when an operator confirms it by hand, then it is refused: the order cannot ship without a SKU
    with pytest.raises(ActionRefused, match="商品未マッピング"):
        actions.confirm_by_hand(order_of("900-2").pk, OPERATOR, clock.now, "確認しました")
    sweep(clock, seconds=5)
    assert status_of("900-2") == S.AWAITING_CHECK.value
    assert "unmapped_item" in tags_of("900-2")
    assert not OrderEvent.objects.filter(order=order_of("900-2"), kind="confirmed_by_hand").exists()


def test_confirm_by_hand_overrides_stopping_tags_and_the_order_ships(world, fakes, clock) -> None:
    mall, warehouse = fakes
    # given a large order and two identical orders (suspected duplicates), all stopped in 確認待
    place(mall, clock, "900-3", quantity=11)
    mall.put(mall_order("900-4", clock.now, buyer="鈴木 一郎"), clock.now)
    mall.put(mall_order("900-5", clock.now, buyer="鈴木 一郎"), clock.now)
    sweep(clock, seconds=1)
    after_grace(clock)
    assert "quantity_anomaly" in tags_of("900-3")
    assert "duplicate_suspected" in tags_of("900-4")
    assert "duplicate_suspected" in tags_of("900-5")
    for number in ("900-3", "900-4", "900-5"):
        assert status_of(number) == S.AWAITING_CHECK.value

    # when an operator confirms them by hand with a reason
    actions.confirm_by_hand(order_of("900-3").pk, OPERATOR, clock.now, "業務用の大口注文")
    actions.confirm_by_hand(order_of("900-4").pk, OPERATOR, clock.now, "お客様に確認済み: 2件とも必要")
    actions.confirm_by_hand(order_of("900-5").pk, OPERATOR, clock.now, "お客様に確認済み: 2件とも必要")

    # then each goes on to the warehouse, and the overridden tag is gone for good
    sweep(clock, seconds=5)
    for number in ("900-3", "900-4", "900-5"):
        assert status_of(number) == S.SHIPPING.value, order_of(number).explanation
    sweep(clock, minutes=10)
    assert not tags_of("900-3") & {"quantity_anomaly"}
    assert not (tags_of("900-4") | tags_of("900-5")) & {"duplicate_suspected"}

    # ... the timeline says who confirmed, why, and what was overridden
    event = OrderEvent.objects.get(order=order_of("900-3"), kind="confirmed_by_hand")
    assert (event.actor, event.reason) == (OPERATOR, "業務用の大口注文")
    assert event.detail == {"overridden": ["quantity_anomaly"]}
    event = OrderEvent.objects.get(order=order_of("900-4"), kind="confirmed_by_hand")
    assert event.detail == {"overridden": ["duplicate_suspected"]}

    # ... and they complete once shipped, never re-tagged on the way
    for number in ("900-3", "900-4", "900-5"):
        ship_all(warehouse, clock, number)
        assert status_of(number) == S.COMPLETED.value, order_of(number).explanation
        assert warehouse.accepted_count[number] == 1
    readded = OrderEvent.objects.filter(
        order__mall_order_number__in=["900-3", "900-4", "900-5"],
        kind="tag_added",
        at__gt=OrderEvent.objects.filter(kind="confirmed_by_hand").order_by("at").first().at,
    )
    assert not readded.filter(detail__tag__in=["quantity_anomaly", "duplicate_suspected"]).exists()


# -- edit_package --------------------------------------------------------------------------------------------


def test_fixing_the_address_clears_address_invalid_and_the_order_goes_on(world, fakes, clock) -> None:
    mall, warehouse = fakes
    # given an order whose prefecture does not match its postal code
    place(mall, clock, "901-1", prefecture="大阪府")
    after_grace(clock)
    assert status_of("901-1") == S.AWAITING_CHECK.value
    assert "address_invalid" in tags_of("901-1")

    # when an operator fixes the prefecture
    package = PackageRow.objects.get(order=order_of("901-1"))
    actions.edit_package(order_of("901-1").pk, package.pk, {"prefecture": "東京都"}, OPERATOR, clock.now)

    # then after the next pass the tag is gone and the order is with the warehouse, with the fixed address
    sweep(clock, seconds=5)
    assert "address_invalid" not in tags_of("901-1")
    assert status_of("901-1") == S.SHIPPING.value, order_of("901-1").explanation
    [sent] = [r for r in warehouse.accepted_requests() if r.mall_order_number == "901-1"]
    assert sent.address.prefecture == "東京都"
    edited = OrderEvent.objects.get(order=order_of("901-1"), kind="edited")
    assert edited.actor == OPERATOR
    assert edited.detail == {"changes": {"prefecture": ["大阪府", "東京都"]}}


def test_editing_an_order_awaiting_shipment_replaces_its_unsent_request(world, fakes, clock) -> None:
    mall, warehouse = fakes
    # given an order in 出荷待ち: allocated, with a request that has not been sent yet
    order = awaiting_shipment(mall, clock, "901-2", quantity=2)
    [first] = ShipmentRequest.objects.filter(order=order)
    assert first.state == RequestState.PENDING
    assert allocated("SKU-A") == 2

    # when an operator changes the recipient
    package = PackageRow.objects.get(order=order)
    actions.edit_package(order.pk, package.pk, {"recipient_name": "山田 花子"}, OPERATOR, clock.now)

    # then the unsent request is dropped, the allocation released and the order decided again with a new request
    first.refresh_from_db()
    assert first.state == RequestState.DROPPED
    kinds = list(OrderEvent.objects.filter(order=order).values_list("kind", flat=True))
    assert "request_dropped" in kinds and "allocation_released" in kinds
    order = order_of("901-2")
    assert order.status == S.AWAITING_SHIPMENT.value, order.explanation
    [second] = ShipmentRequest.objects.filter(order=order, state=RequestState.PENDING)
    assert second.request_id != first.request_id
    assert allocated("SKU-A") == 2  # allocated again, once

    # ... and only the new request reaches the warehouse, with the new name
    sweep(clock, seconds=5)
    assert status_of("901-2") == S.SHIPPING.value
    [sent] = [r for r in warehouse.accepted_requests() if r.mall_order_number == "901-2"]
    assert (sent.request_id, sent.recipient_name) == (second.request_id, "山田 花子")
    assert warehouse.accepted_count["901-2"] == 1


def test_editing_is_refused_in_shipping_and_for_unknown_fields(world, fakes, clock) -> None:
    mall, _ = fakes
    # given an order the warehouse is working on
    place(mall, clock, "901-3")
    after_grace(clock)
    order = order_of("901-3")
    assert order.status == S.SHIPPING.value
    package = PackageRow.objects.get(order=order)

    # when an operator edits its address, then it is refused with a clear message and nothing changes
    with pytest.raises(ActionRefused, match="出荷作業中 の注文は編集できません"):
        actions.edit_package(order.pk, package.pk, {"city": "港区"}, OPERATOR, clock.now)
    package.refresh_from_db()
    assert package.city == "千代田区"

    # when an operator edits a field that cannot be edited, then it is refused whatever the status
    with pytest.raises(ActionRefused, match="変更できない項目です: mall_package_id"):
        actions.edit_package(order.pk, package.pk, {"mall_package_id": "x"}, OPERATOR, clock.now)
    after = order_of("901-3")
    assert (after.status, after.version) == (order.status, order.version)
    assert not OrderEvent.objects.filter(order=order, kind="edited").exists()


# -- edit_line_quantity --------------------------------------------------------------------------------------


def test_editing_a_line_quantity_redoes_the_allocation(world, fakes, clock) -> None:
    mall, warehouse = fakes
    # given an order of 2 in 出荷待ち, allocated
    order = awaiting_shipment(mall, clock, "902-1", quantity=2)
    line = OrderLine.objects.get(order=order)
    assert allocated("SKU-A") == 2

    # when an operator changes the quantity to 5
    actions.edit_line_quantity(order.pk, line.pk, 5, OPERATOR, clock.now)

    # then the stock holds 5 for it (not 2 + 5) and the new request carries 5
    assert allocated("SKU-A") == 5
    assert list(Allocation.objects.filter(order=order).values_list("quantity", flat=True)) == [5]
    sweep(clock, seconds=5)
    [sent] = [r for r in warehouse.accepted_requests() if r.mall_order_number == "902-1"]
    assert [(x.sku, x.quantity) for x in sent.lines] == [("SKU-A", 5)]

    # ... and once shipped, nothing stays allocated and on hand fell by 5
    ship_all(warehouse, clock, "902-1")
    assert status_of("902-1") == S.COMPLETED.value
    stock = Stock.objects.get(product__code="SKU-A")
    assert (stock.allocated, stock.on_hand) == (0, 100_000 - 5)


def test_a_line_quantity_of_zero_is_refused(world, fakes, clock) -> None:
    mall, _ = fakes
    order = awaiting_shipment(mall, clock, "902-2", quantity=2)
    line = OrderLine.objects.get(order=order)

    with pytest.raises(ActionRefused, match="1以上"):
        actions.edit_line_quantity(order.pk, line.pk, 0, OPERATOR, clock.now)

    line.refresh_from_db()
    assert line.quantity == 2
    assert allocated("SKU-A") == 2
    assert status_of("902-2") == S.AWAITING_SHIPMENT.value


# -- catalogue changes: map_item, set_stock ----------------------------------------------------------------


def test_mapping_an_item_moves_the_stopped_order_on_within_the_next_pass(world, fakes, clock) -> None:
    mall, _ = fakes
    # given an order stopped because its item is unknown
    place(mall, clock, "903-1", item="item-new")
    after_grace(clock)
    assert status_of("903-1") == S.AWAITING_CHECK.value
    assert "unmapped_item" in tags_of("903-1")

    # when the item is mapped to a SKU
    product = Product.objects.create(code="SKU-NEW", name="新商品")
    Stock.objects.create(warehouse=world["warehouse"], product=product, on_hand=10)
    woken = map_item(world["shop"].pk, "item-new", "", product, clock.now)

    # then the next pass sends it to the warehouse
    assert woken == 1
    sweep(clock, seconds=1)
    assert status_of("903-1") == S.SHIPPING.value, order_of("903-1").explanation
    assert "unmapped_item" not in tags_of("903-1")
    assert OrderLine.objects.get(order=order_of("903-1")).product == product


def test_a_stock_arrival_wakes_orders_waiting_for_it(world, fakes, clock) -> None:
    mall, _ = fakes
    warehouse_id, scarce = world["warehouse"].pk, world["scarce"]
    # given an order waiting for stock that is not there (引当待ち)
    place(mall, clock, "904-1", item="item-rare", quantity=3)
    after_grace(clock)
    order = order_of("904-1")
    assert order.status == S.CHECKED.value and "引当待ち" in order.explanation, order.explanation

    # when the stock is counted again without growing, then nothing is woken
    assert set_stock(warehouse_id, scarce, 0, clock.now) == 0
    # when a negative count is entered, then it is refused with a message
    with pytest.raises(ValueError, match="0以上"):
        set_stock(warehouse_id, scarce, -1, clock.now)
    assert Stock.objects.get(product=scarce).on_hand == 0

    # when too little arrives, the order is woken but still waits
    assert set_stock(warehouse_id, scarce, 2, clock.now) == 1
    sweep(clock, seconds=1)
    order = order_of("904-1")
    assert order.status == S.CHECKED.value and "引当待ち" in order.explanation, order.explanation

    # when enough arrives, the order is woken and goes to the warehouse within the next pass
    assert set_stock(warehouse_id, scarce, 5, clock.now) == 1
    assert order_of("904-1").due_at == clock.now
    sweep(clock, seconds=1)
    assert status_of("904-1") == S.SHIPPING.value, order_of("904-1").explanation
    assert Stock.objects.get(product=scarce).allocated == 3

    # when the count later goes down, nobody is woken
    assert set_stock(warehouse_id, scarce, 4, clock.now) == 0


# -- hold and release_tag ----------------------------------------------------------------------------------


def test_hold_and_release_a_checked_order(world, fakes, clock) -> None:
    mall, _ = fakes
    # given an order waiting for payment (確認済)
    place(mall, clock, "905-1", payment="銀行振込", paid=False)
    after_grace(clock)
    assert status_of("905-1") == S.CHECKED.value

    # when an operator holds it, then it goes back to 確認待 with the operator's tag
    actions.hold(order_of("905-1").pk, "hold_by_operator", "住所を電話で確認", OPERATOR, clock.now)
    assert status_of("905-1") == S.AWAITING_CHECK.value
    tag = OrderTag.objects.get(order=order_of("905-1"), code="hold_by_operator")
    assert (tag.source, tag.reason) == ("operator", "住所を電話で確認")
    assert "住所を電話で確認" in order_of("905-1").explanation

    # ... and stays there even once paid
    mall.pay("905-1", clock.now)
    sweep(clock, minutes=5)
    sweep(clock, seconds=5)
    assert status_of("905-1") == S.AWAITING_CHECK.value

    # when the operator releases the tag, then it moves on to the warehouse
    actions.release_tag(order_of("905-1").pk, "hold_by_operator", OPERATOR, clock.now)
    assert "hold_by_operator" not in tags_of("905-1")
    sweep(clock, seconds=5)
    assert status_of("905-1") == S.SHIPPING.value, order_of("905-1").explanation
    removed = OrderEvent.objects.get(order=order_of("905-1"), kind="tag_removed")
    assert removed.actor == OPERATOR


def test_unmapped_item_cannot_be_released_by_hand(world, fakes, clock) -> None:
    mall, _ = fakes
    place(mall, clock, "905-2", item="item-unknown")
    after_grace(clock)
    assert "unmapped_item" in tags_of("905-2")

    with pytest.raises(ActionRefused, match="自動で外れます"):
        actions.release_tag(order_of("905-2").pk, "unmapped_item", OPERATOR, clock.now)

    assert "unmapped_item" in tags_of("905-2")
    assert status_of("905-2") == S.AWAITING_CHECK.value


def test_releasing_a_tag_the_order_does_not_have_is_refused(world, fakes, clock) -> None:
    mall, _ = fakes
    place(mall, clock, "905-3")

    with pytest.raises(ActionRefused, match="付いていません"):
        actions.release_tag(order_of("905-3").pk, "hold_by_operator", OPERATOR, clock.now)


# -- cancel_order ------------------------------------------------------------------------------------------


def test_a_completed_order_cannot_be_cancelled(world, fakes, clock) -> None:
    mall, warehouse = fakes
    # given a completed order
    place(mall, clock, "906-1")
    after_grace(clock)
    ship_all(warehouse, clock, "906-1")
    order = order_of("906-1")
    assert order.status == S.COMPLETED.value
    events, effects = OrderEvent.objects.filter(order=order).count(), Effect.objects.filter(order=order).count()

    # when an operator cancels it, then it is refused and nothing changes
    with pytest.raises(ActionRefused, match="完了 の注文はキャンセルできません"):
        actions.cancel_order(order.pk, OPERATOR, clock.now, "お客様都合", cancel_at_mall=True)
    after = order_of("906-1")
    assert (after.status, after.version) == (S.COMPLETED.value, order.version)
    assert OrderEvent.objects.filter(order=order).count() == events
    assert Effect.objects.filter(order=order).count() == effects
    sweep(clock, seconds=5)
    assert mall.cancelled_by_shop == []


# -- the mall refuses a shipping report --------------------------------------------------------------------


def test_a_refused_shipping_report_is_tagged_and_sent_again_after_the_fix(world, fakes, clock) -> None:
    mall, warehouse = fakes
    # given an order with the warehouse; the mall will refuse its shipping report
    place(mall, clock, "907-1")
    after_grace(clock)
    mall.refuse_reports["907-1"] = "E02-0012"

    # when it ships, then it stays 全出荷済 with the report error tag
    ship_all(warehouse, clock, "907-1")
    sweep(clock, minutes=5)
    order = order_of("907-1")
    assert order.status == S.SHIPPED.value, order.explanation
    assert "mall_report_error" in tags_of("907-1")
    assert "E02-0012" in OrderTag.objects.get(order=order, code="mall_report_error").reason
    assert mall.reports_for("907-1") == []
    with pytest.raises(ActionRefused):
        actions.cancel_order(order.pk, OPERATOR, clock.now, "取消")

    # when the problem is fixed at the mall and the operator sends the report again
    del mall.refuse_reports["907-1"]
    assert actions.retry_failed_effects(order.pk, OPERATOR, clock.now) == 1

    # then the next pass completes the order and clears the tag
    sweep(clock, seconds=5)
    assert status_of("907-1") == S.COMPLETED.value, order_of("907-1").explanation
    assert "mall_report_error" not in tags_of("907-1")
    assert len(mall.reports_for("907-1")) == 1
    # ... and there is nothing left to send again
    with pytest.raises(ActionRefused):
        actions.retry_failed_effects(order.pk, OPERATOR, clock.now)


# -- several packages ----------------------------------------------------------------------------------------


def test_an_order_with_two_packages_ships_one_package_at_a_time(world, fakes, clock) -> None:
    mall, warehouse = fakes
    # given an order for two recipients, both requested
    place(mall, clock, "908-1", packages=2)
    after_grace(clock)
    assert status_of("908-1") == S.SHIPPING.value
    first, second = request_ids(warehouse, "908-1")

    # when the warehouse ships the first package, then the order is partially shipped
    warehouse.ship(first)
    sweep(clock, seconds=5)
    sweep(clock, seconds=5)
    assert status_of("908-1") == S.PARTIALLY_SHIPPED.value, order_of("908-1").explanation
    assert len(mall.reports_for("908-1")) == 1

    # when the second ships, then it is shipped, then completed
    warehouse.ship(second)
    sweep(clock, seconds=5)
    assert status_of("908-1") in (S.SHIPPED.value, S.COMPLETED.value)
    sweep(clock, seconds=5)
    assert status_of("908-1") == S.COMPLETED.value, order_of("908-1").explanation
    path = transitions("908-1")
    assert path[-3:] == [S.PARTIALLY_SHIPPED.value, S.SHIPPED.value, S.COMPLETED.value], path
    assert sorted(r.mall_package_id for r in mall.reports_for("908-1")) == ["908-1-0", "908-1-1"]


# -- the outside fails for a while -------------------------------------------------------------------------


def test_transient_faults_are_retried_without_sending_anything_twice(world, fakes, clock) -> None:
    mall, warehouse = fakes
    # given three orders (one with two packages) and a mall and a warehouse that each fail three calls
    numbers = {"909-1": 1, "909-2": 1, "909-3": 2}
    for number, packages in numbers.items():
        mall.put(mall_order(number, clock.now, packages=packages), clock.now)
    run_all(clock.advance(seconds=1))
    clock.advance(minutes=31)
    warehouse.fail_next = 3
    mall.fail_next = 3

    # when the sweeps keep running, the warehouse ships what it accepted along the way
    shipped: set[str] = set()
    for _ in range(40):
        run_all(clock.advance(seconds=30))
        for request in warehouse.accepted_requests():
            if request.request_id not in shipped:
                warehouse.ship(request.request_id)
                shipped.add(request.request_id)
        if all(Order.objects.filter(mall_order_number=n, status=S.COMPLETED.value).exists() for n in numbers):
            break

    # then every order completed, each request was accepted once and each package reported once
    assert warehouse.fail_next == 0 and mall.fail_next == 0
    for number, packages in numbers.items():
        order = order_of(number)
        assert order.status == S.COMPLETED.value, (number, order.explanation)
        assert warehouse.accepted_count[number] == packages, number
        assert ShipmentRequest.objects.filter(order=order).count() == packages, number
        assert len(mall.reports_for(number)) == packages, number
        assert mall.confirmed.count(number) == 1, number
        assert not tags_of(number) & {"shipment_request_error", "mall_report_error"}, number
    assert not Effect.objects.exclude(state="done").exists()


def test_a_request_failing_for_half_an_hour_is_tagged_while_retries_continue(world, fakes, clock) -> None:
    mall, warehouse = fakes
    # given an order with a warehouse that keeps failing
    place(mall, clock, "910-1")
    warehouse.fail_next = 10_000
    after_grace(clock)
    order = order_of("910-1")
    assert order.status == S.AWAITING_SHIPMENT.value, order.explanation
    [request] = ShipmentRequest.objects.filter(order=order)
    assert request.first_failure_at == clock.now
    started = clock.now

    # when it still fails 30 minutes later, then the order is tagged, but stays in 出荷待ち and retries go on
    while clock.now - started < timedelta(minutes=25):
        sweep(clock, minutes=5)
        assert "shipment_request_error" not in tags_of("910-1"), clock.now - started
    sweep(clock, minutes=6)
    assert "shipment_request_error" in tags_of("910-1")
    assert "30分以上" in OrderTag.objects.get(order=order, code="shipment_request_error").reason
    calls = warehouse.calls["submit"]
    sweep(clock, minutes=10)
    sweep(clock, minutes=10)
    assert warehouse.calls["submit"] > calls
    assert status_of("910-1") == S.AWAITING_SHIPMENT.value, order_of("910-1").explanation
    assert warehouse.accepted_count["910-1"] == 0

    # when the warehouse recovers, then the request is accepted, the tag clears and the order goes on
    warehouse.fail_next = 0
    sweep(clock, minutes=10)
    assert status_of("910-1") == S.SHIPPING.value, order_of("910-1").explanation
    assert "shipment_request_error" not in tags_of("910-1")
    assert warehouse.accepted_count["910-1"] == 1
    assert ShipmentRequest.objects.filter(order=order).count() == 1


def test_an_expired_key_makes_mall_effects_wait_not_fail(world, fakes, clock) -> None:
    from juchu.connectors.base import ConnectorError
    from juchu.domain.effects import EffectState
    from juchu.orders.models import Effect

    mall, _warehouse = fakes
    mall.put(mall_order("K-1", clock.now), clock.now)
    run_all(clock.advance(seconds=1))
    # given the mall refuses the shop's key for every call from now on
    original_confirm = mall.confirm

    def refuse(numbers):
        raise ConnectorError("認証エラー: licenseKey が無効か期限切れです", retryable=False, code="AUTH")

    mall.confirm = refuse
    run_all(clock.advance(minutes=31))
    confirm = Effect.objects.get(order__mall_order_number="K-1", kind="mall_confirm")
    # then the confirmation waits to be retried, with the reason visible
    assert confirm.state == EffectState.PENDING.value
    assert "認証エラー" in confirm.last_error
    # and once the key works again it goes through
    mall.confirm = original_confirm
    run_all(clock.advance(minutes=15))
    confirm.refresh_from_db()
    assert confirm.state == EffectState.DONE.value
