"""The whole flow over real HTTP: the sandbox's Rakuten and RSL, Juchu's connectors and sweeps."""

from __future__ import annotations

import pytest

from juchu.fulfillment.models import Shipment
from juchu.orders.models import Order
from juchu.shops.models import Shop
from tests.e2e.sandbox_world import FINAL, configure_plain, drive, running_sandbox, statuses, sweep_errors

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

PAYMENTS = {"1": 6, "2": 2, "9": 2}  # card, 代金引換, bank transfer


@pytest.fixture(autouse=True)
def fast_sync(settings) -> None:
    settings.JUCHU_SYNC_INTERVAL_SECONDS = 0
    settings.JUCHU_STOCK_SYNC_INTERVAL_SECONDS = 0


def assert_each_package_requested_once_and_reported_once(sandbox, numbers: list[str]) -> None:
    summary = sandbox.rsl_summary()
    assert summary["acceptedPerRequestIdMax"] == 1, summary
    assert summary["acceptedPerMallOrderNumberMax"] == 1, summary
    assert summary["mallOrderNumbersAcceptedMoreThanOnce"] == []
    shipments = Shipment.objects.count()
    assert summary["accepted"] == shipments
    for number in numbers:
        mall = sandbox.mall_order(number)
        baskets = [p["basketId"] for p in mall["order"]["PackageModelList"]]
        reported = [r["basketId"] for r in mall["shippingRecords"]]
        assert sorted(reported) == sorted(baskets), f"{number}: one shipping record per package, got {reported}"
        assert mall["orderProgress"] == 500, number


def test_five_hundred_orders_go_from_the_mall_to_completed() -> None:
    with running_sandbox() as sandbox:
        configure_plain(sandbox)
        numbers = sandbox.create_orders(500, seed=11, payment_mix=PAYMENTS)

        seconds, passes = drive(
            sandbox, lambda: set(statuses()) <= FINAL and sum(statuses().values()) == 500, max_seconds=120
        )

        assert statuses() == {"completed": 500}, (statuses(), seconds, passes, sweep_errors())
        assert sweep_errors() == {}
        assert_each_package_requested_once_and_reported_once(sandbox, numbers)


def test_with_faults_on_every_endpoint_the_end_state_is_the_same_and_nothing_is_doubled() -> None:
    with running_sandbox() as sandbox:
        configure_plain(sandbox)
        sandbox.control.post(
            "/_sandbox/faults",
            json={
                "path": "",
                "rate": 0.2,
                "kinds": ["429", "500", "malformed", "truncated", "html", "latency", "timeout"],
                "latency_ms": 300,
                "timeout_seconds": 1,
            },
        ).raise_for_status()
        numbers = sandbox.create_orders(500, seed=12, payment_mix=PAYMENTS)

        seconds, passes = drive(
            sandbox, lambda: set(statuses()) <= FINAL and sum(statuses().values()) == 500, max_seconds=240
        )

        fired = sum(rule["fired"] for rule in sandbox.control.get("/_sandbox/faults").json()["rules"])
        assert fired >= 10, f"only {fired} faults were injected"
        assert statuses() == {"completed": 500}, (statuses(), seconds, passes, sweep_errors())
        sandbox.control.delete("/_sandbox/faults")
        assert_each_package_requested_once_and_reported_once(sandbox, numbers)


def test_an_expired_key_stops_the_import_visibly_and_nothing_is_lost_once_it_is_renewed() -> None:
    with running_sandbox() as sandbox:
        world = configure_plain(sandbox)
        # given the shop's key has expired at the mall
        sandbox.control.post(
            "/_sandbox/rakuten/credentials",
            json={
                "serviceSecret": "sandbox-secret",
                "licenseKey": "sandbox-license",
                "expired": True,
            },
        ).raise_for_status()
        numbers = sandbox.create_orders(30, seed=13, payment_mix={"1": 1})
        # when Juchu syncs, it imports nothing and says why on the shop
        drive(sandbox, lambda: False, max_seconds=1.5)
        shop = Shop.objects.get(pk=world.shop.pk)
        assert Order.objects.count() == 0
        assert "認証" in shop.last_sync_error, shop.last_sync_error
        # when the shop renews its key, every order placed meanwhile is imported and shipped
        sandbox.control.post(
            "/_sandbox/rakuten/credentials",
            json={
                "serviceSecret": "sandbox-secret",
                "licenseKey": "sandbox-license",
                "expired": False,
            },
        ).raise_for_status()
        drive(sandbox, lambda: statuses() == {"completed": 30}, max_seconds=60)
        assert statuses() == {"completed": 30}, (statuses(), sweep_errors())
        assert Shop.objects.get(pk=world.shop.pk).last_sync_error == ""
        assert_each_package_requested_once_and_reported_once(sandbox, numbers)
