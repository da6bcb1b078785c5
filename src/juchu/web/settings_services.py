"""What the settings screens (設定) change, as small functions the views call.

Each change that matters to orders makes the affected open orders due now, so the next ``advance`` pass
re-evaluates them with the new setting (a new rule, a mapping, a threshold, a cutoff). Waking an order is
harmless: the pipeline decides again and leaves it where it is when nothing changed.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.db import transaction

from juchu.catalog.models import Product
from juchu.catalog.services import map_item
from juchu.connectors import registry
from juchu.connectors.base import ConnectorError
from juchu.domain.model import OrderSnapshot
from juchu.domain.rules import Condition, preview
from juchu.domain.rules import Rule as DomainRule
from juchu.domain.status import EDITABLE
from juchu.fulfillment.models import Warehouse, WarehouseClosure
from juchu.orders import writes
from juchu.orders.models import Order, TagRule
from juchu.orders.snapshots import ORDER_FIELDS, build_snapshots
from juchu.shops.models import Shop
from juchu.web.auth import Role, create_user, set_role

#: How many of the most recent orders a rule preview looks at.
PREVIEW_ORDERS = 500
#: A connection test asks the mall for the orders changed in this window only (a cheap read).
CONNECTION_TEST_WINDOW = timedelta(minutes=1)
#: The credential names of Rakuten's connector (the other malls' connectors export ``CREDENTIAL_KEYS``).
KNOWN_CREDENTIALS: dict[str, tuple[str, ...]] = {"rakuten": ("serviceSecret", "licenseKey")}


def _connector_package(mall: str) -> Any:
    if not mall.isidentifier():
        return None
    try:
        return importlib.import_module(f"juchu.connectors.malls.{mall}")
    except ModuleNotFoundError:
        return None


def known_credentials(mall: str) -> tuple[str, ...]:
    """The credential names the mall's connector reads, offered as inputs even before they are set."""
    if mall in KNOWN_CREDENTIALS:
        return KNOWN_CREDENTIALS[mall]
    return tuple(getattr(_connector_package(mall), "CREDENTIAL_KEYS", ()))


def multiline_credentials(mall: str) -> tuple[str, ...]:
    """The credentials entered as several lines (a PEM key), shown as a text area instead of a password input."""
    return tuple(getattr(_connector_package(mall), "MULTILINE_CREDENTIAL_KEYS", ()))


# Django's recommended validators, used when the site configures none (AUTH_PASSWORD_VALIDATORS empty).
_FALLBACK_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]


def wake_open_orders(now: datetime, *, shop_id: int | None = None, warehouse_id: int | None = None) -> int:
    """Make the orders not yet shipping (of one shop or warehouse, if given) due now; returns how many."""
    orders = Order.objects.filter(status__in=[s.value for s in EDITABLE])
    if shop_id is not None:
        orders = orders.filter(shop_id=shop_id)
    if warehouse_id is not None:
        orders = orders.filter(warehouse_id=warehouse_id)
    return orders.update(due_at=now)


# -- shops ------------------------------------------------------------------------------------------------


def mask_secret(value: Any) -> str:
    """How a stored credential is shown: never the value, at most its last four characters."""
    text = str(value or "")
    if not text:
        return ""
    return f"設定済み (••••{text[-4:]})" if len(text) >= 12 else "設定済み"


def credential_names(shop: Shop) -> list[str]:
    """The credential inputs the shop's form shows: the mall's known names, then any others stored."""
    names = list(known_credentials(shop.mall))
    return names + sorted(k for k in shop.credentials if k not in names)


def merge_credentials(stored: Mapping[str, Any], entered: Mapping[str, str], cleared: Sequence[str]) -> dict[str, Any]:
    """Stored credentials with the entered ones replacing them; an empty input keeps the stored value."""
    merged = {k: v for k, v in stored.items() if k not in cleared}
    merged.update({k: v for k, v in entered.items() if v != ""})
    return merged


def save_shop(shop: Shop, entered: Mapping[str, str], cleared: Sequence[str], now: datetime) -> int:
    """Save a shop (its form already applied) with merged credentials; wakes its open orders. Returns woken."""
    with transaction.atomic():
        shop.credentials = merge_credentials(shop.credentials if shop.pk else {}, entered, cleared)
        creating = shop.pk is None
        shop.save()
        return 0 if creating else wake_open_orders(now, shop_id=shop.pk)


@dataclass(frozen=True, slots=True)
class ConnectionCheck:
    """The result of a 接続テスト: whether the mall answered, and what it said."""

    ok: bool
    message: str


def check_connection(shop: Shop, now: datetime) -> ConnectionCheck:
    """Build the shop's connector from its saved settings and ask for the orders of the last minute."""
    try:
        connector = registry.mall_connector(shop.connector, shop.connector_settings())
        if connector is None:
            return ConnectionCheck(False, "コネクタが設定されていません (手動・CSV のショップ)")
        result = connector.fetch_new_orders(now - CONNECTION_TEST_WINDOW, now)
    except ConnectorError as exc:
        code = f" [{exc.code}]" if exc.code else ""
        return ConnectionCheck(False, f"{exc}{code}")
    except Exception as exc:  # any failure is the answer the operator needs to see
        return ConnectionCheck(False, f"{type(exc).__name__}: {exc}")
    errors = "".join(f" / {e.code} {e.message}" for e in result.errors)
    return ConnectionCheck(True, f"接続できました (直近1分の受注 {len(result.orders)} 件){errors}")


def after_method_mapping_change(shop_id: int, now: datetime) -> int:
    """A delivery or payment method mapping was added or removed: the shop's open orders are re-checked."""
    return wake_open_orders(now, shop_id=shop_id)


# -- catalogue --------------------------------------------------------------------------------------------


def after_mapping_saved(shop_id: int, mall_item_id: str, mall_variant_id: str, product: Product, now: datetime) -> int:
    """A mall item mapping was saved: open orders' unmapped lines for that item pick it up. Returns woken."""
    return map_item(shop_id, mall_item_id, mall_variant_id, product, now)


def after_set_changed(product: Product, now: datetime) -> int:
    """A set's components changed: orders waiting for stock of the set are allocated again. Returns woken."""
    return writes.wake_orders_waiting_for([product.pk], now)


# -- rules ------------------------------------------------------------------------------------------------


def recent_snapshots(shop_id: int | None, limit: int = PREVIEW_ORDERS) -> list[OrderSnapshot]:
    """Snapshots of the most recent orders (of one shop, if given), newest first."""
    orders = Order.objects.all() if shop_id is None else Order.objects.filter(shop_id=shop_id)
    rows = list(orders.order_by("-ordered_at", "-id").values(*ORDER_FIELDS)[:limit])
    snapshots = build_snapshots(rows)
    return [snapshots[row["id"]] for row in rows]


@dataclass(frozen=True, slots=True)
class Preview:
    """Which of the recent orders a rule would tag."""

    looked_at: int
    matches: list[OrderSnapshot]


def preview_rule(rule: DomainRule, shop_id: int | None) -> Preview:
    """The recent orders ``rule`` would tag if it were on; raises RuleError for a rule that cannot run."""
    orders = recent_snapshots(shop_id)
    return Preview(len(orders), preview(rule, orders))


def save_rule(row: TagRule, conditions: Sequence[Condition], now: datetime) -> int:
    """Store a rule (its form already applied) with its conditions; the orders it concerns are re-evaluated."""
    with transaction.atomic():
        previous_shop = None
        if row.pk:
            previous_shop = TagRule.objects.filter(pk=row.pk).values_list("shop_id", flat=True).first()
        row.conditions = [{"field": c.field, "op": c.op.value, "value": c.value} for c in conditions]
        row.save()
        woken = after_rule_change(row.shop_id, now)
        if previous_shop is not None and previous_shop != row.shop_id:
            woken += after_rule_change(previous_shop, now)
        return woken


def delete_rule(row: TagRule, now: datetime) -> int:
    """Delete a rule; the orders it concerned are re-evaluated (tags it attached stay until removed)."""
    with transaction.atomic():
        shop_id = row.shop_id
        row.delete()
        return after_rule_change(shop_id, now)


def after_rule_change(shop_id: int | None, now: datetime) -> int:
    """A rule was saved or deleted: the open orders it may concern are re-evaluated. Returns woken."""
    return wake_open_orders(now, shop_id=shop_id)


# -- warehouses -------------------------------------------------------------------------------------------


def after_warehouse_change(warehouse: Warehouse, now: datetime) -> int:
    """The cutoff or calendar changed: the warehouse's open orders get their ship-by computed again."""
    return wake_open_orders(now, warehouse_id=warehouse.pk)


def add_closure(warehouse: Warehouse, day: date, is_open: bool, note: str, now: datetime) -> WarehouseClosure:
    """Mark a day closed (休業日) or, with ``is_open``, open against the calendar; replaces that day's entry."""
    with transaction.atomic():
        closure, _ = WarehouseClosure.objects.update_or_create(
            warehouse=warehouse, date=day, defaults={"is_open": is_open, "note": note}
        )
        after_warehouse_change(warehouse, now)
    return closure


def remove_closure(warehouse: Warehouse, closure_id: int, now: datetime) -> bool:
    """Remove one closure of the warehouse; False when it was not there."""
    with transaction.atomic():
        deleted, _ = WarehouseClosure.objects.filter(warehouse=warehouse, pk=closure_id).delete()
        if deleted:
            after_warehouse_change(warehouse, now)
    return bool(deleted)


# -- users ------------------------------------------------------------------------------------------------


def password_validators() -> list[Any]:
    """The site's password validators, or Django's recommended four when the site configures none."""
    if settings.AUTH_PASSWORD_VALIDATORS:
        return password_validation.get_default_password_validators()
    return password_validation.get_password_validators(_FALLBACK_VALIDATORS)


def validate_new_password(password: str, user: Any = None) -> None:
    """Raise ValidationError (with every validator's message) unless ``password`` is acceptable."""
    password_validation.validate_password(password, user, password_validators=password_validators())


def add_user(username: str, password: str, role: Role, email: str = "") -> Any:
    """A new active user with one role."""
    return create_user(username, password, role, email=email)


class LockOut(ValueError):
    """The change would leave the acting administrator, or the site, without an administrator."""


def _other_active_admins(user: Any) -> bool:
    """Whether an active administrator other than ``user`` remains."""
    others = get_user_model().objects.filter(is_active=True).exclude(pk=user.pk)
    return others.filter(is_superuser=True).exists() or others.filter(groups__name=Role.ADMIN.code).exists()


def change_role(user: Any, role: Role, actor: Any) -> None:
    """Give ``user`` exactly ``role``; an administrator cannot demote themselves."""
    if user.is_superuser:
        raise LockOut("スーパーユーザーは常に管理者です。権限は変更できません")
    if user.pk == actor.pk and role is not Role.ADMIN:
        raise LockOut("自分自身の権限は下げられません。別の管理者に依頼してください")
    set_role(user, role)


def set_active(user: Any, active: bool, actor: Any) -> None:
    """Deactivate (or reactivate) a user; the acting administrator and the last administrator stay active."""
    if not active and user.pk == actor.pk:
        raise LockOut("自分自身は無効にできません")
    if not active and not _other_active_admins(user):
        raise LockOut("最後の管理者は無効にできません")
    user.is_active = active
    user.save(update_fields=["is_active"])


def reset_password(user: Any, password: str) -> None:
    """Set a new password (validated by the caller's form with :func:`validate_new_password`)."""
    user.set_password(password)
    user.save(update_fields=["password"])
