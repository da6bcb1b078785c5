"""The ports: what Juchu needs from a mall and from a warehouse, in its own words (DESIGN §5).

Connectors speak these value types and never touch Django models. Each batch call answers per item
(accepted / rejected with the outside's code and message / retryable); one bad item never fails the rest.
A call that fails as a whole (network down, 5xx, 429, bad credentials) raises :class:`ConnectorError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from juchu.domain.model import Address, OrderType, PaymentState


class Outcome(StrEnum):
    """How the outside answered one item."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"  # for good: a person must act
    RETRY = "retry"  # transient: try again later


@dataclass(frozen=True, slots=True)
class ItemResult:
    """The answer for one item of a batch call, keyed as the caller keyed it."""

    key: str
    outcome: Outcome
    code: str = ""
    message: str = ""
    data: Mapping[str, str] = field(default_factory=dict)


class ConnectorError(Exception):
    """A whole call failed; ``retryable`` says whether trying later may help."""

    def __init__(self, message: str, *, retryable: bool = True, code: str = "") -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


# ---- mall side -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MallLine:
    """One line as the mall gave it."""

    mall_item_id: str
    quantity: int
    unit_price: int = 0
    name: str = ""
    mall_variant_id: str = ""


@dataclass(frozen=True, slots=True)
class MallPackage:
    """One destination as the mall gave it."""

    recipient_name: str
    address: Address
    delivery_method: str
    lines: tuple[MallLine, ...]
    mall_package_id: str = ""
    recipient_kana: str = ""
    phone: str = ""
    requested_date: date | None = None
    delivery_time: str = ""
    island: bool = False


@dataclass(frozen=True, slots=True)
class MallOrder:
    """One order as the mall now holds it, translated to Juchu's words."""

    mall_order_number: str
    ordered_at: datetime
    packages: tuple[MallPackage, ...]
    payment_method: str
    payment_state: PaymentState = PaymentState.UNPAID
    mall_status: str = ""
    buyer_name: str = ""
    buyer_kana: str = ""
    email: str = ""
    phone: str = ""
    remarks: str = ""
    order_type: OrderType = OrderType.NORMAL
    gift: bool = False
    coupon_used: int = 0
    points_used: int = 0
    goods_total: int = 0
    postage: int = 0
    total: int = 0
    payment_error: str = ""
    cancelled: bool = False
    #: The mall holds a change the shop must look at (Rakuten progress 400 変更確定待ち).
    change_pending: bool = False
    confirmed: bool = False


@dataclass(frozen=True, slots=True)
class FetchResult:
    """Orders read from a mall, the per-order errors of those that could not be read, and where to go on."""

    orders: tuple[MallOrder, ...]
    errors: tuple[ItemResult, ...] = ()
    cursor: datetime | None = None


@dataclass(frozen=True, slots=True)
class ReportLine:
    """One order line a shipment carries, named as the mall named it (mall item and variant ids)."""

    mall_item_id: str
    mall_variant_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ShipmentReport:
    """A shipping result to write to the mall (出荷実績)."""

    key: str
    mall_order_number: str
    mall_package_id: str
    carrier_code: str
    shipped_on: date
    tracking_numbers: tuple[str, ...]
    #: 分割出荷: which part of the mall package this shipment is (1, 2, …) when Juchu split the package across
    #: warehouses; 1 when it was not split.
    part: int = 1
    #: The lines this shipment carries when the mall package was split across warehouses; empty when the
    #: shipment carries the whole mall package.
    lines: tuple[ReportLine, ...] = ()


@dataclass(frozen=True, slots=True)
class StockLevel:
    """A quantity for one SKU (or mall item) to push or as read."""

    sku: str
    quantity: int


class MallConnector(Protocol):
    """What Juchu needs from a mall."""

    def fetch_new_orders(self, since: datetime | None, until: datetime) -> FetchResult:
        """Orders created or changed in ``[since, until)``."""
        ...

    def fetch_orders(self, numbers: Sequence[str]) -> FetchResult:
        """The named orders as the mall now holds them."""
        ...

    def confirm(self, numbers: Sequence[str]) -> list[ItemResult]:
        """Tell the mall the shop has confirmed these orders (注文確認); keyed by order number."""
        ...

    def report_shipments(self, batch: Sequence[ShipmentReport]) -> list[ItemResult]:
        """Write shipping results back to the mall; keyed by ``ShipmentReport.key``."""
        ...

    def cancel(self, number: str, reason: str) -> ItemResult:
        """Cancel an order at the mall with a reason code."""
        ...

    def push_stock(self, batch: Sequence[StockLevel]) -> list[ItemResult]:
        """Set the mall's stock for these items; ``sku`` is the mall item (``item`` or ``item:variant``)."""
        ...


class StockReader(Protocol):
    """A mall connector that can also read the mall's stock back (for the stock reconciliation, 在庫照合)."""

    def read_stock(self, skus: Sequence[str]) -> list[StockLevel]:
        """The quantity the mall now shows for these items (keyed as ``push_stock`` keys them); items the mall
        does not know are left out."""
        ...


# ---- warehouse side --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestLine:
    """One SKU and quantity to ship."""

    sku: str
    quantity: int
    unit_price: int = 0


@dataclass(frozen=True, slots=True)
class ShipmentRequestData:
    """A request to ship one package (出荷依頼)."""

    request_id: str
    mall_order_number: str
    shop_code: str
    delivery_method: str
    recipient_name: str
    address: Address
    lines: tuple[RequestLine, ...]
    phone: str = ""
    requested_date: date | None = None
    delivery_time: str = ""
    goods_amount: int = 0
    postage: int = 0
    cod_amount: int = 0
    gift: bool = False
    note: str = ""
    #: Which destination (送付先) of the order this is, from 1; each has its own request.
    package_number: int = 1


class ResultStatus(StrEnum):
    """What the warehouse reports for a request."""

    SHIPPED = "shipped"
    UNSHIPPABLE = "unshippable"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class ParcelData:
    """One box: tracking number and what is in it."""

    tracking_number: str
    lines: tuple[RequestLine, ...] = ()


@dataclass(frozen=True, slots=True)
class ShipmentResult:
    """A result the warehouse reports (出荷実績 or 出荷不可)."""

    request_id: str
    status: ResultStatus
    warehouse_order_id: str = ""
    shipped_on: date | None = None
    carrier_code: str = ""
    carrier_name: str = ""
    parcels: tuple[ParcelData, ...] = ()
    reason: str = ""


@dataclass(frozen=True, slots=True)
class PollResult:
    """Results after a cursor, and the cursor to use next time."""

    results: tuple[ShipmentResult, ...]
    cursor: str


@dataclass(frozen=True, slots=True)
class InboundPlan:
    """Goods on their way to the warehouse (入荷予定)."""

    plan_id: str
    arrival_date: date
    lines: tuple[RequestLine, ...]


class WarehouseConnector(Protocol):
    """What Juchu needs from a warehouse."""

    def submit(self, requests: Sequence[ShipmentRequestData]) -> list[ItemResult]:
        """Send shipment requests; keyed by request id; accepted data has ``warehouse_order_id``, ``ship_by``."""
        ...

    def poll_results(self, cursor: str) -> PollResult:
        """Shipment results after ``cursor``, oldest first."""
        ...

    def withdraw(self, request_id: str, reason: str) -> ItemResult:
        """Ask the warehouse not to ship a request (出荷取下げ): accepted = withdrawn, rejected = refused."""
        ...

    def fetch_stock(self, skus: Sequence[str] | None = None) -> list[StockLevel]:
        """Available stock per SKU (all SKUs when ``skus`` is None)."""
        ...

    def register_inbound(self, plan: InboundPlan) -> ItemResult:
        """Tell the warehouse goods are coming."""
        ...
