"""Amazon stock: patchListingsItem to push, getListingsItem to read back, FBA SKUs left alone.

* ``push``: one patchListingsItem per SKU (``replace`` of the ``DEFAULT`` channel quantity); SKUs FBA holds
  (FBA inventory summaries, unless ``fba_check`` is off) are refused per item without a call.
* ``read``: one getListingsItem per SKU (``includedData=fulfillmentAvailability``), the ``DEFAULT``
  (seller-fulfilled) quantity; FBA SKUs and SKUs Amazon does not know (404) are left out.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from urllib.parse import quote

from juchu.connectors.base import ConnectorError, ItemResult, Outcome, StockLevel
from juchu.connectors.malls.amazon import wire
from juchu.connectors.malls.amazon.client import (
    FBA_SUMMARIES,
    GET_LISTING,
    PATCH_LISTING,
    AmazonApiError,
    AmazonClient,
    payload_of,
)

FBA_INVENTORY = "/fba/inventory/v1/summaries"
LISTINGS = "/listings/2021-08-01/items"
FBA_CHUNK = 50  # sellerSkus per FBA inventory request


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class ListingStock:
    """The seller's listings' seller-fulfilled quantities, through one :class:`AmazonClient`."""

    def __init__(self, client: AmazonClient, *, product_type: str, fba_check: bool) -> None:
        self.client = client
        self.product_type = product_type
        self.fba_check = fba_check

    def push(self, batch: Sequence[StockLevel]) -> list[ItemResult]:
        """One patchListingsItem per SKU (``sku`` is the SellerSKU); FBA SKUs are refused without a call."""
        skus = [level.sku for level in batch if level.sku.strip()]
        fba, fba_note = self._fba_skus(list(dict.fromkeys(skus)))
        results: list[ItemResult] = []
        for level in batch:
            if not level.sku.strip():
                results.append(ItemResult(level.sku, Outcome.REJECTED, "SKU_FORMAT", "SKU が空です"))
            elif level.sku in fba:
                results.append(
                    ItemResult(
                        level.sku,
                        Outcome.REJECTED,
                        "FBA_SKU",
                        "FBA (フルフィルメント by Amazon) の SKU のため在庫を送信しません。"
                        "この商品マッピングの在庫連携をオフにしてください",
                    )
                )
            else:
                results.append(self._patch_quantity(level, fba_note))
        return results

    def _fba_skus(self, skus: list[str]) -> tuple[set[str], dict[str, str]]:
        """The SKUs of ``skus`` that FBA inventory summaries know; a refused look-up means none (with a note)."""
        if not self.fba_check or not skus:
            return set(), {}
        found: set[str] = set()
        for chunk in _chunks(skus, FBA_CHUNK):
            params = {
                "granularityType": "Marketplace",
                "granularityId": self.client.marketplace_id,
                "marketplaceIds": self.client.marketplace_id,
                "sellerSkus": ",".join(chunk),
            }
            while True:
                try:
                    answer = self.client.call(FBA_SUMMARIES, "GET", FBA_INVENTORY, params=params)
                except AmazonApiError as exc:  # e.g. the seller is not enrolled in FBA
                    return found, {"fba_check": f"FBA 在庫を確認できませんでした ({exc.code})"}
                summaries = payload_of(answer, "getInventorySummaries").get("inventorySummaries")
                for summary in summaries if isinstance(summaries, list) else []:
                    if isinstance(summary, dict) and isinstance(summary.get("sellerSku"), str):
                        found.add(summary["sellerSku"])
                pagination = answer.get("pagination")
                token = pagination.get("nextToken") if isinstance(pagination, dict) else None
                if not token or not isinstance(token, str):
                    break
                params = {**params, "nextToken": token}
        return found, {}

    def _patch_quantity(self, level: StockLevel, note: dict[str, str]) -> ItemResult:
        path = f"{LISTINGS}/{quote(self.client.seller_id, safe='')}/{quote(level.sku, safe='')}"
        body = wire.quantity_patch(self.product_type, max(level.quantity, 0))
        try:
            answer = self.client.call(
                PATCH_LISTING, "PATCH", path, params={"marketplaceIds": self.client.marketplace_id}, body=body
            )
        except AmazonApiError as exc:
            return ItemResult(level.sku, Outcome.REJECTED, exc.code, str(exc), note)
        except ConnectorError as exc:
            if exc.code == "AUTH":
                raise
            return ItemResult(level.sku, Outcome.RETRY if exc.retryable else Outcome.REJECTED, exc.code, str(exc), note)
        status = answer.get("status")
        if status == "ACCEPTED":
            return ItemResult(
                level.sku, Outcome.ACCEPTED, data={**note, "submission_id": str(answer.get("submissionId"))}
            )
        listed = answer.get("issues")
        issues = listed if isinstance(listed, list) else []
        first = next((i for i in issues if isinstance(i, dict) and i.get("severity") == "ERROR"), None) or next(
            (i for i in issues if isinstance(i, dict)), {}
        )
        return ItemResult(
            level.sku,
            Outcome.REJECTED,
            str(first.get("code") or status or "INVALID"),
            str(first.get("message") or f"出品情報の更新が受け付けられませんでした ({status})"),
            note,
        )

    def read(self, skus: Sequence[str]) -> list[StockLevel]:
        """getListingsItem per SKU (``includedData=fulfillmentAvailability``): the seller-fulfilled quantity.

        Left out: SKUs FBA holds (the FBA inventory summaries, as before a push — no listing call for them),
        SKUs Amazon does not know (404) and listings that show only Amazon-fulfilled (``AMAZON_…``)
        availability. A listing without any availability shows 0. Any other failure fails the whole read.
        """
        wanted = [sku for sku in dict.fromkeys(skus) if sku.strip()]
        fba, _note = self._fba_skus(wanted)
        found: list[StockLevel] = []
        for sku in wanted:
            if sku not in fba:
                quantity = self._listed_quantity(sku)
                if quantity is not None:
                    found.append(StockLevel(sku, quantity))
        return found

    def _listed_quantity(self, sku: str) -> int | None:
        """The ``DEFAULT`` channel quantity of one listing; None when it is not Amazon's to show."""
        path = f"{LISTINGS}/{quote(self.client.seller_id, safe='')}/{quote(sku, safe='')}"
        params = {"marketplaceIds": self.client.marketplace_id, "includedData": "fulfillmentAvailability"}
        try:
            answer = self.client.call(GET_LISTING, "GET", path, params=params)
        except AmazonApiError as exc:
            if exc.status == 404:
                return None
            raise
        where = f"Amazon getListingsItem {path}"
        availability = answer.get("fulfillmentAvailability") or []
        if not isinstance(availability, list) or not all(isinstance(a, dict) for a in availability):
            raise ConnectorError(f"{where}: fulfillmentAvailability が配列ではありません", code="MALFORMED")
        own = next((a for a in availability if a.get("fulfillmentChannelCode") == wire.OWN_CHANNEL), None)
        if own is None:
            return None if availability else 0
        quantity = own.get("quantity", 0)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            raise ConnectorError(f"{where}: quantity が不正です ({quantity!r})", code="MALFORMED")
        return quantity
