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
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from juchu_sandbox.rsl.validation import ParsedRequest, Rejection, check_inbound, check_item, parse_request

JST = timezone(timedelta(hours=9), "JST")
SHIP_CUTOFF = time(15, 30)  # accepted before 15:30:00 (i.e. by 15:29:59) → ships that day
INBOUND_CUTOFF = time(14, 0)  # registered before 14:00:00 (by 13:59:59) → arrives the next day
INBOUND_ARRIVAL_TIME = time(10, 0)  # the truck comes at 10:00 JST on the arrival day
CARRIER_CODE = "1029"
CARRIER_NAME = "日本郵便 楽天倉庫出荷"
DEFAULT_API_KEY = "sandbox-rsl-key"
DEFAULT_MERCHANT = "sandbox-merchant"
MAX_BATCH = 100
MAX_RESULTS_LIMIT = 500
INVENTORY_PAGE_SIZE = 100
DELIVERY_DATE_HORIZON_DAYS = 30
REFUSE_RATE_REASON = "商品破損のため出荷不可 (sandbox refuseRate)"

Clock = Callable[[], datetime]


class RslError(Exception):
    """An HTTP-level error answer: ``{"error": {"code", "message"}}`` with ``status``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in JST, to the second (``2025-05-01T15:29:59+09:00``)."""
    return None if moment is None else moment.astimezone(JST).isoformat(timespec="seconds")


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=JST)


def ship_by_date(accepted_at: datetime) -> date:
    """The cutoff: by 15:29:59 JST → that day; from 15:30:00 → the next day (every day is a shipping day)."""
    local = accepted_at.astimezone(JST)
    return local.date() if local.time() < SHIP_CUTOFF else local.date() + timedelta(days=1)


def tracking_number(seq: int) -> str:
    """12 digits: 11 digits plus the Japan Post check digit (the 11-digit number mod 7)."""
    body = f"{60_000_000_000 + seq:011d}"
    return body + str(int(body) % 7)


@dataclass
class Settings:
    ship_delay_seconds: float
    rate_limit_per_second: float | None
    refuse_rate: float = 0.0
    hold_all: bool = False
    item_delay_seconds: float = 1.0
    wait_for_ship_by_date: bool = True

    def as_json(self) -> dict[str, Any]:
        return {
            "shipDelaySeconds": self.ship_delay_seconds,
            "rateLimitPerSecond": self.rate_limit_per_second,
            "refuseRate": self.refuse_rate,
            "holdAll": self.hold_all,
            "itemDelaySeconds": self.item_delay_seconds,
            "waitForShipByDate": self.wait_for_ship_by_date,
        }


@dataclass
class Stock:
    on_hand: int
    reserved: int
    updated_at: datetime

    def as_json(self, sku: str) -> dict[str, Any]:
        return {
            "sku": sku,
            "onHand": self.on_hand,
            "reserved": self.reserved,
            "available": self.on_hand - self.reserved,
            "updatedAt": iso(self.updated_at),
        }


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
class Item:
    data: dict[str, Any]
    registered_at: datetime
    usable_at: datetime


@dataclass
class InboundPlan:
    plan_id: str
    need: dict[str, int]
    arrive_at: datetime
    answer: dict[str, Any]
    arrived: bool = False


@dataclass
class Received:
    received_at: datetime
    request: Any
    answer: dict[str, Any]
    repeat: bool

    def as_json(self) -> dict[str, Any]:
        request_id = self.request.get("requestId") if isinstance(self.request, dict) else None
        return {
            "receivedAt": iso(self.received_at),
            "requestId": request_id,
            "repeat": self.repeat,
            "request": copy.deepcopy(self.request),
            "answer": dict(self.answer),
        }


@dataclass
class _State:
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


class RslWarehouse:
    """One RSL warehouse serving the merchants in ``credentials`` (merchant id → API key)."""

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

    def now(self) -> datetime:
        moment = self._clock()
        return (moment if moment.tzinfo else moment.replace(tzinfo=JST)).astimezone(JST)

    def reset(self) -> None:
        """Forget everything and go back to the constructor's settings."""
        with self._lock:
            self.settings = copy.copy(self._initial)
            self._s = _State()
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

    def _shipment(self, request_id: str) -> Shipment:
        shipment = self._s.by_request_id.get(request_id)
        if shipment is not None:
            return shipment
        if request_id in self._s.answers:
            raise RslError(409, "NOT_ACCEPTED", f"shipment request {request_id} was rejected")
        raise RslError(404, "NOT_FOUND", f"no shipment request {request_id}")

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

    # ---------------------------------------------------------------- the control API

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
