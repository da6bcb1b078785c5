"""Shipment requests inside the warehouse: the ``Shipment`` record, the whole state, and the shipping simulation."""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from juchu_sandbox.rsl.records import (
    CARRIER_CODE,
    CARRIER_NAME,
    JST,
    REFUSE_RATE_REASON,
    SHIP_CUTOFF,
    Clock,
    InboundPlan,
    Item,
    Received,
    RslError,
    Settings,
    Stock,
    day_start,
    iso,
)


def ship_by_date(accepted_at: datetime) -> date:
    """The cutoff: by 15:29:59 JST → that day; from 15:30:00 → the next day (every day is a shipping day)."""
    local = accepted_at.astimezone(JST)
    return local.date() if local.time() < SHIP_CUTOFF else local.date() + timedelta(days=1)


def tracking_number(seq: int) -> str:
    """12 digits: 11 digits plus the Japan Post check digit (the 11-digit number mod 7)."""
    body = f"{60_000_000_000 + seq:011d}"
    return body + str(int(body) % 7)


@dataclass
class Shipment:
    seq: int
    request_id: str
    rsl_order_id: str
    mall_order_number: str
    package_number: int
    shop_code: str
    delivery_method: str
    delivery_date: date | None
    need: dict[str, int]
    accepted_at: datetime
    ship_by: date
    status: str = "accepted"  # accepted → shipped | unshippable | withdrawn
    picking_started_at: datetime | None = None
    ended_at: datetime | None = None
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "requestId": self.request_id,
            "rslOrderId": self.rsl_order_id,
            "mallOrderNumber": self.mall_order_number,
            "packageNumber": self.package_number,
            "shopCode": self.shop_code,
            "deliveryMethod": self.delivery_method,
            "deliveryDate": self.delivery_date.isoformat() if self.delivery_date else None,
            "lines": [{"sku": sku, "quantity": qty} for sku, qty in self.need.items()],
            "status": self.status,
            "acceptedAt": iso(self.accepted_at),
            "shipByDate": self.ship_by.isoformat(),
            "pickingStartedAt": iso(self.picking_started_at),
            "endedAt": iso(self.ended_at),
            "reason": self.reason,
        }


@dataclass
class WarehouseState:
    stock: dict[str, Stock] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)
    shipments: list[Shipment] = field(default_factory=list)
    by_request_id: dict[str, Shipment] = field(default_factory=dict)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)  # requestId → first answer
    results: list[dict[str, Any]] = field(default_factory=list)  # the feed; cursor = position (1-based)
    plans: dict[str, InboundPlan] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    calls: dict[str, deque[float]] = field(default_factory=dict)  # merchant → call times in the last second
    hold_released_at: datetime | None = None
    tracking_seq: int = 0


class ShippingSimulation:
    """The clock and everything time does on its own: inbound plans land, items become usable, requests ship.

    A base of :class:`~juchu_sandbox.rsl.warehouse.RslWarehouse`, which sets the attributes declared here.
    """

    settings: Settings
    _clock: Clock
    _lock: threading.RLock
    _rng: random.Random
    _s: WarehouseState

    def now(self) -> datetime:
        moment = self._clock()
        return (moment if moment.tzinfo else moment.replace(tzinfo=JST)).astimezone(JST)

    def _delay(self) -> timedelta:
        return timedelta(seconds=self.settings.ship_delay_seconds)

    def _start(self, shipment: Shipment) -> datetime:
        """The delay runs from acceptance, or from the lifting of the last hold if that came later."""
        released = self._s.hold_released_at
        return max(shipment.accepted_at, released) if released else shipment.accepted_at

    def _not_before(self, shipment: Shipment, moment: datetime) -> datetime:
        if not self.settings.wait_for_ship_by_date:
            return moment
        return max(moment, day_start(shipment.ship_by))

    def picking_due(self, shipment: Shipment) -> datetime:
        """Picking starts at half the delay, never before the ship-by day (unless waitForShipByDate is off)."""
        return self._not_before(shipment, self._start(shipment) + self._delay() / 2)

    def ship_due(self, shipment: Shipment) -> datetime:
        """Shipping happens after the whole delay, never before the ship-by day (unless waitForShipByDate is off)."""
        return self._not_before(shipment, self._start(shipment) + self._delay())

    def _advance(self, now: datetime) -> None:
        """Let the warehouse do everything that fell due up to ``now``."""
        s = self._s
        for plan in sorted(s.plans.values(), key=lambda p: p.arrive_at):
            if not plan.arrived and plan.arrive_at <= now:
                plan.arrived = True
                for sku, quantity in plan.need.items():
                    stock = self._stock(sku, plan.arrive_at)
                    stock.on_hand += quantity
                    stock.updated_at = plan.arrive_at
        for sku, item in s.items.items():
            if item.usable_at <= now:
                self._stock(sku, item.usable_at)
        if self.settings.hold_all:
            return
        due: list[tuple[datetime, int, Shipment]] = []
        for shipment in s.shipments:
            if shipment.status != "accepted":
                continue
            if shipment.picking_started_at is None and self.picking_due(shipment) <= now:
                shipment.picking_started_at = self.picking_due(shipment)
            if self.ship_due(shipment) <= now:
                due.append((self.ship_due(shipment), shipment.seq, shipment))
        for when, _seq, shipment in sorted(due, key=lambda entry: entry[:2]):
            self._ship(shipment, when, may_refuse=True)

    def _stock(self, sku: str, when: datetime) -> Stock:
        if sku not in self._s.stock:
            self._s.stock[sku] = Stock(0, 0, when)
        return self._s.stock[sku]

    def _release(self, shipment: Shipment, when: datetime) -> None:
        for sku, quantity in shipment.need.items():
            stock = self._s.stock[sku]
            stock.reserved -= quantity
            stock.updated_at = when

    def _end(self, shipment: Shipment, status: str, when: datetime, reason: str | None, **result: Any) -> dict:
        shipment.status = status
        shipment.ended_at = when
        shipment.reason = reason
        entry = {
            "requestId": shipment.request_id,
            "rslOrderId": shipment.rsl_order_id,
            "status": status,
            "shippedOn": None,
            "carrierCode": None,
            "carrierName": None,
            "parcels": [],
            "reason": reason,
            **result,
            "cursor": str(len(self._s.results) + 1),
        }
        self._s.results.append(entry)
        return dict(entry)

    def _ship(self, shipment: Shipment, when: datetime, *, may_refuse: bool) -> dict:
        short = [sku for sku, qty in shipment.need.items() if self._s.stock[sku].on_hand < qty]
        if short:
            self._release(shipment, when)
            return self._end(shipment, "unshippable", when, f"在庫不足のため出荷不可: {', '.join(short)}")
        if may_refuse and self.settings.refuse_rate > 0 and self._rng.random() < self.settings.refuse_rate:
            self._release(shipment, when)
            return self._end(shipment, "unshippable", when, REFUSE_RATE_REASON)
        for sku, quantity in shipment.need.items():
            stock = self._s.stock[sku]
            stock.on_hand -= quantity
            stock.reserved -= quantity
            stock.updated_at = when
        self._s.tracking_seq += 1
        parcel = {
            "trackingNumber": tracking_number(self._s.tracking_seq),
            "lines": [{"sku": sku, "quantity": qty} for sku, qty in shipment.need.items()],
        }
        return self._end(
            shipment,
            "shipped",
            when,
            None,
            shippedOn=when.astimezone(JST).date().isoformat(),
            carrierCode=CARRIER_CODE,
            carrierName=CARRIER_NAME,
            parcels=[parcel],
        )

    def _shipment(self, request_id: str) -> Shipment:
        shipment = self._s.by_request_id.get(request_id)
        if shipment is not None:
            return shipment
        if request_id in self._s.answers:
            raise RslError(409, "NOT_ACCEPTED", f"shipment request {request_id} was rejected")
        raise RslError(404, "NOT_FOUND", f"no shipment request {request_id}")
