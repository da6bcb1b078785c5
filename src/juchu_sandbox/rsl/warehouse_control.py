"""The warehouse's control-API actions (``/_sandbox/rsl``): set stock, force or refuse shipments, settings, views."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

from juchu_sandbox.rsl.records import RslError
from juchu_sandbox.rsl.shipments import Shipment, ShippingSimulation


class WarehouseControl(ShippingSimulation):
    """What the control API may do to the warehouse, beyond the RSL protocol."""

    def set_stock(self, on_hand: dict[str, int]) -> dict[str, Any]:
        """Set ``onHand`` per SKU (creating the SKU); reservations are kept."""
        for sku, quantity in on_hand.items():
            if not isinstance(sku, str) or not sku or isinstance(quantity, bool) or not isinstance(quantity, int):
                raise RslError(400, "E005", f"{sku!r}: onHand must be an integer")
            if quantity < 0:
                raise RslError(400, "E005", f"{sku}: onHand must not be negative")
        with self._lock:
            now = self.now()
            self._advance(now)
            for sku, quantity in on_hand.items():
                stock = self._stock(sku, now)
                stock.on_hand = quantity
                stock.updated_at = now
            return self._stock_view()

    def stock(self) -> dict[str, Any]:
        with self._lock:
            self._advance(self.now())
            return self._stock_view()

    def _stock_view(self) -> dict[str, Any]:
        return {
            sku: {key: value for key, value in stock.as_json(sku).items() if key != "sku"}
            for sku, stock in sorted(self._s.stock.items())
        }

    def _pending(self, request_id: str) -> Shipment:
        shipment = self._shipment(request_id)
        if shipment.status != "accepted":
            raise RslError(409, "CONFLICT", f"shipment request {request_id} is already {shipment.status}")
        return shipment

    def ship_now(self, request_id: str) -> dict[str, Any]:
        """Ship a pending request now, whatever its delay, ship-by date or the hold (no random refusal)."""
        with self._lock:
            now = self.now()
            self._advance(now)
            shipment = self._pending(request_id)
            if shipment.picking_started_at is None:
                shipment.picking_started_at = now
            return self._ship(shipment, now, may_refuse=False)

    def refuse(self, request_id: str, reason: str | None) -> dict[str, Any]:
        """Mark a pending request 出荷不可 now (picking or not): reservation released, result in the feed."""
        with self._lock:
            now = self.now()
            self._advance(now)
            shipment = self._pending(request_id)
            self._release(shipment, now)
            return self._end(shipment, "unshippable", now, reason or "出荷不可")

    def start_picking(self, request_id: str) -> dict[str, Any]:
        """Start picking a pending request now: withdrawals are refused from here on."""
        with self._lock:
            now = self.now()
            self._advance(now)
            shipment = self._pending(request_id)
            if shipment.picking_started_at is None:
                shipment.picking_started_at = now
            return shipment.as_json()

    def arrive_now(self, plan_id: str) -> dict[str, Any]:
        """Land an inbound plan now (stock increases)."""
        with self._lock:
            now = self.now()
            plan = self._s.plans.get(plan_id)
            if plan is None:
                raise RslError(404, "NOT_FOUND", f"no inbound plan {plan_id}")
            if not plan.arrived:
                plan.arrive_at = min(plan.arrive_at, now)
            self._advance(now)
            return self._stock_view()

    def update_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Change any of ``shipDelaySeconds``, ``rateLimitPerSecond`` (null = off), ``refuseRate``, ``holdAll``,
        ``itemDelaySeconds``, ``waitForShipByDate``; what fell due under the old settings happens first."""
        known = {
            "shipDelaySeconds",
            "rateLimitPerSecond",
            "refuseRate",
            "holdAll",
            "itemDelaySeconds",
            "waitForShipByDate",
        }
        unknown = set(changes) - known
        if unknown:
            raise RslError(400, "E005", f"unknown settings: {', '.join(sorted(unknown))}")

        def number(key: str, *, nullable: bool = False, maximum: float | None = None, positive: bool = False) -> Any:
            value = changes[key]
            if value is None and nullable:
                return None
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or (positive and value == 0):
                raise RslError(400, "E005", f"{key} must be a {'positive' if positive else 'non-negative'} number")
            if maximum is not None and value > maximum:
                raise RslError(400, "E005", f"{key} must be at most {maximum}")
            return value

        new = copy.copy(self.settings)
        if "shipDelaySeconds" in changes:
            new.ship_delay_seconds = number("shipDelaySeconds")
        if "rateLimitPerSecond" in changes:
            new.rate_limit_per_second = number("rateLimitPerSecond", nullable=True, positive=True)
        if "refuseRate" in changes:
            new.refuse_rate = number("refuseRate", maximum=1.0)
        if "itemDelaySeconds" in changes:
            new.item_delay_seconds = number("itemDelaySeconds")
        for key, attribute in (("holdAll", "hold_all"), ("waitForShipByDate", "wait_for_ship_by_date")):
            if key in changes:
                if not isinstance(changes[key], bool):
                    raise RslError(400, "E005", f"{key} must be a boolean")
                setattr(new, attribute, changes[key])
        with self._lock:
            now = self.now()
            self._advance(now)
            if self.settings.hold_all and not new.hold_all:
                self._s.hold_released_at = now
            self.settings = new
            return new.as_json()

    def received(self, request_id: str | None = None) -> list[dict[str, Any]]:
        """Every ShipmentRequest received, as received, with its time and answer (repeats included)."""
        with self._lock:
            self._advance(self.now())
            return [
                entry.as_json()
                for entry in self._s.received
                if request_id is None or entry.as_json()["requestId"] == request_id
            ]

    def shipments(self) -> list[dict[str, Any]]:
        """Every accepted request with its state (``accepted`` = still pending)."""
        with self._lock:
            self._advance(self.now())
            return [shipment.as_json() for shipment in self._s.shipments]

    def summary(self) -> dict[str, Any]:
        with self._lock:
            self._advance(self.now())
            s = self._s
            fresh = [entry for entry in s.received if not entry.repeat]
            per_request = Counter(shipment.request_id for shipment in s.shipments)
            # One shipment per package (送付先): an order with two destinations has two.
            per_order = Counter(f"{sh.mall_order_number}#{sh.package_number}" for sh in s.shipments)
            status = Counter(shipment.status for shipment in s.shipments)
            return {
                "requestsReceived": len(s.received),
                "repeats": len(s.received) - len(fresh),
                "distinctRequestIds": len({e.as_json()["requestId"] for e in s.received} - {None}),
                "accepted": len(s.shipments),
                "rejected": sum(1 for entry in fresh if entry.answer["status"] == "rejected"),
                "acceptedPerRequestIdMax": max(per_request.values(), default=0),
                "acceptedPerMallOrderNumberMax": max(per_order.values(), default=0),
                "mallOrderNumbersAcceptedMoreThanOnce": sorted(k for k, n in per_order.items() if n > 1),
                "pending": status["accepted"],
                "shipped": status["shipped"],
                "unshippable": status["unshippable"],
                "withdrawn": status["withdrawn"],
            }
