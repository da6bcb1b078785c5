"""分割出荷 through the real pipeline (decision 0010): an order the shop's RSL warehouse cannot fill ships from
RSL and the own warehouse in two parcels, each with its own request, shipment and report to the mall."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from juchu.catalog.models import Allocation, MallItemMapping, Stock
from juchu.catalog.stock_push import sellable
from juchu.domain.status import OrderStatus, PackageStatus
from juchu.fulfillment.models import RequestState, ShipmentRequest
from juchu.fulfillment.selfship import import_tracking, issue_batch
from juchu.orders import actions
from juchu.orders.advance import advance_all_due
from juchu.orders.models import Order, OrderEvent
from juchu.runtime.sweeps import run_all
from juchu.shops.models import Shop
from juchu.web.auth import Role, create_user
from tests.integration.conftest import mall_order
from tests.integration.test_selfship import b2_issued, own_warehouse_for, tracking
from tests.integration.test_web_settings import PASSWORD, csrf_post, page, shop_data


@pytest.fixture
def split_world(world):
    """The shop ships from RSL (SKU-A only) and may split to its own warehouse (SKU-B only)."""
    own = own_warehouse_for(world)["own"]
    rsl = world["warehouse"]
    Shop.objects.filter(pk=world["shop"].pk).update(warehouse=rsl, split_warehouse=own)
    products = world["products"]
    Stock.objects.filter(warehouse=rsl, product=products["SKU-B"]).update(on_hand=0)
    Stock.objects.filter(warehouse=own, product=products["SKU-A"]).update(on_hand=0)
    Stock.objects.filter(warehouse=own, product=products["SKU-B"]).update(on_hand=5)
    return {**world, "own": own, "rsl": rsl}


def stock(warehouse, code: str) -> tuple[int, int]:
    row = Stock.objects.get(warehouse=warehouse, product__code=code)
    return row.on_hand, row.allocated


def place(fakes, clock, number: str, items=(("item-a", 1), ("item-b", 1)), *, submit: bool = True) -> Order:
    """A buyer places the order; it is imported and decided after the grace period (split where it must be).

    With ``submit`` the whole runtime runs (the RSL part goes out); without, only the advance sweep.
    """
    mall, _rsl = fakes
    mall.put(mall_order(number, clock.now, items=items), clock.now)
    run_all(clock.advance(seconds=1))
    (run_all if submit else advance_all_due)(clock.advance(minutes=31))
    return Order.objects.get(mall_order_number=number)


def test_an_order_neither_warehouse_can_fill_ships_in_two_parts_and_each_part_is_reported(
    split_world, fakes, clock
) -> None:
    mall, rsl_api = fakes
    rsl, own = split_world["rsl"], split_world["own"]
    # given an order of SKU-A ×2 (only at RSL) and SKU-B ×1 (only at the own warehouse)
    order = place(fakes, clock, "S-1", (("item-a", 2), ("item-b", 1)))

    # then the package is split: SKU-A stays with RSL, SKU-B goes to a second package at the own warehouse
    packages = list(order.packages.order_by("seq"))
    assert [(p.seq, p.warehouse_id, p.split_from_id) for p in packages] == [
        (1, None, None),
        (2, own.pk, packages[0].pk),
    ]
    assert [[x.product.code for x in p.lines.all()] for p in packages] == [["SKU-A"], ["SKU-B"]]
    assert (packages[1].recipient_name, packages[1].mall_package_id) == (packages[0].recipient_name, "S-1-0")
    requests = {r.package_id: r for r in ShipmentRequest.objects.filter(order=order)}
    assert (requests[packages[0].pk].warehouse_id, requests[packages[1].pk].warehouse_id) == (rsl.pk, own.pk)
    assert requests[packages[0].pk].state == RequestState.ACCEPTED.value  # the submit sweep sent it to RSL
    assert stock(rsl, "SKU-A") == (100_000, 2) and stock(own, "SKU-B") == (5, 1)
    # and with a part at RSL the order is the warehouses' (no edit, no simple cancel); the own part waits
    assert order.status == OrderStatus.SHIPPING.value
    assert order.explanation == (
        "出荷作業中: 一部の送付先を倉庫で出荷作業中です。"
        "残りの送付先: 自社出荷の出荷指示 (ファイル › 自社出荷) を待っています"
    )
    transitions = OrderEvent.objects.filter(order=order, kind="transition").values_list("reason", flat=True)
    assert "倉庫が出荷依頼を受け付けました (送付先 1/2)" in list(transitions)
    split = OrderEvent.objects.get(order=order, kind="package_split")
    assert "送付先2" in split.reason and "自社倉庫" in split.reason

    # when the own warehouse issues its batch and RSL ships its part
    issued = issue_batch(own, clock.advance(minutes=1), "tanaka")
    assert issued.issued == 1
    run_all(clock.advance(seconds=1))
    assert Order.objects.get(pk=order.pk).explanation == "出荷作業中: 倉庫で出荷作業中です。出荷実績を待っています"
    rsl_api.ship(requests[packages[0].pk].request_id, trackings=1)
    run_all(clock.advance(minutes=6))

    # then the order is 一部出荷済 with one part shipped, and that part is already reported
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_SHIPPED.value
    assert [r.part for r in mall.reports_for("S-1")] == [1]
    assert [p.shipment_status for p in order.packages.order_by("seq")] == [
        PackageStatus.SHIPPED.value,
        PackageStatus.ACCEPTED.value,
    ]

    # when the B2 file brings the own part's tracking number
    key = issued.batch.items.get().slip_key
    import_tracking(own, b2_issued([(key, tracking(7), "2026/11/26")]), clock.advance(hours=1))
    run_all(clock.advance(seconds=1))
    run_all(clock.advance(seconds=1))

    # then both parts are reported to the mall package, each with its part number, lines and tracking number
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED.value
    reports = sorted(mall.reports_for("S-1"), key=lambda r: r.part)
    assert [(r.mall_package_id, r.part) for r in reports] == [("S-1-0", 1), ("S-1-0", 2)]
    assert [[(x.mall_item_id, x.quantity) for x in r.lines] for r in reports] == [[("item-a", 2)], [("item-b", 1)]]
    assert reports[1].tracking_numbers == (tracking(7),)
    assert len(reports[0].tracking_numbers) == 1 and reports[0].tracking_numbers != reports[1].tracking_numbers
    # and each warehouse's stock went down by what it shipped
    assert stock(rsl, "SKU-A") == (99_998, 0) and stock(own, "SKU-B") == (4, 0)
    assert not Allocation.objects.exists()


def test_an_order_the_second_warehouse_holds_whole_ships_from_there_in_one_parcel(split_world, fakes, clock) -> None:
    own = split_world["own"]
    Stock.objects.filter(warehouse=own, product__code="SKU-A").update(on_hand=5)
    order = place(fakes, clock, "S-2")

    (package,) = order.packages.all()
    assert package.warehouse_id == own.pk and package.split_from_id is None
    assert ShipmentRequest.objects.get(order=order).warehouse_id == own.pk
    assert order.explanation == (
        "出荷待ち: 自社倉庫 から出荷します (RSL の在庫では揃わないため)。"
        "自社出荷の出荷指示 (ファイル › 自社出荷) を待っています"
    )
    assert OrderEvent.objects.filter(order=order, kind="package_rerouted").exists()


def test_an_order_both_warehouses_together_cannot_fill_waits_and_takes_nothing(split_world, fakes, clock) -> None:
    rsl, own = split_world["rsl"], split_world["own"]
    order = place(fakes, clock, "S-3", (("item-a", 1), ("item-b", 9)))

    assert order.status == OrderStatus.CHECKED.value
    assert order.explanation == "確認済: 引当待ち: SKU SKU-B が 4 個不足 (2倉庫の在庫を合わせても不足)"
    assert order.packages.count() == 1 and not ShipmentRequest.objects.filter(order=order).exists()
    assert stock(rsl, "SKU-A") == (100_000, 0) and stock(own, "SKU-B") == (5, 0)


def test_a_shop_without_a_split_warehouse_keeps_all_or_nothing(split_world, fakes, clock) -> None:
    Shop.objects.filter(pk=split_world["shop"].pk).update(split_warehouse=None)
    order = place(fakes, clock, "S-4")

    assert order.status == OrderStatus.CHECKED.value
    assert order.explanation == "確認済: 引当待ち: SKU SKU-B が 1 個不足"


def test_an_edit_before_the_requests_go_out_joins_the_parts_and_the_next_allocation_splits_again(
    split_world, fakes, clock
) -> None:
    own = split_world["own"]
    order = place(fakes, clock, "S-5", submit=False)  # decided and split; the submit sweep has not run
    assert order.packages.count() == 2
    line_b = order.lines.get(product__code="SKU-B")

    # when the operator changes SKU-B's quantity while both requests still wait
    actions.edit_line_quantity(order.pk, line_b.pk, 2, "tanaka", clock.advance(seconds=1))

    # then the parts were joined (the dropped requests kept), and the order split again with new request ids
    order.refresh_from_db()
    assert OrderEvent.objects.filter(order=order, kind="package_joined").count() == 1
    packages = list(order.packages.order_by("seq"))
    assert [p.lines.count() for p in packages] == [1, 1] and packages[1].warehouse_id == own.pk
    states = sorted(ShipmentRequest.objects.filter(order=order).values_list("request_id", "state"))
    assert states == [
        ("demo-S-5-1-1", RequestState.DROPPED.value),
        ("demo-S-5-1-3", RequestState.PENDING.value),
        ("demo-S-5-2-1", RequestState.DROPPED.value),
        ("demo-S-5-2-2", RequestState.PENDING.value),
    ]
    assert stock(own, "SKU-B") == (5, 2)


def test_the_mall_is_offered_what_both_warehouses_hold_and_a_set_counts_per_warehouse(split_world) -> None:

    shop = Shop.objects.get(pk=split_world["shop"].pk)
    Stock.objects.filter(warehouse=split_world["own"], product__code="SKU-A").update(on_hand=3)
    MallItemMapping.objects.filter(shop=shop).update(sync_stock=True)
    by_item = dict(MallItemMapping.objects.filter(shop=shop).values_list("id", "mall_item_id"))

    offered = {by_item[mapping_id]: quantity for mapping_id, quantity in sellable(shop).items()}

    # SKU-B: 0 at RSL + 5 own; the set (A×1, B×2) can only be packed at the own warehouse: min(3, 5 // 2)
    assert (offered["item-a"], offered["item-b"], offered["item-set"]) == (100_003, 5, 2)
    Shop.objects.filter(pk=shop.pk).update(split_warehouse=None)
    alone = sellable(Shop.objects.get(pk=shop.pk))
    assert {by_item[m]: q for m, q in alone.items()}["item-b"] == 0


def test_the_shop_form_sets_the_split_warehouse_and_refuses_the_shops_own(split_world) -> None:

    shop, rsl, own = split_world["shop"], split_world["rsl"], split_world["own"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(create_user("kanri", PASSWORD, Role.ADMIN))
    url = reverse("settings-shop", args=[shop.pk])

    refused = csrf_post(client, url, shop_data(shop, split_warehouse=rsl.pk))
    assert refused.status_code == 200 and "出荷倉庫とは別の倉庫を選んでください" in page(refused)
    assert Shop.objects.get(pk=shop.pk).split_warehouse_id == own.pk  # unchanged

    cleared = csrf_post(client, url, shop_data(shop, split_warehouse=""))
    assert cleared.status_code == 302 and Shop.objects.get(pk=shop.pk).split_warehouse_id is None
    saved = csrf_post(client, url, shop_data(shop, split_warehouse=own.pk))
    assert saved.status_code == 302 and Shop.objects.get(pk=shop.pk).split_warehouse_id == own.pk


def test_the_order_page_shows_each_parts_warehouse(split_world, fakes, clock) -> None:

    order = place(fakes, clock, "S-6", submit=False)
    client = Client()
    client.force_login(create_user("viewer", "pw-correct-horse-1", Role.VIEWER))

    html = client.get(reverse("order-detail", args=[order.pk])).content.decode()

    assert html.count('class="package-warehouse"') == 2
    assert '<dd class="package-warehouse">RSL</dd>' in html
    assert '<dd class="package-warehouse">自社倉庫</dd>' in html
    assert "送付先1 から分割出荷" in html
    assert "2つの倉庫 (RSL・自社倉庫) に分けて出荷します。" in html


def test_cancelling_a_split_order_withdraws_the_part_at_rsl_and_never_issues_the_other(
    split_world, fakes, clock
) -> None:
    rsl, own = split_world["rsl"], split_world["own"]
    order = place(fakes, clock, "S-7")
    assert order.status == OrderStatus.SHIPPING.value  # the RSL part is accepted, the own part waits

    # an edit is refused now that a warehouse holds a part
    line = order.lines.get(product__code="SKU-A")
    with pytest.raises(actions.ActionRefused):
        actions.edit_line_quantity(order.pk, line.pk, 2, "tanaka", clock.advance(seconds=1))

    # when the operator cancels
    outcome = actions.cancel_order(order.pk, "tanaka", clock.advance(seconds=1), reason="お客様都合")

    # then the own part's request is dropped at once, and the RSL part's withdrawal is asked for
    assert outcome == "withdrawal_requested"
    own_request = ShipmentRequest.objects.get(order=order, warehouse=own)
    assert own_request.state == RequestState.DROPPED.value
    assert issue_batch(own, clock.advance(seconds=1), "tanaka").issued == 0
    run_all(clock.advance(seconds=5))
    run_all(clock.advance(seconds=5))
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED.value
    assert ShipmentRequest.objects.get(order=order, warehouse=rsl).state == RequestState.WITHDRAWN.value
    assert set(order.packages.values_list("shipment_status", flat=True)) == {PackageStatus.WITHDRAWN.value}
    assert stock(rsl, "SKU-A") == (100_000, 0) and stock(own, "SKU-B") == (5, 0)


def test_a_mall_cancellation_of_a_split_order_withdraws_both_parts(split_world, fakes, clock) -> None:
    mall, _rsl = fakes
    own = split_world["own"]
    order = place(fakes, clock, "S-8")
    assert order.status == OrderStatus.SHIPPING.value

    mall.cancel_as_buyer("S-8", clock.now)
    for _ in range(3):
        run_all(clock.advance(minutes=1))

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED.value
    assert order.tags.filter(code="mall_cancelled").exists()
    assert ShipmentRequest.objects.get(order=order, warehouse=own).state == RequestState.DROPPED.value
    assert issue_batch(own, clock.advance(seconds=1), "tanaka").issued == 0


def test_a_part_refused_by_rsl_after_the_own_part_went_out_goes_to_awaiting_check_and_is_re_requested(
    split_world, fakes, clock
) -> None:
    _mall, rsl_api = fakes
    rsl, own = split_world["rsl"], split_world["own"]
    order = place(fakes, clock, "S-9", submit=False)  # split; neither request has gone out yet
    # the own part goes out first (the batch), so the order is the warehouses' with the RSL part still to send
    assert issue_batch(own, clock.advance(seconds=1), "tanaka").issued == 1
    advance_all_due(clock.advance(seconds=1))
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPING.value

    # when RSL refuses its part
    rsl_api.reject["S-9"] = ("E101", "配送方法が不正です")
    run_all(clock.advance(seconds=1))

    # then the order waits for the operator at 確認待, the own part untouched
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_CHECK.value
    assert order.tags.filter(code="shipment_request_error").exists()
    assert ShipmentRequest.objects.get(order=order, warehouse=own).state == RequestState.ACCEPTED.value
    # and it cannot be edited there: the own part is at its warehouse with its stock
    line = order.lines.get(product__code="SKU-A")
    with pytest.raises(actions.ActionRefused, match="送付先2 は倉庫が受け付け済み"):
        actions.edit_line_quantity(order.pk, line.pk, 2, "tanaka", clock.advance(seconds=1))

    # when the operator re-requests after fixing it at RSL, the part goes out and the order is 出荷作業中 again
    del rsl_api.reject["S-9"]
    actions.re_request(order.pk, "tanaka", clock.advance(seconds=1))
    run_all(clock.advance(seconds=1))
    run_all(clock.advance(seconds=1))
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPING.value
    states = sorted(ShipmentRequest.objects.filter(order=order, warehouse=rsl).values_list("state", flat=True))
    assert states == [RequestState.ACCEPTED.value, RequestState.REJECTED.value]


def test_cancelling_at_awaiting_check_with_the_own_part_issued_withdraws_that_part(split_world, fakes, clock) -> None:
    _mall, rsl_api = fakes
    own = split_world["own"]
    order = place(fakes, clock, "S-10", submit=False)
    assert issue_batch(own, clock.advance(seconds=1), "tanaka").issued == 1
    rsl_api.reject["S-10"] = ("E101", "配送方法が不正です")
    run_all(clock.advance(seconds=1))
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_CHECK.value

    # when the operator cancels there, the own part (issued, at the warehouse) is withdrawn, not left to ship
    assert actions.cancel_order(order.pk, "tanaka", clock.advance(seconds=1), "お客様都合") == "cancelled"
    run_all(clock.advance(seconds=5))

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED.value
    assert ShipmentRequest.objects.get(order=order, warehouse=own).state == RequestState.WITHDRAWN.value
    assert stock(own, "SKU-B") == (5, 0)
