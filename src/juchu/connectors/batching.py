"""Helpers the mall connectors share for batch calls answered per item."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from juchu.connectors.base import ItemResult, Outcome, StockLevel


def split_by_sku(
    levels: Iterable[tuple[int, StockLevel]], sendable: Callable[[str], bool], refusal: str
) -> tuple[dict[int, ItemResult], list[tuple[int, StockLevel]]]:
    """Split indexed stock levels into those to send and, by index, ``SKU_FORMAT`` refusals of the others.

    ``sendable`` judges a level's ``sku``; ``refusal`` is the message of a refused one.
    """
    refused: dict[int, ItemResult] = {}
    kept: list[tuple[int, StockLevel]] = []
    for index, level in levels:
        if sendable(level.sku):
            kept.append((index, level))
        else:
            refused[index] = ItemResult(level.sku, Outcome.REJECTED, "SKU_FORMAT", refusal)
    return refused, kept
