"""The Yahoo! Shopping store's state: orders, YConnect tokens, stock, rate windows, call log. One RLock."""

from __future__ import annotations

import copy
import random
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from juchu_sandbox.control_contract import ControlError
from juchu_sandbox.yahoo import generator, xmlio

JST = timezone(timedelta(hours=9), "JST")
SELLER_ID = "snbx-juchu"
CLIENT_ID = "sandbox-yahoo-client"
CLIENT_SECRET = "sandbox-yahoo-secret"
REFRESH_TOKEN = "sandbox-yahoo-refresh"
TOKEN_LIFETIME = 3600
RATE_INTERVAL = 1.0  # one request per second per URL
RATE_TOLERANCE = 0.2  # seconds of network jitter forgiven
INITIAL_STOCK = 100
MAX_CALLS = 20000
ORDER_STATUS = {0: "未入力", 1: "予約中", 2: "処理中", 3: "保留", 4: "キャンセル", 5: "完了", 8: "繰上げ同意待ち"}
SHIP_COMPANIES = {
    "1000": "その他",
    "1001": "ヤマト運輸",
    "1002": "佐川急便",
    "1003": "日本郵便",
    "1028": "JPロジスティクス",
    "1029": "MagicalMove",
    "5000": "ASKUL LOGIST",
}
DEFAULT_CATALOGUE = [
    {"ItemId": "tea-01", "SubCode": "tea-01-100g", "Title": "静岡県産 深蒸し煎茶 100g", "UnitPrice": 1080},
    {"ItemId": "tea-03", "SubCode": "", "Title": "宇治抹茶 30g 缶入り", "UnitPrice": 1620},
]


def stock_key(item_id: str, sub_code: str) -> str:
    """How setStock names an item: ``itemcode:subcode``, or ``itemcode`` without a SubCode."""
    return f"{item_id}:{sub_code}" if sub_code else item_id


class YahooMall:
    """One emulated Yahoo! Shopping store (``snbx-juchu``). Public methods take the lock."""

    def __init__(
        self,
        seed: int = 1,
        *,
        clock: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lock = threading.RLock()
        self.seed = seed
        self.rng = random.Random(seed)
        self.clock = clock or (lambda: datetime.now(JST))
        self.monotonic = monotonic
        self.seller_id = SELLER_ID
        self.expired = False
        self.token_lifetime = TOKEN_LIFETIME
        self.rate_limits = True
        self.signature_required = True
        self.tokens: dict[str, datetime] = {}
        self.last_call: dict[str, float] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.catalogue: list[dict[str, Any]] = copy.deepcopy(DEFAULT_CATALOGUE)
        self.stock: dict[str, int] = {stock_key(r["ItemId"], r["SubCode"]): INITIAL_STOCK for r in self.catalogue}
        self.ship_writes: list[dict[str, Any]] = []
        self.stock_writes = 0
        self.calls: list[dict[str, Any]] = []
        self.order_seq = 0

    def now(self) -> datetime:
        return self.clock().astimezone(JST)

    # ---- gateway: tokens, rate, log ---------------------------------------------------------------------

    def issue_token(self, client_id: str, client_secret: str, grant_type: str, refresh_token: str) -> tuple[int, dict]:
        """The YConnect token endpoint's answer (status, JSON body)."""
        with self.lock:
            if (client_id, client_secret) != (CLIENT_ID, CLIENT_SECRET):
                return 401, {"error": "invalid_client", "error_description": "client authentication failed"}
            if grant_type != "refresh_token":
                return 400, {"error": "unsupported_grant_type", "error_description": f"{grant_type!r} is not supported"}
            if self.expired or refresh_token != REFRESH_TOKEN:
                return 400, {"error": "invalid_grant", "error_description": "refresh_token is invalid or expired"}
            token = f"sbx-yat-{self.rng.getrandbits(128):032x}"
            self.tokens[token] = self.now() + timedelta(seconds=self.token_lifetime)
            return 200, {"access_token": token, "token_type": "Bearer", "expires_in": self.token_lifetime}

    def token_problem(self, header: str | None) -> str:
        """'' for a valid ``Bearer`` access token, else the ``WWW-Authenticate`` error text."""
        if not header or not header.startswith("Bearer "):
            return 'Bearer error="invalid_request", error_description="access token is required"'
        with self.lock:
            expiry = self.tokens.get(header[7:].strip())
            if expiry is None or self.expired:
                return 'Bearer error="invalid_token", error_description="access token is invalid"'
            if expiry <= self.now():
                return 'Bearer error="invalid_token", error_description="access token has expired"'
            return ""

    def throttled(self, path: str) -> bool:
        """True when ``path`` was called less than a second ago (the call is then refused and not counted)."""
        with self.lock:
            if not self.rate_limits:
                return False
            now = self.monotonic()
            last = self.last_call.get(path)
            if last is not None and now - last < RATE_INTERVAL - RATE_TOLERANCE:
                return True
            self.last_call[path] = now
            return False

    def record_call(self, method: str, path: str, raw: bytes, status: int) -> None:
        with self.lock:
            self.calls.append(
                {
                    "time": self.now().isoformat(timespec="seconds"),
                    "method": method,
                    "path": path,
                    "status": status,
                    "body": raw[:300].decode("utf-8", errors="replace"),
                }
            )
            if len(self.calls) > MAX_CALLS:
                del self.calls[: len(self.calls) - MAX_CALLS]

    # ---- control ----------------------------------------------------------------------------------------

    def set_credentials(self, body: dict[str, Any]) -> dict[str, Any]:
        """``{"expired": bool}`` refuses (and revokes) or accepts the demo credentials."""
        with self.lock:
            if "expired" in body:
                self.expired = bool(body["expired"])
                if self.expired:
                    self.tokens.clear()
            if body.get("revokeAccessTokens"):
                self.tokens.clear()
            return {"expired": self.expired, "sellerId": self.seller_id, "accessTokens": len(self.tokens)}

    def set_settings(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if "rateLimits" in body:
                self.rate_limits = bool(body["rateLimits"])
            if "signatureRequired" in body:
                self.signature_required = bool(body["signatureRequired"])
            if "tokenLifetimeSeconds" in body:
                lifetime = body["tokenLifetimeSeconds"]
                if not isinstance(lifetime, int) or isinstance(lifetime, bool) or lifetime < 1:
                    raise ControlError(400, "tokenLifetimeSeconds is a positive integer")
                self.token_lifetime = lifetime
            return self.settings()

    def settings(self) -> dict[str, Any]:
        with self.lock:
            return {
                "rateLimits": self.rate_limits,
                "signatureRequired": self.signature_required,
                "tokenLifetimeSeconds": self.token_lifetime,
            }

    def set_catalogue(self, rows: Any) -> dict[str, Any]:
        """Generic rows ``{"itemId","variantId","name","price"}``: ItemId, SubCode ('' when it is the item)."""
        if not isinstance(rows, list) or not rows:
            raise ControlError(400, "the catalogue is a non-empty list")
        catalogue = []
        for row in rows:
            if not isinstance(row, dict) or not isinstance(row.get("itemId"), str) or not row["itemId"]:
                raise ControlError(400, "each row needs itemId, variantId, name, price")
            variant = str(row.get("variantId") or "")
            price = row.get("price")
            if not isinstance(price, int) or isinstance(price, bool) or price < 0:
                raise ControlError(400, f"price of {row['itemId']} must be a non-negative integer")
            sub_code = "" if variant == row["itemId"] else variant
            catalogue.append(
                {"ItemId": row["itemId"], "SubCode": sub_code, "Title": str(row.get("name") or ""), "UnitPrice": price}
            )
        with self.lock:
            self.catalogue = catalogue
            for entry in catalogue:
                self.stock.setdefault(stock_key(entry["ItemId"], entry["SubCode"]), INITIAL_STOCK)
            return {"catalogue": copy.deepcopy(rows)}

    def create_orders(self, body: dict[str, Any]) -> dict[str, Any]:
        count, seed = body.get("count", 1), body.get("seed")
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 10000:
            raise ControlError(400, "count is an integer from 1 to 10000")
        overrides = body.get("order") or {}
        if not isinstance(overrides, dict):
            raise ControlError(400, "order is an object of raw field overrides")
        try:
            mix = generator.parse_payment_mix(body.get("paymentMix"))
        except ValueError as exc:
            raise ControlError(400, str(exc)) from exc
        with self.lock:
            rng = random.Random(seed) if seed is not None else self.rng
            numbers = []
            for _ in range(count):
                self.order_seq += 1
                number = f"{self.seller_id}-{10000000 + self.order_seq}"
                order = generator.generate_order(rng, number, self.now(), self.catalogue, mix)
                generator.deep_merge(order, overrides)
                self.orders[number] = order
                self.move_stock(order, -1)
                numbers.append(number)
            return {"orderNumbers": numbers}

    def move_stock(self, order: dict[str, Any], sign: int) -> None:
        for item in order["Item"]:
            key = stock_key(item["ItemId"], item["SubCode"])
            self.stock[key] = max(0, self.stock.get(key, 0) + sign * item["Quantity"])

    def order(self, number: str) -> dict[str, Any]:
        found = self.orders.get(number)
        if found is None:
            raise ControlError(404, f"no order {number}")
        return found

    def touch(self, order: dict[str, Any]) -> None:
        """An order changed: new Version and LastUpdateTime."""
        order["Version"] += 1
        order["LastUpdateTime"] = max(self.now(), order["LastUpdateTime"])

    def unpaid(self, order: dict[str, Any]) -> bool:
        """Awaiting the buyer's payment (bank transfer, konbini), not cancelled."""
        return (
            order["OrderStatus"] != 4
            and order["Pay"]["PayStatus"] == 0
            and order["Pay"]["PayMethodName"] in generator.PREPAID
        )

    def list_numbers(self, state: str) -> dict[str, Any]:
        if state not in ("all", "unpaid"):
            raise ControlError(400, "state is unpaid or all")
        with self.lock:
            return {"orderNumbers": [n for n, o in self.orders.items() if state == "all" or self.unpaid(o)]}

    def pay(self, number: str) -> dict[str, Any]:
        with self.lock:
            order = self.order(number)
            if not self.unpaid(order):
                raise ControlError(409, f"order {number} is not awaiting payment")
            order["Pay"]["PayStatus"] = 1
            order["Pay"]["PayDate"] = self.now().date()
            if order["Ship"]["ShipStatus"] == 0:
                order["Ship"]["ShipStatus"] = 1
            self.touch(order)
            return self.snapshot(number)

    def buyer_cancel(self, number: str) -> dict[str, Any]:
        with self.lock:
            order = self.order(number)
            if order["OrderStatus"] == 4:
                raise ControlError(409, f"order {number} is already cancelled")
            if order["Ship"]["ShipStatus"] >= 3:
                raise ControlError(409, f"order {number} has shipped")
            order["OrderStatus"] = 4
            order["CancelReason"] = 100
            self.move_stock(order, +1)
            self.touch(order)
            return self.snapshot(number)

    def change(self, number: str, body: dict[str, Any]) -> dict[str, Any]:
        """``{"quantity": n, "lineId"?: k}`` and/or ``{"ship": {"ShipAddress1": …}}``: the store edits the order."""
        with self.lock:
            order = self.order(number)
            if order["OrderStatus"] == 4 or order["Ship"]["ShipStatus"] >= 3:
                raise ControlError(409, f"order {number} is cancelled or shipped; it cannot change")
            if "quantity" in body or "ship" not in body:
                line_id = body.get("lineId", 1)
                item = next((i for i in order["Item"] if i["LineId"] == line_id), None)
                if item is None:
                    raise ControlError(404, f"no LineId {line_id} in {number}")
                quantity = body.get("quantity", item["Quantity"] + 1)
                if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
                    raise ControlError(400, "quantity must be a positive integer")
                key = stock_key(item["ItemId"], item["SubCode"])
                self.stock[key] = max(0, self.stock.get(key, 0) - (quantity - item["Quantity"]))
                item["Quantity"] = quantity
                generator.recompute(order)
            if "ship" in body:
                ship = body["ship"]
                if not isinstance(ship, dict) or any(k not in order["Ship"] or not k.startswith("Ship") for k in ship):
                    raise ControlError(400, "ship is an object of Ship fields (ShipAddress1, ShipZipCode, …)")
                order["Ship"].update({k: str(v) for k, v in ship.items()})
            self.touch(order)
            return self.snapshot(number)

    # ---- views ------------------------------------------------------------------------------------------

    def snapshot(self, number: str) -> dict[str, Any]:
        with self.lock:
            order = self.order(number)
            ship = order["Ship"]
            shipments = []
            if ship["ShipStatus"] >= 3:
                numbers = [n for n in (ship["ShipInvoiceNumber1"], ship["ShipInvoiceNumber2"]) if n]
                shipments.append(
                    {
                        "carrier": ship["ShipCompanyCode"],
                        "trackingNumbers": numbers,
                        "shipDate": xmlio.wire_value(ship["ShipDate"]),
                    }
                )
            status = order["OrderStatus"]
            return {
                "orderNumber": number,
                "status": f"{status} {ORDER_STATUS.get(status, '?')}",
                "orderStatus": status,
                "shipStatus": ship["ShipStatus"],
                "payStatus": order["Pay"]["PayStatus"],
                "paid": order["Pay"]["PayStatus"] == 1,
                "cancelled": status == 4,
                "confirmed": order["IsSeen"],
                "shipments": shipments,
                "writes": [w for w in self.ship_writes if w["orderId"] == number],
                "order": ET.tostring(xmlio.order_info(order, None), encoding="unicode"),
            }

    def summary(self) -> dict[str, Any]:
        with self.lock:
            duplicates = [
                n
                for n, o in self.orders.items()
                if o["Ship"]["ShipInvoiceNumber1"]
                and o["Ship"]["ShipInvoiceNumber1"] == o["Ship"]["ShipInvoiceNumber2"]
            ]
            return {
                "orders": len(self.orders),
                "shipped": sum(1 for o in self.orders.values() if o["Ship"]["ShipStatus"] >= 3),
                "duplicateTracking": duplicates,
                "shipmentWrites": len(self.ship_writes),
                "stockWrites": self.stock_writes,
                "stock": dict(self.stock),
            }
