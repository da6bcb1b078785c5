"""Juchu's connector types → SP-API request shapes: getOrders queries, confirmShipment and listings bodies.

The carrier table is the one place Juchu's carrier codes (Rakuten's 配送会社コード, malls.md §1.6) become
Amazon JP ``carrierCode`` strings. Amazon publishes no JP list (malls.md §8): the strings are **unverified**;
a code without an entry is sent as ``Other`` with the carrier's Japanese name as ``carrierName``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from juchu.connectors.base import ReportLine

JST = timezone(timedelta(hours=9), "JST")

#: Rakuten carrier code → (Amazon ``carrierCode``, Japanese name used as ``carrierName`` for ``Other``).
CARRIERS: dict[str, tuple[str, str]] = {
    "1000": ("Other", "その他"),
    "1001": ("Yamato Transport", "ヤマト運輸"),
    "1002": ("Sagawa Express", "佐川急便"),
    "1003": ("Japan Post", "日本郵便"),
    "1004": ("Seino Transportation", "西濃運輸"),
    "1006": ("Fukuyama Transporting", "福山通運"),
    "1029": ("Japan Post", "日本郵便"),  # RSL ships through Japan Post
}
#: The statuses ``fetch_new_orders`` asks for: Pending/PendingAvailability are not paid yet, Shipped orders
#: were shipped outside Juchu (or by Juchu, which knows already).
IMPORT_STATUSES = ("Unshipped", "PartiallyShipped", "Canceled")
#: The fulfillment channel of seller-fulfilled stock (``AMAZON_JP`` and the like are FBA's).
OWN_CHANNEL = "DEFAULT"


def wire_datetime(moment: datetime) -> str:
    """An aware datetime as SP-API wants it: ISO 8601 in UTC, ``2026-01-02T03:04:05Z``."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: SP-API needs aware times")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def orders_query(marketplace_id: str, updated_after: datetime, page_size: int = 100) -> dict[str, str]:
    """getOrders: MFN orders of the import statuses last updated at or after ``updated_after``."""
    return {
        "MarketplaceIds": marketplace_id,
        "LastUpdatedAfter": wire_datetime(updated_after),
        "FulfillmentChannels": "MFN",
        "OrderStatuses": ",".join(IMPORT_STATUSES),
        "MaxResultsPerPage": str(page_size),
    }


def carrier(code: str) -> tuple[str, str]:
    """(``carrierCode``, ``carrierName``) for one of Juchu's carrier codes; the name only for ``Other``."""
    amazon, name = CARRIERS.get(code, ("Other", f"配送会社 {code}" if code else "その他"))
    return amazon, name if amazon == "Other" else ""


def ship_datetime(shipped_on: date) -> str:
    """The ship date as an ISO 8601 instant: noon JST of that day (a date alone is not accepted)."""
    return wire_datetime(datetime.combine(shipped_on, time(12, 0), JST))


def package_reference(part: int) -> str:
    """The ``packageReferenceId`` of one part of a mall package: the part number, so a resent part edits its
    own package and a second part adds one."""
    return str(part)


def package_items(
    order_items: Sequence[Mapping[str, Any]], lines: Sequence[ReportLine]
) -> tuple[list[tuple[str, int]], list[str]]:
    """The (orderItemId, quantity) pairs of one package, and the SKUs of ``lines`` that no order item has.

    No lines: every item at its ``QuantityOrdered``. Otherwise the items whose SellerSKU a line names, at the
    line's quantity capped at ``QuantityOrdered`` (an SKU on several items fills them in order).
    """
    ordered = [
        (str(item.get("OrderItemId")), str(item.get("SellerSKU") or "").strip(), int(item.get("QuantityOrdered") or 0))
        for item in order_items
    ]
    if not lines:
        return [(item_id, quantity) for item_id, _sku, quantity in ordered if quantity > 0], []
    wanted: dict[str, int] = {}
    for line in lines:
        sku = line.mall_item_id.strip()
        wanted[sku] = wanted.get(sku, 0) + line.quantity
    known = {sku for _item_id, sku, _quantity in ordered}
    items: list[tuple[str, int]] = []
    for item_id, sku, quantity in ordered:
        taken = min(wanted.get(sku, 0), quantity)
        if taken > 0:
            items.append((item_id, taken))
            wanted[sku] -= taken
    return items, [sku for sku in wanted if sku not in known]


def confirm_shipment_body(
    marketplace_id: str,
    package_reference_id: str,
    carrier_code: str,
    shipped_on: date,
    tracking_number: str,
    items: Sequence[tuple[str, int]],
    *,
    cod: bool,
) -> dict[str, Any]:
    """confirmShipment for package ``package_reference_id`` holding ``items`` (orderItemId, quantity)."""
    code, name = carrier(carrier_code)
    package: dict[str, Any] = {
        "packageReferenceId": package_reference_id,
        "carrierCode": code,
        "trackingNumber": tracking_number,
        "shipDate": ship_datetime(shipped_on),
        "orderItems": [{"orderItemId": item_id, "quantity": quantity} for item_id, quantity in items],
    }
    if name:
        package["carrierName"] = name
    body: dict[str, Any] = {"marketplaceId": marketplace_id, "packageDetail": package}
    if cod:
        body["codCollectionMethod"] = "DirectPayment"
    return body


def quantity_patch(product_type: str, quantity: int) -> dict[str, Any]:
    """patchListingsItem: replace the seller-fulfilled (``DEFAULT`` channel) quantity."""
    return {
        "productType": product_type,
        "patches": [
            {
                "op": "replace",
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": OWN_CHANNEL, "quantity": quantity}],
            }
        ],
    }
