"""The whole pipeline at volume: a thousand orders, every operator action and every mall/warehouse surprise.

The test drives the fakes and a hand-moved clock; it never sleeps. Each sweep pass is ``run_all(now)``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime

import pytest

from juchu.catalog.models import Stock
from juchu.catalog.services import set_stock
from juchu.connectors.base import MallLine, MallOrder
from juchu.connectors.fakes import FakeWarehouse
from juchu.domain.effects import EffectKind
from juchu.domain.errors import StaleOrder
from juchu.domain.status import OrderStatus
from juchu.fulfillment.models import RequestState, ShipmentRequest
from juchu.orders import actions, writes
from juchu.orders.importing import import_orders
from juchu.orders.models import Effect, Order, OrderEvent, OrderLine, OrderTag
from juchu.orders.models import Package as PackageRow
from juchu.runtime.models import Lease
from juchu.runtime.sweeps import run_all, run_stage
from tests.integration.conftest import Clock, mall_order

S = OrderStatus
N = 1000
OPERATOR = "operator@example.jp"

# -- helpers -----------------------------------------------------------------------------------------------


def number(i: int) -> str:
    return f"500-{i:04d}"


def sweep(clock: Clock, **delta: float) -> None:
    """One pass of every sweep after moving the clock; a sweep that failed fails the test."""
    run_all(clock.advance(**delta))
    errors = {lease.stage: lease.last_error for lease in Lease.objects.exclude(last_error="")}
    assert not errors, errors


def order_of(i: int | str) -> Order:
    return Order.objects.get(mall_order_number=number(i) if isinstance(i, int) else i)


def status_of(i: int) -> str:
    return order_of(i).status


def tags_of(i: int) -> set[str]:
    return set(OrderTag.objects.filter(order=order_of(i)).values_list("code", flat=True))


def request_ids(warehouse: FakeWarehouse, i: int) -> list[str]:
    return [r.request_id for r in warehouse.accepted_requests() if r.mall_order_number == number(i)]


def ship_everything_except(warehouse: FakeWarehouse, shipped: set[str], keep: set[int]) -> None:
    """The warehouse ships every accepted request not yet shipped, except those of the kept orders."""
    kept = {number(i) for i in keep}
    for request in warehouse.accepted_requests():
        if request.request_id not in shipped and request.mall_order_number not in kept:
            warehouse.ship(request.request_id)
            shipped.add(request.request_id)


def status_path(order: Order) -> list[str]:
    """The statuses the order went through, from its transition events in order."""
    events = OrderEvent.objects.filter(order=order, kind="transition").order_by("at", "id")
    path = [S.NEW.value]
    for e in events:
        assert e.from_status == path[-1], (order.mall_order_number, path, e.from_status, e.to_status)
        path.append(e.to_status)
    return path


def shipped_quantities(order: Order) -> Counter[str]:
    """SKU -> quantity shipped for an order (sets expanded into their components)."""
    counts: Counter[str] = Counter()
    for line in OrderLine.objects.filter(order=order).select_related("product"):
        product = line.product
        if product.is_set:
            for component in product.components.select_related("component"):
                counts[component.component.code] += component.quantity * line.quantity
        else:
            counts[product.code] += line.quantity
    return counts


# Roles of the special orders in the thousand (everything else is a plain paid card order).
UNPAID = [0, 1, 2, 3, 4]  # 銀行振込, paid later at the mall
RARE = [5, 6, 7]  # item-rare, stock 0 until it arrives
REJECTED = 8  # the warehouse rejects the first request (E003)
UNSHIPPABLE = 9  # the warehouse reports 出荷不可 once
HELD = 10  # held by an operator, released by hand
CANCEL_NEW = 11
CANCEL_AWAITING_CHECK = 12
CANCEL_CHECKED = 13  # unpaid, cancelled while waiting for payment
CANCEL_SHIPPING = 15  # withdrawal confirmed -> cancelled
CANCEL_TOO_LATE = 16  # picking started: withdrawal refused, the order completes
MALL_CANCEL_EARLY = 17  # buyer cancels during the grace period
MALL_CANCEL_SHIPPING = 18  # buyer cancels while the warehouse works
MALL_CHANGE_EARLY = 19  # quantity changed at the mall before the request
MALL_CHANGE_LATE = 20  # changed at the mall after the request
LATE = "500-late"  # an extra order, cancelled in 出荷待ち before its request goes out
SETS = range(100, 200)  # gift sets (SKU-A x1 + SKU-B x2)
ITEM_B = range(200, 300)

CANCELLED = {
    CANCEL_NEW,
    CANCEL_AWAITING_CHECK,
    CANCEL_CHECKED,
    CANCEL_SHIPPING,
    MALL_CANCEL_EARLY,
    MALL_CANCEL_SHIPPING,
}
RE_REQUESTED = {REJECTED, UNSHIPPABLE}
KEPT_IN_SHIPPING = {UNSHIPPABLE, CANCEL_SHIPPING, CANCEL_TOO_LATE, MALL_CANCEL_SHIPPING, MALL_CHANGE_LATE}


def the_thousand(at: datetime) -> list[MallOrder]:
    orders = []
    for i in range(N):
        item = "item-set" if i in SETS else "item-b" if i in ITEM_B else "item-rare" if i in RARE else "item-a"
        unpaid = i in UNPAID or i == CANCEL_CHECKED
        orders.append(
            mall_order(number(i), at, item=item, payment="銀行振込" if unpaid else "クレジットカード", paid=not unpaid)
        )
    return orders


# -- tests -------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_thousand_orders_reach_their_final_state(world, fakes, clock) -> None:
    mall, warehouse = fakes
    stock_before = {s.product.code: s.on_hand for s in Stock.objects.select_related("product")}
    shipped: set[str] = set()

    # given a thousand orders at the mall; the warehouse will reject one of them
    t0 = clock.now
    for order in the_thousand(t0):
        mall.put(order, t0)
    warehouse.reject[number(REJECTED)] = ("E003", "住所不正")

    # when they are imported, every order waits for the buyer's grace period
    sweep(clock, seconds=1)
    assert Order.objects.count() == N
    assert set(Order.objects.values_list("status", flat=True)) == {S.NEW.value}

    # ... during which an operator holds one, the buyer cancels one and changes another
    actions.hold(order_of(HELD).pk, "hold_by_operator", "電話確認", OPERATOR, clock.now)
    actions.hold(order_of(CANCEL_AWAITING_CHECK).pk, "hold_by_operator", "確認", OPERATOR, clock.now)
    actions.cancel_order(order_of(CANCEL_NEW).pk, OPERATOR, clock.now, "お客様都合")
    assert status_of(CANCEL_NEW) == S.CANCELLED.value
    mall.cancel_as_buyer(number(MALL_CANCEL_EARLY), clock.now)
    early = mall.order(number(MALL_CHANGE_EARLY))
    changed = replace(early.packages[0], lines=(MallLine("item-a", 2, 1200, "テスト商品"),))
    mall.update(number(MALL_CHANGE_EARLY), clock.now, remarks="数量を2に変更", packages=(changed,))
    sweep(clock, minutes=10)
    assert status_of(MALL_CANCEL_EARLY) == S.CANCELLED.value
    assert OrderLine.objects.get(order=order_of(MALL_CHANGE_EARLY)).quantity == 2
    assert order_of(MALL_CHANGE_EARLY).remarks == "数量を2に変更"
    sweep(clock, minutes=19)
    assert Order.objects.filter(status=S.NEW.value).count() == N - 2  # still new before 30 min

    # when the grace period is over, the orders are decided and the requests go out
    sweep(clock, minutes=1, seconds=1)
    assert status_of(HELD) == S.AWAITING_CHECK.value
    assert status_of(CANCEL_AWAITING_CHECK) == S.AWAITING_CHECK.value
    for i in [*UNPAID, CANCEL_CHECKED]:
        order = order_of(i)
        assert order.status == S.CHECKED.value and "入金待ち" in order.explanation, order.explanation
    for i in RARE:
        order = order_of(i)
        assert order.status == S.CHECKED.value and "引当待ち" in order.explanation, order.explanation
    assert status_of(REJECTED) == S.AWAITING_CHECK.value
    assert "shipment_request_error" in tags_of(REJECTED)
    # everything else is with the warehouse: not the 2 cancelled, 2 held, 6 unpaid, 3 rare and 1 rejected
    with_warehouse = N - 2 - 2 - 6 - 3 - 1
    assert Order.objects.filter(status=S.SHIPPING.value).count() == with_warehouse

    # an operator cancels in 確認待 and in 確認済
    actions.cancel_order(order_of(CANCEL_AWAITING_CHECK).pk, OPERATOR, clock.now, "重複")
    actions.cancel_order(order_of(CANCEL_CHECKED).pk, OPERATOR, clock.now, "入金なし")

    # the warehouse ships most of it; some orders stay in its hands for the surprises below
    ship_everything_except(warehouse, shipped, KEPT_IN_SHIPPING)
    sweep(clock, seconds=5)
    sweep(clock, seconds=5)
    assert Order.objects.filter(status=S.COMPLETED.value).count() == with_warehouse - len(KEPT_IN_SHIPPING)

    # when the warehouse cannot ship one package, a person re-requests it
    warehouse.refuse(request_ids(warehouse, UNSHIPPABLE)[0], "商品破損")
    sweep(clock, seconds=5)
    assert status_of(UNSHIPPABLE) == S.AWAITING_CHECK.value
    assert "unshippable" in tags_of(UNSHIPPABLE)
    actions.re_request(order_of(UNSHIPPABLE).pk, OPERATOR, clock.now)
    # ... and the rejected request is re-sent once the address problem is fixed at the warehouse
    del warehouse.reject[number(REJECTED)]
    actions.re_request(order_of(REJECTED).pk, OPERATOR, clock.now)
    sweep(clock, seconds=5)
    assert status_of(UNSHIPPABLE) == S.SHIPPING.value
    assert status_of(REJECTED) == S.SHIPPING.value
    assert "unshippable" not in tags_of(UNSHIPPABLE)
    assert "shipment_request_error" not in tags_of(REJECTED)

    # an operator cancels in 出荷作業中: once in time, once after picking started
    assert actions.cancel_order(order_of(CANCEL_SHIPPING).pk, OPERATOR, clock.now, "お客様都合") == (
        "withdrawal_requested"
    )
    warehouse.start_picking(request_ids(warehouse, CANCEL_TOO_LATE)[0])
    actions.cancel_order(order_of(CANCEL_TOO_LATE).pk, OPERATOR, clock.now, "お客様都合")
    # the buyer cancels one and changes another at the mall while the warehouse works
    mall.cancel_as_buyer(number(MALL_CANCEL_SHIPPING), clock.now)
    mall.update(number(MALL_CHANGE_LATE), clock.now, remarks="のし希望")
    sweep(clock, seconds=5)
    sweep(clock, seconds=5)
    assert status_of(CANCEL_SHIPPING) == S.CANCELLED.value
    assert status_of(CANCEL_TOO_LATE) == S.SHIPPING.value
    assert "withdrawal_refused" in tags_of(CANCEL_TOO_LATE)
    assert status_of(MALL_CANCEL_SHIPPING) == S.CANCELLED.value
    assert "mall_cancelled" in tags_of(MALL_CANCEL_SHIPPING)
    assert status_of(MALL_CHANGE_LATE) == S.SHIPPING.value
    assert "mall_changed" in tags_of(MALL_CHANGE_LATE)
    assert order_of(MALL_CHANGE_LATE).remarks == ""  # not re-imported: the request had gone out

    # the held order is released by hand; payments settle and the rare item arrives
    actions.release_tag(order_of(HELD).pk, "hold_by_operator", OPERATOR, clock.now)
    for i in UNPAID:
        mall.pay(number(i), clock.now)
    set_stock(world["warehouse"].pk, world["scarce"], 10, clock.now)
    sweep(clock, seconds=5)
    for i in [HELD, *UNPAID, *RARE]:
        assert status_of(i) == S.SHIPPING.value, (i, order_of(i).explanation)

    # one order is cancelled while its request waits (出荷待ち): the request is never sent
    mall.put(mall_order(LATE, clock.now), clock.now)
    sweep(clock, seconds=1)
    clock.advance(minutes=31)
    run_stage("mall_sync", clock.now)
    run_stage("advance", clock.now)
    late = order_of(LATE)
    assert late.status == S.AWAITING_SHIPMENT.value, late.explanation
    actions.cancel_order(late.pk, OPERATOR, clock.now, "お客様都合")
    sweep(clock, seconds=1)

    # when the warehouse ships the rest, every open order completes
    ship_everything_except(warehouse, shipped, set())
    sweep(clock, seconds=5)
    sweep(clock, seconds=5)

    # then every order is completed or cancelled as intended
    cancelled_numbers = {number(i) for i in CANCELLED} | {LATE}
    statuses = dict(Order.objects.values_list("mall_order_number", "status"))
    assert {n for n, s in statuses.items() if s == S.CANCELLED.value} == cancelled_numbers
    assert {n for n, s in statuses.items() if s == S.COMPLETED.value} == set(statuses) - cancelled_numbers
    assert Order.objects.filter(status=S.COMPLETED.value).count() == N - len(CANCELLED)
    assert Order.objects.count() == N + 1

    # ... the warehouse accepted each order exactly once (twice only when it was re-requested after 出荷不可)
    never_accepted = {number(i) for i in (CANCEL_NEW, CANCEL_AWAITING_CHECK, CANCEL_CHECKED, MALL_CANCEL_EARLY)}
    for n in statuses:
        expected = 0 if n in never_accepted | {LATE} else 2 if n == number(UNSHIPPABLE) else 1
        assert warehouse.accepted_count[n] == expected, n
    assert ShipmentRequest.objects.filter(order=late).exclude(state=RequestState.DROPPED).count() == 0

    completed = list(Order.objects.filter(status=S.COMPLETED.value))
    packages = Counter(PackageRow.objects.values_list("order_id", flat=True))
    effects = Counter(Effect.objects.values_list("order_id", "kind"))
    used: Counter[str] = Counter()
    for order in completed:
        # ... each completed order has one mall report and one shipping mail per package
        assert len(mall.reports_for(order.mall_order_number)) == packages[order.pk], order.mall_order_number
        assert effects[(order.pk, EffectKind.SHIPPING_MAIL.value)] == packages[order.pk]
        # ... and its timeline shows every step from new to completed, in order
        path = status_path(order)
        assert path[-1] == S.COMPLETED.value and path[-2] == S.SHIPPED.value, (order.mall_order_number, path)
        assert S.SHIPPING.value in path
        used += shipped_quantities(order)

    # ... every order that was confirmed got exactly one thanks mail, the others none
    for order in Order.objects.all():
        path = status_path(order)
        assert path[-1] == order.status, (order.mall_order_number, path)  # no status change without its event
        thanks = effects[(order.pk, EffectKind.THANKS_MAIL.value)]
        assert thanks == (1 if S.CHECKED.value in path else 0), (order.mall_order_number, path, thanks)

    # ... every effect ran; only the refused withdrawal failed; each order was confirmed at the mall at most once
    unfinished = Effect.objects.filter(state__in=["pending", "failed"])
    assert list(unfinished.values_list("order__mall_order_number", "kind", "state")) == [
        (number(CANCEL_TOO_LATE), EffectKind.WITHDRAWAL.value, "failed")
    ]
    assert max(Counter(mall.confirmed).values()) == 1

    # ... nothing stays allocated and on-hand stock fell by exactly what shipped
    for stock in Stock.objects.select_related("product"):
        code = stock.product.code
        assert stock.allocated == 0, code
        expected = (10 if code == "SKU-RARE" else stock_before[code]) - used[code]
        assert stock.on_hand == expected, code


def test_a_stale_copy_of_an_order_cannot_be_moved_twice(world, fakes, clock) -> None:
    mall, _ = fakes
    # given an order read by someone before the sweep moved it
    mall.put(mall_order("600-1", clock.now), clock.now)
    sweep(clock, seconds=1)
    stale = Order.objects.get(mall_order_number="600-1")
    stale_version = stale.version
    sweep(clock, minutes=31)
    fresh = Order.objects.get(pk=stale.pk)
    assert fresh.status == S.SHIPPING.value
    events = OrderEvent.objects.filter(order=fresh).count()

    # when the stale copy is moved, or an action is taken with the stale version
    with pytest.raises(StaleOrder):
        writes.move(stale, S.CHECKED, clock.now, "古いコピー")
    with pytest.raises(StaleOrder):
        actions.hold(stale.pk, "hold_by_operator", "停止", OPERATOR, clock.now, version=stale_version)

    # then nothing changed
    after = Order.objects.get(pk=stale.pk)
    assert (after.status, after.version) == (fresh.status, fresh.version)
    assert OrderEvent.objects.filter(order=after).count() == events
    assert not OrderTag.objects.filter(order=after, code="hold_by_operator").exists()


def test_reimporting_the_same_orders_creates_nothing_twice(world, clock) -> None:
    shop = world["shop"]
    orders = [mall_order(f"700-{i}", clock.now, packages=2) for i in range(5)]

    first = import_orders(shop, orders, clock.now)
    second = import_orders(shop, orders, clock.advance(minutes=1))

    assert len(first.created) == 5 and not first.errors
    assert second.created == [] and second.updated == [] and len(second.unchanged) == 5
    assert Order.objects.count() == 5
    assert PackageRow.objects.count() == 10
    assert OrderLine.objects.count() == 10
    assert OrderEvent.objects.filter(kind="imported").count() == 5


def test_an_order_without_packages_or_with_zero_quantity_is_reported_and_the_rest_imported(world, clock) -> None:
    shop = world["shop"]
    good = mall_order("800-1", clock.now)
    no_packages = replace(mall_order("800-2", clock.now), packages=())
    zero = mall_order("800-3", clock.now, quantity=0)

    result = import_orders(shop, [no_packages, good, zero], clock.now)

    assert result.created == ["800-1"]
    errors = {e.key: e.message for e in result.errors}
    assert errors == {"800-2": "送付先がありません", "800-3": "送付先1 明細1 の数量 0 が不正です"}
    assert list(Order.objects.values_list("mall_order_number", flat=True)) == ["800-1"]


@pytest.mark.parametrize("status", ["awaiting_shipment", "shipping", "partially_shipped", "shipped"])
def test_an_open_mall_report_keeps_an_order_from_completing_from_awaiting_shipment_on(world, fakes, clock, status):
    """The warehouse may accept and ship between two passes: one decision then takes the order from 出荷待ち
    through 全出荷済 to 完了, and must see the report still open (found by the Amazon fault run)."""
    from juchu.orders.models import Effect
    from juchu.orders.snapshots import ORDER_FIELDS, build_snapshots

    mall, _warehouse = fakes
    mall.put(mall_order("J-1", clock.now), clock.now)
    run_all(clock.advance(seconds=1))
    order = Order.objects.get(mall_order_number="J-1")
    Effect.objects.create(
        order=order,
        kind=EffectKind.MALL_REPORT.value,
        key="mall_report:test",
        state="pending",
        next_attempt_at=clock.now,
        created_at=clock.now,
    )
    Order.objects.filter(pk=order.pk).update(status=status)

    snapshot = build_snapshots(list(Order.objects.filter(pk=order.pk).values(*ORDER_FIELDS)))[order.pk]

    assert snapshot.mall_reports_done is False
