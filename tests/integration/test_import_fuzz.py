"""Importing a batch that mixes good and mangled Rakuten orders: the good ones whole, none of a bad one.

Each example: recorded getOrder orders, renumbered, some with one value replaced by arbitrary JSON or one key
removed; they go through the Rakuten mapper (a mapping error is that order's error) and then
``orders.importing.import_orders`` on SQLite, as a mall sync does. The import never raises; an order is either
stored with every package and line its mapped form has, or not at all.
"""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime

from django.db.models import F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from juchu.connectors.malls.rakuten import mapping
from juchu.orders.importing import import_orders
from juchu.orders.models import Order, OrderLine
from juchu.orders.models import Package as PackageRow
from tests.unit.test_mapper_fuzz import RAKUTEN_ORDERS, json_values, mutated

NOW = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
_serial = itertools.count(1)


def renumbered(raw: dict) -> dict:
    """The order under a number no other example uses."""
    copied = copy.deepcopy(raw)
    copied["orderNumber"] = f"999999-20261126-{next(_serial):010d}"
    return copied


batches = st.lists(
    st.one_of(
        st.sampled_from(RAKUTEN_ORDERS).map(lambda raw: ("good", raw)),
        mutated(RAKUTEN_ORDERS).map(lambda case: ("mangled", case[0])),
        json_values.map(lambda value: ("junk", value)),
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches)
def test_a_mixed_batch_stores_each_good_order_whole_and_nothing_of_a_bad_one(world, batch) -> None:
    shop = world["shop"]
    raws = []
    for what, raw in batch:
        if what == "junk" or not isinstance(raw, dict):
            raws.append((what, raw))
        elif isinstance(raw.get("orderNumber"), str):
            raws.append((what, renumbered(raw)))
        else:
            raws.append((what, copy.deepcopy(raw)))  # its number was mangled: it cannot be imported anyway
    mapped = []
    refused = []
    for what, raw in raws:
        try:
            mapped.append(mapping.to_mall_order(raw))
        except mapping.MappingError as exc:
            assert what != "good", exc
            refused.append(mapping.order_number_of(raw))

    result = import_orders(shop, mapped, NOW)

    rejected = {error.key for error in result.errors}
    for order in mapped:
        rows = Order.objects.filter(shop=shop, mall_order_number=order.mall_order_number)
        if order.mall_order_number in rejected:
            assert not rows.exists(), "a rejected order is not stored at all"
            continue
        row = rows.get()
        assert PackageRow.objects.filter(order=row).count() == len(order.packages)
        assert OrderLine.objects.filter(order=row).count() == sum(len(p.lines) for p in order.packages)
        assert row.total == order.total and row.buyer_name == order.buyer_name
    for number in refused:
        if number.strip():
            assert not Order.objects.filter(shop=shop, mall_order_number=number).exists()
    assert not PackageRow.objects.filter(order__isnull=True).exists()
    assert not OrderLine.objects.exclude(package__order_id=F("order_id")).exists(), "lines belong to their order"


def test_a_nul_character_rejects_its_order_with_the_field_and_keeps_the_others(world) -> None:
    # PostgreSQL cannot store NUL in text: found by the fuzzing above when the suite ran on PostgreSQL
    from dataclasses import replace as with_

    from tests.integration.conftest import mall_order

    now = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    good = mall_order("NUL-1", now)
    bad = with_(mall_order("NUL-2", now), buyer_name="山田\x00太郎")

    result = import_orders(world["shop"], [good, bad], now)

    assert result.created == ["NUL-1"]
    assert [(e.key, e.message) for e in result.errors] == [("NUL-2", "buyer_name に制御文字 (NUL) が含まれています")]
    assert not Order.objects.filter(mall_order_number="NUL-2").exists()
