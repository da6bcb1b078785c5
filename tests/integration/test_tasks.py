"""The Celery tasks of the scale-out runtime: thin wake-ups that run the sweep registry under its leases."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from juchu.runtime import leases
from juchu.runtime.celery_app import QUEUE, app
from juchu.runtime.models import Lease
from juchu.runtime.tasks import beat_schedule, sweep, tick

REDIS = os.environ.get("JUCHU_TEST_REDIS", "redis://127.0.0.1:6379/6")


@pytest.fixture
def broker() -> Iterator:
    """Celery pointed at a real Redis database (emptied before and after); skips when Redis does not answer."""
    import redis

    client = redis.Redis.from_url(REDIS, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at {REDIS} does not answer ({exc}); the broker tests need it (JUCHU_TEST_REDIS)")
    before = app.conf.broker_url
    app.conf.broker_url = REDIS
    client.flushdb()
    yield client
    client.flushdb()
    app.conf.broker_url = before
    app.pool.force_close_all()


def test_beat_ticks_at_the_embedded_runners_rhythm(settings) -> None:
    settings.JUCHU_RUNNER_IDLE_SECONDS = 0.5
    assert beat_schedule() == {"juchu-tick": {"task": "juchu.tick", "schedule": 0.5, "options": {"expires": 1.0}}}


def test_a_sweep_task_runs_its_stage_for_its_scope_under_the_lease(world) -> None:
    shop = world["shop"]
    # when a worker runs the mall_sync wake-up of the shop
    done = sweep.apply(args=("mall_sync", shop.pk)).get()
    # then the stage ran once for that shop, and gave its lease back
    assert done == 0
    lease = Lease.objects.get(stage="mall_sync", scope=shop.pk)
    assert (lease.runs, lease.last_error) == (1, "")
    # and while another worker holds the lease, the wake-up does nothing
    assert leases.acquire("mall_sync", shop.pk, "other-worker", timezone.now(), 60)
    assert sweep.apply(args=("mall_sync", shop.pk)).get() is None
    assert Lease.objects.get(stage="mall_sync", scope=shop.pk).runs == 1


def test_a_tick_sends_one_sweep_per_stage_and_scope_with_work_to_the_queue(world, broker) -> None:
    shop, warehouse = world["shop"], world["warehouse"]
    # given a connected shop and warehouse, never synced, with no order and no effect yet
    # when the scheduler's tick runs on a worker
    sent = tick.apply().get()

    # then one wake-up per (stage, scope) that has work went to the queue, and nothing for idle stages
    messages = [json.loads(raw) for raw in broker.lrange(QUEUE, 0, -1)]
    wake_ups = sorted(tuple(json.loads(base64_body(m))[0]) for m in messages)
    assert wake_ups == sorted(
        [
            ("mall_sync", shop.pk),
            ("stock_sync", warehouse.pk),
            ("submit", warehouse.pk),
            ("collect", warehouse.pk),
            ("stock_push", shop.pk),
            ("stock_reconcile", shop.pk),
        ]
    )
    assert {m["headers"]["task"] for m in messages} == {"juchu.sweep"}
    assert sent == {
        "mall_sync": 1,
        "advance": 0,
        "submit": 1,
        "collect": 1,
        "report": 0,
        "stock_sync": 1,
        "mail": 0,
        "stock_push": 1,
        "stock_reconcile": 1,
        "purge": 0,  # nothing old enough to purge
    }
    # and the tick left its heartbeat (what /healthz reads on scale-out)
    assert Lease.objects.get(stage="tick", scope=0).runs == 1
    # and each wake-up expires, so that a backlog never outlives its use
    expires = [m["headers"]["expires"] for m in messages]
    assert all(e is not None and e > (timezone.now() - timedelta(seconds=1)).isoformat() for e in expires)


def base64_body(message: dict) -> str:
    import base64

    return base64.b64decode(message["body"]).decode()
