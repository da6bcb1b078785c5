"""Orders: the list (same filters as the web list, keyset pages), the detail, and the operator actions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router, Schema
from pydantic import Field, field_validator

from juchu.api import order_views
from juchu.api.auth import OPERATOR, VIEWER, actor
from juchu.api.schemas import (
    LIST_ERRORS,
    MAX_ID,
    READ_ERRORS,
    WRITE_ERRORS,
    ActionResult,
    Day,
    Id,
    OrderDetail,
    OrderPage,
    TagCode,
    Version,
    text,
)
from juchu.orders import actions, queries
from juchu.orders.models import Order

router = Router(tags=["orders"])

Tab = Literal[tuple(queries.TABS)]  # type: ignore[valid-type]
Sort = Literal[tuple(queries.SORTS)]  # type: ignore[valid-type]
OrderId = Annotated[int, Path(ge=1, le=MAX_ID, description="注文ID")]


class OrderListParams(Schema):
    """The web list's filters, plus the page cursor and size."""

    tab: Tab = Field(queries.TAB_ALL, description="タブ: all, ステータス, action (要対応), cutoff_risk")
    shop: Id | None = Field(None, description="ショップID")
    mall: text(20) = Field("", description="モール (rakuten, yahoo, ...)")
    date_from: Day | None = Field(None, description="注文日 (JST) この日から")
    date_to: Day | None = Field(None, description="注文日 (JST) この日まで")
    tag: text(64) = ""
    payment_method: text(100) = ""
    delivery_method: text(100) = ""
    sku: text(64) = ""
    q: text(100) = Field("", description="受注番号・購入者名・電話番号・メールアドレス")
    sort: Sort = queries.DEFAULT_SORT
    cursor: text(500) | None = Field(None, description="前の応答の next_cursor / prev_cursor")
    limit: int = Field(queries.PAGE_SIZE, ge=1, le=queries.MAX_PAGE_SIZE)


def order_filter(params: OrderListParams) -> queries.OrderFilter:
    """The list filter, parsed by the same code as the web list (FilterError → 422)."""
    raw = params.model_dump(exclude={"cursor", "limit"})
    return queries.OrderFilter.from_params({k: "" if v is None else str(v) for k, v in raw.items()})


def _cursor(cursor: str | None, sort: str) -> str | None:
    """The cursor if it fits the sort; a forged or foreign cursor is a 422, never a database error."""
    if cursor:
        queries.cursor_for_sort(cursor, sort)
    return cursor or None


@router.get("/orders", response={200: OrderPage, **LIST_ERRORS}, auth=VIEWER, summary="受注一覧")
def list_orders(request: HttpRequest, params: Query[OrderListParams]) -> dict[str, Any]:
    """One keyset page of the orders the filters select, with tags, packages and shipments."""
    f = order_filter(params)
    cursor = _cursor(params.cursor, f.sort)
    result = queries.list_page(f, cursor, params.limit)
    order_views.prefetch_for_list(result.rows)
    labels = order_views.tag_labels(result.rows)
    return {
        "items": [order_views.order_payload(o, labels) for o in result.rows],
        "next_cursor": result.next_cursor,
        "prev_cursor": result.prev_cursor,
    }


@router.get("/orders/{order_id}", response={200: OrderDetail, **READ_ERRORS}, auth=VIEWER, summary="受注詳細")
def get_order(request: HttpRequest, order_id: OrderId) -> dict[str, Any]:
    """One order with its address, lines, tags, shipments and timeline."""
    return order_views.load_detail(order_id)


# -- actions ------------------------------------------------------------------------------------------------


class ConfirmIn(Schema):
    """手動確認: the reason is logged on the timeline."""

    reason: text(1000, min_length=1)
    version: Version

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("理由を入力してください")
        return value


class HoldIn(Schema):
    """停止: the order stops at 確認待 with this tag."""

    tag: TagCode = "hold"
    reason: text(500) = ""
    version: Version


class ReleaseTagIn(Schema):
    """タグを外す: checks and rules never attach it to this order again."""

    tag: TagCode
    reason: text(1000) = ""
    version: Version


class CancelIn(Schema):
    """キャンセル: at once before shipping, by withdrawal in 出荷作業中."""

    reason: text(500) = ""
    cancel_at_mall: bool = False
    mall_reason: text(200) = ""
    version: Version


class VersionIn(Schema):
    """An action with no input but the version read."""

    version: Version


class PackageEditIn(Schema):
    """The package fields to change; omitted fields stay as they are."""

    recipient_name: text(200, min_length=1) = None  # type: ignore[assignment]
    phone: text(40) = None  # type: ignore[assignment]
    postal_code: text(20, min_length=1) = None  # type: ignore[assignment]
    prefecture: text(20, min_length=1) = None  # type: ignore[assignment]
    city: text(200) = None  # type: ignore[assignment]
    address1: text(300) = None  # type: ignore[assignment]
    address2: text(300) = None  # type: ignore[assignment]
    delivery_method: text(100, min_length=1) = None  # type: ignore[assignment]
    requested_date: Day | None = None
    delivery_time: text(40) = None  # type: ignore[assignment]
    version: Version


class LineEditIn(Schema):
    """The new quantity of a line."""

    quantity: int = Field(ge=1, le=9999, strict=True)
    version: Version


def _run(request: HttpRequest, order_id: int, act: Callable[[str, datetime], str]) -> dict[str, Any]:
    """Run an action as ``api:<user>`` now; answer what it did and the order after it."""
    Order.objects.only("id").get(pk=order_id)  # 404 before anything else
    result = act(actor(request), timezone.now())
    return {"result": result, "order": order_views.load_detail(order_id)}


ACTION = {"response": {200: ActionResult, **WRITE_ERRORS}, "auth": OPERATOR}


@router.post("/orders/{order_id}/confirm", **ACTION, summary="手動確認")
def confirm(request: HttpRequest, order_id: OrderId, body: ConfirmIn) -> dict[str, Any]:
    """Confirm a 確認待 order by hand; its stopping tags are overridden."""

    def act(who: str, now: datetime) -> str:
        actions.confirm_by_hand(order_id, who, now, body.reason, version=body.version)
        return "confirmed"

    return _run(request, order_id, act)


@router.post("/orders/{order_id}/hold", **ACTION, summary="停止")
def hold(request: HttpRequest, order_id: OrderId, body: HoldIn) -> dict[str, Any]:
    """Stop an order at 確認待 with a tag."""

    def act(who: str, now: datetime) -> str:
        actions.hold(order_id, body.tag, body.reason, who, now, version=body.version)
        return "held"

    return _run(request, order_id, act)


@router.post("/orders/{order_id}/release-tag", **ACTION, summary="タグを外す")
def release_tag(request: HttpRequest, order_id: OrderId, body: ReleaseTagIn) -> dict[str, Any]:
    """Remove a tag from an order."""

    def act(who: str, now: datetime) -> str:
        actions.release_tag(order_id, body.tag, who, now, reason=body.reason, version=body.version)
        return "tag_released"

    return _run(request, order_id, act)


@router.post("/orders/{order_id}/cancel", **ACTION, summary="キャンセル")
def cancel(request: HttpRequest, order_id: OrderId, body: CancelIn) -> dict[str, Any]:
    """Cancel an order; result is ``cancelled`` or ``withdrawal_requested`` (出荷作業中)."""

    def act(who: str, now: datetime) -> str:
        return actions.cancel_order(
            order_id,
            who,
            now,
            body.reason,
            cancel_at_mall=body.cancel_at_mall,
            mall_reason=body.mall_reason,
            version=body.version,
        )

    return _run(request, order_id, act)


@router.post("/orders/{order_id}/re-request", **ACTION, summary="出荷再依頼")
def re_request(request: HttpRequest, order_id: OrderId, body: VersionIn) -> dict[str, Any]:
    """Send a new shipment request after 出荷不可 or a rejected request."""

    def act(who: str, now: datetime) -> str:
        actions.re_request(order_id, who, now, version=body.version)
        return "re_requested"

    return _run(request, order_id, act)


@router.post("/orders/{order_id}/retry-effects", **ACTION, summary="失敗した処理の再送")
def retry_effects(request: HttpRequest, order_id: OrderId, body: VersionIn) -> dict[str, Any]:
    """Send the order's failed effects (mail, mall report, ...) again."""

    def act(who: str, now: datetime) -> str:
        actions.retry_failed_effects(order_id, who, now, version=body.version)
        return "effects_retried"

    return _run(request, order_id, act)


@router.post("/orders/{order_id}/packages/{package_id}", **ACTION, summary="送付先の変更")
def edit_package(
    request: HttpRequest,
    order_id: OrderId,
    package_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    body: PackageEditIn,
) -> dict[str, Any]:
    """Change a package's address or delivery (only the fields sent); ``unchanged`` when nothing differs."""
    changes = body.model_dump(exclude_unset=True, exclude={"version"})

    def act(who: str, now: datetime) -> str:
        before = Order.objects.values_list("version", flat=True).get(pk=order_id)
        actions.edit_package(order_id, package_id, changes, who, now, version=body.version)
        after = Order.objects.values_list("version", flat=True).get(pk=order_id)
        return "edited" if after != before else "unchanged"

    return _run(request, order_id, act)


@router.post("/orders/{order_id}/lines/{line_id}", **ACTION, summary="明細の数量変更")
def edit_line(
    request: HttpRequest,
    order_id: OrderId,
    line_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    body: LineEditIn,
) -> dict[str, Any]:
    """Change a line's quantity; allocation is redone."""

    def act(who: str, now: datetime) -> str:
        before = Order.objects.values_list("version", flat=True).get(pk=order_id)
        actions.edit_line_quantity(order_id, line_id, body.quantity, who, now, version=body.version)
        after = Order.objects.values_list("version", flat=True).get(pk=order_id)
        return "edited" if after != before else "unchanged"

    return _run(request, order_id, act)
