"""What an order at 出荷待ち says comes next: an API request, the own warehouse's batch, or both (分割出荷)."""

from __future__ import annotations

from dataclasses import replace

from factories import make_order, make_package
from test_pipeline_decide import make_ctx

from juchu.domain.pipeline import AWAIT_BATCH, SEND_AND_AWAIT_BATCH, SEND_REQUEST, awaiting_note
from juchu.domain.status import PackageStatus as P

RSL, OWN = 1, 2
CTX = replace(make_ctx(), own_warehouses=frozenset({OWN}))


def test_an_order_at_an_api_warehouse_sends_its_request() -> None:
    assert awaiting_note(make_order(warehouse_id=RSL), CTX) == SEND_REQUEST


def test_an_order_at_the_own_warehouse_waits_for_its_batch() -> None:
    assert awaiting_note(make_order(warehouse_id=OWN), CTX) == AWAIT_BATCH


def test_a_split_order_with_a_part_at_each_says_both_until_the_api_part_is_accepted() -> None:
    rsl_part, own_part = make_package(), make_package(warehouse_id=OWN)
    split = make_order(warehouse_id=RSL, packages=(rsl_part, own_part))
    accepted = make_order(
        warehouse_id=RSL,
        packages=(replace(rsl_part, shipment_status=P.ACCEPTED), replace(own_part, shipment_status=P.REQUESTED)),
    )

    assert awaiting_note(split, CTX) == SEND_AND_AWAIT_BATCH
    assert awaiting_note(accepted, CTX) == AWAIT_BATCH


def test_a_package_moved_whole_to_an_api_warehouse_sends_its_request() -> None:
    moved = make_order(warehouse_id=OWN, packages=(make_package(warehouse_id=RSL),))

    assert awaiting_note(moved, CTX) == SEND_REQUEST
