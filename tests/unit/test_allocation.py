"""Stock allocation (引当): oldest first, all or nothing per order, never more than available."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from juchu.domain.allocation import (
    Allocation,
    AllocationResult,
    Demand,
    DemandLine,
    Need,
    SetComponents,
    allocate,
    expand,
    required,
)

T0 = datetime(2026, 6, 10, 1, 0, tzinfo=UTC)

SETS: SetComponents = {
    "SET-AB": (("A", 1), ("B", 2)),
    "SET-C3": (("C", 3),),
}


def demand(order_id: int, minute: int, *lines: tuple[str, int]) -> Demand:
    """An order placed ``minute`` minutes after T0; line ids are order_id * 10 + position."""
    return Demand(
        order_id=order_id,
        ordered_at=T0 + timedelta(minutes=minute),
        lines=tuple(
            DemandLine(line_id=order_id * 10 + i, product_code=code, quantity=qty)
            for i, (code, qty) in enumerate(lines, start=1)
        ),
    )


# --- expand / required ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param(
            (DemandLine(1, "A", 2),),
            (Need(1, "A", 2),),
            id="plain SKU as it is",
        ),
        pytest.param(
            (DemandLine(1, "SET-AB", 3),),
            (Need(1, "A", 3), Need(1, "B", 6)),
            id="set into components x quantity",
        ),
        pytest.param(
            (DemandLine(1, "UNKNOWN-9", 1),),
            (Need(1, "UNKNOWN-9", 1),),
            id="code not in sets is a plain SKU",
        ),
        pytest.param(
            (DemandLine(1, "SET-C3", 2), DemandLine(2, "C", 1)),
            (Need(1, "C", 6), Need(2, "C", 1)),
            id="set and plain line of the same SKU stay separate lines",
        ),
        pytest.param(
            (DemandLine(1, "A", 0), DemandLine(2, "SET-AB", 0)),
            (),
            id="zero quantities need nothing",
        ),
    ],
)
def test_expand_turns_sets_into_components_and_keeps_plain_skus(
    lines: tuple[DemandLine, ...], expected: tuple[Need, ...]
) -> None:
    assert expand(lines, SETS) == expected


def test_expand_merges_a_component_listed_twice_in_one_set() -> None:
    sets = {"TWIN": (("A", 1), ("A", 2))}

    assert expand((DemandLine(7, "TWIN", 2),), sets) == (Need(7, "A", 6),)


@pytest.mark.parametrize(
    ("lines", "sets", "message"),
    [
        pytest.param((DemandLine(1, "A", -1),), {}, "negative quantity", id="negative line quantity"),
        pytest.param((DemandLine(1, "EMPTY", 1),), {"EMPTY": ()}, "no components", id="set without components"),
        pytest.param((DemandLine(1, "BAD", 1),), {"BAD": (("A", 0),)}, "has quantity 0", id="zero per-set quantity"),
    ],
)
def test_expand_rejects_impossible_quantities(lines: tuple[DemandLine, ...], sets: SetComponents, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        expand(lines, sets)


def test_required_totals_each_sku_over_all_lines_and_sets() -> None:
    order = demand(1, 0, ("A", 1), ("SET-AB", 2), ("C", 4), ("SET-C3", 1))

    assert required(order, SETS) == {"A": 3, "B": 4, "C": 7}


# --- allocate: examples --------------------------------------------------------------------------


def test_older_order_gets_the_last_unit() -> None:
    newer = demand(1, 5, ("A", 1))
    older = demand(2, 0, ("A", 1))

    result = allocate([newer, older], {"A": 1}, SETS)

    assert result.allocations == {2: (Allocation(2, 21, "A", 1),)}
    assert result.shortages == {1: {"A": 1}}
    assert result.remaining == {"A": 0}


def test_orders_placed_at_the_same_instant_go_by_order_id() -> None:
    result = allocate([demand(9, 0, ("A", 1)), demand(4, 0, ("A", 1))], {"A": 1}, SETS)

    assert list(result.allocations) == [4]
    assert result.shortages == {9: {"A": 1}}


def test_short_order_takes_nothing_from_stock() -> None:
    order = demand(1, 0, ("A", 2), ("B", 5))

    result = allocate([order], {"A": 2, "B": 4}, SETS)

    assert result.allocations == {}
    assert result.shortages == {1: {"B": 1}}
    assert result.remaining == {"A": 2, "B": 4}


def test_short_older_order_does_not_block_a_newer_order_that_fits() -> None:
    older = demand(1, 0, ("A", 3))
    newer = demand(2, 1, ("A", 2))
    newest = demand(3, 2, ("A", 1))

    result = allocate([older, newer, newest], {"A": 2}, SETS)

    assert result.allocations == {2: (Allocation(2, 21, "A", 2),)}
    assert result.shortages == {1: {"A": 1}, 3: {"A": 1}}
    assert result.remaining == {"A": 0}


def test_sku_missing_from_available_counts_as_zero() -> None:
    result = allocate([demand(1, 0, ("A", 1), ("Z", 2))], {"A": 5}, SETS)

    assert result.allocations == {}
    assert result.shortages == {1: {"Z": 2}}
    assert result.remaining == {"A": 5}


def test_negative_available_counts_as_zero_and_is_left_as_it_is() -> None:
    result = allocate([demand(1, 0, ("A", 1))], {"A": -2}, SETS)

    assert result.shortages == {1: {"A": 1}}
    assert result.remaining == {"A": -2}


def test_set_product_allocates_its_components_per_line() -> None:
    order = demand(1, 0, ("SET-AB", 2), ("A", 1))

    result = allocate([order], {"A": 3, "B": 4, "C": 1}, SETS)

    assert result.allocations == {
        1: (Allocation(1, 11, "A", 2), Allocation(1, 11, "B", 4), Allocation(1, 12, "A", 1)),
    }
    assert result.shortages == {}
    assert result.remaining == {"A": 0, "B": 0, "C": 1}


def test_set_is_short_when_one_component_is_short() -> None:
    result = allocate([demand(1, 0, ("SET-AB", 2))], {"A": 2, "B": 3}, SETS)

    assert result.allocations == {}
    assert result.shortages == {1: {"B": 1}}


def test_order_that_needs_nothing_is_allocated_with_no_rows() -> None:
    result = allocate([demand(1, 0, ("A", 0)), demand(2, 1)], {}, SETS)

    assert result.allocations == {1: (), 2: ()}
    assert result.shortages == {}


def test_no_orders_leave_the_stock_untouched() -> None:
    result = allocate([], {"A": 3}, SETS)

    assert result == AllocationResult(allocations={}, shortages={}, remaining={"A": 3})


def test_same_order_twice_raises() -> None:
    with pytest.raises(ValueError, match="order 1 appears twice"):
        allocate([demand(1, 0, ("A", 1)), demand(1, 1, ("A", 1))], {"A": 5}, SETS)


def test_result_mappings_cannot_be_changed() -> None:
    result = allocate([demand(1, 0, ("A", 1))], {"A": 1}, SETS)

    with pytest.raises(TypeError):
        result.remaining["A"] = 5  # type: ignore[index]


@pytest.mark.parametrize(
    ("shortage", "expected"),
    [
        pytest.param({"ABC-1": 2}, "引当待ち: SKU ABC-1 が 2 個不足", id="one SKU"),
        pytest.param(
            {"Z-9": 1, "ABC-1": 2}, "引当待ち: SKU ABC-1 が 2 個不足、SKU Z-9 が 1 個不足", id="SKUs in order"
        ),
    ],
)
def test_explain_shortage_says_which_sku_is_short_by_how_many(shortage: dict[str, int], expected: str) -> None:
    result = AllocationResult(allocations={}, shortages={7: shortage}, remaining={})

    assert result.explain_shortage(7) == expected


def test_explain_shortage_from_an_allocation_pass() -> None:
    result = allocate([demand(1, 0, ("SET-AB", 1))], {"A": 1, "B": 0}, SETS)

    assert result.explain_shortage(1) == "引当待ち: SKU B が 2 個不足"


def test_explain_shortage_of_an_order_that_is_not_short_raises_key_error() -> None:
    result = allocate([demand(1, 0, ("A", 1))], {"A": 1}, SETS)

    with pytest.raises(KeyError):
        result.explain_shortage(1)


# --- allocate: properties ------------------------------------------------------------------------

SKUS = ("A", "B", "C", "D")
CODES = (*SKUS, "SET-AB", "SET-C3")


@st.composite
def demands(draw: st.DrawFn) -> list[Demand]:
    """Up to 12 orders with unique ids, often placed at the same minute, each with 0–4 lines."""
    ids = draw(st.lists(st.integers(1, 60), unique=True, max_size=12))
    orders = []
    for order_id in ids:
        lines = draw(st.lists(st.tuples(st.sampled_from(CODES), st.integers(0, 4)), max_size=4))
        orders.append(demand(order_id, draw(st.integers(0, 5)), *lines))
    return orders


stock = st.dictionaries(st.sampled_from(SKUS), st.integers(0, 12))


def greedy_oldest_first(orders: list[Demand], available: Mapping[str, int]) -> tuple[set[int], dict[str, int]]:
    """The reference model: walk the orders oldest first, take an order when all of it fits."""
    left = dict(available)
    taken: set[int] = set()
    for order in sorted(orders, key=lambda o: (o.ordered_at, o.order_id)):
        need = required(order, SETS)
        if all(qty <= left.get(sku, 0) for sku, qty in need.items()):
            for sku, qty in need.items():
                left[sku] -= qty
            taken.add(order.order_id)
    return taken, left


def allocated_per_sku(result: AllocationResult) -> dict[str, int]:
    totals: dict[str, int] = {}
    for rows in result.allocations.values():
        for row in rows:
            totals[row.sku] = totals.get(row.sku, 0) + row.quantity
    return totals


@settings(max_examples=200)
@given(demands(), stock)
def test_never_allocates_more_than_available_per_sku(orders: list[Demand], available: dict[str, int]) -> None:
    result = allocate(orders, available, SETS)

    for sku, quantity in allocated_per_sku(result).items():
        assert quantity <= available.get(sku, 0)


@settings(max_examples=200)
@given(demands(), stock)
def test_each_order_is_allocated_all_or_nothing(orders: list[Demand], available: dict[str, int]) -> None:
    result = allocate(orders, available, SETS)

    assert set(result.allocations) | set(result.shortages) == {o.order_id for o in orders}
    assert not set(result.allocations) & set(result.shortages)
    for order in orders:
        rows = result.allocations.get(order.order_id, ())
        covered: dict[str, int] = {}
        for row in rows:
            assert (row.order_id, row.quantity > 0) == (order.order_id, True)
            covered[row.sku] = covered.get(row.sku, 0) + row.quantity
        if order.order_id in result.allocations:
            assert covered == required(order, SETS)
        else:
            assert rows == ()
            assert all(missing > 0 for missing in result.shortages[order.order_id].values())


@settings(max_examples=200)
@given(demands(), stock)
def test_allocation_equals_a_greedy_oldest_first_pass(orders: list[Demand], available: dict[str, int]) -> None:
    result = allocate(orders, available, SETS)

    taken, left = greedy_oldest_first(orders, available)
    assert set(result.allocations) == taken
    assert dict(result.remaining) == left


@settings(max_examples=200)
@given(demands(), stock)
def test_every_short_order_needed_more_than_older_allocated_orders_left(
    orders: list[Demand], available: dict[str, int]
) -> None:
    result = allocate(orders, available, SETS)

    for short in orders:
        if short.order_id not in result.shortages:
            continue
        key = (short.ordered_at, short.order_id)
        left = dict(available)
        for older in orders:
            if older.order_id in result.allocations and (older.ordered_at, older.order_id) < key:
                for sku, qty in required(older, SETS).items():
                    left[sku] -= qty
        need = required(short, SETS)
        expected = {sku: qty - left.get(sku, 0) for sku, qty in need.items() if qty > left.get(sku, 0)}
        assert result.shortages[short.order_id] == expected


@settings(max_examples=200)
@given(demands(), stock)
def test_remaining_is_available_minus_allocated(orders: list[Demand], available: dict[str, int]) -> None:
    result = allocate(orders, available, SETS)

    allocated = allocated_per_sku(result)
    assert dict(result.remaining) == {sku: qty - allocated.get(sku, 0) for sku, qty in available.items()}


@settings(max_examples=200)
@given(demands())
def test_sets_allocate_exactly_their_components(orders: list[Demand]) -> None:
    result = allocate(orders, dict.fromkeys(SKUS, 10_000), SETS)

    for order in orders:
        expected: dict[tuple[int, str], int] = {}
        for line in order.lines:
            for sku, per_set in SETS.get(line.product_code, ((line.product_code, 1),)):
                if line.quantity:
                    key = (line.line_id, sku)
                    expected[key] = expected.get(key, 0) + line.quantity * per_set
        rows = result.allocations[order.order_id]
        assert {(row.line_id, row.sku): row.quantity for row in rows} == expected
        assert len(rows) == len(expected)


@settings(max_examples=100)
@given(demands(), stock, st.randoms())
def test_the_order_of_the_input_does_not_matter(
    orders: list[Demand], available: dict[str, int], rnd: random.Random
) -> None:
    shuffled = list(orders)
    rnd.shuffle(shuffled)

    assert allocate(shuffled, available, SETS) == allocate(orders, available, SETS)
