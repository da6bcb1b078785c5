"""``/healthz`` (is this installation working?) and ``/metrics`` (Prometheus text format, written by hand).

``/healthz`` needs no login and shows no personal data or secret: database reachable, the runner's last
heartbeat, and per shop its code, last successful sync and whether the last sync failed (the message itself
is on the top page). It answers 200 when the database answers and a runner has beaten recently, else 503.

``/metrics`` answers a ``Authorization: Bearer <JUCHU_METRICS_TOKEN>`` request; without that setting it
answers only requests from this machine that came through no proxy.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Case, Count, F, Max, Min, Q, Value, When
from django.db.models.functions import Left, StrIndex, Substr
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from juchu.domain.effects import EffectKind, EffectState
from juchu.domain.status import OrderStatus
from juchu.fulfillment.models import RequestState, ShipmentRequest, Warehouse
from juchu.orders.models import Effect, Order
from juchu.runtime.models import Lease
from juchu.shops.models import Shop

#: Heartbeat rows (Lease stage, scope 0): the embedded runner's pass, and Celery beat's tick on scale-out.
HEARTBEATS = ("runner", "tick")
_LOCAL = {"127.0.0.1", "::1"}
_MALL_KINDS = (EffectKind.MALL_CONFIRM, EffectKind.MALL_REPORT, EffectKind.MALL_CANCEL, EffectKind.WITHDRAWAL)
_MAIL_KINDS = (EffectKind.THANKS_MAIL, EffectKind.SHIPPING_MAIL, EffectKind.CANCEL_MAIL)


def now() -> datetime:
    """The health views' clock (tests move it)."""
    return timezone.now()


def _age(at: datetime | None, current: datetime) -> float | None:
    return None if at is None else round(max(0.0, (current - at).total_seconds()), 3)


def _last_heartbeat() -> datetime | None:
    return Lease.objects.filter(stage__in=HEARTBEATS, scope=0).aggregate(m=Max("last_run_at"))["m"]


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers and a runner beat within JUCHU_HEALTH_RUNNER_SECONDS; 503 otherwise."""
    current = now()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        beat = _last_heartbeat()
        shops = list(
            Shop.objects.filter(active=True)
            .order_by("code")
            .values_list("code", "mall", "connector", "last_sync_at", "last_sync_error")
        )
    except DatabaseError as exc:
        body = {"status": "error", "database": {"ok": False, "error": exc.__class__.__name__}}
        return JsonResponse(body, status=503)
    limit = settings.JUCHU_HEALTH_RUNNER_SECONDS
    runner_age = _age(beat, current)
    runner_ok = limit <= 0 or (runner_age is not None and runner_age <= limit)
    body = {
        "status": "ok" if runner_ok else "error",
        "time": current.isoformat(timespec="seconds"),
        "database": {"ok": True, "vendor": connection.vendor},
        "runner": {
            "ok": runner_ok,
            "checked": limit > 0,
            "last_heartbeat_at": beat.isoformat(timespec="seconds") if beat else None,
            "age_seconds": runner_age,
            "limit_seconds": limit,
        },
        "shops": [
            {
                "code": code,
                "mall": mall,
                "connected": bool(connector),
                "last_sync_at": synced.isoformat(timespec="seconds") if synced else None,
                "sync_age_seconds": _age(synced, current),
                "sync_error": bool(error),
            }
            for code, mall, connector, synced, error in shops
        ],
    }
    return JsonResponse(body, status=200 if runner_ok else 503, json_dumps_params={"ensure_ascii": False})


# ---- /metrics ----------------------------------------------------------------------------------------------


def _metrics_allowed(request: HttpRequest) -> bool:
    token = settings.JUCHU_METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    forwarded = "HTTP_X_FORWARDED_FOR" in request.META or "HTTP_FORWARDED" in request.META
    return request.META.get("REMOTE_ADDR") in _LOCAL and not forwarded


def _label(value: object) -> str:
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


class _Exposition:
    """Prometheus text format 0.0.4: HELP and TYPE once per metric, then its samples."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def gauge(self, name: str, help_text: str, samples: Iterable[tuple[dict[str, object], float]]) -> None:
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} gauge")
        for labels, value in samples:
            inner = ",".join(f"{key}={_label(val)}" for key, val in labels.items())
            number = f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
            self.lines.append(f"{name}{{{inner}}} {number}" if inner else f"{name} {number}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _lag(oldest_due: datetime | None, current: datetime) -> float:
    """Seconds the oldest overdue item has waited past its due time (0 when nothing is overdue)."""
    return 0.0 if oldest_due is None else max(0.0, (current - oldest_due).total_seconds())


def collect_metrics(current: datetime) -> str:
    """Every metric, read with a handful of aggregate queries (error codes: the first word of
    ``Effect.last_error``, which orders.dispatch.record writes as ``"<code> <message>"``)."""
    out = _Exposition()
    by_status = dict(Order.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    out.gauge(
        "juchu_orders",
        "Orders per status.",
        (({"status": s.value}, by_status.get(s.value, 0)) for s in OrderStatus),
    )

    pending = Effect.objects.filter(state=EffectState.PENDING.value)
    queue = {
        row["kind"]: row
        for row in pending.values("kind").annotate(
            n=Count("id"),
            oldest=Min("created_at"),
            due=Min("next_attempt_at", filter=Q(next_attempt_at__lte=current)),
        )
    }
    lag = {
        "advance": Order.objects.filter(due_at__lte=current).aggregate(m=Min("due_at"))["m"],
        "submit": ShipmentRequest.objects.filter(state=RequestState.PENDING, next_attempt_at__lte=current).aggregate(
            m=Min("next_attempt_at")
        )["m"],
        "report": min((queue[k.value]["due"] for k in _MALL_KINDS if queue.get(k.value, {}).get("due")), default=None),
        "mail": min((queue[k.value]["due"] for k in _MAIL_KINDS if queue.get(k.value, {}).get("due")), default=None),
    }
    sync_due = Shop.objects.filter(active=True).exclude(connector="").aggregate(m=Min("last_sync_attempt_at"))["m"]
    if sync_due is not None:
        sync_due += timedelta(seconds=settings.JUCHU_SYNC_INTERVAL_SECONDS)
    lag["mall_sync"] = sync_due if sync_due is not None and sync_due <= current else None
    out.gauge(
        "juchu_sweep_lag_seconds",
        "Seconds the oldest overdue item of a stage has waited past its due time (0: nothing overdue).",
        (({"stage": stage}, _lag(due, current)) for stage, due in lag.items()),
    )
    out.gauge(
        "juchu_effect_queue_depth",
        "Pending effects (outbox rows) per kind.",
        (({"kind": k.value}, queue.get(k.value, {}).get("n", 0)) for k in EffectKind),
    )
    out.gauge(
        "juchu_effect_queue_age_seconds",
        "Age of the oldest pending effect per kind (0: none pending).",
        (({"kind": k.value}, _lag(queue.get(k.value, {}).get("oldest"), current)) for k in EffectKind),
    )
    errors = (
        Effect.objects.filter(state__in=[EffectState.PENDING.value, EffectState.FAILED.value])
        .exclude(last_error="")
        .annotate(space=StrIndex("last_error", Value(" ")))
        .annotate(
            code=Case(
                When(space=0, then=Left("last_error", 40)),
                default=Left(Substr("last_error", 1, F("space") - 1), 40),
            )
        )
        .values_list("kind", "state", "code")
        .annotate(n=Count("id"))
        .order_by("kind", "state", "code")
    )
    out.gauge(
        "juchu_connector_errors",
        "Effects whose last attempt ended in an error, by kind, state (pending = retrying, failed = needs a person) "
        "and error code.",
        (({"kind": k, "state": s, "code": c or "unknown"}, n) for k, s, c, n in errors),
    )
    shops = list(
        Shop.objects.filter(active=True).order_by("code").values_list("code", "last_sync_at", "last_sync_error")
    )
    out.gauge(
        "juchu_shop_sync_error",
        "1 when the shop's last order sync reported an error.",
        (({"shop": code}, 1 if error else 0) for code, _, error in shops),
    )
    out.gauge(
        "juchu_shop_last_sync_age_seconds",
        "Seconds since the shop's last successful order sync (shops that never synced are left out).",
        (({"shop": code}, _lag(synced, current)) for code, synced, _ in shops if synced is not None),
    )
    out.gauge(
        "juchu_warehouse_error",
        "1 when the warehouse's last exchange (submit, collect, stock) reported an error.",
        (
            ({"warehouse": code}, 1 if error else 0)
            for code, error in Warehouse.objects.order_by("code").values_list("code", "last_error")
        ),
    )
    leases = list(Lease.objects.values_list("stage", "scope", "last_run_at", "last_error"))
    beats = [(stage, at) for stage, scope, at, _ in leases if stage in HEARTBEATS and scope == 0 and at]
    out.gauge(
        "juchu_runner_heartbeat_age_seconds",
        "Seconds since the runner (embedded) or the scheduler tick (Celery) last beat.",
        (({"runner": stage}, _lag(at, current)) for stage, at in sorted(beats)),
    )
    failing_stages: dict[str, int] = {}
    for stage, _, _, error in leases:
        if stage not in HEARTBEATS:
            failing_stages[stage] = failing_stages.get(stage, 0) + (1 if error else 0)
    out.gauge(
        "juchu_sweep_failing_scopes",
        "Shops or warehouses whose last sweep of the stage raised an error.",
        (({"stage": stage}, n) for stage, n in sorted(failing_stages.items())),
    )
    return out.text()


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics; 403 without the token (or, with no token set, from another machine)."""
    if not _metrics_allowed(request):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain; charset=utf-8")
    return HttpResponse(collect_metrics(now()), content_type="text/plain; version=0.0.4; charset=utf-8")
