"""/healthz (database, runner heartbeat, last sync per shop) and /metrics (Prometheus text format)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from juchu.domain.effects import EffectKind, EffectState, effect_key
from juchu.orders.importing import import_orders
from juchu.orders.models import Effect, Order
from juchu.runtime import leases
from juchu.runtime.models import Lease
from juchu.shops.models import Shop
from juchu.web.views import health
from tests.integration.conftest import mall_order


@pytest.fixture
def frozen(monkeypatch):
    now = timezone.now().replace(microsecond=0)
    monkeypatch.setattr(health, "now", lambda: now)
    return now


def healthz() -> tuple[int, dict]:
    response = Client().get("/healthz")
    return response.status_code, json.loads(response.content)


def test_healthz_is_ok_when_the_runner_beat_recently_and_lists_each_shops_last_sync(world, frozen) -> None:
    leases.beat("runner", "host:1", frozen - timedelta(seconds=5))
    Shop.objects.filter(pk=world["shop"].pk).update(
        last_sync_at=frozen - timedelta(seconds=30), last_sync_error="2026-11-26 受注取込に失敗: 山田様 090-0000-0000"
    )

    status, body = healthz()

    assert status == 200
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["runner"]["ok"] is True and body["runner"]["age_seconds"] == 5.0
    assert body["shops"] == [
        {
            "code": "demo",
            "mall": "rakuten",
            "connected": True,
            "last_sync_at": (frozen - timedelta(seconds=30)).isoformat(timespec="seconds"),
            "sync_age_seconds": 30.0,
            "sync_error": True,
        }
    ]
    text = json.dumps(body, ensure_ascii=False)
    assert "山田" not in text and "090" not in text  # the error's text (personal data) stays out


def test_healthz_is_503_when_no_runner_beat_within_the_limit(world, frozen, settings) -> None:
    settings.JUCHU_HEALTH_RUNNER_SECONDS = 120
    never = healthz()
    leases.beat("runner", "host:1", frozen - timedelta(seconds=121))
    stale = healthz()

    assert never[0] == 503 and never[1]["runner"]["last_heartbeat_at"] is None
    assert stale[0] == 503 and stale[1]["status"] == "error" and stale[1]["runner"]["age_seconds"] == 121.0


def test_healthz_accepts_the_scale_out_schedulers_tick_as_a_heartbeat(world, frozen) -> None:
    leases.beat("tick", "beat:1", frozen - timedelta(seconds=2))

    assert healthz()[0] == 200


def test_healthz_without_the_runner_check_looks_at_the_database_only(world, frozen, settings) -> None:
    settings.JUCHU_HEALTH_RUNNER_SECONDS = 0

    status, body = healthz()

    assert status == 200 and body["runner"]["checked"] is False


def metric(text: str, name: str, **labels: str) -> float:
    inner = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = rf"^{name}{{{re.escape(inner)}}} (\S+)$" if labels else rf"^{name} (\S+)$"
    found = re.findall(pattern, text, re.MULTILINE)
    assert len(found) == 1, f"{name}{{{inner}}} not exactly once in:\n{text}"
    return float(found[0])


@pytest.fixture
def busy(world, frozen):
    """Three orders, one overdue by 90 s; a report effect overdue by 40 s and retrying with an error; a
    failed mall confirm; a mail effect not due yet; the runner beat 3 s ago."""
    shop = world["shop"]
    import_orders(shop, [mall_order(f"m-{i}", frozen - timedelta(hours=1)) for i in range(3)], frozen)
    orders = list(Order.objects.order_by("id"))
    Order.objects.filter(pk=orders[0].pk).update(due_at=frozen - timedelta(seconds=90))
    Order.objects.filter(pk__in=[o.pk for o in orders[1:]]).update(due_at=None)
    Shop.objects.filter(pk=shop.pk).update(last_sync_attempt_at=frozen, last_sync_at=frozen - timedelta(seconds=12))

    def effect(order, kind, state, due, created, error=""):
        Effect.objects.create(
            order=order,
            kind=kind.value,
            key=effect_key(kind, order.pk),
            state=state.value,
            next_attempt_at=due,
            created_at=created,
            last_error=error,
        )

    effect(
        orders[0],
        EffectKind.MALL_REPORT,
        EffectState.PENDING,
        frozen - timedelta(seconds=40),
        frozen - timedelta(seconds=300),
        "429 リクエストが多すぎます",
    )
    effect(
        orders[1],
        EffectKind.MALL_REPORT,
        EffectState.PENDING,
        frozen + timedelta(seconds=60),
        frozen - timedelta(seconds=100),
    )
    effect(orders[1], EffectKind.MALL_CONFIRM, EffectState.FAILED, frozen, frozen, "E02-0003 受注が見つかりません")
    effect(
        orders[2],
        EffectKind.THANKS_MAIL,
        EffectState.PENDING,
        frozen + timedelta(seconds=5),
        frozen - timedelta(seconds=1),
    )
    leases.beat("runner", "host:1", frozen - timedelta(seconds=3))
    Lease.objects.create(stage="collect", scope=world["warehouse"].pk, expires_at=frozen, last_error="TIMEOUT")
    return orders


def test_metrics_count_orders_lag_queues_errors_and_the_heartbeat(busy, frozen) -> None:
    response = Client(REMOTE_ADDR="127.0.0.1").get("/metrics")
    text = response.content.decode()

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    statuses = Order.objects.values_list("status", flat=True)
    assert sum(float(v) for v in re.findall(r"^juchu_orders\{status=\"\w+\"\} (\S+)$", text, re.M)) == 3
    assert metric(text, "juchu_orders", status=statuses[0]) == list(statuses).count(statuses[0])
    assert metric(text, "juchu_sweep_lag_seconds", stage="advance") == 90
    assert metric(text, "juchu_sweep_lag_seconds", stage="report") == 40
    assert metric(text, "juchu_sweep_lag_seconds", stage="mail") == 0
    assert metric(text, "juchu_sweep_lag_seconds", stage="submit") == 0
    assert metric(text, "juchu_effect_queue_depth", kind="mall_report") == 2
    assert metric(text, "juchu_effect_queue_depth", kind="thanks_mail") == 1
    assert metric(text, "juchu_effect_queue_depth", kind="mall_confirm") == 0
    assert metric(text, "juchu_effect_queue_age_seconds", kind="mall_report") == 300
    assert metric(text, "juchu_connector_errors", kind="mall_report", state="pending", code="429") == 1
    assert metric(text, "juchu_connector_errors", kind="mall_confirm", state="failed", code="E02-0003") == 1
    assert metric(text, "juchu_shop_sync_error", shop="demo") == 0
    assert metric(text, "juchu_shop_last_sync_age_seconds", shop="demo") == 12
    assert metric(text, "juchu_runner_heartbeat_age_seconds", runner="runner") == 3
    assert metric(text, "juchu_sweep_failing_scopes", stage="collect") == 1
    for name in re.findall(r"^# TYPE (\S+) gauge$", text, re.M):
        assert text.count(f"# HELP {name} ") == 1


def test_metrics_need_the_token_when_one_is_set_and_stay_local_otherwise(busy, settings) -> None:
    settings.JUCHU_METRICS_TOKEN = ""
    local = Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code
    remote = Client(REMOTE_ADDR="203.0.113.9").get("/metrics").status_code
    proxied = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9").get("/metrics").status_code

    settings.JUCHU_METRICS_TOKEN = "m-secret-1"
    no_token = Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code
    wrong = Client(REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer m-secret-2").get("/metrics").status_code
    right = Client(REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer m-secret-1").get("/metrics").status_code

    assert (local, remote, proxied) == (200, 403, 403)
    assert (no_token, wrong, right) == (403, 403, 200)


def test_every_page_carries_the_security_headers(db) -> None:
    page = Client().get("/login/")
    admin = Client().get("/admin/login/")

    assert page["Content-Security-Policy"] == (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    )
    assert page["X-Frame-Options"] == "DENY"
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["Referrer-Policy"] == "same-origin"
    assert admin["Content-Security-Policy"] == page["Content-Security-Policy"]  # the admin too
