"""Each mall besides Rakuten, end to end over real HTTP: 100 orders from the mall through RSL to 完了,
reported back, stock pushed and reconciled (在庫照合); the same under faults; an expired key stops the import
visibly."""

from __future__ import annotations

import pytest
from django.utils import timezone

from juchu.catalog.stock_push import push_stock
from juchu.orders.models import Order
from juchu.runtime.demo_world import OTHER_MALLS
from juchu.shops.models import Shop
from tests.e2e.mall_world import (
    MallSandbox,
    assert_drift_is_found_and_corrected,
    assert_each_shipment_reported_once,
    assert_stock_pushed,
    configure_mall_world,
)
from tests.e2e.sandbox_world import FINAL, drive, running_sandbox, statuses, sweep_errors

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

FAULTS = {
    "rate": 0.2,
    "kinds": ["429", "500", "malformed", "truncated", "html", "latency", "timeout"],
    "latency_ms": 300,
    "timeout_seconds": 0.5,
}
#: Orders of a fault run: enough for every kind of fault to hit every endpoint several times.
FAULT_RUN_ORDERS = 30


@pytest.fixture(autouse=True)
def fast_sync(settings) -> None:
    settings.JUCHU_SYNC_INTERVAL_SECONDS = 0
    settings.JUCHU_STOCK_SYNC_INTERVAL_SECONDS = 0


def _run(mall: MallSandbox, count: int, max_seconds: float) -> None:
    def done() -> bool:
        mall.pay_unpaid()
        by_status = statuses()
        return set(by_status) <= FINAL and sum(by_status.values()) == count

    seconds, passes = drive(mall.sandbox, done, max_seconds=max_seconds, pay=False)
    assert statuses() == {"completed": count}, (statuses(), seconds, passes, sweep_errors())


@pytest.mark.parametrize("name", OTHER_MALLS)
def test_a_hundred_orders_go_from_the_mall_to_completed_and_stock_is_pushed_and_reconciled(name: str) -> None:
    with running_sandbox() as sandbox:
        mall = MallSandbox(sandbox, name)
        shop = configure_mall_world(sandbox, name)
        numbers = mall.create_orders(100, seed=21)

        _run(mall, 100, max_seconds=120)

        assert sweep_errors() == {}
        assert set(Order.objects.filter(shop=shop).values_list("mall_order_number", flat=True)) == set(numbers)
        assert_each_shipment_reported_once(mall, shop, numbers)
        push_stock(Shop.objects.get(pk=shop.pk), timezone.now())
        assert_stock_pushed(mall, shop)
        assert_drift_is_found_and_corrected(mall, Shop.objects.get(pk=shop.pk))


@pytest.mark.parametrize("name", OTHER_MALLS)
def test_under_faults_the_end_state_is_the_same_and_nothing_is_doubled(name: str, settings) -> None:
    # The real backoff (5 s doubling) only stretches the run; the retries themselves are what is tested.
    settings.JUCHU_RETRY_BASE_SECONDS = 0.5
    settings.JUCHU_RETRY_MAX_SECONDS = 4
    with running_sandbox() as sandbox:
        mall = MallSandbox(sandbox, name)
        shop = configure_mall_world(sandbox, name)
        sandbox.control.post("/_sandbox/faults", json={"path": "", **FAULTS}).raise_for_status()
        numbers = mall.create_orders(FAULT_RUN_ORDERS, seed=22)

        _run(mall, FAULT_RUN_ORDERS, max_seconds=240)

        fired = sum(rule["fired"] for rule in sandbox.control.get("/_sandbox/faults").json()["rules"])
        assert fired >= 5, f"only {fired} faults were injected"
        sandbox.control.delete("/_sandbox/faults")
        assert_each_shipment_reported_once(mall, shop, numbers)
        push_stock(Shop.objects.get(pk=shop.pk), timezone.now())
        assert_stock_pushed(mall, shop)


@pytest.mark.parametrize("name", OTHER_MALLS)
def test_a_refused_key_stops_the_import_visibly_and_nothing_is_lost_once_fixed(name: str) -> None:
    with running_sandbox() as sandbox:
        mall = MallSandbox(sandbox, name)
        shop = configure_mall_world(sandbox, name)
        mall.credentials(expired=True)
        numbers = mall.create_orders(20, seed=23)

        drive(sandbox, lambda: False, max_seconds=1.5, pay=False)

        assert Order.objects.count() == 0
        assert "認証" in Shop.objects.get(pk=shop.pk).last_sync_error
        mall.credentials(expired=False)
        _run(mall, 20, max_seconds=60)
        assert Shop.objects.get(pk=shop.pk).last_sync_error == ""
        assert_each_shipment_reported_once(mall, shop, numbers)
