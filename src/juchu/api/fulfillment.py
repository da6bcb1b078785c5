"""Warehouses and shipments (出荷): what was shipped, by which carrier, with which tracking numbers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from juchu.api.auth import VIEWER
from juchu.api.paging import PageParams, id_page, page_payload
from juchu.api.schemas import AUTH_ERRORS, LIST_ERRORS, Day, Id
from juchu.fulfillment.models import Shipment, Warehouse

router = Router(tags=["fulfillment"])


class WarehouseOut(Schema):
    """A warehouse and its pipeline state (credentials are never shown)."""

    id: int
    code: str
    name: str
    connector: str
    cutoff: str = Field(description="締め時間 (JST, HH:MM)")
    every_day: bool
    observe_holidays: bool
    last_poll_at: datetime | None
    last_stock_sync_at: datetime | None
    last_error: str


class WarehouseList(Schema):
    """Every warehouse."""

    items: list[WarehouseOut]


@router.get("/warehouses", response={200: WarehouseList, **AUTH_ERRORS}, auth=VIEWER, summary="倉庫一覧")
def list_warehouses(request: HttpRequest) -> dict[str, Any]:
    """Every warehouse in code order."""
    fields = WarehouseOut.model_fields
    items = [
        {**{f: getattr(w, f) for f in fields}, "cutoff": w.cutoff.strftime("%H:%M")}
        for w in Warehouse.objects.order_by("code")
    ]
    return {"items": items}


class ShipmentItem(Schema):
    """One shipped package of one order."""

    id: int
    order_id: int
    mall_order_number: str
    shop: str
    package_id: int
    package_seq: int
    carrier: str
    carrier_name: str
    tracking_numbers: list[str]
    shipped_on: date
    recorded_at: datetime


class ShipmentPage(Schema):
    """One page of shipments, newest first."""

    items: list[ShipmentItem]
    next_cursor: str | None


class ShipmentFilter(PageParams):
    """Shipment list filters."""

    shop: Id | None = Field(None, description="ショップID")
    order: Id | None = Field(None, description="注文ID")
    shipped_from: Day | None = Field(None, description="出荷日 この日から")
    shipped_to: Day | None = Field(None, description="出荷日 この日まで")


@router.get("/shipments", response={200: ShipmentPage, **LIST_ERRORS}, auth=VIEWER, summary="出荷一覧")
def list_shipments(request: HttpRequest, params: Query[ShipmentFilter]) -> dict[str, Any]:
    """Shipments newest first, with carrier, ship date and tracking numbers."""
    qs = Shipment.objects.select_related("package__order__shop").prefetch_related("parcels")
    if params.shop is not None:
        qs = qs.filter(package__order__shop_id=params.shop)
    if params.order is not None:
        qs = qs.filter(package__order_id=params.order)
    if params.shipped_from:
        qs = qs.filter(shipped_on__gte=params.shipped_from)
    if params.shipped_to:
        qs = qs.filter(shipped_on__lte=params.shipped_to)
    rows, next_cursor = id_page(qs, params.cursor, params.limit, newest_first=True)
    items = [
        {
            "id": s.pk,
            "order_id": s.package.order_id,
            "mall_order_number": s.package.order.mall_order_number,
            "shop": s.package.order.shop.code,
            "package_id": s.package_id,
            "package_seq": s.package.seq,
            "carrier": s.carrier_code,
            "carrier_name": s.carrier_name,
            "tracking_numbers": [p.tracking_number for p in s.parcels.all()],
            "shipped_on": s.shipped_on,
            "recorded_at": s.recorded_at,
        }
        for s in rows
    ]
    return page_payload(items, next_cursor)
