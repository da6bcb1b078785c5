"""The au PAY mall's state: orders, catalogue, stock, credentials, rate limit, call log. One RLock guards all."""

from __future__ import annotations

import copy
import random
import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from juchu_sandbox.aupay.generator import PAYMENTS, generate, parse_mix
from juchu_sandbox.aupay.xmlio import JST, ApiError, fmt_minute, now_jst
from juchu_sandbox.control_contract import ControlError

DEFAULT_SHOP_ID = "52000123"
DEFAULT_API_KEY = "sandbox-aupay-api-key"
KEY_LIFETIME = timedelta(days=90)
RATE_PER_SECOND, RATE_BURST = 2.0, 4.0
MAX_CALLS = 20000
SETTLED = frozenset({"入金済み", "与信済み", "後払い審査OK"})
UNPAID = frozenset({"未入金", "後払い審査中"})
PAID_AFTER = {"未入金": "入金済み", "後払い審査中": "後払い審査OK"}
OPEN = frozenset({"新規受付", "発送前入金待ち", "発送待ち", "保留"})
DEFAULT_CATALOGUE = [
    {"itemId": "tea-01", "variantId": "tea-01-100g", "name": "静岡県産 深蒸し煎茶 100g", "price": 1080},
    {"itemId": "tea-01", "variantId": "tea-01-200g", "name": "静岡県産 深蒸し煎茶 200g", "price": 1944},
    {"itemId": "tea-03", "variantId": "tea-03", "name": "宇治抹茶 30g 缶入り", "price": 1620},
]


def _row(entry: Any) -> dict[str, Any]:
    """A control-API catalogue entry as the mall's item: itemCode, itemManagementId ('' = single stock)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("itemId"), str) or not entry["itemId"].strip():
        raise ControlError(400, "each entry needs itemId, variantId, name and price")
    price = entry.get("price")
    if isinstance(price, bool) or not isinstance(price, int) or price < 0:
        raise ControlError(400, "price must be a non-negative integer (yen, tax included)")
    item = entry["itemId"].strip()
    variant = str(entry.get("variantId") or "").strip()
    variant = "" if variant == item else variant
    return {
        "itemCode": item,
        "itemManagementId": variant,
        "itemName": str(entry.get("name") or item),
        "itemOption": "",
        "price": price,
    }


class Mall:
    """One emulated au PAY Market shop. Public methods take the lock."""

    def __init__(self, seed: int = 1, *, clock: Callable[[], datetime] | None = None) -> None:
        self.lock = threading.RLock()
        self.seed = seed
        self.rng = random.Random(seed)
        self.clock = clock or now_jst
        self.shop_id = DEFAULT_SHOP_ID
        self.api_key = DEFAULT_API_KEY
        self.expired = False
        self.issued_on: date = self.clock().astimezone(JST).date()
        self.settings: dict[str, Any] = {"rateLimits": True, "ratePerSecond": RATE_PER_SECOND, "allowedIps": []}
        self._tokens = RATE_BURST
        self._refilled = self.clock()
        self.catalogue: list[dict[str, Any]] = [_row(e) for e in DEFAULT_CATALOGUE]
        self.stock: dict[tuple[str, str], int] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.updated: dict[str, datetime] = {}
        self.created: dict[str, datetime] = {}
        self.order_seq = 0
        self.detail_ids = [70000000]
        self.shipment_writes = 0
        self.stock_writes = 0
        self.calls: list[dict[str, Any]] = []
        self._restock()

    def _restock(self) -> None:
        for row in self.catalogue:
            self.stock.setdefault((row["itemCode"], row["itemManagementId"]), 1000)

    # ---- gateway checks -------------------------------------------------------------------------------------

    def gate(self, authorization: str | None, client_ip: str) -> None:
        """IP allow-list (403 PUB0003), Bearer key (401 PUB0001/PUB0002), rate limit (429 PUB0004)."""
        with self.lock:
            allowed = self.settings["allowedIps"]
            if allowed and client_ip not in allowed:
                raise ApiError(403, "PUB0003", f"許可されていないIPアドレスからのアクセスです ({client_ip})")
            scheme, _, key = (authorization or "").partition(" ")
            if scheme != "Bearer" or key.strip() != self.api_key:
                raise ApiError(401, "PUB0001", "認証に失敗しました。APIキーを確認してください")
            if self.expired or self.clock().astimezone(JST).date() > self.issued_on + KEY_LIFETIME:
                raise ApiError(401, "PUB0002", "APIキーの有効期限が切れています")
            if self.settings["rateLimits"]:
                now = self.clock()
                rate = float(self.settings["ratePerSecond"])
                elapsed = max(0.0, (now - self._refilled).total_seconds())
                self._tokens = min(RATE_BURST, self._tokens + elapsed * rate)
                self._refilled = now
                if self._tokens < 1:
                    raise ApiError(
                        429, "PUB0004", "リクエスト数が上限を超えました。しばらくしてから再度実行してください"
                    )
                self._tokens -= 1

    def check_shop(self, shop_id: str) -> None:
        """The request's shopId must be the key's shop (401 PUB0001 otherwise)."""
        if not shop_id:
            raise ApiError(400, "PRM0003", "shopId は必須です")
        if shop_id != self.shop_id:
            raise ApiError(401, "PUB0001", "APIキーとショップIDの組み合わせが正しくありません")

    def record_call(self, method: str, path: str, body: str, status: int) -> None:
        with self.lock:
            self.calls.append(
                {"time": fmt_minute(self.clock()), "method": method, "path": path, "status": status, "body": body[:300]}
            )
            if len(self.calls) > MAX_CALLS:
                del self.calls[: len(self.calls) - MAX_CALLS]

    # ---- order book -----------------------------------------------------------------------------------------

    def order(self, order_id: str) -> dict[str, Any]:
        """The stored order, or ApiError ORD0001."""
        found = self.orders.get(order_id)
        if found is None:
            raise ApiError(400, "ORD0001", f"指定された注文番号は存在しません ({order_id})")
        return found

    def touch(self, order: dict[str, Any]) -> None:
        """Record a change: ``updateDate`` is what dateType 1 searches."""
        now = self.clock()
        order["updateDate"] = fmt_minute(now)
        self.updated[order["orderId"]] = now

    def adjust_stock(self, order: dict[str, Any], sign: int) -> None:
        for line in order["detail"]:
            key = (str(line.get("itemCode", "")), str(line.get("itemManagementId", "")))
            units = line.get("unit")
            if isinstance(units, int) and not isinstance(units, bool):
                self.stock[key] = max(0, self.stock.get(key, 0) + sign * units)

    def set_paid(self, order: dict[str, Any]) -> None:
        """The buyer pays (or 後払い is approved); 発送前入金待ち moves on to 発送待ち."""
        order["paymentStatus"] = PAID_AFTER[order["paymentStatus"]]
        if order["orderStatus"] == "発送前入金待ち":
            order["orderStatus"] = "発送待ち"
        self.touch(order)

    def cancel(self, order: dict[str, Any]) -> None:
        order["orderStatus"] = "キャンセル"
        self.adjust_stock(order, +1)
        self.touch(order)

    # ---- control: catalogue, orders, credentials -------------------------------------------------------------

    def set_catalogue(self, entries: Any) -> list[dict[str, Any]]:
        if not isinstance(entries, list) or not entries:
            raise ControlError(400, "the catalogue is a non-empty list")
        rows = [_row(e) for e in entries]
        with self.lock:
            self.catalogue = rows
            self._restock()
            return copy.deepcopy(rows)

    def set_stock(self, body: Any) -> dict[tuple[str, str], int]:
        """The shop changes quantities by hand in Wow!manager: ``{"itemCode[:itemManagementId]": count}``, all or
        nothing (unknown key 404, bad count 400); not counted as a stock write."""
        if not isinstance(body, dict) or not body:
            raise ControlError(400, "expected {itemCode or itemCode:itemManagementId: count, …}")
        changes: dict[tuple[str, str], int] = {}
        for key, count in body.items():
            if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 99_999:
                raise ControlError(400, f"{key}: the count is an integer from 0 to 99999")
            item, _, variant = str(key).partition(":")
            changes[(item, variant)] = count
        with self.lock:
            known = {(row["itemCode"], row["itemManagementId"]) for row in self.catalogue}
            unknown = [f"{i}:{v}" if v else i for i, v in changes if (i, v) not in known]
            if unknown:
                raise ControlError(404, f"no item {', '.join(unknown)}")
            self.stock.update(changes)
            return dict(self.stock)

    def set_settings(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ControlError(400, "settings are a JSON object")
        with self.lock:
            if "rateLimits" in body:
                self.settings["rateLimits"] = bool(body["rateLimits"])
            if "ratePerSecond" in body:
                rate = body["ratePerSecond"]
                if isinstance(rate, bool) or not isinstance(rate, int | float) or rate <= 0:
                    raise ControlError(400, "ratePerSecond is a positive number")
                self.settings["ratePerSecond"] = float(rate)
            if "allowedIps" in body:
                ips = body["allowedIps"]
                if not isinstance(ips, list) or not all(isinstance(ip, str) for ip in ips):
                    raise ControlError(400, "allowedIps is a list of addresses ([] allows every address)")
                self.settings["allowedIps"] = list(ips)
            return copy.deepcopy(self.settings)

    def set_credentials(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ControlError(400, "credentials are a JSON object")
        with self.lock:
            if "shopId" in body:
                self.shop_id = str(body["shopId"])
            if "apiKey" in body:
                self.api_key = str(body["apiKey"])
            if "expired" in body:
                self.expired = bool(body["expired"])
            if "issuedOn" in body:
                try:
                    self.issued_on = date.fromisoformat(str(body["issuedOn"]))
                except ValueError:
                    raise ControlError(400, "issuedOn is YYYY-MM-DD") from None
            expires = self.issued_on + KEY_LIFETIME
            return {
                "shopId": self.shop_id,
                "apiKey": self.api_key,
                "expired": self.expired,
                "issuedOn": self.issued_on.isoformat(),
                "expiresOn": expires.isoformat(),
            }

    def create_orders(self, count: Any, seed: Any = None, mix: Any = None, override: Any = None) -> list[str]:
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 5000:
            raise ControlError(400, "count is an integer from 1 to 5000")
        if override is not None and not isinstance(override, dict):
            raise ControlError(400, "order is an object of orderInfo keys")
        try:
            weights = parse_mix(mix)
        except ValueError as exc:
            raise ControlError(400, str(exc)) from None
        with self.lock:
            rng = random.Random(seed) if isinstance(seed, int) else self.rng
            numbers = []
            for _ in range(count):
                now = self.clock()
                self.order_seq += 1
                order_id = f"{now.astimezone(JST):%y%m%d}{self.order_seq:06d}"
                order = generate(rng, order_id, now, self.catalogue, weights, self.detail_ids)
                if override:
                    order.update({k: v for k, v in override.items() if k not in ("orderId", "detail")})
                    if isinstance(override.get("detail"), list):
                        order["detail"] = override["detail"]
                    if order["settlementName"] in PAYMENTS and "paymentStatus" not in override:
                        order["paymentStatus"] = PAYMENTS[order["settlementName"]]
                self.orders[order_id] = order
                self.updated[order_id] = self.created[order_id] = now
                self.adjust_stock(order, -1)
                numbers.append(order_id)
            return numbers
