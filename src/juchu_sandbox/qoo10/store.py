"""The Qoo10 emulator's state: seller credentials and auth keys, items and stock, order lines, carts, calls.

One RLock guards everything; time is read lazily (no background threads). See README.md for the choices.
"""

from __future__ import annotations

import random
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

JST = timezone(timedelta(hours=9), "JST")
STATUS_LABELS = {
    1: "Awaiting shipping(1)",
    2: "On request(2)",
    3: "Seller confirm(3)",
    4: "On delivery(4)",
    5: "Delivered(5)",
}
CANCELLED_CLAIMS = (3, 16)
DEFAULT_CREDENTIALS = {"api_key": "sandbox-qoo10-api-key", "user_id": "sandbox-qoo10-seller", "password": "sandbox-pw"}
#: The ``ShippingCorp`` names SetSendingInfo accepts (GetDeliveryCompanyInfo's list; spelling unverified).
CARRIERS = ("Yamato", "Sagawa", "JapanPost", "Seino", "Fukuyama", "Others")
DEFAULT_STOCK = 1000
#: The largest quantity Qoo10 takes (the stock methods' 0…2147483647).
MAX_QTY = 2**31 - 1
MAX_CALLS = 5000


def fmt(moment: datetime | None) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in JST, '' for None (Qoo10's answer format)."""
    return moment.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


class QapiError(Exception):
    """A refused call: ``ResultCode`` and ``ResultMsg`` (answered with HTTP 200, as Qoo10 does)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Mall:
    """The Qoo10 seller account the sandbox emulates."""

    def __init__(self, seed: int = 1) -> None:
        self.lock = threading.RLock()
        self.seed = seed
        self.rng = random.Random(seed)
        self.credentials = dict(DEFAULT_CREDENTIALS)
        self.expired = False
        self.keys: dict[str, float] = {}  # SAK → wall-clock expiry
        self.settings: dict[str, Any] = {
            "rateLimits": True,
            "ratePerSecond": 5.0,
            "burst": 5,
            "keyLifetimeSeconds": 3600,
            "rowCap": 500,
        }
        self.items: dict[str, dict[str, Any]] = {}  # sellerItemCode → item
        self.lines: dict[int, dict[str, Any]] = {}  # orderNo → line state (see generator.new_line)
        self.packs: dict[int, list[int]] = {}  # packNo → orderNos
        self.calls: list[dict[str, Any]] = []
        self.shipment_writes = 0
        self.stock_writes = 0
        self.next_order_no = 1_000_000_001
        self.next_pack_no = 500_000_001
        self.next_item_code = 1_100_000_001
        self._tokens = float(self.settings["burst"])
        self._last = time.monotonic()

    # ---- time, auth, rate limit --------------------------------------------------------------------

    def now(self) -> datetime:
        """The current time (JST)."""
        return datetime.now(JST)

    def create_key(self, api_key: str, user_id: str, pwd: str) -> str:
        """CreateCertificationKey: a new SAK living ``keyLifetimeSeconds``; older keys stay valid until expiry."""
        with self.lock:
            if self.expired or not api_key or api_key != self.credentials["api_key"]:
                raise QapiError(-90002, "You are not authorized for this. (API key)")
            if user_id != self.credentials["user_id"] or pwd != self.credentials["password"]:
                raise QapiError(-10001, "Not exists seller info (user_id or pwd is wrong)")
            key = "S" + secrets.token_hex(24)
            self.keys[key] = time.time() + float(self.settings["keyLifetimeSeconds"])
            return key

    def check_key(self, key: str) -> None:
        """Refuse a missing, unknown or stale seller auth key."""
        with self.lock:
            if not key:
                raise QapiError(-10000, "Please check the Seller Authorization Key.")
            expiry = self.keys.get(key)
            if expiry is None:
                raise QapiError(-10000, "Please check the Seller Authorization Key.")
            if self.expired or expiry <= time.time():
                raise QapiError(-90004, "Seller authorization key is expired. Use a new key.")

    def take_token(self) -> bool:
        """One call's turn under the documented limit; False when it is exceeded (rate limits on)."""
        with self.lock:
            now = time.monotonic()
            rate, burst = float(self.settings["ratePerSecond"]), float(self.settings["burst"])
            self._tokens = min(burst, self._tokens + (now - self._last) * rate)
            self._last = now
            if not self.settings["rateLimits"]:
                return True
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True

    def record_call(self, method: str, path: str, qapi_method: str, body: str, status: int, code: int) -> None:
        """Remember a call for ``/_sandbox/qoo10/calls``."""
        with self.lock:
            self.calls.append(
                {
                    "method": method,
                    "path": path,
                    "qapiMethod": qapi_method,
                    "status": status,
                    "resultCode": code,
                    "body": body[:300],
                    "at": fmt(self.now()),
                }
            )
            if len(self.calls) > MAX_CALLS:
                del self.calls[: len(self.calls) - MAX_CALLS]

    # ---- items and stock ---------------------------------------------------------------------------

    def set_catalogue(self, rows: Any) -> list[dict[str, Any]]:
        """Replace the items from the control contract's catalogue rows (stock starts at 1000 each)."""
        if not isinstance(rows, list) or not rows:
            raise ValueError("the catalogue is a non-empty list of {itemId, variantId, name, price}")
        items: dict[str, dict[str, Any]] = {}
        for row in rows:
            if not isinstance(row, dict) or not isinstance(row.get("itemId"), str) or not row["itemId"]:
                raise ValueError("each row needs itemId (string), variantId, name, price")
            price = row.get("price")
            if not isinstance(price, int) or isinstance(price, bool) or price <= 0:
                raise ValueError(f"price of {row['itemId']} must be a positive integer")
            item_id, variant = row["itemId"], str(row.get("variantId") or "")
            name = str(row.get("name") or item_id)
            item = items.get(item_id)
            if item is None:
                item = items[item_id] = {
                    "ItemCode": str(self.next_item_code),
                    "SellerCode": item_id,
                    "ItemTitle": name,
                    "ItemPrice": price,
                    "ItemQty": DEFAULT_STOCK,
                    "options": {},
                }
                self.next_item_code += 1
            if variant and variant != item_id:
                item["options"][variant] = {
                    "OptionName": "種類",
                    "OptionValue": name[:50],
                    "OptionCode": variant,
                    "Price": price - item["ItemPrice"],
                    "Qty": DEFAULT_STOCK,
                }
        with self.lock:
            self.items = items
            return self.catalogue()

    def catalogue(self) -> list[dict[str, Any]]:
        """The items as catalogue rows."""
        with self.lock:
            out = []
            for item in self.items.values():
                if not item["options"]:
                    out.append({"itemId": item["SellerCode"], "variantId": "", "name": item["ItemTitle"]})
                for option in item["options"].values():
                    out.append(
                        {"itemId": item["SellerCode"], "variantId": option["OptionCode"], "name": option["OptionValue"]}
                    )
            return out

    def find_item(self, item_code: str, seller_code: str) -> dict[str, Any]:
        """The item named by ItemCode and/or SellerCode (both must agree); -10001 otherwise."""
        with self.lock:
            if seller_code:
                item = self.items.get(seller_code)
                if item is not None and (not item_code or item["ItemCode"] == item_code):
                    return item
            elif item_code:
                for item in self.items.values():
                    if item["ItemCode"] == item_code:
                        return item
            raise QapiError(-10001, "Fail to find Item information with 'ItemCode','SellerCode'.")

    def adjust_stock(self, seller_code: str, option_code: str, delta: int) -> None:
        """Move an item's (or option's) quantity by ``delta``, never below 0."""
        with self.lock:
            item = self.items.get(seller_code)
            if item is None:
                return
            holder = item["options"].get(option_code) if option_code else item
            if holder is None:
                return
            key = "Qty" if option_code else "ItemQty"
            holder[key] = max(0, holder[key] + delta)

    def set_stock(self, body: Any) -> dict[str, int]:
        """The seller changes quantities by hand in QSM: ``{"item" or "item:option": qty}``, all or nothing.

        ValueError for a bad quantity, KeyError for a key that names no item or option; not a stock write.
        """
        if not isinstance(body, dict) or not body:
            raise ValueError("expected {sellerItemCode[:optionCode]: quantity, …}")
        for key, qty in body.items():
            if isinstance(qty, bool) or not isinstance(qty, int) or not 0 <= qty <= MAX_QTY:
                raise ValueError(f"{key}: the quantity is an integer from 0 to {MAX_QTY}")
        with self.lock:
            known = self.stock()
            unknown = [key for key in body if key not in known]
            if unknown:
                raise KeyError(", ".join(unknown))
            for key, qty in body.items():
                code, _, option = key.partition(":")
                item = self.items[code]
                if option:
                    item["options"][option]["Qty"] = qty
                else:
                    item["ItemQty"] = qty
            return self.stock()

    def stock(self) -> dict[str, int]:
        """Quantities keyed as Juchu pushes them: ``sellerItemCode:optionCode`` or ``sellerItemCode``."""
        with self.lock:
            out: dict[str, int] = {}
            for code, item in self.items.items():
                if not item["options"]:
                    out[code] = item["ItemQty"]
                for option in item["options"].values():
                    out[f"{code}:{option['OptionCode']}"] = option["Qty"]
            return out
