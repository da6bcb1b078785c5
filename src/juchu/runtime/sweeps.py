"""The sweep registry: every stage as one function of ``now`` run under its (stage, scope) lease.

The embedded runner and the Celery tasks call :func:`run_stage` / :func:`run_all`; nothing else holds
pipeline logic.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db.models import Min

from juchu.domain.effects import EffectState
from juchu.fulfillment.collect import collect_results
from juchu.fulfillment.models import RequestState, ShipmentRequest, Warehouse
from juchu.fulfillment.submit import submit_pending_requests
from juchu.mail.sending import send_due_mails
from juchu.orders.advance import advance_all_due
from juchu.orders.dispatch import dispatch_mall_effects, dispatch_withdrawals
from juchu.orders.models import Effect, Order
from juchu.orders.sync import sync_shop
from juchu.runtime import leases
from juchu.shops.models import Shop

log = logging.getLogger("juchu.runtime")
HOLDER = f"{socket.gethostname()}:{os.getpid()}"


def _holder() -> str:
    return f"{HOLDER}:{threading.get_ident()}"


def _advance(now: datetime) -> int:
    return advance_all_due(now, batch=settings.JUCHU_BATCH_SIZE).looked_at


def _per_warehouse(now: datetime, work: Callable[[Warehouse, datetime], int], what: str) -> int:
    """Run ``work`` for every connected warehouse; one failing warehouse never stops the others."""
    total = 0
    for warehouse in Warehouse.objects.exclude(connector="").order_by("id"):
        try:
            total += work(warehouse, now)
        except Exception as exc:
            log.exception("%s for warehouse %s failed", what, warehouse.code)
            message = f"{now:%Y-%m-%d %H:%M:%S} {what}: {exc.__class__.__name__}: {exc}"
            Warehouse.objects.filter(pk=warehouse.pk).update(last_error=message[:2000])
    return total


def _submit_all(warehouse: Warehouse, now: datetime) -> int:
    total = 0
    while (sent := submit_pending_requests(warehouse, now).sent) > 0:
        total += sent
    return total


def _submit(now: datetime) -> int:
    return _per_warehouse(now, _submit_all, "出荷依頼送信")


def _collect(now: datetime) -> int:
    return _per_warehouse(now, lambda w, n: collect_results(w, n).results, "出荷実績取得")


def _report(now: datetime) -> int:
    total = 0
    while True:
        done = dispatch_mall_effects(now)
        withdrawn = dispatch_withdrawals(now)
        step = done.done + done.failed + done.retried + withdrawn.done + withdrawn.failed + withdrawn.retried
        total += step
        if step == 0:
            return total


def _mail(now: datetime) -> int:
    total = 0
    while (step := send_due_mails(now)) and (step.done + step.failed + step.retried):
        total += step.done + step.failed + step.retried
    return total


def _mall_sync(now: datetime) -> int:
    return sum(sync_shop(shop, now).created for shop in Shop.objects.filter(active=True).exclude(connector=""))


#: The stages in pipeline order: name -> sweep.
STAGES: dict[str, Callable[[datetime], int]] = {
    "mall_sync": _mall_sync,
    "advance": _advance,
    "submit": _submit,
    "collect": _collect,
    "report": _report,
    "mail": _mail,
}


def run_stage(stage: str, now: datetime, scope: int = 0) -> int | None:
    """Run one stage under its lease; None when another worker holds it. Errors are logged and recorded."""
    holder = _holder()
    if not leases.acquire(stage, scope, holder, now, settings.JUCHU_LEASE_SECONDS):
        return None
    error = ""
    try:
        return STAGES[stage](now)
    except Exception as exc:
        error = f"{exc.__class__.__name__}: {exc}"
        log.exception("sweep %s failed", stage)
        return 0
    finally:
        leases.release(stage, scope, holder, now, error)


#: One pass: advance runs again after the outside answered, so a result moves its order in the same pass.
PASS = ("mall_sync", "advance", "submit", "collect", "report", "advance", "mail")


def run_all(now: datetime) -> dict[str, int | None]:
    """Every stage once in pipeline order (advance twice); returns how much each did."""
    done: dict[str, int | None] = {}
    for stage in PASS:
        count = run_stage(stage, now)
        done[stage] = count if done.get(stage) is None else (done[stage] or 0) + (count or 0)
    return done


def next_due(now: datetime) -> datetime | None:
    """The earliest moment some stage has work (due order, pending request or effect)."""
    candidates = [
        Order.objects.filter(due_at__isnull=False).aggregate(m=Min("due_at"))["m"],
        ShipmentRequest.objects.filter(state=RequestState.PENDING).aggregate(m=Min("next_attempt_at"))["m"],
        Effect.objects.filter(state=EffectState.PENDING.value).aggregate(m=Min("next_attempt_at"))["m"],
    ]
    found = [c for c in candidates if c is not None]
    return min(found) if found else None
