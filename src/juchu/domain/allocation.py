"""Stock allocation (引当): which orders get stock, oldest first, all or nothing (pipeline.md §2 checked.3).

Pure functions over plain values: the caller reads the orders waiting for stock and the warehouse's
available quantities, calls :func:`allocate`, and stores the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Demand:
    """One order waiting for stock."""

    order_id: int
    ordered_at: datetime
    lines: tuple[DemandLine, ...]


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


@dataclass(frozen=True)
class AllocationResult:
    """The outcome of one allocation pass."""

    #: order id → its allocation rows; only orders that got everything they need.
    allocations: Mapping[int, tuple[Allocation, ...]]
    #: order id → SKU → how many are missing; only orders that got nothing (引当待ち).
    shortages: Mapping[int, Mapping[str, int]]
    #: SKU → what is left of the available stock after this pass.
    remaining: Mapping[str, int]

    def explain_shortage(self, order_id: int) -> str:
        """Why the order is waiting, in Japanese; raises KeyError when the order is not short."""
        missing = self.shortages[order_id]
        parts = [f"SKU {sku} が {quantity} 個不足" for sku, quantity in sorted(missing.items())]
        return "引当待ち: " + "、".join(parts)


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
    """Allocate the available stock to the orders, oldest first, all or nothing per order.

    Orders are taken by ``ordered_at``, then ``order_id``. An order gets every SKU of every line, or
    nothing and then takes nothing from the stock. A SKU missing from ``available`` has 0; a negative
    available quantity counts as 0 (and stays as it is in ``remaining``).

    An order that is short does not block the orders after it: a newer order that fits in what is left
    is allocated (skip, not stop). One unavailable SKU would otherwise hold every later order in the
    warehouse. The price is that small newer orders can keep taking a SKU that a large older order is
    waiting for; the older order still comes first in every pass, so it wins as soon as enough stock is
    there at once.

    One pass is O(n log n) in the number of orders plus linear in their lines. Raises ValueError when
    an order id appears twice, and as :func:`expand` does.
    """
    left = dict(available)
    allocations: dict[int, tuple[Allocation, ...]] = {}
    shortages: dict[int, Mapping[str, int]] = {}
    seen: set[int] = set()
    for demand in sorted(demands, key=lambda d: (d.ordered_at, d.order_id)):
        if demand.order_id in seen:
            raise ValueError(f"order {demand.order_id} appears twice")
        seen.add(demand.order_id)
        needs = expand(demand.lines, sets)
        totals = _totals(needs)
        missing = {
            sku: quantity - max(left.get(sku, 0), 0) for sku, quantity in totals.items() if quantity > left.get(sku, 0)
        }
        if missing:
            shortages[demand.order_id] = MappingProxyType(missing)
            continue
        for sku, quantity in totals.items():
            left[sku] -= quantity
        allocations[demand.order_id] = tuple(
            Allocation(demand.order_id, need.line_id, need.sku, need.quantity) for need in needs
        )
    return AllocationResult(
        allocations=MappingProxyType(allocations),
        shortages=MappingProxyType(shortages),
        remaining=MappingProxyType(left),
    )
