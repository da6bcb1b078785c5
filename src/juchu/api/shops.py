"""Shops (ショップ): reads for all, creation and changes for admins. Credentials are never shown."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Router, Schema
from pydantic import Field, StringConstraints

from juchu.api.auth import ADMIN, VIEWER
from juchu.api.schemas import AUTH_ERRORS, MAX_ID, READ_ERRORS, WRITE_ERRORS, Day, text
from juchu.fulfillment.models import Warehouse
from juchu.shops.models import Mall, Shop
from juchu.web.settings_services import save_shop

router = Router(tags=["shops"])

ShopId = Annotated[int, Path(ge=1, le=MAX_ID, description="ショップID")]
MallCode = Literal[tuple(Mall.values)]  # type: ignore[valid-type]
Slug = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]


class ShopOut(Schema):
    """A shop and its policy; ``credentials_set`` names the stored API keys, never their values."""

    id: int
    code: str
    name: str
    mall: str
    active: bool
    warehouse: str
    grace_period_seconds: int | None
    quantity_threshold: int
    confirm_at_mall: bool
    thanks_mail: bool
    shipping_mail: bool
    cancel_mail: bool
    mail_from: str
    connector: str
    api_base_url: str
    key_expires_on: date | None
    credentials_set: list[str]
    last_sync_at: datetime | None
    last_sync_error: str


class ShopList(Schema):
    """Every shop (there are few)."""

    items: list[ShopOut]


class ShopPatch(Schema):
    """Shop fields to change; omitted fields stay as they are."""

    name: text(200, min_length=1) = None  # type: ignore[assignment]
    active: bool = None  # type: ignore[assignment]
    warehouse: Slug = Field(None, description="倉庫コード")  # type: ignore[assignment]
    grace_period_seconds: int | None = Field(None, ge=0, le=7 * 24 * 3600, description="空: モールの既定値")
    quantity_threshold: int = Field(None, ge=0, le=1_000_000)  # type: ignore[assignment]
    confirm_at_mall: bool = None  # type: ignore[assignment]
    thanks_mail: bool = None  # type: ignore[assignment]
    shipping_mail: bool = None  # type: ignore[assignment]
    cancel_mail: bool = None  # type: ignore[assignment]
    mail_from: text(254) = None  # type: ignore[assignment]
    connector: text(40) = None  # type: ignore[assignment]
    api_base_url: text(200) = None  # type: ignore[assignment]
    key_expires_on: Day | None = None


class ShopIn(ShopPatch):
    """A new shop: code, name, mall and warehouse are required."""

    code: Slug
    name: text(200, min_length=1)
    mall: MallCode
    warehouse: Slug = Field(description="倉庫コード")


def shop_payload(shop: Shop) -> dict[str, Any]:
    """A shop without its secrets."""
    return {
        "id": shop.pk,
        "code": shop.code,
        "name": shop.name,
        "mall": shop.mall,
        "active": shop.active,
        "warehouse": shop.warehouse.code,
        "grace_period_seconds": shop.grace_period_seconds,
        "quantity_threshold": shop.quantity_threshold,
        "confirm_at_mall": shop.confirm_at_mall,
        "thanks_mail": shop.thanks_mail,
        "shipping_mail": shop.shipping_mail,
        "cancel_mail": shop.cancel_mail,
        "mail_from": shop.mail_from,
        "connector": shop.connector,
        "api_base_url": shop.api_base_url,
        "key_expires_on": shop.key_expires_on,
        "credentials_set": sorted(shop.credentials),
        "last_sync_at": shop.last_sync_at,
        "last_sync_error": shop.last_sync_error,
    }


@router.get("/shops", response={200: ShopList, **AUTH_ERRORS}, auth=VIEWER, summary="ショップ一覧")
def list_shops(request: HttpRequest) -> dict[str, Any]:
    """Every shop in code order."""
    return {"items": [shop_payload(s) for s in Shop.objects.select_related("warehouse").order_by("code")]}


@router.get("/shops/{shop_id}", response={200: ShopOut, **READ_ERRORS}, auth=VIEWER, summary="ショップ")
def get_shop(request: HttpRequest, shop_id: ShopId) -> dict[str, Any]:
    """One shop."""
    return shop_payload(Shop.objects.select_related("warehouse").get(pk=shop_id))


def _apply(shop: Shop, changes: dict[str, Any]) -> None:
    if "warehouse" in changes:
        code = changes.pop("warehouse")
        warehouse = Warehouse.objects.filter(code=code).first()
        if warehouse is None:
            raise ValidationError({"warehouse": f"倉庫 {code} は登録されていません"})
        shop.warehouse = warehouse
    for name, value in changes.items():
        setattr(shop, name, value)
    shop.full_clean()
    # The shop's open orders are decided again under the new settings.
    save_shop(shop, {}, [], timezone.now())


@router.post("/shops", response={200: ShopOut, **WRITE_ERRORS}, auth=ADMIN, summary="ショップの登録")
def create_shop(request: HttpRequest, body: ShopIn) -> dict[str, Any]:
    """Register a shop (its API keys are entered on the settings screen)."""
    with transaction.atomic():
        shop = Shop()
        _apply(shop, body.model_dump(exclude_unset=True))
    return get_shop(request, shop.pk)


@router.patch("/shops/{shop_id}", response={200: ShopOut, **WRITE_ERRORS}, auth=ADMIN, summary="ショップの変更")
def update_shop(request: HttpRequest, shop_id: ShopId, body: ShopPatch) -> dict[str, Any]:
    """Change a shop's settings; its open orders are re-checked."""
    with transaction.atomic():
        shop = Shop.objects.select_for_update().get(pk=shop_id)
        _apply(shop, body.model_dump(exclude_unset=True))
    return get_shop(request, shop.pk)
