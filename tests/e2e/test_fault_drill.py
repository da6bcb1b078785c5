"""Fault drill over real HTTP: every fault kind on every endpoint family; the sweeps never die, each failure is
shown where an operator looks (the shop, the warehouse, the effect, the shipment request), and once the
faults stop every order completes with nothing sent twice.

One sandbox per endpoint family; on its path the next calls fault in turn: a malformed JSON body (the call
*was* processed), a 502 HTML page, a truncated body (processed too), a gateway timeout, a burst of three 429s
and a 500. Retry backoffs are fast-forwarded (the pending rows are made due at once): the drill is about what
happens, not about waiting for it.
"""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from juchu.domain.effects import EffectState
from juchu.fulfillment.models import RequestState, ShipmentRequest, Warehouse
from juchu.orders.models import Effect, Order, OrderEvent
from juchu.runtime.sweeps import run_all
from juchu.shops.models import Shop
from tests.e2e.sandbox_world import Sandbox, configure_plain, running_sandbox, statuses

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ORDERS = 4
FAMILIES = {
    "rakuten-search": "/es/2.0/order/searchOrder",
    "rakuten-get": "/es/2.0/order/getOrder",
    "rakuten-confirm": "/es/2.0/order/confirmOrder",
    "rakuten-shipping": "/es/2.0/order/updateOrderShipping",
    "rsl-submit": "/rsl/v1/shipment-requests",
    "rsl-results": "/rsl/v1/shipment-results",
}
#: (kind, how many calls in a row) — rules are tried in order, so the faults come one after another.
SEQUENCE = [("malformed", 1), ("html", 1), ("truncated", 1), ("timeout", 1), ("429", 3), ("500", 1)]
#: Words a useful message about each fault carries (Japanese or the HTTP status), not a bare exception name.
TELLTALES = {
    "malformed": ("JSON",),
    "html": ("HTML", "502"),
    "truncated": ("JSON",),
    "timeout": ("504", "タイムアウト"),
    "429": ("429", "混雑", "レート", "制限"),
    "500": ("500",),
}


@pytest.fixture(autouse=True)
def fast_sync(settings) -> None:
    settings.JUCHU_SYNC_INTERVAL_SECONDS = 0
    settings.JUCHU_STOCK_SYNC_INTERVAL_SECONDS = 0


def visible_failures(since) -> set[str]:
    """Every failure message an operator can see now: on the shop, warehouse, effects, requests, timelines."""
    seen = set(Shop.objects.exclude(last_sync_error="").values_list("last_sync_error", flat=True))
    seen |= set(Warehouse.objects.exclude(last_error="").values_list("last_error", flat=True))
    seen |= set(Effect.objects.exclude(last_error="").values_list("last_error", flat=True))
    seen |= set(ShipmentRequest.objects.exclude(last_error="").values_list("last_error", flat=True))
    seen |= set(OrderEvent.objects.filter(at__gte=since, kind__contains="retry").values_list("reason", flat=True))
    return seen


def fast_forward_backoff(now) -> None:
    """Time passes: pending effects and shipment requests waiting out a backoff are due now."""
    Effect.objects.filter(state=EffectState.PENDING.value, next_attempt_at__gt=now).update(next_attempt_at=now)
    ShipmentRequest.objects.filter(state=RequestState.PENDING, next_attempt_at__gt=now).update(next_attempt_at=now)


def fired(sandbox: Sandbox) -> dict[str, int]:
    counts: dict[str, int] = {}
    for rule in sandbox.control.get("/_sandbox/faults").json()["rules"]:
        for kind, n in rule["firedByKind"].items():
            counts[kind] = counts.get(kind, 0) + n
    return counts


@pytest.mark.parametrize("family", list(FAMILIES))
def test_each_fault_kind_is_retried_or_shown_and_every_order_completes_after_it(family) -> None:
    with running_sandbox() as sandbox:
        configure_plain(sandbox)
        started = timezone.now()
        for kind, count in SEQUENCE:
            sandbox.control.post(
                "/_sandbox/faults",
                json={"path": FAMILIES[family], "kinds": [kind], "count": count, "timeout_seconds": 0.3},
            ).raise_for_status()
        numbers = sandbox.create_orders(ORDERS, seed=21, payment_mix={"1": 1})

        seen: set[str] = set()
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            now = timezone.now()
            run_all(now)  # a sweep that raised would end the test here: the runner would have logged and looped
            seen |= visible_failures(started)
            fast_forward_backoff(timezone.now())
            if statuses() == {"completed": len(numbers)} and not Effect.objects.filter(state="pending").exists():
                if fired(sandbox) == dict(SEQUENCE):
                    break
                # A processed-but-unreadable answer (malformed, truncated) may settle the whole batch: the
                # result arrives anyway. Another wave of orders meets the faults still waiting.
                numbers += sandbox.create_orders(ORDERS, seed=21 + len(numbers), payment_mix={"1": 1})
            time.sleep(0.05)

        assert fired(sandbox) == dict(SEQUENCE), "every fault was injected"
        assert statuses() == {"completed": len(numbers)}, (statuses(), sorted(seen))
        assert Order.objects.filter(mall_order_number__in=numbers).count() == len(numbers)
        for kind, words in TELLTALES.items():
            assert any(word in message for message in seen for word in words), (kind, sorted(seen))
        for message in seen:
            assert not message.startswith(("KeyError", "TypeError", "AttributeError", "Traceback")), message
        summary = sandbox.rsl_summary()
        assert (summary["acceptedPerRequestIdMax"], summary["acceptedPerMallOrderNumberMax"]) == (1, 1), summary
        for number in numbers:
            mall = sandbox.mall_order(number)
            reported = [str(r["basketId"]) for r in mall["shippingRecords"]]
            assert len(reported) == len(set(reported)) == len(mall["order"]["PackageModelList"]), (number, reported)


def test_refused_keys_at_the_mall_and_the_warehouse_are_shown_and_nothing_is_lost_once_fixed() -> None:
    with running_sandbox() as sandbox:
        world = configure_plain(sandbox)
        credentials = {"serviceSecret": "sandbox-secret", "licenseKey": "sandbox-license"}
        sandbox.control.post("/_sandbox/rakuten/credentials", json={**credentials, "expired": True})
        good_rsl = dict(world.warehouse.credentials)
        Warehouse.objects.filter(pk=world.warehouse.pk).update(credentials={**good_rsl, "api_key": "wrong-key"})
        numbers = sandbox.create_orders(ORDERS, seed=22, payment_mix={"1": 1})

        for _ in range(5):
            run_all(timezone.now())
        assert Order.objects.count() == 0
        assert "認証" in Shop.objects.get(pk=world.shop.pk).last_sync_error

        sandbox.control.post("/_sandbox/rakuten/credentials", json={**credentials, "expired": False})
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            run_all(timezone.now())
            if ShipmentRequest.objects.exclude(last_error="").exists() or Warehouse.objects.exclude(last_error=""):
                break
            time.sleep(0.05)
        refused = list(ShipmentRequest.objects.exclude(last_error="").values_list("last_error", flat=True))
        warehouse_error = Warehouse.objects.get(pk=world.warehouse.pk).last_error
        assert refused or warehouse_error, "the refused RSL key is shown"
        assert any("401" in text or "認証" in text for text in [*refused, warehouse_error]), (refused, warehouse_error)

        Warehouse.objects.filter(pk=world.warehouse.pk).update(credentials=good_rsl)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and statuses() != {"completed": ORDERS}:
            run_all(timezone.now())
            fast_forward_backoff(timezone.now())
            time.sleep(0.05)
        assert statuses() == {"completed": ORDERS}
        assert Order.objects.filter(mall_order_number__in=numbers).count() == ORDERS
        assert sandbox.rsl_summary()["acceptedPerRequestIdMax"] == 1
