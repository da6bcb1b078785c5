"""A shipping report never overtakes its order's mall confirmation (several workers share the report stage).

With the embedded runner the confirmation always goes out long before the warehouse ships. With several
workers it may still be claimed by another — or a killed — worker when the shipment is recorded; the mall
would refuse the report for good (Rakuten: not yet 発送待ち), so the report waits for the confirmation.
"""

from __future__ import annotations

from datetime import timedelta

from juchu.domain.effects import EffectKind, EffectState
from juchu.fulfillment.models import ShipmentRequest
from juchu.orders.dispatch import dispatch_mall_effects
from juchu.orders.models import Effect, Order
from juchu.runtime.sweeps import run_stage
from tests.integration.conftest import mall_order


def test_a_shipping_report_waits_while_the_confirmation_is_claimed_elsewhere_then_goes_out_once(
    world, fakes, clock
) -> None:
    mall, warehouse = fakes
    shop = world["shop"]
    mall.put(mall_order("700-1", clock.now - timedelta(hours=1)), clock.now - timedelta(hours=1))
    run_stage("mall_sync", clock.now)
    run_stage("advance", clock.now)
    confirm = Effect.objects.get(kind=EffectKind.MALL_CONFIRM.value)
    # given another worker claimed the confirmation (its claim runs two more minutes) ...
    Effect.objects.filter(pk=confirm.pk).update(next_attempt_at=clock.now + timedelta(minutes=2))
    # ... while the warehouse accepted and shipped the order
    run_stage("submit", clock.now)
    warehouse.ship(ShipmentRequest.objects.get().request_id)
    run_stage("collect", clock.advance(seconds=5))
    report = Effect.objects.get(kind=EffectKind.MALL_REPORT.value)

    # when the report stage runs before the confirmation is done
    dispatch_mall_effects(clock.advance(seconds=1), shop.pk)

    # then nothing was reported to the mall, and the report waits (pending, not failed)
    assert mall.reports_for("700-1") == []
    report.refresh_from_db()
    assert report.state == EffectState.PENDING.value
    assert report.last_error.startswith("WAIT_CONFIRM")

    # when the claim has expired and the report stage runs again
    clock.advance(minutes=15)
    run_stage("report", clock.now)
    run_stage("advance", clock.now)

    # then the order was confirmed, reported once, and completed
    assert Effect.objects.get(pk=confirm.pk).state == EffectState.DONE.value
    assert len(mall.reports_for("700-1")) == 1
    assert Order.objects.get(mall_order_number="700-1").status == "completed"
