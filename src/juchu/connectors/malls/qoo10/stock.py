"""Qoo10 stock push: one call per SKU (Qoo10 has no per-item answers in its bulk calls that Juchu relies on).

``StockLevel.sku`` is ``sellerItemCode:optionCode`` for an option of an item, or a bare ``sellerItemCode``.
An option is written with ItemsOptions.UpdateInventoryQtyUnit, which names the option by its name and value:
those are read once per item with ItemsLookup.GetGoodsInventoryInfo. A bare item is written with
ItemsOrder.SetGoodsPriceQty (quantity only; the price is left as it is).

Reading back (:func:`read_levels`) asks GetGoodsInventoryInfo once per item: an item with options answers its
``item:option`` keys from the options' ``Qty``; an item without options answers its bare key from
ItemsLookup.GetItemDetailInfo's ``ItemQty``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from juchu.connectors.base import ConnectorError, ItemResult, Outcome, StockLevel
from juchu.connectors.malls.qoo10 import wire
from juchu.connectors.malls.qoo10.client import Qoo10ApiError, Qoo10Client

MAX_QUANTITY = 2**31 - 1


class StockWriter:
    """Writes one batch of stock levels, answering per SKU in the batch's order."""

    def __init__(self, client: Qoo10Client) -> None:
        self.client = client
        self._options: dict[str, dict[str, dict[str, Any]] | ItemResult] = {}

    def push(self, batch: Sequence[StockLevel]) -> list[ItemResult]:
        """One result per level of ``batch``."""
        return [self._one(level) for level in batch]

    def _one(self, level: StockLevel) -> ItemResult:
        item, _, option = level.sku.partition(":")
        if not item.strip():
            return ItemResult(level.sku, Outcome.REJECTED, "SKU_FORMAT", "販売者商品コードが空です")
        if not 0 <= level.quantity <= MAX_QUANTITY:
            return ItemResult(level.sku, Outcome.REJECTED, "QUANTITY", f"在庫数が範囲外です ({level.quantity})")
        try:
            if not option:
                self.client.call(
                    wire.SET_PRICE_QTY, {"ItemCode": "", "SellerCode": item, "ItemQty": str(level.quantity)}
                )
                return ItemResult(level.sku, Outcome.ACCEPTED)
            options = self._options_of(item)
            if isinstance(options, ItemResult):
                return ItemResult(level.sku, options.outcome, options.code, options.message)
            found = options.get(option)
            if found is None:
                return ItemResult(
                    level.sku,
                    Outcome.REJECTED,
                    "OPTION_NOT_FOUND",
                    f"商品 {item} にオプションコード {option} がありません",
                )
            self.client.call(
                wire.UPDATE_OPTION_QTY,
                {
                    "ItemCode": str(found.get("ItemCode") or ""),
                    "SellerCode": item,
                    "OptionName": str(found.get("OptionName") or ""),
                    "OptionValue": str(found.get("OptionValue") or ""),
                    "OptionCode": option,
                    "Qty": str(level.quantity),
                },
            )
            return ItemResult(level.sku, Outcome.ACCEPTED)
        except Qoo10ApiError as exc:
            return ItemResult(level.sku, Outcome.REJECTED, exc.code, exc.result_msg or str(exc))
        except ConnectorError as exc:
            if not exc.retryable:
                raise
            return ItemResult(level.sku, Outcome.RETRY, exc.code, str(exc))

    def _options_of(self, item: str) -> dict[str, dict[str, Any]] | ItemResult:
        """The item's options by OptionCode, or the refusal (kept for the item's other SKUs)."""
        cached = self._options.get(item)
        if cached is not None:
            return cached
        try:
            envelope = self.client.call(wire.GET_INVENTORY, {"ItemCode": "", "SellerCode": item})
        except Qoo10ApiError as exc:
            refusal = ItemResult(item, Outcome.REJECTED, exc.code, exc.result_msg or str(exc))
            self._options[item] = refusal
            return refusal
        rows = envelope.get("ResultObject")
        if rows is not None and not isinstance(rows, list):
            raise ConnectorError(f"Qoo10 {wire.GET_INVENTORY}: ResultObject が配列ではありません", code="MALFORMED")
        options = {
            str(row.get("OptionCode")): row for row in rows or [] if isinstance(row, dict) and row.get("OptionCode")
        }
        self._options[item] = options
        return options


def read_levels(client: Qoo10Client, skus: Sequence[str]) -> list[StockLevel]:
    """The quantities Qoo10 shows for ``skus``; items Qoo10 does not know (-10001), options it does not have,
    and a bare key of an item that keeps its stock on options (or an option key of one that does not) are left
    out. Any other refusal or failure fails the whole read."""
    by_item: dict[str, dict[str, str]] = {}
    for sku in dict.fromkeys(skus):
        item, _, option = sku.partition(":")
        if item.strip():
            by_item.setdefault(item, {})[option] = sku
    found: list[StockLevel] = []
    for item, wanted in by_item.items():
        options = _lookup(client, wire.GET_INVENTORY, item)
        if options is None:
            continue
        if options:
            for row in options:
                code = str(row.get("OptionCode") or "")
                if code and code in wanted:
                    found.append(StockLevel(wanted.pop(code), _quantity(row, "Qty", wire.GET_INVENTORY)))
        elif "" in wanted:
            detail = _lookup(client, wire.GET_ITEM_DETAIL, item)
            if detail:
                found.append(StockLevel(wanted[""], _quantity(detail[0], "ItemQty", wire.GET_ITEM_DETAIL)))
    return found


def _lookup(client: Qoo10Client, method: str, item: str) -> list[dict[str, Any]] | None:
    """The ``ResultObject`` rows of an item lookup by SellerCode; None when Qoo10 does not know the item."""
    try:
        envelope = client.call(method, {"ItemCode": "", "SellerCode": item})
    except Qoo10ApiError as exc:
        if exc.result_code == wire.ITEM_NOT_FOUND:
            return None
        raise
    rows = envelope.get("ResultObject")
    if isinstance(rows, dict):
        rows = [rows]
    if rows is not None and not isinstance(rows, list):
        raise ConnectorError(f"Qoo10 {method}: ResultObject が配列ではありません", code="MALFORMED")
    return [row for row in rows or [] if isinstance(row, dict)]


def _quantity(row: dict[str, Any], key: str, method: str) -> int:
    value = row.get(key)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConnectorError(f"Qoo10 {method}: {key} が不正です ({value!r})", code="MALFORMED")
    return value
