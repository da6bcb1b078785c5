"""End-to-end helpers for any mall besides Rakuten, over the sandbox's common control contract.

Every mall emulator answers the same control API under ``/_sandbox/<mall>/`` (docs/sandbox.md, "Other
malls"), so one harness drives all of them: generate orders, pay the unpaid ones, read back what the mall
holds, and check that each Juchu shipment reached the mall exactly once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from juchu.catalog.models import MallItemMapping
from juchu.catalog.reconcile import reconcile_shop
from juchu.catalog.stock_push import mall_item_key, push_stock, sellable
from juchu.fulfillment.models import Shipment
from juchu.runtime import demo_world
from juchu.shops.models import Shop
from tests.e2e.sandbox_world import Sandbox, configure_plain


@dataclass
class MallSandbox:
    """One mall of a running sandbox, through its control API."""

    sandbox: Sandbox
    mall: str

    @property
    def base(self) -> str:
        return f"/_sandbox/{self.mall}"

    def create_orders(self, count: int, seed: int, payment_mix: dict[str, float] | None = None) -> list[str]:
        body: dict[str, Any] = {"count": count, "seed": seed}
        if payment_mix:
            body["paymentMix"] = payment_mix
        answer = self.sandbox.control.post(f"{self.base}/orders", json=body)
        answer.raise_for_status()
        return answer.json()["orderNumbers"]

    def pay_unpaid(self) -> int:
        """Every buyer still owing the payment pays."""
        answer = self.sandbox.control.get(f"{self.base}/orders", params={"state": "unpaid"})
        answer.raise_for_status()
        numbers = answer.json()["orderNumbers"]
        for number in numbers:
            self.sandbox.control.post(f"{self.base}/orders/{number}/pay").raise_for_status()
        return len(numbers)

    def order(self, number: str) -> dict[str, Any]:
        answer = self.sandbox.control.get(f"{self.base}/orders/{number}")
        answer.raise_for_status()
        return answer.json()

    def summary(self) -> dict[str, Any]:
        answer = self.sandbox.control.get(f"{self.base}/summary")
        answer.raise_for_status()
        return answer.json()

    def credentials(self, **body: Any) -> None:
        self.sandbox.control.post(f"{self.base}/credentials", json=body).raise_for_status()


def configure_mall_world(sandbox: Sandbox, mall: str) -> Shop:
    """The plain demo world (warehouse, products) plus one shop on ``mall``; the Rakuten shop is switched off."""
    world = configure_plain(sandbox)
    Shop.objects.filter(pk=world.shop.pk).update(active=False)
    return demo_world.configure_mall(
        sandbox.url, mall, world.warehouse, grace_seconds=0, with_unmapped=False, fast=True
    )


def assert_each_shipment_reported_once(mall: MallSandbox, shop: Shop, numbers: list[str]) -> None:
    """Each order's Juchu shipments are at the mall with their tracking numbers, none of them twice."""
    summary = mall.summary()
    assert summary["duplicateTracking"] == [], summary["duplicateTracking"]
    shipments = Shipment.objects.filter(package__order__shop=shop).select_related("package__order")
    tracking: dict[str, Counter[str]] = {}
    for shipment in shipments.prefetch_related("parcels"):
        counter = tracking.setdefault(shipment.package.order.mall_order_number, Counter())
        counter.update(p.tracking_number for p in shipment.parcels.all())
    for number in numbers:
        at_mall = mall.order(number)
        assert at_mall["shipments"], f"{number}: no shipping result at the mall; Juchu: {_story(shop, number)}"
        reported: Counter[str] = Counter(t for s in at_mall["shipments"] for t in s["trackingNumbers"])
        assert set(reported) <= set(tracking[number]), (number, reported, tracking[number])
        assert max(reported.values()) == 1, (number, reported)


def assert_stock_pushed(mall: MallSandbox, shop: Shop) -> None:
    """The mall shows, for every mapped item, what Juchu says it can sell."""
    wanted = sellable(shop)
    keys = {
        pk: mall_item_key(item, variant)
        for pk, item, variant in MallItemMapping.objects.filter(shop=shop, sync_stock=True).values_list(
            "id", "mall_item_id", "mall_variant_id"
        )
    }
    at_mall = mall.summary()["stock"]
    expected = {keys[pk]: quantity for pk, quantity in wanted.items()}
    assert {k: at_mall.get(k) for k in expected} == expected


def wanted_stock(shop: Shop) -> dict[str, int]:
    """What Juchu says the mall should show, keyed as the connector keys it."""
    quantities = sellable(shop)
    rows = MallItemMapping.objects.filter(id__in=list(quantities)).values_list("id", "mall_item_id", "mall_variant_id")
    return {mall_item_key(item, variant): quantities[pk] for pk, item, variant in rows}


def assert_drift_is_found_and_corrected(mall: MallSandbox, shop: Shop) -> None:
    """The stock reconciliation (在庫照合): one quantity changed by hand at the mall is the one difference found,
    the next push sends it again, and a second reconciliation finds nothing."""
    wanted = wanted_stock(shop)
    key = min(wanted, key=lambda k: (wanted[k], k))  # below every mall's largest quantity
    by_hand = wanted[key] - 3 if wanted[key] >= 3 else wanted[key] + 3
    changed = mall.sandbox.control.put(f"{mall.base}/stock", json={key: by_hand})
    changed.raise_for_status()

    run = reconcile_shop(shop, timezone.now())

    assert run.error == "" and run.checked == len(wanted)
    assert [(d["key"], d["juchu"], d["mall"]) for d in run.differences] == [(key, wanted[key], by_hand)]
    writes = mall.summary()["stockWrites"]
    push_stock(Shop.objects.get(pk=shop.pk), timezone.now())
    assert mall.summary()["stockWrites"] == writes + 1
    again = reconcile_shop(Shop.objects.get(pk=shop.pk), timezone.now())
    assert (again.error, again.differences) == ("", [])


def _story(shop: Shop, number: str) -> dict[str, Any]:
    """What Juchu knows of an order: status, tags, effects and their last errors (for a failing assertion)."""
    from juchu.orders.models import Effect, Order, OrderEvent, OrderTag

    order = Order.objects.get(shop=shop, mall_order_number=number)
    return {
        "status": order.status,
        "tags": list(OrderTag.objects.filter(order=order).values_list("code", "reason")),
        "effects": list(Effect.objects.filter(order=order).values_list("kind", "state", "attempts", "last_error")),
        "events": list(OrderEvent.objects.filter(order=order).order_by("id").values_list("kind", "reason")),
    }
