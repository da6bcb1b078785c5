"""What each emulated SP-API operation does to the mall: (status, JSON body) for checked inputs.

Errors use SP-API's envelope ``{"errors": [{"code", "message", "details"}]}``.
"""

from __future__ import annotations

import copy
import re
import secrets
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from juchu_sandbox.amazon import generator
from juchu_sandbox.amazon.store import SELLER_ID, Mall, now_utc

Answer = tuple[int, Any]
ORDER_ID = re.compile(r"^\d{3}-\d{7}-\d{7}$")
STATUSES = (
    "PendingAvailability",
    "Pending",
    "Unshipped",
    "PartiallyShipped",
    "Shipped",
    "InvoiceUnconfirmed",
    "Canceled",
    "Unfulfillable",
)
#: Amazon JP carrierCode values the emulator accepts (the real list is longer and unpublished for JP).
CARRIER_CODES = frozenset(
    {"Yamato Transport", "Sagawa Express", "Japan Post", "Seino Transportation", "Fukuyama Transporting", "Other"}
)
_JST = timezone(timedelta(hours=9), "JST")


def error(status: int, code: str, message: str, details: str = "") -> Answer:
    return status, {"errors": [{"code": code, "message": message, "details": details}]}


def invalid(message: str) -> Answer:
    return error(400, "InvalidInput", message)


def parse_time(raw: str | None) -> datetime | None:
    """An ISO 8601 instant (``Z`` or an offset); None when absent or not one."""
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _list(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def _public_order(record: dict[str, Any]) -> dict[str, Any]:
    """The Order as getOrders/getOrder give it: the address without personal data."""
    order = copy.deepcopy(record["order"])
    address = record["address"]
    order["ShippingAddress"] = {k: address[k] for k in ("City", "StateOrRegion", "PostalCode", "CountryCode")}
    return order


def get_orders(mall: Mall, query: dict[str, str]) -> Answer:
    """getOrders with its documented checks, filters and NextToken paging."""
    marketplaces = _list(query.get("MarketplaceIds"))
    if not marketplaces:
        return invalid("MarketplaceIds is required.")
    if generator.JP_MARKETPLACE not in marketplaces:
        return invalid(f"Invalid MarketplaceIds: {','.join(marketplaces)}")
    with mall.lock:
        token = query.get("NextToken")
        if token:
            if token not in mall.next_tokens:
                return invalid("Invalid NextToken.")
            ids, offset = mall.next_tokens.pop(token)
            return _page(mall, ids, offset, 100, None)
        size_raw = query.get("MaxResultsPerPage", "100")
        if not size_raw.isdigit() or not 1 <= int(size_raw) <= 100:
            return invalid("MaxResultsPerPage must be 1 - 100.")
        created_after, updated_after = query.get("CreatedAfter"), query.get("LastUpdatedAfter")
        if bool(created_after) == bool(updated_after):
            return invalid("Exactly one of CreatedAfter and LastUpdatedAfter must be specified.")
        if created_after and (query.get("LastUpdatedBefore")):
            return invalid("LastUpdatedBefore cannot be specified with CreatedAfter.")
        if updated_after and query.get("CreatedBefore"):
            return invalid("CreatedBefore cannot be specified with LastUpdatedAfter.")
        key = "PurchaseDate" if created_after else "LastUpdateDate"
        after = parse_time(created_after or updated_after)
        if after is None:
            return invalid(f"{'CreatedAfter' if created_after else 'LastUpdatedAfter'} is not an ISO 8601 date.")
        before_name = "CreatedBefore" if created_after else "LastUpdatedBefore"
        before = None
        if query.get(before_name):
            before = parse_time(query[before_name])
            if before is None or before < after or before > now_utc() - timedelta(minutes=2):
                return invalid(f"{before_name} must be after the start date and at least 2 minutes before now.")
        statuses = _list(query.get("OrderStatuses"))
        channels = _list(query.get("FulfillmentChannels"))
        payments = _list(query.get("PaymentMethods"))
        ids_filter = _list(query.get("AmazonOrderIds"))
        if any(s not in STATUSES for s in statuses):
            return invalid(f"Invalid OrderStatuses: {','.join(statuses)}")
        if any(c not in ("AFN", "MFN") for c in channels):
            return invalid(f"Invalid FulfillmentChannels: {','.join(channels)}")
        if any(p not in generator.PAYMENT_METHODS for p in payments):
            return invalid(f"Invalid PaymentMethods: {','.join(payments)}")
        if len(ids_filter) > 50:
            return invalid("AmazonOrderIds accepts at most 50 ids.")
        chosen = []
        for number, record in mall.orders.items():
            order = record["order"]
            moment = parse_time(order[key])
            if moment is None or moment < after or (before is not None and moment > before):
                continue
            if statuses and order["OrderStatus"] not in statuses:
                continue
            if channels and order["FulfillmentChannel"] not in channels:
                continue
            if payments and order["PaymentMethod"] not in payments:
                continue
            if ids_filter and number not in ids_filter:
                continue
            chosen.append((order[key], number))
        ids = [number for _moment, number in sorted(chosen)]
        stamp = generator.wire_time(before or now_utc())
        return _page(mall, ids, 0, int(size_raw), (before_name, stamp))


def _page(mall: Mall, ids: list[str], offset: int, size: int, bound: tuple[str, str] | None) -> Answer:
    page = ids[offset : offset + size]
    payload: dict[str, Any] = {"Orders": [_public_order(mall.orders[n]) for n in page if n in mall.orders]}
    if offset + size < len(ids):
        token = secrets.token_urlsafe(18)
        mall.next_tokens[token] = (ids, offset + size)
        payload["NextToken"] = token
    if bound:
        payload[bound[0]] = bound[1]
    return 200, {"payload": payload}


def _record(mall: Mall, number: str) -> dict[str, Any] | Answer:
    if not ORDER_ID.match(number):
        return invalid(f"Invalid orderId {number}: an AmazonOrderId is in 3-7-7 format.")
    record = mall.orders.get(number)
    if record is None:
        return error(404, "NotFound", f"Order {number} was not found.")
    return record


def get_order(mall: Mall, number: str) -> Answer:
    with mall.lock:
        record = _record(mall, number)
        if isinstance(record, tuple):
            return record
        return 200, {"payload": _public_order(record)}


def get_order_items(mall: Mall, number: str, next_token: str | None) -> Answer:
    """getOrderItems, ``orderItemsPageSize`` items a page, NextToken = the next offset."""
    with mall.lock:
        record = _record(mall, number)
        if isinstance(record, tuple):
            return record
        offset = 0
        if next_token:
            if not next_token.startswith(f"{number}:") or not next_token.split(":", 1)[1].isdigit():
                return invalid("Invalid NextToken.")
            offset = int(next_token.split(":", 1)[1])
        size = int(mall.settings["orderItemsPageSize"])
        items = record["items"][offset : offset + size]
        payload: dict[str, Any] = {"AmazonOrderId": number, "OrderItems": copy.deepcopy(items)}
        if offset + size < len(record["items"]):
            payload["NextToken"] = f"{number}:{offset + size}"
        return 200, {"payload": payload}


def get_order_address(mall: Mall, number: str) -> Answer:
    with mall.lock:
        record = _record(mall, number)
        if isinstance(record, tuple):
            return record
        address = {k: v for k, v in record["address"].items() if v is not None}
        return 200, {"payload": {"AmazonOrderId": number, "ShippingAddress": address}}


def get_order_buyer_info(mall: Mall, number: str) -> Answer:
    with mall.lock:
        record = _record(mall, number)
        if isinstance(record, tuple):
            return record
        return 200, {"payload": {"AmazonOrderId": number, **record["buyer"]}}


def confirm_shipment(mall: Mall, number: str, body: Any) -> Answer:
    """confirmShipment: one package per packageReferenceId; sending a known id again replaces that package."""
    with mall.lock:
        record = _record(mall, number)
        if isinstance(record, tuple):
            return record
        if not isinstance(body, dict):
            return invalid("The request body is not a JSON object.")
        if body.get("marketplaceId") != generator.JP_MARKETPLACE:
            return invalid("marketplaceId is required and must be the order's marketplace.")
        if "codCollectionMethod" in body and body["codCollectionMethod"] != "DirectPayment":
            return invalid("codCollectionMethod must be DirectPayment.")
        package = body.get("packageDetail")
        if not isinstance(package, dict):
            return invalid("packageDetail is required.")
        ref = package.get("packageReferenceId")
        if not isinstance(ref, str) or not ref.isdigit() or int(ref) < 1:
            return invalid("packageReferenceId must be a positive numeric string.")
        code = package.get("carrierCode")
        if code not in CARRIER_CODES:
            return invalid(f"carrierCode {code!r} is not a valid carrier code for JP.")
        if code == "Other" and not str(package.get("carrierName") or "").strip():
            return invalid("carrierName is required when carrierCode is Other.")
        tracking = package.get("trackingNumber")
        if tracking is not None and not isinstance(tracking, str):
            return invalid("trackingNumber must be a string.")
        if code != "Other" and not (tracking or "").strip():
            return invalid("trackingNumber is required for this carrierCode.")
        shipped = parse_time(package.get("shipDate") if isinstance(package.get("shipDate"), str) else None)
        if shipped is None:
            return invalid("shipDate is required in ISO 8601 format.")
        order = record["order"]
        if order["FulfillmentChannel"] != "MFN":
            return invalid("Shipment confirmation is not allowed for orders fulfilled by Amazon.")
        editing = ref in record["packages"]
        if order["OrderStatus"] not in ("Unshipped", "PartiallyShipped") and not (
            editing and order["OrderStatus"] == "Shipped"
        ):
            return invalid(f"The order is {order['OrderStatus']}; its shipment cannot be confirmed.")
        lines = package.get("orderItems")
        if not isinstance(lines, list) or not lines:
            return invalid("orderItems is required.")
        ordered = {item["OrderItemId"]: item for item in record["items"]}
        others = [p for r, p in record["packages"].items() if r != ref]
        wanted: dict[str, int] = {}
        for line in lines:
            item_id = line.get("orderItemId") if isinstance(line, dict) else None
            quantity = line.get("quantity") if isinstance(line, dict) else None
            if item_id not in ordered:
                return invalid(f"orderItemId {item_id!r} is not in order {number}.")
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
                return invalid(f"quantity of {item_id} must be a positive integer.")
            wanted[item_id] = wanted.get(item_id, 0) + quantity
        for item_id, quantity in wanted.items():
            elsewhere = sum(p["items"].get(item_id, 0) for p in others)
            if elsewhere + quantity > ordered[item_id]["QuantityOrdered"]:
                return invalid(f"quantity of {item_id} exceeds the quantity ordered.")
        record["packages"][ref] = {
            "carrierCode": code,
            "carrierName": package.get("carrierName"),
            "trackingNumber": (tracking or "").strip(),
            "shipDate": package["shipDate"],
            "shipDateJst": shipped.astimezone(_JST).date().isoformat(),
            "items": wanted,
        }
        shipped_units = {}
        for item in record["items"]:
            units = sum(p["items"].get(item["OrderItemId"], 0) for p in record["packages"].values())
            item["QuantityShipped"] = shipped_units[item["OrderItemId"]] = units
        done = all(shipped_units[i["OrderItemId"]] >= i["QuantityOrdered"] for i in record["items"])
        order["OrderStatus"] = "Shipped" if done else "PartiallyShipped"
        order["NumberOfItemsShipped"] = sum(shipped_units.values())
        order["NumberOfItemsUnshipped"] = sum(i["QuantityOrdered"] for i in record["items"]) - sum(
            shipped_units.values()
        )
        mall.touch(number)
        mall.shipment_writes += 1
        return 204, None


def fba_summaries(mall: Mall, query: dict[str, str]) -> Answer:
    """getInventorySummaries for the marketplace: the FBA SKUs (all, or those named in sellerSkus), 50 a page."""
    if query.get("granularityType") != "Marketplace":
        return invalid("granularityType must be Marketplace.")
    if query.get("granularityId") != generator.JP_MARKETPLACE:
        return invalid("granularityId must be a valid marketplace id.")
    if _list(query.get("marketplaceIds")) != [generator.JP_MARKETPLACE]:
        return invalid("marketplaceIds must name exactly one marketplace.")
    wanted = _list(query.get("sellerSkus"))
    if len(wanted) > 50:
        return invalid("sellerSkus accepts at most 50 SKUs.")
    with mall.lock:
        skus = sorted(s for s in mall.fba_stock if not wanted or s in wanted)
        offset = 0
        token = query.get("nextToken")
        if token:
            if not token.isdigit():
                return invalid("Invalid nextToken.")
            offset = int(token)
        page = skus[offset : offset + 50]
        now = generator.wire_time(now_utc())
        summaries = [
            {
                "asin": mall.rows[sku]["asin"],
                "fnSku": "X00" + mall.rows[sku]["asin"][3:],
                "sellerSku": sku,
                "condition": "NewItem",
                "inventoryDetails": {"fulfillableQuantity": mall.fba_stock[sku]},
                "lastUpdatedTime": now,
                "productName": mall.rows[sku]["name"],
                "totalQuantity": mall.fba_stock[sku],
            }
            for sku in page
        ]
        answer: dict[str, Any] = {
            "payload": {
                "granularity": {"granularityType": "Marketplace", "granularityId": generator.JP_MARKETPLACE},
                "inventorySummaries": summaries,
            }
        }
        if offset + 50 < len(skus):
            answer["pagination"] = {"nextToken": str(offset + 50)}
        return 200, answer


#: includedData values getListingsItem knows; this emulator fills summaries and fulfillmentAvailability.
INCLUDED_DATA = frozenset(
    {
        "summaries",
        "attributes",
        "issues",
        "offers",
        "fulfillmentAvailability",
        "procurement",
        "relationships",
        "productTypes",
    }
)


def get_listing(mall: Mall, seller_id: str, sku: str, query: dict[str, str]) -> Answer:
    """getListingsItem: ``summaries`` (the default) and ``fulfillmentAvailability`` — ``DEFAULT`` with the
    seller-fulfilled quantity, ``AMAZON_JP`` with the FBA fulfillable quantity for an FBA SKU."""
    if seller_id != SELLER_ID:
        return error(403, "Unauthorized", "Access to requested resource is denied.")
    if _list(query.get("marketplaceIds")) != [generator.JP_MARKETPLACE]:
        return invalid("marketplaceIds must name exactly one marketplace.")
    included = _list(query.get("includedData")) or ["summaries"]
    unknown = [name for name in included if name not in INCLUDED_DATA]
    if unknown:
        return invalid(f"Invalid includedData: {','.join(unknown)}")
    with mall.lock:
        row = mall.rows.get(sku)
        if row is None:
            return error(404, "NOT_FOUND", f"SKU {sku} was not found for seller {seller_id}.")
        answer: dict[str, Any] = {"sku": sku}
        if "summaries" in included:
            answer["summaries"] = [
                {
                    "marketplaceId": generator.JP_MARKETPLACE,
                    "asin": row["asin"],
                    "productType": "PRODUCT",
                    "conditionType": "new_new",
                    "status": ["BUYABLE", "DISCOVERABLE"],
                    "itemName": row["name"],
                }
            ]
        if "fulfillmentAvailability" in included:
            if row["fba"]:
                channel = {"fulfillmentChannelCode": "AMAZON_JP", "quantity": mall.fba_stock.get(sku, 0)}
            else:
                channel = {"fulfillmentChannelCode": "DEFAULT", "quantity": mall.stock.get(sku, 0)}
            answer["fulfillmentAvailability"] = [channel]
        for name in included:
            if name not in ("summaries", "fulfillmentAvailability"):
                answer[name] = {} if name == "attributes" else []
        return 200, answer


def patch_listing(mall: Mall, seller_id: str, sku: str, query: dict[str, str], body: Any) -> Answer:
    """patchListingsItem: the seller-fulfilled quantity through ``/attributes/fulfillment_availability``."""
    if seller_id != SELLER_ID:
        return error(403, "Unauthorized", "Access to requested resource is denied.")
    if _list(query.get("marketplaceIds")) != [generator.JP_MARKETPLACE]:
        return invalid("marketplaceIds must name exactly one marketplace.")
    if not isinstance(body, dict) or not isinstance(body.get("productType"), str) or not body["productType"]:
        return invalid("productType is required.")
    patches = body.get("patches")
    if not isinstance(patches, list) or not patches:
        return invalid("patches is required.")
    with mall.lock:
        row = mall.rows.get(sku)
        if row is None:
            return error(404, "NOT_FOUND", f"SKU {sku} was not found for seller {seller_id}.")
        issues = []
        quantity = None
        for i, patch in enumerate(patches):
            if not isinstance(patch, dict) or patch.get("op") not in ("add", "replace", "merge", "delete"):
                return invalid(f"patches[{i}].op must be add, replace, merge or delete.")
            path = patch.get("path")
            if not isinstance(path, str) or not path.startswith("/attributes/"):
                return invalid(f"patches[{i}].path must start with /attributes/.")
            if path != "/attributes/fulfillment_availability":
                continue
            value = patch.get("value")
            entry = value[0] if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict) else None
            count = entry.get("quantity") if entry else None
            if entry is None or entry.get("fulfillment_channel_code") != "DEFAULT":
                issues.append(_issue("4000001", "fulfillment_channel_code must be DEFAULT for seller-fulfilled stock."))
            elif isinstance(count, bool) or not isinstance(count, int) or count < 0:
                issues.append(_issue("4000002", "quantity must be a non-negative integer."))
            elif row["fba"]:
                issues.append(_issue("8541", "This SKU is fulfilled by Amazon: its quantity cannot be set."))
            else:
                quantity = count
        if issues:
            return 200, {"sku": sku, "status": "INVALID", "submissionId": uuid.uuid4().hex, "issues": issues}
        if quantity is not None:
            mall.stock[sku] = quantity
            mall.stock_writes += 1
        return 200, {"sku": sku, "status": "ACCEPTED", "submissionId": uuid.uuid4().hex, "issues": []}


def _issue(code: str, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "severity": "ERROR", "attributeNames": ["fulfillment_availability"]}
