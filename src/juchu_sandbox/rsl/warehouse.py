"""The emulated RSL warehouse: stock, items, inbound plans, shipment requests and their results, in memory.

Time only moves when someone looks: every public method first calls :meth:`RslWarehouse._advance`, which
lands due inbound plans, makes queued items usable, starts picking and ships (or refuses) due requests. No
background thread. All state sits behind one lock, so the server may call it from any thread.
"""

from __future__ import annotations

import copy
import math
import random
import threading
from collections import deque
from datetime import datetime, timedelta
from typing import Any

from juchu_sandbox.rsl.records import (
    DEFAULT_API_KEY,
    DEFAULT_MERCHANT,
    DELIVERY_DATE_HORIZON_DAYS,
    INBOUND_ARRIVAL_TIME,
    INBOUND_CUTOFF,
    INVENTORY_PAGE_SIZE,
    JST,
    MAX_BATCH,
    MAX_RESULTS_LIMIT,
    Clock,
    InboundPlan,
    Item,
    Received,
    RslError,
    Settings,
    iso,
)
from juchu_sandbox.rsl.shipments import Shipment, WarehouseState, ship_by_date
from juchu_sandbox.rsl.validation import ParsedRequest, Rejection, check_inbound, check_item, parse_request
from juchu_sandbox.rsl.warehouse_control import WarehouseControl


class RslWarehouse(WarehouseControl):
    """One RSL warehouse serving the merchants in ``credentials`` (merchant id → API key).

    The shipping simulation comes from :class:`ShippingSimulation`, the control actions from :class:`WarehouseControl`.
    """

    def __init__(
        self,
        ship_delay_seconds: float = 2.0,
        clock: Clock | None = None,
        *,
        rate_limit_per_second: float | None = 5,
        item_delay_seconds: float = 1.0,
        refuse_rate: float = 0.0,
        wait_for_ship_by_date: bool = True,
        seed: int = 1,
        credentials: dict[str, str] | None = None,
    ) -> None:
        self._clock: Clock = clock or (lambda: datetime.now(JST))
        self._lock = threading.RLock()
        self._seed = seed
        self.credentials = dict(credentials or {DEFAULT_MERCHANT: DEFAULT_API_KEY})
        self._initial = Settings(
            ship_delay_seconds, rate_limit_per_second, refuse_rate, False, item_delay_seconds, wait_for_ship_by_date
        )
        self.reset()

    # ---------------------------------------------------------------- plumbing

    def reset(self) -> None:
        """Forget everything and go back to the constructor's settings."""
        with self._lock:
            self.settings = copy.copy(self._initial)
            self._s = WarehouseState()
            self._rng = random.Random(self._seed)

    def authenticate(self, api_key: str | None, merchant: str | None) -> bool:
        return merchant is not None and api_key is not None and self.credentials.get(merchant) == api_key

    def check_rate(self, merchant: str) -> int | None:
        """Count one call; ``None`` if allowed, else the ``Retry-After`` seconds (refused calls do not count)."""
        with self._lock:
            limit = self.settings.rate_limit_per_second
            if limit is None:
                return None
            now = self.now().timestamp()
            window = self._s.calls.setdefault(merchant, deque())
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= limit:
                return max(1, math.ceil(window[0] + 1.0 - now))
            window.append(now)
            return None

    # ---------------------------------------------------------------- the RSL API

    def submit(self, requests: list[Any]) -> list[dict[str, Any]]:
        """``POST /shipment-requests``: one answer per request, in order."""
        if len(requests) > MAX_BATCH:
            raise RslError(400, "BAD_REQUEST", f"at most {MAX_BATCH} requests per call, got {len(requests)}")
        with self._lock:
            now = self.now()
            self._advance(now)
            answers = []
            for raw in requests:
                answer, repeat = self._submit_one(raw, now)
                self._s.received.append(Received(now, copy.deepcopy(raw), dict(answer), repeat))
                answers.append(dict(answer))
            return answers

    def _submit_one(self, raw: Any, now: datetime) -> tuple[dict[str, Any], bool]:
        request_id = raw.get("requestId") if isinstance(raw, dict) else None
        if not isinstance(request_id, str) or not request_id.strip():
            request_id = None
        if request_id is not None and request_id in self._s.answers:
            return self._s.answers[request_id], True
        try:
            parsed = parse_request(raw)
            answer = self._accept(parsed, now)
        except Rejection as rejection:
            answer = {
                "requestId": request_id,
                "status": "rejected",
                "rslOrderId": None,
                "acceptedAt": None,
                "shipByDate": None,
                "errorCode": rejection.code,
                "message": rejection.message,
            }
        if request_id is not None:
            self._s.answers[request_id] = answer
        return answer, False

    def _accept(self, parsed: ParsedRequest, now: datetime) -> dict[str, Any]:
        s = self._s
        for other in s.shipments:
            same_package = (other.mall_order_number, other.package_number) == (
                parsed.mall_order_number,
                parsed.package_number,
            )
            if same_package and other.status == "accepted":
                raise Rejection(
                    "E006",
                    f"mallOrderNumber {parsed.mall_order_number} package {parsed.package_number} "
                    f"is already requested as {other.request_id}",
                )
        for sku in parsed.need:
            if sku not in s.stock:
                raise Rejection("E001", f"unknown SKU {sku}")
        for sku, quantity in parsed.need.items():
            available = s.stock[sku].on_hand - s.stock[sku].reserved
            if available < quantity:
                raise Rejection("E002", f"insufficient stock for {sku}: {quantity} requested, {available} available")
        ship_by = ship_by_date(now)
        message = None
        delivery_date = parsed.delivery_date
        if delivery_date is not None and not (
            ship_by < delivery_date <= ship_by + timedelta(days=DELIVERY_DATE_HORIZON_DAYS)
        ):
            message = f"deliveryDate {delivery_date.isoformat()} is not deliverable and was cleared"
            delivery_date = None
        seq = len(s.shipments) + 1
        shipment = Shipment(
            seq=seq,
            request_id=parsed.request_id,
            rsl_order_id=f"RSL{now:%Y%m%d}-{seq:06d}",
            mall_order_number=parsed.mall_order_number,
            package_number=parsed.package_number,
            shop_code=parsed.shop_code,
            delivery_method=parsed.delivery_method,
            delivery_date=delivery_date,
            need=dict(parsed.need),
            accepted_at=now,
            ship_by=ship_by,
        )
        for sku, quantity in parsed.need.items():
            s.stock[sku].reserved += quantity
            s.stock[sku].updated_at = now
        s.shipments.append(shipment)
        s.by_request_id[shipment.request_id] = shipment
        return {
            "requestId": shipment.request_id,
            "status": "accepted",
            "rslOrderId": shipment.rsl_order_id,
            "acceptedAt": iso(now),
            "shipByDate": ship_by.isoformat(),
            "errorCode": None,
            "message": message,
        }

    def results(self, cursor: str | None, limit: int = MAX_RESULTS_LIMIT) -> tuple[list[dict[str, Any]], str]:
        """``GET /shipment-results``: results after ``cursor``, oldest first, and the next cursor."""
        if cursor in (None, ""):
            after = 0
        elif cursor.isdigit():
            after = int(cursor)
        else:
            raise RslError(400, "E005", f"cursor {cursor!r} is not a cursor of this feed")
        if not 1 <= limit <= MAX_RESULTS_LIMIT:
            raise RslError(400, "E005", f"limit must be between 1 and {MAX_RESULTS_LIMIT}")
        with self._lock:
            self._advance(self.now())
            page = [dict(entry) for entry in self._s.results[after : after + limit]]
        return page, (page[-1]["cursor"] if page else (cursor or "0"))

    def withdraw(self, request_id: str, reason: str | None) -> dict[str, Any]:
        """``POST /shipment-requests/{requestId}/withdraw``: withdrawn until picking starts, refused after."""
        with self._lock:
            now = self.now()
            self._advance(now)
            shipment = self._shipment(request_id)
            if shipment.status == "withdrawn":
                return {"status": "withdrawn", "reason": shipment.reason}
            if shipment.status != "accepted":
                return {"status": "refused", "reason": f"already {shipment.status}"}
            if shipment.picking_started_at is not None:
                return {"status": "refused", "reason": "picking started"}
            self._release(shipment, now)
            self._end(shipment, "withdrawn", now, reason or "withdrawn by the merchant")
            return {"status": "withdrawn", "reason": shipment.reason}

    def inventory(self, skus: list[str], page: int = 1) -> dict[str, Any]:
        """``GET /inventory``: the named SKUs (unknown ones left out), or every SKU by pages of 100."""
        with self._lock:
            self._advance(self.now())
            stock = self._s.stock
            if skus:
                wanted = [sku for sku in dict.fromkeys(skus) if sku in stock]
                return {"items": [stock[sku].as_json(sku) for sku in wanted], "nextPage": None}
            if page < 1:
                raise RslError(400, "E005", "page must be at least 1")
            ordered = sorted(stock)
            start = (page - 1) * INVENTORY_PAGE_SIZE
            chunk = ordered[start : start + INVENTORY_PAGE_SIZE]
            more = start + INVENTORY_PAGE_SIZE < len(ordered)
            return {"items": [stock[sku].as_json(sku) for sku in chunk], "nextPage": page + 1 if more else None}

    def put_item(self, sku: str, body: Any) -> dict[str, Any]:
        """``PUT /items/{sku}``: queued; the SKU becomes known ``itemDelaySeconds`` later (known ones stay known)."""
        try:
            data = check_item(body)
        except Rejection as rejection:
            raise RslError(400, rejection.code, rejection.message) from None
        with self._lock:
            now = self.now()
            self._advance(now)
            previous = self._s.items.get(sku)
            if sku in self._s.stock:
                usable_at = previous.usable_at if previous else now
            else:
                usable_at = now + timedelta(seconds=self.settings.item_delay_seconds)
            self._s.items[sku] = Item(data=data, registered_at=now, usable_at=usable_at)
            return {"status": "queued"}

    def add_inbound_plan(self, body: Any) -> dict[str, Any]:
        """``POST /inbound-plans``: by 13:59:59 → arrives the next day at the earliest, later → the day after."""
        try:
            plan_id, arrival, _lines, need = check_inbound(body)
        except Rejection as rejection:
            raise RslError(400, rejection.code, rejection.message) from None
        with self._lock:
            now = self.now()
            self._advance(now)
            if plan_id in self._s.plans:
                return dict(self._s.plans[plan_id].answer)
            for sku in need:
                if sku not in self._s.stock:
                    raise RslError(400, "E001", f"unknown SKU {sku}")
            earliest = now.date() + timedelta(days=1 if now.time() < INBOUND_CUTOFF else 2)
            expected = max(arrival, earliest)
            answer = {"status": "accepted", "expectedArrival": expected.isoformat()}
            arrive_at = datetime.combine(expected, INBOUND_ARRIVAL_TIME, tzinfo=JST)
            self._s.plans[plan_id] = InboundPlan(plan_id, need, arrive_at, answer)
            return dict(answer)
