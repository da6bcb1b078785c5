"""One order through the whole pipeline with the fakes."""

from __future__ import annotations

from juchu.domain.status import OrderStatus
from juchu.orders.models import Order
from juchu.runtime.sweeps import run_all
from tests.integration.conftest import mall_order


def test_a_paid_order_goes_from_import_to_completed(world, fakes, clock) -> None:
    mall, warehouse = fakes
    mall.put(mall_order("100-1", clock.now), clock.now)
    run_all(clock.advance(seconds=1))
    order = Order.objects.get(mall_order_number="100-1")
    assert order.status == OrderStatus.NEW.value
    clock.advance(minutes=31)
    run_all(clock.now)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPING.value, order.explanation
    warehouse.ship(warehouse.accepted_requests()[0].request_id)
    run_all(clock.advance(seconds=5))
    run_all(clock.advance(seconds=5))
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED.value, order.explanation
