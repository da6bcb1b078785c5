"""Juchu's connector types → Rakuten wire bodies: search windows, shipping models, cancels and inventory items."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from juchu.connectors.base import ShipmentReport, StockLevel

JST = timezone(timedelta(hours=9), "JST")
MAX_SHIPPINGS_PER_BASKET = 20
MAX_QUANTITY = 99999

#: Our cancel reasons → ``changeReasonDetailApply`` (malls.md §1.2); anything else is 10 その他 (shop's reason).
CANCEL_REASONS = {
    "buyer_cancel": 1,
    "customer_request": 1,
    "returned": 2,
    "long_absence": 3,
    "unpaid": 4,
    "cod_refused": 5,
    "buyer_other": 6,
    "out_of_stock": 8,
    "shop_cancel": 10,
    "shop_other": 10,
    "other": 10,
    "late_shipping": 13,
    "caution": 14,
    "damaged": 15,
    "wrong_item": 15,
}
CANCEL_REASON_CODES = frozenset(CANCEL_REASONS.values())
DEFAULT_CANCEL_REASON = 10


def wire_datetime(moment: datetime) -> str:
    """An aware datetime as Rakuten wants it: JST, ``+0900`` without a colon."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: Rakuten search windows need aware times")
    return moment.astimezone(JST).strftime("%Y-%m-%dT%H:%M:%S+0900")


def search_body(
    date_type: int, start: datetime, end: datetime, page: int, *, progress: Sequence[int] = (), per_page: int = 1000
) -> dict[str, Any]:
    """A searchOrder body for ``[start, end]`` (both inclusive, whole seconds), oldest first."""
    body: dict[str, Any] = {
        "dateType": date_type,
        "startDatetime": wire_datetime(start),
        "endDatetime": wire_datetime(end),
        "PaginationRequestModel": {
            "requestRecordsAmount": per_page,
            "requestPage": page,
            "SortModelList": [{"sortColumn": 1, "sortDirection": 1}],
        },
    }
    if progress:
        body["orderProgressList"] = list(progress)
    return body


@dataclass(frozen=True, slots=True)
class ExistingShipping:
    """A ShippingModel already on a basket."""

    shipping_number: str
    delivery_company: str
    shipping_date: str


def existing_shippings(raw_order: Mapping[str, Any]) -> dict[str, list[ExistingShipping]]:
    """ShippingModels per basketId (as text) of a getOrder order; lenient, as it only guards against repeats."""
    found: dict[str, list[ExistingShipping]] = {}
    packages = raw_order.get("PackageModelList")
    for package in packages if isinstance(packages, list) else []:
        if not isinstance(package, dict):
            continue
        basket_id = package.get("basketId")
        if not isinstance(basket_id, int) or isinstance(basket_id, bool):
            continue
        models = package.get("ShippingModelList")
        found[str(basket_id)] = [
            ExistingShipping(
                str(m.get("shippingNumber") or ""),
                str(m.get("deliveryCompany") or ""),
                str(m.get("shippingDate") or ""),
            )
            for m in (models if isinstance(models, list) else [])
            if isinstance(m, dict)
        ]
    return found


def new_shipping_models(report: ShipmentReport, existing: Iterable[ExistingShipping]) -> list[dict[str, str]]:
    """The ShippingModels to add for a report: one per tracking number not already on the basket.

    A report without tracking numbers adds one model without ``shippingNumber`` unless the basket already has
    a number-less one from the same carrier. No ``shippingDetailId``: Rakuten adds rather than updates.
    """
    shipped_on = report.shipped_on.isoformat()
    have = list(existing)
    if not report.tracking_numbers:
        if any(not e.shipping_number and e.delivery_company == report.carrier_code for e in have):
            return []
        return [{"deliveryCompany": report.carrier_code, "shippingDate": shipped_on}]
    numbers = {e.shipping_number for e in have if e.shipping_number}
    return [
        {"deliveryCompany": report.carrier_code, "shippingNumber": number, "shippingDate": shipped_on}
        for number in dict.fromkeys(report.tracking_numbers)
        if number not in numbers
    ]


def cancel_reason_code(reason: str) -> int:
    """``changeReasonDetailApply`` for our reason string (or a Rakuten code given as digits); default 10."""
    key = reason.strip().lower()
    if key.isdigit() and int(key) in CANCEL_REASON_CODES:
        return int(key)
    return CANCEL_REASONS.get(key, DEFAULT_CANCEL_REASON)


def cancel_body(number: str, reason: str, inventory_restore_type: int) -> dict[str, Any]:
    """A cancelOrder body."""
    return {
        "orderNumber": number,
        "inventoryRestoreType": inventory_restore_type,
        "changeReasonDetailApply": cancel_reason_code(reason),
    }


def inventory_key(sku: str) -> tuple[str, str]:
    """``StockLevel.sku`` → (manageNumber, variantId).

    ``"manageNumber:variantId"`` names one SKU of an item; a bare ``"manageNumber"`` means the item's single
    SKU, whose variantId Rakuten sets to the manageNumber itself. Only the first colon splits (a manageNumber
    is ``[a-zA-Z0-9_-]`` and cannot hold one; a variantId may).
    """
    manage, _, variant = sku.partition(":")
    return manage.strip(), (variant or manage).strip()


def inventory_item(level: StockLevel) -> dict[str, Any]:
    """One bulk-upsert entry (ABSOLUTE; the quantity clamped to Rakuten's 0–99999)."""
    manage, variant = inventory_key(level.sku)
    return {
        "manageNumber": manage,
        "variantId": variant,
        "mode": "ABSOLUTE",
        "quantity": max(0, min(MAX_QUANTITY, level.quantity)),
    }
