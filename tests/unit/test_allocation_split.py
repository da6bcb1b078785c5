"""分割出荷: allocation over several warehouses (domain/allocation.allocate_across, decision 0010)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from juchu.domain.allocation import Allocation, Demand, DemandLine, allocate_across

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SETS = {"SET-AB": (("A", 1), ("B", 1))}
RSL, OWN = 1, 2


def order(order_id: int, minutes: int, *lines: tuple[str, int], warehouses: tuple[int, ...] = (RSL, OWN)) -> Demand:
    return Demand(
        order_id,
        T0 + timedelta(minutes=minutes),
        tuple(DemandLine(order_id * 10 + i, code, quantity) for i, (code, quantity) in enumerate(lines, 1)),
        warehouses,
    )


def test_the_own_warehouse_ships_everything_when_it_holds_everything() -> None:
    result = allocate_across([order(1, 0, ("A", 2), ("B", 1))], {RSL: {"A": 2, "B": 1}, OWN: {"A": 9, "B": 9}}, SETS)

    assert result.placements == {1: {11: RSL, 12: RSL}}
    assert result.remaining_in[OWN] == {"A": 9, "B": 9}


def test_a_second_warehouse_that_holds_everything_ships_it_in_one_parcel() -> None:
    result = allocate_across([order(1, 0, ("A", 2), ("B", 1))], {RSL: {"A": 2}, OWN: {"A": 2, "B": 1}}, SETS)

    assert result.warehouses_of(1) == (OWN,)
    assert result.remaining_in[RSL] == {"A": 2}


def test_lines_split_across_two_warehouses_when_neither_holds_everything() -> None:
    result = allocate_across([order(1, 0, ("A", 2), ("B", 1))], {RSL: {"A": 2}, OWN: {"B": 1}}, SETS)

    assert result.placements == {1: {11: RSL, 12: OWN}}
    assert result.allocations[1] == (Allocation(1, 11, "A", 2, RSL), Allocation(1, 12, "B", 1, OWN))
    assert result.remaining_in == {RSL: {"A": 0}, OWN: {"B": 0}}
    assert result.warehouses_of(1) == (RSL, OWN)


def test_a_line_placed_earlier_uses_up_the_stock_a_later_line_of_the_same_sku_wanted() -> None:
    result = allocate_across([order(1, 0, ("A", 2), ("A", 2))], {RSL: {"A": 3}, OWN: {"A": 2}}, SETS)

    assert result.placements == {1: {11: RSL, 12: OWN}}


def test_a_set_line_takes_every_component_from_one_warehouse() -> None:
    # A is at RSL and B at the own warehouse: a set needs both in the same place, so it cannot ship.
    result = allocate_across([order(1, 0, ("SET-AB", 1))], {RSL: {"A": 1}, OWN: {"B": 1}}, SETS)

    assert result.allocations == {}
    assert 1 in result.shortages
    assert result.remaining_in == {RSL: {"A": 1}, OWN: {"B": 1}}


def test_short_in_both_warehouses_together_takes_nothing_and_says_so() -> None:
    result = allocate_across([order(1, 0, ("A", 2), ("B", 5))], {RSL: {"A": 2, "B": 1}, OWN: {"B": 2}}, SETS)

    assert result.allocations == {}
    assert result.shortages == {1: {"B": 2}}
    assert result.explain_shortage(1) == "引当待ち: SKU B が 2 個不足 (2倉庫の在庫を合わせても不足)"
    assert result.remaining_in == {RSL: {"A": 2, "B": 1}, OWN: {"B": 2}}


def test_enough_together_but_one_line_bigger_than_any_warehouse_is_explained() -> None:
    result = allocate_across([order(1, 0, ("A", 3))], {RSL: {"A": 2}, OWN: {"A": 2}}, SETS)

    assert result.shortages == {1: {"A": 1}}
    assert "1明細は1つの倉庫から出荷する" in result.explain_shortage(1)


def test_an_order_with_one_warehouse_is_all_or_nothing_there() -> None:
    result = allocate_across([order(1, 0, ("A", 1), ("B", 1), warehouses=(RSL,))], {RSL: {"A": 1}, OWN: {"B": 5}}, SETS)

    assert result.allocations == {}
    assert result.explain_shortage(1) == "引当待ち: SKU B が 1 個不足"


def test_lines_bound_to_a_warehouse_stay_there_even_when_another_has_the_stock() -> None:
    bound = Demand(
        1, T0, (DemandLine(11, "A", 1, warehouse_id=RSL), DemandLine(12, "B", 1, warehouse_id=OWN)), (RSL, OWN)
    )

    short = allocate_across([bound], {RSL: {"A": 1, "B": 5}, OWN: {}}, SETS)
    placed = allocate_across([bound], {RSL: {"A": 1}, OWN: {"B": 1}}, SETS)

    assert short.allocations == {}
    assert short.shortages == {1: {"B": 1}}
    assert placed.placements == {1: {11: RSL, 12: OWN}}


def test_the_older_order_takes_the_second_warehouses_stock_first() -> None:
    older, newer = order(1, 0, ("A", 1), ("B", 1)), order(2, 5, ("A", 1), ("B", 1))

    result = allocate_across([newer, older], {RSL: {"A": 2}, OWN: {"B": 1}}, SETS)

    assert result.placements == {1: {11: RSL, 12: OWN}}
    assert set(result.shortages) == {2}


_lines = st.lists(st.tuples(st.sampled_from(["A", "B", "C", "SET-AB"]), st.integers(1, 4)), min_size=1, max_size=4)
_stock = st.dictionaries(st.sampled_from(["A", "B", "C"]), st.integers(-1, 8))


@settings(max_examples=300, deadline=None)
@given(st.lists(_lines, min_size=1, max_size=8), _stock, _stock, st.booleans())
def test_never_oversells_a_warehouse_and_ships_each_line_whole_from_one(
    orders: list[list[tuple[str, int]]], rsl: dict[str, int], own: dict[str, int], one_warehouse: bool
) -> None:
    warehouses = (RSL,) if one_warehouse else (RSL, OWN)
    demands = [order(i, i, *lines, warehouses=warehouses) for i, lines in enumerate(orders, 1)]

    result = allocate_across(demands, {RSL: rsl, OWN: own}, SETS)

    assert set(result.allocations) | set(result.shortages) == {d.order_id for d in demands}
    assert not set(result.allocations) & set(result.shortages)
    for warehouse, stock in ((RSL, rsl), (OWN, own)):
        taken: dict[str, int] = {}
        for rows in result.allocations.values():
            for row in rows:
                if row.warehouse_id == warehouse:
                    taken[row.sku] = taken.get(row.sku, 0) + row.quantity
        for sku, quantity in taken.items():
            assert quantity <= max(stock.get(sku, 0), 0)
            assert result.remaining_in[warehouse][sku] == stock.get(sku, 0) - quantity
    for d in demands:
        if d.order_id in result.allocations:
            plan = result.placements[d.order_id]
            assert set(plan) == {line.line_id for line in d.lines}
            assert set(plan.values()) <= set(warehouses)
            for row in result.allocations[d.order_id]:
                assert row.warehouse_id == plan[row.line_id]
