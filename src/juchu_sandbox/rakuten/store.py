"""The Rakuten mall's state: orders, credentials, catalogue, stock, call log. Thread-safe (one re-entrant lock)."""

from __future__ import annotations

import base64
import binascii
import copy
import json
import random
import threading
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from juchu_sandbox.control_contract import ControlError
from juchu_sandbox.rakuten.common import JST, fmt_dt, now_jst, parse_any_dt
from juchu_sandbox.rakuten.data import DEFAULT_CATALOGUE
from juchu_sandbox.rakuten.generator import deep_merge, fill_order, generate_order, parse_payment_mix
from juchu_sandbox.rakuten.mall_control import MallControl
from juchu_sandbox.rakuten.models import Ids
from juchu_sandbox.rakuten.money import recompute_totals

DEFAULT_SERVICE_SECRET = "sandbox-secret"
DEFAULT_LICENSE_KEY = "sandbox-license"
MAX_CALLS = 20000


class RakutenMall(MallControl):
    """One emulated Rakuten shop. Every public method takes the lock; tests may read attributes directly.

    The order book (clock, lock, progress, stock) comes from :class:`OrderBook`, the control actions from
    :class:`MallControl`.
    """

    search_cap = 15000  # searchOrder returns at most this many hits (tests lower it)

    def __init__(
        self,
        seed: int = 1,
        *,
        shop_id: str = "360238",
        clock: Callable[[], datetime] | None = None,
        async_delay_seconds: float = 0.5,
    ) -> None:
        self.lock = threading.RLock()
        self.seed = seed
        self.rng = random.Random(seed)
        self.shop_id = shop_id
        self.clock = clock or now_jst
        self.async_delay_seconds = async_delay_seconds
        self.service_secret = DEFAULT_SERVICE_SECRET
        self.license_key = DEFAULT_LICENSE_KEY
        self.expired = False
        self.orders: dict[str, dict[str, Any]] = {}
        self.meta: dict[str, dict[str, Any]] = {}
        self.catalogue: list[dict[str, Any]] = copy.deepcopy(DEFAULT_CATALOGUE)
        self.ids = Ids()
        self.order_seq = 0
        self.shipping_detail_seq = 88000000
        self.change_seq = 700000000
        self.inventory: dict[tuple[str, str], dict[str, Any]] = {}
        self.stock_changes: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []
        self.async_jobs: dict[str, dict[str, Any]] = {}

    # ---- plumbing -------------------------------------------------------------------------------------------

    def check_auth(self, header: str | None) -> bool:
        """``Authorization: ESA base64(serviceSecret:licenseKey)`` against the accepted, unexpired pair."""
        if not header or not header.startswith("ESA "):
            return False
        try:
            decoded = base64.b64decode(header[4:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        with self.lock:
            return not self.expired and decoded == f"{self.service_secret}:{self.license_key}"

    def set_credentials(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if "serviceSecret" in body:
                self.service_secret = str(body["serviceSecret"])
            if "licenseKey" in body:
                self.license_key = str(body["licenseKey"])
            if "expired" in body:
                self.expired = bool(body["expired"])
            return {
                "serviceSecret": self.service_secret,
                "licenseKey": self.license_key,
                "expired": self.expired,
            }

    def record_call(self, method: str, path: str, body: bytes, status: int) -> None:
        summary = body.decode("utf-8", "replace")
        with suppress(ValueError):
            summary = json.dumps(json.loads(summary), ensure_ascii=False, separators=(",", ":"))
        if len(summary) > 300:
            summary = summary[:297] + "..."
        with self.lock:
            self.calls.append(
                {
                    "time": fmt_dt(self.now()),
                    "method": method,
                    "path": path,
                    "body": summary,
                    "status": status,
                }
            )
            if len(self.calls) > MAX_CALLS:
                del self.calls[: len(self.calls) - MAX_CALLS]

    # ---- orders: creation -----------------------------------------------------------------------------------

    def _new_number(self, at: datetime) -> str:
        self.order_seq += 1
        return f"{self.shop_id}-{at.astimezone(JST):%Y%m%d}-{self.order_seq:08d}"

    def set_catalogue(self, entries: Any) -> list[dict[str, Any]]:
        if not isinstance(entries, list) or not entries:
            raise ControlError(400, "the catalogue is a non-empty list")
        clean = []
        for entry in entries:
            if not isinstance(entry, dict) or not all(k in entry for k in ("manageNumber", "itemName", "price")):
                raise ControlError(400, "each entry needs manageNumber, variantId, itemName and price")
            if not isinstance(entry["price"], int) or entry["price"] < 0:
                raise ControlError(400, "price must be a non-negative integer (yen, tax included)")
            row = dict(entry)
            row["manageNumber"] = str(row["manageNumber"]).lower()
            row.setdefault("variantId", row["manageNumber"])
            clean.append(row)
        with self.lock:
            self.catalogue = clean
            return copy.deepcopy(clean)

    def create_orders(
        self,
        count: int,
        *,
        seed: int | None = None,
        payment_mix: Any = None,
        overrides: dict[str, Any] | None = None,
        spread_seconds: int = 0,
        several_senders: bool | None = None,
    ) -> list[str]:
        """``count`` generated orders in progress 100 (or as ``overrides`` say). ``seed`` makes the batch repeat."""
        try:
            mix = parse_payment_mix(payment_mix)
        except ValueError as exc:
            raise ControlError(400, str(exc)) from None
        if not isinstance(count, int) or not 0 < count <= 100000:
            raise ControlError(400, "count must be an integer 1–100000")
        with self.locked():
            rng = random.Random(seed) if seed is not None else self.rng
            numbers = []
            for _ in range(count):
                at = self.now() - timedelta(seconds=rng.uniform(0, spread_seconds)) if spread_seconds else self.now()
                number = self._new_number(at)
                order = generate_order(
                    rng,
                    order_number=number,
                    ordered_at=at,
                    catalogue=self.catalogue,
                    ids=self.ids,
                    payment_mix=mix,
                    several_senders=several_senders,
                )
                if overrides:
                    order = deep_merge(order, overrides)
                    order["orderNumber"] = number
                    if {"PackageModelList", "PointModel", "CouponModelList"} & set(overrides):
                        recompute_totals(order)
                self._store(order, source="generated")
                numbers.append(number)
            return numbers

    def add_order(self, given: Any) -> str:
        """A hand-written OrderModel, stored as given with the missing keys filled in."""
        if not isinstance(given, dict):
            raise ControlError(400, "order must be an OrderModel object")
        with self.locked():
            number = given.get("orderNumber") or self._new_number(self.now())
            if number in self.orders:
                raise ControlError(409, f"order {number} exists")
            tmpl_rng = random.Random(self.rng.random())
            order = fill_order(
                given,
                order_number=number,
                now=parse_any_dt(given.get("orderDatetime")) or self.now(),
                ids=self.ids,
                template=lambda: generate_order(
                    tmpl_rng,
                    order_number=number,
                    ordered_at=self.now(),
                    catalogue=self.catalogue,
                    ids=self.ids,
                    payment_mix=parse_payment_mix(None),
                ),
            )
            for package in order["PackageModelList"]:
                for ship in package.get("ShippingModelList") or []:
                    if not ship.get("shippingDetailId"):
                        ship["shippingDetailId"] = self.next_shipping_detail_id()
            self._store(order, source="given")
            return number

    def _store(self, order: dict[str, Any], source: str) -> None:
        number = order["orderNumber"]
        progress = order.get("orderProgress", 100)
        settled = None
        if 300 <= progress < 900 and progress != 400:
            settled = parse_any_dt(order.get("orderFixDatetime")) or parse_any_dt(order.get("orderDatetime"))
        self.orders[number] = order
        self.meta[number] = {
            "settledAt": settled,
            "paid": settled is not None,
            "previousProgress": None,
            "createdAt": self.now(),
            "history": [{"time": fmt_dt(self.now()), "from": None, "to": progress, "by": source}],
        }
        if progress < 900:
            for item, variant in self.lines(order):
                self.adjust_stock(item["manageNumber"], variant, -item["units"], f"order {number}")
