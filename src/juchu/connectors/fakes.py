"""In-memory mall and warehouse that behave like the real ones, for tests and the in-process demo.

They are driven by the test (or the demo loop): add, pay, change or cancel orders at the mall; make the
warehouse accept, reject (E-codes), fail transiently, ship, refuse (出荷不可) or refuse a withdrawal.
Thread-safe, since the embedded runner and a test may touch them at once.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from juchu.connectors.base import (
    ConnectorError,
    FetchResult,
    InboundPlan,
    ItemResult,
    MallOrder,
    Outcome,
    ParcelData,
    PollResult,
    ResultStatus,
    ShipmentReport,
    ShipmentRequestData,
    ShipmentResult,
    StockLevel,
)
from juchu.domain.model import PaymentState


@dataclass
class _MallRecord:
    order: MallOrder
    changed_at: datetime
    reports: list[ShipmentReport] = field(default_factory=list)


class FakeMall:
    """A mall holding orders in memory; counts every call the OMS makes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._orders: dict[str, _MallRecord] = {}
        self.calls: Counter[str] = Counter()
        self.confirmed: list[str] = []
        self.cancelled_by_shop: list[tuple[str, str]] = []
        self.stock_pushes: list[StockLevel] = []
        #: The mall's stock per item as it shows it (set by pushes; tests may change it by hand).
        self.stock: dict[str, int] = {}
        #: Number of upcoming calls (any method) that fail with a retryable ConnectorError.
        self.fail_next = 0
        #: Order numbers whose shipping report the mall refuses with this code.
        self.refuse_reports: dict[str, str] = {}

    # -- driven by the test --------------------------------------------------------------------------

    def put(self, order: MallOrder, at: datetime) -> None:
        """A buyer places (or the mall updates) an order."""
        with self._lock:
            record = self._orders.get(order.mall_order_number)
            if record is None:
                self._orders[order.mall_order_number] = _MallRecord(order, at)
            else:
                record.order, record.changed_at = order, at

    def update(self, number: str, at: datetime, **changes: object) -> MallOrder:
        """Change fields of an order as the mall would (pay, cancel, change)."""
        with self._lock:
            record = self._orders[number]
            record.order = replace(record.order, **changes)  # type: ignore[arg-type]
            record.changed_at = at
            return record.order

    def cancel_as_buyer(self, number: str, at: datetime) -> None:
        """The buyer (or the mall) cancels the order."""
        self.update(number, at, cancelled=True, mall_status="900")

    def pay(self, number: str, at: datetime) -> None:
        """The payment settles."""
        self.update(number, at, payment_state=PaymentState.PAID, mall_status="300")

    def reports_for(self, number: str) -> list[ShipmentReport]:
        """Shipping results the OMS wrote for an order."""
        with self._lock:
            return list(self._orders[number].reports)

    def order(self, number: str) -> MallOrder:
        """The order as the mall holds it."""
        with self._lock:
            return self._orders[number].order

    # -- the port ------------------------------------------------------------------------------------

    def _call(self, name: str) -> None:
        self.calls[name] += 1
        if self.fail_next > 0:
            self.fail_next -= 1
            raise ConnectorError(f"fake mall: {name} failed (HTTP 503)", retryable=True, code="503")

    def fetch_new_orders(self, since: datetime | None, until: datetime) -> FetchResult:
        """Orders changed in [since, until)."""
        with self._lock:
            self._call("fetch_new_orders")
            found = tuple(
                r.order
                for r in self._orders.values()
                if (since is None or r.changed_at >= since) and r.changed_at < until
            )
        return FetchResult(orders=found, cursor=until)

    def fetch_orders(self, numbers: Sequence[str]) -> FetchResult:
        """The named orders; unknown numbers come back as errors."""
        with self._lock:
            self._call("fetch_orders")
            found = tuple(self._orders[n].order for n in numbers if n in self._orders)
            errors = tuple(
                ItemResult(n, Outcome.REJECTED, "NOT_FOUND", "注文が見つかりません")
                for n in numbers
                if n not in self._orders
            )
        return FetchResult(orders=found, errors=errors)

    def confirm(self, numbers: Sequence[str]) -> list[ItemResult]:
        """注文確認."""
        with self._lock:
            self._call("confirm")
            results = []
            for number in numbers:
                record = self._orders.get(number)
                if record is None:
                    results.append(ItemResult(number, Outcome.REJECTED, "NOT_FOUND", "注文が見つかりません"))
                    continue
                record.order = replace(record.order, confirmed=True)
                self.confirmed.append(number)
                results.append(ItemResult(number, Outcome.ACCEPTED))
            return results

    def report_shipments(self, batch: Sequence[ShipmentReport]) -> list[ItemResult]:
        """出荷実績: stored per order; refused where the test said so."""
        with self._lock:
            self._call("report_shipments")
            results = []
            for report in batch:
                code = self.refuse_reports.get(report.mall_order_number)
                if code:
                    results.append(ItemResult(report.key, Outcome.REJECTED, code, "発送情報が不正です"))
                    continue
                record = self._orders.get(report.mall_order_number)
                if record is None:
                    results.append(ItemResult(report.key, Outcome.REJECTED, "NOT_FOUND", "注文が見つかりません"))
                    continue
                record.reports.append(report)
                results.append(ItemResult(report.key, Outcome.ACCEPTED))
            return results

    def cancel(self, number: str, reason: str) -> ItemResult:
        """The shop cancels at the mall."""
        with self._lock:
            self._call("cancel")
            record = self._orders.get(number)
            if record is None:
                return ItemResult(number, Outcome.REJECTED, "NOT_FOUND", "注文が見つかりません")
            record.order = replace(record.order, cancelled=True, mall_status="900")
            self.cancelled_by_shop.append((number, reason))
            return ItemResult(number, Outcome.ACCEPTED)

    def push_stock(self, batch: Sequence[StockLevel]) -> list[ItemResult]:
        """Stock pushed to the mall."""
        with self._lock:
            self._call("push_stock")
            self.stock_pushes.extend(batch)
            for level in batch:
                self.stock[level.sku] = level.quantity
            return [ItemResult(level.sku, Outcome.ACCEPTED) for level in batch]

    def read_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        """The quantity last pushed (or set in ``stock``) per item; unknown items are left out."""
        with self._lock:
            self._call("read_stock")
            return [StockLevel(sku, self.stock[sku]) for sku in skus if sku in self.stock]


@dataclass
class _Request:
    data: ShipmentRequestData
    warehouse_order_id: str
    ship_by: date
    withdrawable: bool = True


class FakeWarehouse:
    """A warehouse (RSL-like) in memory: accepts requests idempotently and reports results by cursor."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._requests: dict[str, _Request] = {}
        self._results: list[ShipmentResult] = []
        self._ids = itertools.count(1)
        self.calls: Counter[str] = Counter()
        self.accepted_count: Counter[str] = Counter()  # per mall order number
        self.stock: dict[str, int] = {}
        self.inbound: list[InboundPlan] = []
        #: Retryable failures of the next calls.
        self.fail_next = 0
        #: Order numbers whose requests are rejected: number -> (code, message).
        self.reject: dict[str, tuple[str, str]] = {}
        #: Ship every accepted request as soon as it is accepted (the demo's warehouse).
        self.auto_ship = False
        self.carrier_code = "1029"

    def _call(self, name: str) -> None:
        self.calls[name] += 1
        if self.fail_next > 0:
            self.fail_next -= 1
            raise ConnectorError(f"fake warehouse: {name} failed (HTTP 500)", retryable=True, code="500")

    def submit(self, requests: Sequence[ShipmentRequestData]) -> list[ItemResult]:
        """Accept or reject each request; resending an id gives the first answer."""
        with self._lock:
            self._call("submit")
            answers = []
            for data in requests:
                known = self._requests.get(data.request_id)
                if known is None:
                    rejection = self.reject.get(data.mall_order_number)
                    if rejection:
                        answers.append(ItemResult(data.request_id, Outcome.REJECTED, *rejection))
                        continue
                    known = _Request(data, f"W{next(self._ids):08d}", self._clock().date())
                    self._requests[data.request_id] = known
                    self.accepted_count[data.mall_order_number] += 1
                    if self.auto_ship:
                        self._ship_locked(data.request_id)
                answers.append(
                    ItemResult(
                        data.request_id,
                        Outcome.ACCEPTED,
                        data={
                            "warehouse_order_id": known.warehouse_order_id,
                            "ship_by": known.ship_by.isoformat(),
                        },
                    )
                )
            return answers

    def ship(self, request_id: str, trackings: int = 1) -> None:
        """The warehouse ships an accepted request."""
        with self._lock:
            self._ship_locked(request_id, trackings)

    def _ship_locked(self, request_id: str, trackings: int = 1) -> None:
        request = self._requests[request_id]
        request.withdrawable = False
        base = int(request.warehouse_order_id[1:])
        parcels = tuple(
            ParcelData(f"{base:08d}{i:04d}", request.data.lines if i == 0 else ()) for i in range(trackings)
        )
        self._results.append(
            ShipmentResult(
                request_id=request_id,
                status=ResultStatus.SHIPPED,
                warehouse_order_id=request.warehouse_order_id,
                shipped_on=self._clock().date(),
                carrier_code=self.carrier_code,
                carrier_name="日本郵便 楽天倉庫出荷",
                parcels=parcels,
            )
        )

    def refuse(self, request_id: str, reason: str) -> None:
        """The warehouse reports 出荷不可."""
        with self._lock:
            request = self._requests[request_id]
            request.withdrawable = False
            self._results.append(
                ShipmentResult(request_id, ResultStatus.UNSHIPPABLE, request.warehouse_order_id, reason=reason)
            )

    def start_picking(self, request_id: str) -> None:
        """Picking started: withdrawals are refused from now on."""
        with self._lock:
            self._requests[request_id].withdrawable = False

    def accepted_requests(self) -> list[ShipmentRequestData]:
        """Every request accepted so far."""
        with self._lock:
            return [r.data for r in self._requests.values()]

    def poll_results(self, cursor: str) -> PollResult:
        """Results after the cursor (an index into the result log)."""
        with self._lock:
            self._call("poll_results")
            start = int(cursor or 0)
            return PollResult(tuple(self._results[start:]), str(len(self._results)))

    def withdraw(self, request_id: str, reason: str) -> ItemResult:
        """Withdraw a request unless picking started."""
        with self._lock:
            self._call("withdraw")
            request = self._requests.get(request_id)
            if request is None:
                return ItemResult(request_id, Outcome.REJECTED, "NOT_FOUND", "出荷依頼が見つかりません")
            if not request.withdrawable:
                return ItemResult(request_id, Outcome.REJECTED, "REFUSED", "ピッキング開始後のため取下げできません")
            request.withdrawable = False
            self._results.append(
                ShipmentResult(request_id, ResultStatus.WITHDRAWN, request.warehouse_order_id, reason=reason)
            )
            return ItemResult(request_id, Outcome.ACCEPTED)

    def fetch_stock(self, skus: Sequence[str] | None = None) -> list[StockLevel]:
        """Stock levels the test set."""
        with self._lock:
            self._call("fetch_stock")
            names = self.stock if skus is None else skus
            return [StockLevel(sku, self.stock.get(sku, 0)) for sku in names]

    def register_inbound(self, plan: InboundPlan) -> ItemResult:
        """Record an inbound plan."""
        with self._lock:
            self._call("register_inbound")
            self.inbound.append(plan)
            return ItemResult(plan.plan_id, Outcome.ACCEPTED)
