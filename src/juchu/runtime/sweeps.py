"""The sweep registry: every stage, run per shop or warehouse under its (stage, scope) lease.

The embedded runner and the Celery tasks call :func:`run_stage` / :func:`run_all`; nothing else holds
pipeline logic.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Min, Q

from juchu.catalog.models import StockReconciliation
from juchu.catalog.reconcile import reconcile_shop
from juchu.catalog.stock_push import push_stock
from juchu.connectors.registry import SELFSHIP
from juchu.domain.effects import EffectKind, EffectState
from juchu.fulfillment.collect import collect_results
from juchu.fulfillment.models import RequestState, ShipmentRequest, Warehouse
from juchu.fulfillment.stock import sync_stock
from juchu.fulfillment.submit import submit_pending_requests
from juchu.mail.sending import send_due_mails
from juchu.orders.advance import advance_all_due
from juchu.orders.dispatch import dispatch_mall_effects, dispatch_withdrawals
from juchu.orders.models import Effect, Order
from juchu.orders.purge import has_due, purge_due
from juchu.orders.sync import sync_shop
from juchu.runtime import leases
from juchu.runtime.models import Lease
from juchu.shops.models import Shop

log = logging.getLogger("juchu.runtime")
HOLDER = f"{socket.gethostname()}:{os.getpid()}"


def _holder() -> str:
    return f"{HOLDER}:{threading.get_ident()}"


@dataclass(frozen=True, slots=True)
class Stage:
    """A sweep: which scopes (shops or warehouses) have work now, and the work for one scope."""

    scopes: Callable[[datetime], list[int]]
    work: Callable[[int, datetime], int]


# ---- scopes: only shops or warehouses that have something to do are visited -------------------------


def _shops_with_due_orders(now: datetime) -> list[int]:
    return sorted(set(Order.objects.filter(due_at__lte=now).values_list("shop_id", flat=True).distinct()))


def _shops_with_due_effects(kinds: tuple[EffectKind, ...]) -> Callable[[datetime], list[int]]:
    def scopes(now: datetime) -> list[int]:
        due = Effect.objects.filter(
            state=EffectState.PENDING.value, kind__in=[k.value for k in kinds], next_attempt_at__lte=now
        )
        return sorted(set(due.values_list("order__shop_id", flat=True).distinct()))

    return scopes


def _shops_due_for_sync(now: datetime) -> list[int]:
    """Connected shops whose last sync attempt is older than JUCHU_SYNC_INTERVAL_SECONDS."""
    since = now - timedelta(seconds=settings.JUCHU_SYNC_INTERVAL_SECONDS)
    due = Shop.objects.filter(active=True).exclude(connector="")
    due = due.filter(Q(last_sync_attempt_at__isnull=True) | Q(last_sync_attempt_at__lte=since))
    return list(due.order_by("id").values_list("id", flat=True))


def _warehouses_due_for_stock_sync(now: datetime) -> list[int]:
    since = now - timedelta(seconds=settings.JUCHU_STOCK_SYNC_INTERVAL_SECONDS)
    due = Warehouse.objects.exclude(connector__in=("", SELFSHIP))  # the own warehouse's stock is kept in Juchu
    due = due.filter(Q(last_stock_sync_at__isnull=True) | Q(last_stock_sync_at__lte=since))
    return list(due.order_by("id").values_list("id", flat=True))


def _shops_due_for_stock_push(now: datetime) -> list[int]:
    since = now - timedelta(seconds=settings.JUCHU_STOCK_PUSH_INTERVAL_SECONDS)
    due = Shop.objects.filter(active=True).exclude(connector="")
    due = due.filter(Q(last_stock_push_at__isnull=True) | Q(last_stock_push_at__lte=since))
    return list(due.order_by("id").values_list("id", flat=True))


def _shops_due_for_reconcile(now: datetime) -> list[int]:
    """Connected shops not reconciled within JUCHU_STOCK_RECONCILE_INTERVAL_SECONDS."""
    since = now - timedelta(seconds=settings.JUCHU_STOCK_RECONCILE_INTERVAL_SECONDS)
    recent = StockReconciliation.objects.filter(run_at__gt=since).values_list("shop_id", flat=True)
    due = Shop.objects.filter(active=True).exclude(connector="").exclude(id__in=recent)
    return list(due.order_by("id").values_list("id", flat=True))


def _reconcile(shop_id: int, now: datetime) -> int:
    return len(reconcile_shop(Shop.objects.get(pk=shop_id), now).differences)


def _stock_push(shop_id: int, now: datetime) -> int:
    return push_stock(Shop.objects.get(pk=shop_id), now).pushed


def _connected_warehouses(now: datetime) -> list[int]:
    # The own warehouse (自社出荷) has no API: its requests go out when an operator issues a batch.
    connected = Warehouse.objects.exclude(connector__in=("", SELFSHIP))
    return list(connected.order_by("id").values_list("id", flat=True))


# ---- work for one scope ----------------------------------------------------------------------------


def _mall_sync(shop_id: int, now: datetime) -> int:
    return sync_shop(Shop.objects.get(pk=shop_id), now).created


def _advance(shop_id: int, now: datetime) -> int:
    return advance_all_due(now, batch=settings.JUCHU_BATCH_SIZE, shop_id=shop_id).looked_at


def _for_warehouse(what: str, work: Callable[[Warehouse, datetime], int]) -> Callable[[int, datetime], int]:
    """Warehouse work whose failure is also kept on the warehouse, where operators look for it."""

    def run(warehouse_id: int, now: datetime) -> int:
        warehouse = Warehouse.objects.get(pk=warehouse_id)
        try:
            return work(warehouse, now)
        except Exception as exc:
            message = f"{now:%Y-%m-%d %H:%M:%S} {what}: {exc.__class__.__name__}: {exc}"
            Warehouse.objects.filter(pk=warehouse_id).update(last_error=message[:2000])
            raise

    return run


def _submit_all(warehouse: Warehouse, now: datetime) -> int:
    total = 0
    while (sent := submit_pending_requests(warehouse, now).sent) > 0:
        total += sent
    return total


def _report(shop_id: int, now: datetime) -> int:
    total = 0
    while True:
        done = dispatch_mall_effects(now, shop_id)
        withdrawn = dispatch_withdrawals(now, shop_id)
        step = done.done + done.failed + done.retried + withdrawn.done + withdrawn.failed + withdrawn.retried
        total += step
        if step == 0:
            return total


def _mail(shop_id: int, now: datetime) -> int:
    total = 0
    while step := send_due_mails(now, shop_id):
        if not step.done + step.failed + step.retried:
            break
        total += step.done + step.failed + step.retried
    return total


_MALL_KINDS = (EffectKind.MALL_CONFIRM, EffectKind.MALL_REPORT, EffectKind.MALL_CANCEL, EffectKind.WITHDRAWAL)
_MAIL_KINDS = (EffectKind.THANKS_MAIL, EffectKind.SHIPPING_MAIL, EffectKind.CANCEL_MAIL)


#: The stages in pipeline order. Shop stages are leased per (stage, shop id), warehouse stages per
#: (stage, warehouse id): workers share the work across shops and warehouses, never within one.
def _purge_scopes(now: datetime) -> list[int]:
    """The personal-data purge (JUCHU_PURGE_AFTER_DAYS) runs once a day, or again while a backlog is left."""
    last = Lease.objects.filter(stage="purge", scope=0).values_list("last_run_at", flat=True).first()
    daily = last is None or last <= now - timedelta(days=1)
    backlog = has_due(now - timedelta(days=1))  # still due a day later: the previous run hit its cap
    return [0] if (daily or backlog) and has_due(now) else []


STAGES: dict[str, Stage] = {
    "mall_sync": Stage(_shops_due_for_sync, _mall_sync),
    "advance": Stage(_shops_with_due_orders, _advance),
    "submit": Stage(_connected_warehouses, _for_warehouse("出荷依頼送信", _submit_all)),
    "collect": Stage(_connected_warehouses, _for_warehouse("出荷実績取得", lambda w, n: collect_results(w, n).results)),
    "report": Stage(_shops_with_due_effects(_MALL_KINDS), _report),
    "stock_sync": Stage(
        _warehouses_due_for_stock_sync, _for_warehouse("在庫同期", lambda w, n: sync_stock(w, n).updated)
    ),
    "mail": Stage(_shops_with_due_effects(_MAIL_KINDS), _mail),
    "stock_push": Stage(_shops_due_for_stock_push, _stock_push),
    "stock_reconcile": Stage(_shops_due_for_reconcile, _reconcile),
    "purge": Stage(lambda now: _purge_scopes(now), lambda _scope, now: purge_due(now)),
}


def run_scope(stage: str, scope: int, now: datetime) -> int | None:
    """Run one stage for one shop or warehouse under its lease; None when another worker holds it.

    A failure is logged and recorded on the lease; it never propagates to the caller.
    """
    holder = _holder()
    if not leases.acquire(stage, scope, holder, now, settings.JUCHU_LEASE_SECONDS):
        return None
    error = ""
    try:
        return STAGES[stage].work(scope, now)
    except Exception as exc:
        error = f"{exc.__class__.__name__}: {exc}"
        log.exception("sweep %s (scope %s) failed", stage, scope)
        return 0
    finally:
        leases.release(stage, scope, holder, now, error)


def run_stage(stage: str, now: datetime) -> int | None:
    """Run one stage for every scope that has work; None when every scope was held by another worker."""
    counts = [run_scope(stage, scope, now) for scope in STAGES[stage].scopes(now)]
    ran = [c for c in counts if c is not None]
    if counts and not ran:
        return None
    return sum(ran)


#: One pass: advance runs again after the outside answered, so a result moves its order in the same pass.
PASS = (
    "mall_sync",
    "stock_sync",
    "advance",
    "submit",
    "collect",
    "report",
    "advance",
    "mail",
    "stock_push",
    "stock_reconcile",
    "purge",
)


def run_all(now: datetime) -> dict[str, int | None]:
    """Every stage once in pipeline order (advance twice); returns how much each did."""
    done: dict[str, int | None] = {}
    for stage in PASS:
        count = run_stage(stage, now)
        done[stage] = count if done.get(stage) is None else (done[stage] or 0) + (count or 0)
    return done


def next_due(now: datetime) -> datetime | None:
    """The earliest moment some stage has work (due order, pending request or effect, shop sync)."""
    candidates = [
        Order.objects.filter(due_at__isnull=False).aggregate(m=Min("due_at"))["m"],
        ShipmentRequest.objects.filter(state=RequestState.PENDING).aggregate(m=Min("next_attempt_at"))["m"],
        Effect.objects.filter(state=EffectState.PENDING.value).aggregate(m=Min("next_attempt_at"))["m"],
    ]
    synced = Shop.objects.filter(active=True).exclude(connector="").aggregate(m=Min("last_sync_attempt_at"))["m"]
    if synced is not None:
        candidates.append(synced + timedelta(seconds=settings.JUCHU_SYNC_INTERVAL_SECONDS))
    found = [c for c in candidates if c is not None]
    return min(found) if found else None
