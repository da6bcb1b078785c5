"""Stock allocation (引当): which orders get stock, oldest first, all or nothing (pipeline.md §2 checked.3).

Pure functions over plain values: the caller reads the orders waiting for stock and the warehouses'
available quantities, calls :func:`allocate_across` (or :func:`allocate` for one warehouse), and stores the
result.

分割出荷 (decision 0010): an order may name more than one warehouse, its own first. It is allocated from
the first warehouse that holds all of it (one parcel); failing that, line by line, each line whole from the
first warehouse that still holds it, so the order leaves in one parcel per warehouse. A line is never split
across warehouses. Still all or nothing: an order that cannot be placed takes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType

#: Set product code → its components as (component SKU, quantity per set) pairs.
SetComponents = Mapping[str, tuple[tuple[str, int], ...]]


@dataclass(frozen=True, slots=True)
class DemandLine:
    """One order line to allocate: a SKU or set product code and how many."""

    line_id: int
    product_code: str
    quantity: int
    #: The warehouse this line must come from (its package was already split there); None: any of the order's.
    warehouse_id: int | None = None


@dataclass(frozen=True, slots=True)
class Demand:
    """One order waiting for stock."""

    order_id: int
    ordered_at: datetime
    lines: tuple[DemandLine, ...]
    #: Where the order may take stock from, in order of preference; the first is the order's own warehouse.
    warehouses: tuple[int, ...] = (0,)


@dataclass(frozen=True, slots=True)
class Need:
    """What one line needs of one SKU once set products are expanded."""

    line_id: int
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Allocation:
    """Stock of one SKU reserved for one order line."""

    order_id: int
    line_id: int
    sku: str
    quantity: int
    warehouse_id: int = 0


@dataclass(frozen=True)
class AllocationResult:
    """The outcome of one allocation pass."""

    #: order id → its allocation rows; only orders that got everything they need.
    allocations: Mapping[int, tuple[Allocation, ...]]
    #: order id → SKU → how many are missing; only orders that got nothing (引当待ち).
    shortages: Mapping[int, Mapping[str, int]]
    #: SKU → what is left of the available stock after this pass.
    remaining: Mapping[str, int]
    #: order id → why the shortage reads as it does, when the order could have used more than one warehouse.
    notes: Mapping[int, str] = field(default_factory=lambda: MappingProxyType({}))

    def explain_shortage(self, order_id: int) -> str:
        """Why the order is waiting, in Japanese; raises KeyError when the order is not short."""
        missing = self.shortages[order_id]
        parts = [f"SKU {sku} が {quantity} 個不足" for sku, quantity in sorted(missing.items())]
        note = self.notes.get(order_id, "")
        return "引当待ち: " + "、".join(parts) + (f" ({note})" if note else "")


@dataclass(frozen=True)
class PlacedResult(AllocationResult):
    """The outcome of an allocation pass over several warehouses."""

    #: order id → line id → the warehouse the line ships from; only allocated orders.
    placements: Mapping[int, Mapping[int, int]] = field(default_factory=lambda: MappingProxyType({}))
    #: warehouse id → SKU → what is left of its available stock after this pass.
    remaining_in: Mapping[int, Mapping[str, int]] = field(default_factory=lambda: MappingProxyType({}))

    def warehouses_of(self, order_id: int) -> tuple[int, ...]:
        """The warehouses an allocated order ships from, each once, in line order."""
        return tuple(dict.fromkeys(self.placements[order_id].values()))


def expand(lines: Iterable[DemandLine], sets: SetComponents) -> tuple[Need, ...]:
    """The SKU quantities the lines need: a set becomes its components × quantity, any other code is a SKU.

    Sets expand one level (a component is always a SKU). Needs of the same SKU on the same line are
    merged; zero quantities are left out. Raises ValueError for a negative line quantity, a set without
    components or a non-positive quantity per set.
    """
    merged: dict[tuple[int, str], int] = {}
    for line in lines:
        if line.quantity < 0:
            raise ValueError(f"line {line.line_id}: negative quantity {line.quantity}")
        components = sets.get(line.product_code)
        if components is None:
            components = ((line.product_code, 1),)
        elif not components:
            raise ValueError(f"set {line.product_code} has no components")
        for sku, per_set in components:
            if per_set <= 0:
                raise ValueError(f"set {line.product_code}: component {sku} has quantity {per_set}")
            key = (line.line_id, sku)
            merged[key] = merged.get(key, 0) + line.quantity * per_set
    return tuple(Need(line_id, sku, quantity) for (line_id, sku), quantity in merged.items() if quantity)


def _totals(needs: Iterable[Need]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for need in needs:
        totals[need.sku] = totals.get(need.sku, 0) + need.quantity
    return totals


def required(demand: Demand, sets: SetComponents) -> dict[str, int]:
    """The total quantity per SKU the order needs, sets expanded."""
    return _totals(expand(demand.lines, sets))


def allocate(demands: Iterable[Demand], available: Mapping[str, int], sets: SetComponents) -> AllocationResult:
    """Allocate one warehouse's stock to the orders, oldest first, all or nothing per order.

    The one-warehouse case of :func:`allocate_across`: every demand takes from ``available`` whatever
    warehouses it names, and ``remaining`` is what is left of it.
    """
    single = [Demand(d.order_id, d.ordered_at, tuple(replace(x, warehouse_id=None) for x in d.lines)) for d in demands]
    result = allocate_across(single, {0: available}, sets)
    return AllocationResult(
        allocations=result.allocations,
        shortages=result.shortages,
        remaining=result.remaining_in.get(0, MappingProxyType(dict(available))),
    )


def allocate_across(
    demands: Iterable[Demand], stock: Mapping[int, Mapping[str, int]], sets: SetComponents
) -> PlacedResult:
    """Allocate the warehouses' stock (warehouse id → SKU → available) to the orders, oldest first.

    Orders are taken by ``ordered_at``, then ``order_id``. Each order is placed by :func:`_place`: in the
    first of its warehouses that holds all of it, else line by line (分割出荷), else not at all — and then it
    takes nothing from the stock. A SKU missing from a warehouse's stock has 0 there; a negative available
    quantity counts as 0 (and stays as it is in ``remaining_in``).

    An order that is short does not block the orders after it: a newer order that fits in what is left
    is allocated (skip, not stop). One unavailable SKU would otherwise hold every later order in the
    warehouse. The price is that small newer orders can keep taking a SKU that a large older order is
    waiting for; the older order still comes first in every pass, so it wins as soon as enough stock is
    there at once.

    One pass is O(n log n) in the number of orders plus linear in their lines times their warehouses.
    Raises ValueError when an order id appears twice, when an order names no warehouse, and as
    :func:`expand` does.
    """
    left = {warehouse: dict(available) for warehouse, available in stock.items()}
    allocations: dict[int, tuple[Allocation, ...]] = {}
    placements: dict[int, Mapping[int, int]] = {}
    shortages: dict[int, Mapping[str, int]] = {}
    notes: dict[int, str] = {}
    seen: set[int] = set()
    for demand in sorted(demands, key=lambda d: (d.ordered_at, d.order_id)):
        if demand.order_id in seen:
            raise ValueError(f"order {demand.order_id} appears twice")
        seen.add(demand.order_id)
        if not demand.warehouses:
            raise ValueError(f"order {demand.order_id} names no warehouse")
        expanded = expand(demand.lines, sets)
        needs: dict[int, dict[str, int]] = {line.line_id: {} for line in demand.lines}
        for need in expanded:
            needs[need.line_id][need.sku] = need.quantity
        whole = _totals(expanded)
        plan = _place(demand, needs, whole, left)
        if plan is None:
            shortages[demand.order_id], note = _shortage(demand, needs, whole, left)
            if note:
                notes[demand.order_id] = note
            continue
        rows = []
        for line in demand.lines:
            warehouse = plan[line.line_id]
            for sku, quantity in needs[line.line_id].items():
                left.setdefault(warehouse, {})
                left[warehouse][sku] = left[warehouse].get(sku, 0) - quantity
                rows.append(Allocation(demand.order_id, line.line_id, sku, quantity, warehouse))
        allocations[demand.order_id] = tuple(rows)
        placements[demand.order_id] = MappingProxyType(plan)
    flat = left.get(next(iter(stock), 0), {}) if len(stock) == 1 else {}
    return PlacedResult(
        allocations=MappingProxyType(allocations),
        shortages=MappingProxyType(shortages),
        remaining=MappingProxyType(flat),
        notes=MappingProxyType(notes),
        placements=MappingProxyType(placements),
        remaining_in=MappingProxyType({w: MappingProxyType(x) for w, x in left.items()}),
    )


def _free(left: Mapping[int, Mapping[str, int]], warehouse: int, sku: str) -> int:
    return max(left.get(warehouse, {}).get(sku, 0), 0)


def _fits(
    totals: Mapping[str, int], left: Mapping[int, Mapping[str, int]], warehouse: int, used: Mapping[str, int]
) -> bool:
    return all(quantity + used.get(sku, 0) <= _free(left, warehouse, sku) for sku, quantity in totals.items())


def _place(
    demand: Demand,
    needs: Mapping[int, Mapping[str, int]],
    whole: Mapping[str, int],
    left: Mapping[int, Mapping[str, int]],
) -> dict[int, int] | None:
    """Line id → warehouse for the whole order, or None when its warehouses cannot hold it.

    Lines already bound to a warehouse (their package was split there) stay there and the rest go to the
    order's own warehouse. Otherwise: the first warehouse that holds every line (one parcel); else each line,
    in order, to the first warehouse that still holds it after the lines placed before it.
    """
    own = demand.warehouses[0]
    if any(line.warehouse_id is not None for line in demand.lines):
        bound = {line.line_id: line.warehouse_id if line.warehouse_id is not None else own for line in demand.lines}
        return bound if _plan_fits(bound, needs, left) else None
    for warehouse in demand.warehouses:
        if _fits(whole, left, warehouse, {}):
            return {line.line_id: warehouse for line in demand.lines}
    if len(demand.warehouses) < 2:
        return None
    used: dict[int, dict[str, int]] = {w: {} for w in demand.warehouses}
    plan: dict[int, int] = {}
    for line in demand.lines:
        totals = needs[line.line_id]
        chosen = next((w for w in demand.warehouses if _fits(totals, left, w, used[w])), None)
        if chosen is None:
            return None
        plan[line.line_id] = chosen
        for sku, quantity in totals.items():
            used[chosen][sku] = used[chosen].get(sku, 0) + quantity
    return plan


def _plan_fits(
    plan: Mapping[int, int], needs: Mapping[int, Mapping[str, int]], left: Mapping[int, Mapping[str, int]]
) -> bool:
    per_warehouse: dict[int, dict[str, int]] = {}
    for line_id, warehouse in plan.items():
        bucket = per_warehouse.setdefault(warehouse, {})
        for sku, quantity in needs[line_id].items():
            bucket[sku] = bucket.get(sku, 0) + quantity
    return all(_fits(totals, left, warehouse, {}) for warehouse, totals in per_warehouse.items())


def _shortage(
    demand: Demand,
    needs: Mapping[int, Mapping[str, int]],
    whole: Mapping[str, int],
    left: Mapping[int, Mapping[str, int]],
) -> tuple[Mapping[str, int], str]:
    """What the order misses, and a note when more than one warehouse was looked at.

    Missing is counted against every warehouse the order may use together; when they hold enough together
    but no placement works (a line needs more than any one warehouse holds), it is counted against the
    order's own warehouse and the note says why.
    """
    own = demand.warehouses[0]
    if any(line.warehouse_id is not None for line in demand.lines):
        per_warehouse: dict[tuple[int, str], int] = {}
        for line in demand.lines:
            warehouse = line.warehouse_id if line.warehouse_id is not None else own
            for sku, quantity in needs[line.line_id].items():
                per_warehouse[(warehouse, sku)] = per_warehouse.get((warehouse, sku), 0) + quantity
        short: dict[str, int] = {}
        for (warehouse, sku), quantity in per_warehouse.items():
            if quantity > _free(left, warehouse, sku):
                short[sku] = short.get(sku, 0) + quantity - _free(left, warehouse, sku)
        return MappingProxyType(short), ""
    warehouses = demand.warehouses
    pooled = {sku: sum(_free(left, w, sku) for w in warehouses) for sku in whole}
    missing = {sku: quantity - pooled[sku] for sku, quantity in whole.items() if quantity > pooled[sku]}
    if len(warehouses) < 2:
        return MappingProxyType(missing), ""
    if missing:
        return MappingProxyType(missing), f"{len(warehouses)}倉庫の在庫を合わせても不足"
    at_own = {sku: q - _free(left, own, sku) for sku, q in whole.items() if q > _free(left, own, sku)}
    return MappingProxyType(at_own), "倉庫を合わせれば足りますが、1明細は1つの倉庫から出荷するため分けられません"
