"""The Rakuten mall's state: orders, credentials, catalogue, stock, call log. Thread-safe (one re-entrant lock)."""

from __future__ import annotations

import base64
import binascii
import copy
import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from typing import Any

from juchu_sandbox.rakuten.common import JST, fmt_dt, now_jst, parse_any_dt
from juchu_sandbox.rakuten.data import DEFAULT_CATALOGUE
from juchu_sandbox.rakuten.generator import (
    Ids,
    deep_merge,
    fill_order,
    generate_order,
    parse_payment_mix,
    recompute_totals,
)

DEFAULT_SERVICE_SECRET = "sandbox-secret"
DEFAULT_LICENSE_KEY = "sandbox-license"
MAX_CALLS = 20000


class ControlError(Exception):
    """A control-API request the mall refuses: ``status`` (400/404/409) and a message."""

    def __init__(self, status: int, text: str):
        super().__init__(text)
        self.status = status
        self.text = text


class RakutenMall:
    """One emulated Rakuten shop. Every public method takes the lock; tests may read attributes directly."""

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

    def now(self) -> datetime:
        return self.clock().astimezone(JST)

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self.lock:
            self.pump()
            yield

    def pump(self) -> None:
        """Run the asynchronous shipping updates that are due (called under the lock by every entry point)."""
        from juchu_sandbox.rakuten.orders import (
            run_async_job,
        )  # circular: orders uses the mall

        with self.lock:
            due = [
                rid for rid, job in self.async_jobs.items() if job["results"] is None and job["due"] <= time.monotonic()
            ]
            for rid in due:
                run_async_job(self, self.async_jobs[rid])

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

    # ---- orders: helpers shared with the API --------------------------------------------------------------

    @staticmethod
    def lines(order: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
        for package in order.get("PackageModelList") or []:
            for item in package.get("ItemModelList") or []:
                skus = item.get("SkuModelList") or []
                variant = (skus[0].get("variantId") if skus else None) or item.get("manageNumber")
                yield item, variant

    def next_shipping_detail_id(self) -> int:
        self.shipping_detail_seq += 1
        return self.shipping_detail_seq

    def set_progress(self, number: str, to: int, by: str) -> None:
        order = self.orders[number]
        now = self.now()
        self.meta[number]["history"].append({"time": fmt_dt(now), "from": order["orderProgress"], "to": to, "by": by})
        order["orderProgress"] = to
        if to == 300 and self.meta[number]["settledAt"] is None:
            self.meta[number]["settledAt"] = now
            self.meta[number]["paid"] = True
        if to == 300:
            order["orderFixDatetime"] = order.get("orderFixDatetime") or fmt_dt(now)
            order["shippingInstDatetime"] = order.get("shippingInstDatetime") or fmt_dt(now)

    def add_change_reason(self, number: str, change_type: int, **fields: Any) -> dict[str, Any]:
        self.change_seq += 1
        now = fmt_dt(self.now())
        entry = {
            "changeId": self.change_seq,
            "changeType": change_type,
            "changeTypeDetail": fields.get("changeTypeDetail"),
            "changeReason": fields.get("changeReason"),
            "changeReasonDetail": fields.get("changeReasonDetail"),
            "changeApplyDatetime": now,
            "changeFixDatetime": fields.get("changeFixDatetime", now),
            "changeCmplDatetime": fields.get("changeCmplDatetime", now),
        }
        order = self.orders[number]
        if order.get("ChangeReasonModelList") is None:
            order["ChangeReasonModelList"] = []
        order["ChangeReasonModelList"].append(entry)
        return entry

    def restore_stock(self, number: str, restore_type: int = 0) -> None:
        """Give back the order's units: ``restore_type`` 1 always, 2 never, 0 per item (restoreInventoryFlag ≠ 2)."""
        if restore_type == 2:
            return
        for item, variant in self.lines(self.orders[number]):
            if restore_type == 1 or item.get("restoreInventoryFlag", 0) != 2:
                self.adjust_stock(item["manageNumber"], variant, item["units"], f"cancel {number}")

    # ---- stock --------------------------------------------------------------------------------------------------

    def adjust_stock(self, manage_number: str, variant_id: str, delta: int, source: str) -> None:
        """Move a known SKU's stock (clamped to 0–99999); unknown SKUs are not tracked, like the real mall."""
        key = (str(manage_number).lower(), str(variant_id))
        record = self.inventory.get(key)
        if record is None or not delta:
            return
        self.set_stock(key, max(0, min(99999, record["quantity"] + delta)), source)

    def set_stock(self, key: tuple[str, str], quantity: int, source: str) -> None:
        now = self.now()
        record = self.inventory.get(key)
        before = record["quantity"] if record else None
        if record is None:
            record = self.inventory[key] = {
                "quantity": quantity,
                "created": now,
                "updated": now,
            }
        record["quantity"] = quantity
        record["updated"] = now
        self.stock_changes.append(
            {
                "time": fmt_dt(now),
                "manageNumber": key[0],
                "variantId": key[1],
                "before": before,
                "after": quantity,
                "delta": quantity - (before or 0),
                "source": source,
            }
        )

    # ---- control: buyer and Rakuten actions -------------------------------------------------------------------

    def _order(self, number: str) -> dict[str, Any]:
        order = self.orders.get(number)
        if order is None:
            raise ControlError(404, f"no order {number}")
        return order

    def buyer_cancel(self, number: str) -> dict[str, Any]:
        with self.locked():
            order = self._order(number)
            if order["orderProgress"] not in (100, 200, 300, 400):
                raise ControlError(
                    409,
                    f"order {number} is in {order['orderProgress']}; the buyer cannot cancel",
                )
            self.add_change_reason(number, 2, changeReason=1, changeReasonDetail=1)
            self.set_progress(number, 900, "buyer cancel")
            self.restore_stock(number)
            return self.snapshot(number)

    def pay(self, number: str) -> dict[str, Any]:
        with self.locked():
            order = self._order(number)
            progress = order["orderProgress"]
            if progress == 200:
                self.set_progress(number, 300, "payment received")
            elif progress == 100 and not self.meta[number]["paid"]:
                self.meta[number]["paid"] = True  # paid before the shop confirmed: confirmOrder goes to 300
            else:
                raise ControlError(409, f"order {number} is in {progress}, not awaiting payment")
            return self.snapshot(number)

    def change(self, number: str, body: dict[str, Any]) -> dict[str, Any]:
        """Buyer/Rakuten change (→ 400): ``{"units": n, "itemDetailId": optional}`` and/or ``{"sender": {...}}``."""
        with self.locked():
            order = self._order(number)
            if order["orderProgress"] not in (100, 200, 300):
                raise ControlError(
                    409,
                    f"order {number} is in {order['orderProgress']}; it cannot change",
                )
            detail = 2
            if "units" in body or "sender" not in body:
                items = [item for item, _ in self.lines(order)]
                wanted = body.get("itemDetailId")
                item = next((i for i in items if i["itemDetailId"] == wanted), None) if wanted else items[0]
                if item is None:
                    raise ControlError(404, f"no itemDetailId {wanted} in {number}")
                units = body.get("units", item["units"] + 1)
                if not isinstance(units, int) or units < 1:
                    raise ControlError(400, "units must be a positive integer")
                delta = units - item["units"]
                item["units"] = units
                self.adjust_stock(
                    item["manageNumber"],
                    self._variant(item),
                    -delta,
                    f"change {number}",
                )
                detail = 1 if delta > 0 else 0
                recompute_totals(order)
            if "sender" in body:
                if not isinstance(body["sender"], dict):
                    raise ControlError(400, "sender must be an object of SenderModel keys")
                packages = order["PackageModelList"]
                basket = body.get("basketId")
                package = next((p for p in packages if p["basketId"] == basket), None) if basket else packages[0]
                if package is None:
                    raise ControlError(404, f"no basketId {basket} in {number}")
                package["SenderModel"].update(body["sender"])
            order["modifyFlag"] = 1
            self.add_change_reason(
                number,
                4,
                changeTypeDetail=detail,
                changeReason=1,
                changeFixDatetime=None,
                changeCmplDatetime=None,
            )
            self.meta[number]["previousProgress"] = order["orderProgress"]
            self.set_progress(number, 400, "change")
            return self.snapshot(number)

    @staticmethod
    def _variant(item: dict[str, Any]) -> str:
        skus = item.get("SkuModelList") or []
        return (skus[0].get("variantId") if skus else None) or item["manageNumber"]

    def change_confirm(self, number: str) -> dict[str, Any]:
        with self.locked():
            order = self._order(number)
            if order["orderProgress"] != 400:
                raise ControlError(409, f"order {number} is in {order['orderProgress']}, not 400")
            now = fmt_dt(self.now())
            for entry in reversed(order.get("ChangeReasonModelList") or []):
                if entry["changeType"] == 4 and entry["changeFixDatetime"] is None:
                    entry["changeFixDatetime"] = entry["changeCmplDatetime"] = now
                    break
            self.add_change_reason(number, 5)
            back = self.meta[number]["previousProgress"] or 300
            self.set_progress(number, back, "change confirmed")
            return self.snapshot(number)

    # ---- control: views -------------------------------------------------------------------------------------

    def snapshot(self, number: str) -> dict[str, Any]:
        with self.locked():
            order = self._order(number)
            meta = self.meta[number]
            records = [
                {"basketId": p["basketId"], **s}
                for p in order["PackageModelList"]
                for s in (p.get("ShippingModelList") or [])
            ]
            return {
                "orderNumber": number,
                "orderProgress": order["orderProgress"],
                "shopOrderCfmDatetime": order.get("shopOrderCfmDatetime"),
                "settledAt": fmt_dt(meta["settledAt"]),
                "paid": meta["paid"],
                "shippingRecords": records,
                "history": copy.deepcopy(meta["history"]),
                "order": copy.deepcopy(order),
            }

    def list_orders(self, progress: set[int] | None = None) -> dict[str, Any]:
        with self.locked():
            counts: dict[str, int] = {}
            numbers = []
            for number, order in self.orders.items():
                counts[str(order["orderProgress"])] = counts.get(str(order["orderProgress"]), 0) + 1
                if progress is None or order["orderProgress"] in progress:
                    numbers.append(number)
            return {
                "total": len(self.orders),
                "counts": counts,
                "matched": len(numbers),
                "orderNumbers": numbers,
            }

    def stock_report(self) -> dict[str, Any]:
        with self.locked():
            stock = [
                {
                    "manageNumber": k[0],
                    "variantId": k[1],
                    "quantity": r["quantity"],
                    "updated": fmt_dt(r["updated"]),
                }
                for k, r in sorted(self.inventory.items())
            ]
            return {"stock": stock, "changes": copy.deepcopy(self.stock_changes)}
