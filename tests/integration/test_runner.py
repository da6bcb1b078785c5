"""The embedded runner: a real thread on the real clock picks up due work and survives a failing pass.

The runner thread has its own database connection, so these tests commit their data (transaction=True) and
build their shop and warehouse themselves instead of using the ``world`` fixture.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from django.db import OperationalError

from juchu.catalog.models import MallItemMapping, Product, Stock
from juchu.connectors import registry
from juchu.connectors.fakes import FakeMall, FakeWarehouse
from juchu.domain.model import PaymentKind
from juchu.domain.status import OrderStatus
from juchu.fulfillment.models import Warehouse
from juchu.orders.importing import import_orders
from juchu.orders.models import Order
from juchu.runtime.runner import EmbeddedRunner, utcnow
from juchu.shops.models import DeliveryMethodMapping, PaymentMethodMapping, Shop
from tests.integration.conftest import mall_order

pytestmark = pytest.mark.django_db(transaction=True)

POLL = 0.05
PATIENCE = 5.0


@pytest.fixture
def live_fakes() -> Iterator[tuple[FakeMall, FakeWarehouse]]:
    mall, warehouse = FakeMall(), FakeWarehouse(utcnow)
    registry.install_mall("fake", mall)
    registry.install_warehouse("fake", warehouse)
    yield mall, warehouse
    registry.uninstall_all()


@pytest.fixture
def runner() -> Iterator[Callable[..., EmbeddedRunner]]:
    """Start runners; each is stopped and joined at the end whatever happens."""
    started: list[EmbeddedRunner] = []

    def start(**kwargs) -> EmbeddedRunner:
        r = EmbeddedRunner(**kwargs)
        started.append(r)
        r.start()
        return r

    yield start
    for r in started:
        r.stop()
    for r in started:
        r.join(timeout=10)
        assert not r.is_alive(), "the runner did not stop"


def a_shop_without_grace() -> Shop:
    """A shop on the fake mall whose orders are decided at once (grace period 0), with stock."""
    warehouse = Warehouse.objects.create(code="rsl", name="RSL", connector="fake")
    shop = Shop.objects.create(
        code="live", name="ライブ店", mall="rakuten", warehouse=warehouse, connector="fake", grace_period_seconds=0
    )
    DeliveryMethodMapping.objects.create(shop=shop, mall_method="宅配便", warehouse_method="YUPACK")
    PaymentMethodMapping.objects.create(shop=shop, mall_method="クレジットカード", kind=PaymentKind.CARD.value)
    product = Product.objects.create(code="SKU-A", name="商品A")
    Stock.objects.create(warehouse=warehouse, product=product, on_hand=100)
    MallItemMapping.objects.create(shop=shop, mall_item_id="item-a", product=product)
    return shop


def wait_for(condition: Callable[[], bool], patience: float = PATIENCE) -> float | None:
    """Poll every 50 ms; the seconds it took, or None if it never happened."""
    started = time.monotonic()
    while time.monotonic() - started < patience:
        try:
            if condition():
                return time.monotonic() - started
        except OperationalError:  # SQLite's shared in-memory test database: the runner holds a table lock
            pass
        time.sleep(POLL)
    return None


def status_of(number: str) -> str:
    return Order.objects.get(mall_order_number=number).status


def test_the_runner_picks_up_an_order_as_soon_as_it_is_due(live_fakes, runner) -> None:
    # given a running runner with nothing to do
    shop = a_shop_without_grace()
    r = runner()
    assert wait_for(lambda: r.passes >= 1) is not None, "the runner never finished a pass"

    # when an order is imported that is due at once (no grace period)
    now = utcnow()
    result = import_orders(shop, [mall_order("R-1", now)], now)
    assert result.created == ["R-1"]
    imported = time.monotonic()

    # then the runner moves it out of 新規受付 within about a second, without being woken
    latency = wait_for(lambda: status_of("R-1") != OrderStatus.NEW.value)
    waited = time.monotonic() - imported
    order = Order.objects.get(mall_order_number="R-1")
    assert latency is not None, f"still {order.status} after {waited:.2f}s ({r.passes} passes): {order.explanation}"
    assert order.status != OrderStatus.NEW.value
    print(f"runner latency: {latency:.3f}s -> {order.status} ({order.explanation})")
    assert latency < PATIENCE, f"moved to {order.status} after {latency:.3f}s"
    assert r.is_alive()


def test_a_failing_pass_does_not_end_the_runner(live_fakes, runner) -> None:
    # given a warehouse naming a connector nobody registered (its submit sweep raises on every pass)
    shop = a_shop_without_grace()
    Warehouse.objects.create(code="ghost", name="未登録", connector="nowhere")
    # ... and a clock that fails the runner's first pass outright
    calls = {"n": 0}

    def flaky_clock() -> datetime:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("the clock failed once")
        return utcnow()

    # when the runner runs
    r = runner(clock=flaky_clock, idle_seconds=0.1)

    # then it keeps passing: the failed pass is logged, the failing sweep recorded on its lease
    assert wait_for(lambda: r.passes >= 3) is not None, f"only {r.passes} passes"
    assert r.is_alive()
    # the broken warehouse's error is kept on it, and the other warehouses are not held up
    assert wait_for(lambda: "nowhere" in Warehouse.objects.get(code="ghost").last_error) is not None
    assert r.is_alive()

    # ... and the rest of the pipeline still moves orders
    now = utcnow()
    import_orders(shop, [mall_order("R-2", now)], now)
    latency = wait_for(lambda: status_of("R-2") != OrderStatus.NEW.value)
    assert latency is not None, f"R-2 still new after {PATIENCE}s"
    assert r.is_alive()
