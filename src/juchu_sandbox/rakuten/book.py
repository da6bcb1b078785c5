"""The mall's order book: the clock and the lock, order lines, progress and change reasons, stock moves."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from juchu_sandbox.rakuten.common import JST, fmt_dt

if TYPE_CHECKING:
    from juchu_sandbox.rakuten.store import RakutenMall


class OrderBook:
    """What the RMS API and the control actions share. A base of :class:`~juchu_sandbox.rakuten.store.RakutenMall`,
    whose ``__init__`` sets the attributes declared here."""

    lock: threading.RLock
    clock: Callable[[], datetime]
    orders: dict[str, dict[str, Any]]
    meta: dict[str, dict[str, Any]]
    inventory: dict[tuple[str, str], dict[str, Any]]
    stock_changes: list[dict[str, Any]]
    async_jobs: dict[str, dict[str, Any]]
    shipping_detail_seq: int
    change_seq: int

    def now(self) -> datetime:
        return self.clock().astimezone(JST)

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self.lock:
            self.pump()
            yield

    def pump(self) -> None:
        """Run the asynchronous shipping updates that are due (called under the lock by every entry point)."""
        from juchu_sandbox.rakuten.shipping import run_async_job  # circular: shipping uses the mall

        with self.lock:
            due = [
                rid for rid, job in self.async_jobs.items() if job["results"] is None and job["due"] <= time.monotonic()
            ]
            for rid in due:
                run_async_job(cast("RakutenMall", self), self.async_jobs[rid])

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
