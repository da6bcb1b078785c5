"""Warehouse stock read into Juchu's books: available at the warehouse plus what it holds for us."""

from __future__ import annotations

from juchu.catalog.models import Stock
from juchu.domain.status import OrderStatus
from juchu.fulfillment.models import Warehouse
from juchu.fulfillment.stock import sync_stock
from juchu.orders.models import Order
from juchu.runtime.sweeps import run_all
from tests.integration.conftest import mall_order


def test_a_stock_arrival_at_the_warehouse_releases_orders_waiting_for_it(world, fakes, clock, settings) -> None:
    mall, warehouse = fakes
    settings.JUCHU_STOCK_SYNC_INTERVAL_SECONDS = 0
    warehouse.stock = {"SKU-RARE": 0}
    # given an order waits for stock of SKU-RARE
    mall.put(mall_order("S-1", clock.now, item="item-rare", quantity=2), clock.now)
    run_all(clock.advance(seconds=1))
    run_all(clock.advance(minutes=31))
    order = Order.objects.get(mall_order_number="S-1")
    assert order.status == OrderStatus.CHECKED.value
    assert "引当待ち" in order.explanation
    # when the warehouse receives 5 units
    warehouse.stock["SKU-RARE"] = 5
    run_all(clock.advance(seconds=1))
    # then Juchu's books follow and the order goes on to the warehouse
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPING.value, order.explanation
    stock = Stock.objects.get(product=world["scarce"])
    assert (stock.on_hand, stock.allocated) == (5, 2)


def test_units_the_warehouse_holds_for_accepted_requests_stay_on_hand(world, fakes, clock) -> None:
    mall, warehouse = fakes
    warehouse.stock = {"SKU-A": 100_000}
    mall.put(mall_order("S-2", clock.now, item="item-a", quantity=3), clock.now)
    run_all(clock.advance(seconds=1))
    run_all(clock.advance(minutes=31))
    assert Order.objects.get(mall_order_number="S-2").status == OrderStatus.SHIPPING.value
    # the warehouse now reports 3 fewer available: they are reserved for our accepted request
    warehouse.stock["SKU-A"] = 100_000 - 3
    result = sync_stock(Warehouse.objects.get(pk=world["warehouse"].pk), clock.now)
    stock = Stock.objects.get(product=world["products"]["SKU-A"])
    assert (stock.on_hand, stock.allocated) == (100_000, 3)
    assert result.unknown_skus == ()


def test_skus_unknown_to_juchu_are_reported_not_created(world, fakes, clock) -> None:
    _mall, warehouse = fakes
    warehouse.stock = {"NOT-OURS": 9}
    result = sync_stock(Warehouse.objects.get(pk=world["warehouse"].pk), clock.now)
    assert result.unknown_skus == ("NOT-OURS",)
    assert not Stock.objects.filter(product__code="NOT-OURS").exists()
