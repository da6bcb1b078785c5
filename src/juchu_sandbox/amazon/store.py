"""The Amazon emulator's state: catalogue and stock, orders, LWA credentials and tokens, rate buckets, call log.

One ``RLock`` guards everything; time is read when a request comes (no background threads).
"""

from __future__ import annotations

import copy
import hashlib
import random
import secrets
import threading
import time
from datetime import UTC, datetime
from typing import Any

from juchu_sandbox.amazon import generator
from juchu_sandbox.control_contract import ControlError

CLIENT_ID = "amzn1.application-oa2-client.sandbox"
CLIENT_SECRET = "sandbox-client-secret"
REFRESH_TOKEN = "Atzr|sandbox-refresh-token"
SELLER_ID = "A1SANDBOXSELLER"
MAX_CALLS = 20_000
DEFAULT_STOCK = 100

#: operation → (rate per second, burst), from the SP-API models (malls.md §5)
RATE_LIMITS: dict[str, tuple[float, int]] = {
    "getOrders": (0.0167, 20),
    "getOrder": (0.5, 30),
    "getOrderItems": (0.5, 30),
    "getOrderAddress": (0.5, 30),
    "getOrderBuyerInfo": (0.5, 30),
    "confirmShipment": (2.0, 10),
    "getInventorySummaries": (2.0, 2),
    "patchListingsItem": (5.0, 5),
    "getListingsItem": (5.0, 5),
}


def now_utc() -> datetime:
    return datetime.now(UTC)


class Mall:
    """Amazon.co.jp for one seller, in memory."""

    def __init__(self, seed: int = 1) -> None:
        self.lock = threading.RLock()
        self.seed = seed
        self.rng = random.Random(seed)
        self.catalogue: list[dict[str, Any]] = []
        self.rows: dict[str, dict[str, Any]] = {}  # SellerSKU → row
        self.stock: dict[str, int] = {}  # seller-fulfilled quantity per SKU
        self.fba_stock: dict[str, int] = {}  # FBA fulfillable quantity per SKU
        self.orders: dict[str, dict[str, Any]] = {}  # AmazonOrderId → {order, items, address, buyer, packages}
        self.settings: dict[str, Any] = {"rateLimits": True, "tokenLifetimeSeconds": 3600, "orderItemsPageSize": 10}
        self.expired = False
        self.tokens: dict[str, float] = {}  # access token → expiry (time.time())
        self.buckets: dict[str, tuple[float, float]] = {}  # operation → (tokens, last refill)
        self.next_tokens: dict[str, tuple[list[str], int]] = {}  # getOrders NextToken → (ids, offset)
        self.calls: list[dict[str, Any]] = []
        self.shipment_writes = 0
        self.stock_writes = 0
        self.set_catalogue(
            [
                {"itemId": "tea-01", "variantId": "tea-01-100g", "name": "静岡県産 深蒸し煎茶 100g", "price": 1080},
                {"itemId": "tea-02", "variantId": "tea-02-100g", "name": "京都 宇治ほうじ茶 100g", "price": 864},
            ]
        )

    # ---- catalogue and settings -----------------------------------------------------------------------

    def set_catalogue(self, rows: Any) -> list[dict[str, Any]]:
        """Replace the catalogue: ``[{"itemId", "variantId", "name", "price", "fba"?, "quantity"?}]``."""
        if not isinstance(rows, list) or not rows:
            raise ControlError(400, "the catalogue is a non-empty list of {itemId, variantId, name, price}")
        checked = []
        for row in rows:
            if not isinstance(row, dict) or not isinstance(row.get("itemId"), str) or not row["itemId"]:
                raise ControlError(400, "each row needs a non-empty itemId")
            price = row.get("price")
            if isinstance(price, bool) or not isinstance(price, int) or price < 0:
                raise ControlError(400, f"{row['itemId']}: price is a non-negative integer (yen)")
            quantity = row.get("quantity", DEFAULT_STOCK)
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
                raise ControlError(400, f"{row['itemId']}: quantity is a non-negative integer")
            sku = str(row.get("variantId") or row["itemId"])
            asin = "B0" + hashlib.sha256(sku.encode()).hexdigest()[:8].upper()
            checked.append(
                {
                    "itemId": row["itemId"],
                    "variantId": row.get("variantId") or "",
                    "name": str(row.get("name") or sku),
                    "price": price,
                    "fba": bool(row.get("fba", False)),
                    "quantity": quantity,
                    "sku": sku,
                    "asin": asin,
                }
            )
        with self.lock:
            self.catalogue = checked
            self.rows = {row["sku"]: row for row in checked}
            self.stock = {r["sku"]: r["quantity"] for r in checked if not r["fba"]}
            self.fba_stock = {r["sku"]: r["quantity"] for r in checked if r["fba"]}
            return copy.deepcopy(checked)

    def set_stock(self, body: Any) -> dict[str, Any]:
        """The seller changes quantities by hand (Seller Central): ``{SellerSKU: quantity}``, all or nothing.

        An FBA SKU's quantity is its FBA stock. Not counted as a stock write (that is Juchu's API writes).
        """
        if not isinstance(body, dict) or not body:
            raise ControlError(400, "expected {SellerSKU: quantity, …}")
        for sku, quantity in body.items():
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
                raise ControlError(400, f"{sku}: quantity is a non-negative integer")
        with self.lock:
            unknown = [sku for sku in body if sku not in self.rows]
            if unknown:
                raise ControlError(404, f"no SKU {', '.join(unknown)}")
            for sku, quantity in body.items():
                (self.fba_stock if self.rows[sku]["fba"] else self.stock)[sku] = quantity
            return {"stock": {**self.stock, **self.fba_stock}}

    def update_settings(self, body: Any) -> dict[str, Any]:
        """``{"rateLimits": bool, "tokenLifetimeSeconds": n, "orderItemsPageSize": n}``."""
        if not isinstance(body, dict):
            raise ControlError(400, "settings is an object")
        with self.lock:
            for key, value in body.items():
                if key == "rateLimits" and isinstance(value, bool):
                    self.settings[key] = value
                    self.buckets.clear()
                elif key in ("tokenLifetimeSeconds", "orderItemsPageSize") and isinstance(value, int) and value > 0:
                    self.settings[key] = value
                else:
                    raise ControlError(400, f"unknown or invalid setting {key}={value!r}")
            return dict(self.settings)

    def set_credentials(self, body: dict[str, Any]) -> dict[str, Any]:
        """``{"expired": true}`` revokes every access token and refuses the refresh token until false again."""
        expired = body.get("expired")
        if not isinstance(expired, bool):
            raise ControlError(400, "expected {expired: true|false}")
        with self.lock:
            self.expired = expired
            if expired:
                self.tokens.clear()
            return {"expired": self.expired, "clientId": CLIENT_ID, "sellerId": SELLER_ID}

    # ---- auth and limits --------------------------------------------------------------------------------

    def exchange(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """The LWA token endpoint: (status, body)."""
        with self.lock:
            if form.get("grant_type") != "refresh_token":
                return 400, {"error": "unsupported_grant_type", "error_description": "The grant type is not supported"}
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                return 401, {"error": "invalid_client", "error_description": "Client authentication failed"}
            if form.get("refresh_token") != REFRESH_TOKEN or self.expired:
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "The request has an invalid grant parameter : refresh_token",
                }
            token = "Atza|" + secrets.token_urlsafe(24)
            lifetime = int(self.settings["tokenLifetimeSeconds"])
            self.tokens[token] = time.time() + lifetime
            return 200, {
                "access_token": token,
                "refresh_token": REFRESH_TOKEN,
                "token_type": "bearer",
                "expires_in": lifetime,
            }

    def token_problem(self, token: str | None) -> str | None:
        """Why a request's ``x-amz-access-token`` is refused, or None."""
        with self.lock:
            if not token or token not in self.tokens:
                return "Access to requested resource is denied."
            if self.tokens[token] <= time.time():
                return "The access token you provided has expired."
            return None

    def take(self, operation: str) -> bool:
        """One request of ``operation`` against its token bucket; False when throttled."""
        with self.lock:
            if not self.settings["rateLimits"]:
                return True
            rate, burst = RATE_LIMITS[operation]
            now = time.monotonic()
            tokens, last = self.buckets.get(operation, (float(burst), now))
            tokens = min(float(burst), tokens + (now - last) * rate)
            if tokens < 1:
                self.buckets[operation] = (tokens, now)
                return False
            self.buckets[operation] = (tokens - 1, now)
            return True

    def record_call(self, method: str, path: str, body: bytes, status: int) -> None:
        with self.lock:
            self.calls.append(
                {
                    "time": time.time(),
                    "method": method,
                    "path": path,
                    "status": status,
                    "body": body[:300].decode("utf-8", errors="replace"),
                }
            )
            if len(self.calls) > MAX_CALLS:
                del self.calls[: len(self.calls) - MAX_CALLS]

    # ---- orders -----------------------------------------------------------------------------------------

    def touch(self, number: str) -> None:
        """The order changed: its LastUpdateDate becomes now."""
        self.orders[number]["order"]["LastUpdateDate"] = generator.wire_time(now_utc())

    def create_orders(self, body: dict[str, Any]) -> list[str]:
        """Generated orders placed now; ``order`` overrides Order keys (``{"FulfillmentChannel": "AFN"}``)."""
        count = body.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10_000:
            raise ControlError(400, "count is an integer from 1 to 10000")
        seed = body.get("seed")
        try:
            mix = generator.parse_payment_mix(body.get("paymentMix"))
        except ValueError as exc:
            raise ControlError(400, str(exc)) from None
        overrides = body.get("order") or {}
        if not isinstance(overrides, dict):
            raise ControlError(400, "order is an object of Order keys")
        channel = overrides.get("FulfillmentChannel", "MFN")
        if channel not in ("MFN", "AFN"):
            raise ControlError(400, "FulfillmentChannel is MFN or AFN")
        with self.lock:
            rng = random.Random(seed) if isinstance(seed, int) else self.rng
            fba_rows = [r for r in self.catalogue if r["fba"]]
            own_rows = [r for r in self.catalogue if not r["fba"]]
            rows = (fba_rows or self.catalogue) if channel == "AFN" else (own_rows or self.catalogue)
            numbers = []
            for _ in range(count):
                number = generator.order_id(rng)
                while number in self.orders:
                    number = generator.order_id(rng)
                payment = generator.pick_payment(rng, mix)
                record = generator.generate(rng, number, rows, payment, now_utc(), channel)
                record["order"].update({k: v for k, v in overrides.items() if k != "AmazonOrderId"})
                record["packages"] = {}
                self.orders[number] = record
                for item in record["items"]:
                    self._adjust(item["SellerSKU"], -item["QuantityOrdered"], channel)
                numbers.append(number)
            return numbers

    def _adjust(self, sku: str, delta: int, channel: str) -> None:
        stock = self.fba_stock if channel == "AFN" else self.stock
        if sku in stock:
            stock[sku] = max(0, stock[sku] + delta)

    def _order(self, number: str) -> dict[str, Any]:
        record = self.orders.get(number)
        if record is None:
            raise ControlError(404, f"no order {number}")
        return record

    def pay(self, number: str) -> dict[str, Any]:
        """The buyer pays a konbini (CVS) order: Pending → Unshipped."""
        with self.lock:
            order = self._order(number)["order"]
            if order["OrderStatus"] != "Pending":
                raise ControlError(409, f"order {number} is {order['OrderStatus']}, not awaiting payment")
            order["OrderStatus"] = "Unshipped"
            self.touch(number)
            return self.snapshot(number)

    def cancel(self, number: str) -> dict[str, Any]:
        """The buyer or Amazon cancels: anything not shipped yet → Canceled; stock comes back."""
        with self.lock:
            record = self._order(number)
            order = record["order"]
            if order["OrderStatus"] not in ("Pending", "PendingAvailability", "Unshipped"):
                raise ControlError(409, f"order {number} is {order['OrderStatus']}; it cannot be cancelled")
            order["OrderStatus"] = "Canceled"
            for item in record["items"]:
                self._adjust(item["SellerSKU"], item["QuantityOrdered"], order["FulfillmentChannel"])
            self.touch(number)
            return self.snapshot(number)

    def change(self, number: str, body: dict[str, Any]) -> dict[str, Any]:
        """The buyer asks to cancel (``{"buyerRequestedCancel": true, "reason"?: str}``): the shop must decide."""
        if body.get("buyerRequestedCancel") is not True:
            raise ControlError(400, "the one change an Amazon buyer makes is {buyerRequestedCancel: true}")
        reason = body.get("reason", "Buyer canceled")
        with self.lock:
            record = self._order(number)
            if record["order"]["OrderStatus"] not in ("Pending", "Unshipped"):
                raise ControlError(409, f"order {number} is {record['order']['OrderStatus']}; it cannot change")
            for item in record["items"]:
                item["BuyerRequestedCancel"] = {"IsBuyerRequestedCancel": "true", "BuyerCancelReason": str(reason)}
            self.touch(number)
            return self.snapshot(number)

    # ---- views ------------------------------------------------------------------------------------------

    def snapshot(self, number: str) -> dict[str, Any]:
        with self.lock:
            record = self._order(number)
            status = record["order"]["OrderStatus"]
            skus = {item["OrderItemId"]: item["SellerSKU"] for item in record["items"]}
            shipments = [
                {
                    "packageReferenceId": ref,
                    "carrier": (p.get("carrierName") or "Other") if p["carrierCode"] == "Other" else p["carrierCode"],
                    "trackingNumbers": [p["trackingNumber"]] if p.get("trackingNumber") else [],
                    "shipDate": p["shipDateJst"],
                    "items": [
                        {"orderItemId": item_id, "sellerSku": skus.get(item_id, ""), "quantity": quantity}
                        for item_id, quantity in p["items"].items()
                    ],
                }
                for ref, p in sorted(record["packages"].items(), key=lambda pair: int(pair[0]))
            ]
            return {
                "orderNumber": number,
                "status": status,
                "paid": status not in ("Pending", "PendingAvailability", "Canceled"),
                "cancelled": status == "Canceled",
                "confirmed": False,  # Amazon has no order confirmation
                "shipments": shipments,
                "order": copy.deepcopy({k: v for k, v in record.items() if k != "packages"}),
            }

    def numbers(self, state: str) -> list[str]:
        with self.lock:
            if state == "unpaid":
                return [n for n, r in self.orders.items() if r["order"]["OrderStatus"] == "Pending"]
            return list(self.orders)

    def summary(self) -> dict[str, Any]:
        with self.lock:
            duplicates = []
            for number, record in self.orders.items():
                seen = [p["trackingNumber"] for p in record["packages"].values() if p.get("trackingNumber")]
                if len(seen) != len(set(seen)):
                    duplicates.append(number)
            return {
                "orders": len(self.orders),
                "shipped": sum(1 for r in self.orders.values() if r["packages"]),
                "packages": sum(len(r["packages"]) for r in self.orders.values()),
                "duplicateTracking": duplicates,
                "shipmentWrites": self.shipment_writes,
                "stockWrites": self.stock_writes,
                "stock": {**self.stock, **self.fba_stock},
            }
