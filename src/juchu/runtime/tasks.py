"""Celery tasks of the scale-out runtime: thin wake-ups around the sweep registry, no pipeline logic.

Beat sends :func:`tick` every ``JUCHU_RUNNER_IDLE_SECONDS`` (the embedded runner's rhythm). A tick asks each
stage which scopes (shops or warehouses) have work now — the same question the embedded runner asks — and
sends one :func:`sweep` per (stage, scope). A sweep runs :func:`juchu.runtime.sweeps.run_scope` under the
(stage, scope) lease, so many workers share the scopes and never run the same one twice at once.

A wake-up that is lost, late or duplicated changes nothing: sweeps are level-triggered. Wake-ups expire
after a few ticks so that a backlog of them never outlives its use.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone

from juchu.runtime import leases, sweeps
from juchu.runtime.celery_app import app

log = logging.getLogger("juchu.tasks")

#: Stages whose answer moves orders on: after one of them did work, ``advance`` for the shops is woken at once.
_ADVANCE_AFTER = frozenset({"mall_sync", "submit", "collect", "report", "stock_sync"})
#: Stages woken at once after ``advance`` did work (its effects and requests are due now).
_AFTER_ADVANCE = ("submit", "report", "mail")


def _expires() -> float:
    return max(5.0, 5 * settings.JUCHU_RUNNER_IDLE_SECONDS)


def beat_schedule() -> dict[str, dict[str, object]]:
    """Celery beat's schedule: one tick per ``JUCHU_RUNNER_IDLE_SECONDS``."""
    seconds = settings.JUCHU_RUNNER_IDLE_SECONDS
    return {
        "juchu-tick": {
            "task": "juchu.tick",
            "schedule": seconds,
            "options": {"expires": max(seconds, 1.0)},
        }
    }


def wake(stage: str, scopes: list[int] | None = None) -> int:
    """Send one sweep wake-up per scope of ``stage`` that has work now (or per given scope); returns how many."""
    now = timezone.now()
    targets = sweeps.STAGES[stage].scopes(now) if scopes is None else scopes
    for scope in targets:
        sweep.apply_async((stage, scope), expires=_expires())
    return len(targets)


@app.task(name="juchu.tick", ignore_result=True)
def tick() -> dict[str, int]:
    """Fan out: one sweep wake-up per (stage, scope) with work now; record the heartbeat health checks read."""
    sent = {stage: wake(stage) for stage in sweeps.STAGES}
    leases.beat("tick", sweeps.HOLDER, timezone.now())
    return sent


@app.task(name="juchu.sweep", ignore_result=True)
def sweep(stage: str, scope: int) -> int | None:
    """Run one stage for one shop or warehouse under its lease; None when another worker holds it."""
    done = sweeps.run_scope(stage, scope, timezone.now())
    if done:
        _chain(stage)
    return done


def _chain(stage: str) -> None:
    """Wake the stages that now have work, without waiting for the next tick (they find it by themselves)."""
    if stage in _ADVANCE_AFTER:
        wake("advance")
    elif stage == "advance":
        for follower in _AFTER_ADVANCE:
            wake(follower)
