"""(stage, scope) leases: one worker per sweep and shop or warehouse; a dead worker's lease expires."""

from __future__ import annotations

from datetime import timedelta

import pytest

from juchu.runtime import leases
from juchu.runtime.models import Lease
from juchu.runtime.sweeps import run_all, run_scope
from tests.integration.conftest import mall_order


@pytest.mark.django_db
def test_a_running_lease_keeps_a_second_worker_out_until_it_expires(clock) -> None:
    # given worker A holds the advance lease of shop 7 for 60 s
    assert leases.acquire("advance", 7, "A", clock.now, 60)
    # then worker B cannot take it, nor can B take it a little later
    assert not leases.acquire("advance", 7, "B", clock.now, 60)
    assert not leases.acquire("advance", 7, "B", clock.advance(seconds=59), 60)
    # but A may extend its own, and another shop's lease is free
    assert leases.acquire("advance", 7, "A", clock.now, 60)
    assert leases.acquire("advance", 8, "B", clock.now, 60)
    # when A dies and its lease runs out, B takes the sweep over
    assert leases.acquire("advance", 7, "B", clock.advance(seconds=61), 60)
    assert Lease.objects.get(stage="advance", scope=7).holder == "B"


@pytest.mark.django_db
def test_a_released_lease_is_free_at_once_and_counts_the_run(clock) -> None:
    assert leases.acquire("mail", 1, "A", clock.now, 60)
    leases.release("mail", 1, "A", clock.now, "SMTPError: refused")
    assert leases.acquire("mail", 1, "B", clock.now, 60)
    lease = Lease.objects.get(stage="mail", scope=1)
    assert (lease.runs, lease.last_error) == (1, "SMTPError: refused")


def test_a_sweep_held_by_another_worker_is_skipped_and_changes_nothing(world, fakes, clock) -> None:
    mall, _warehouse = fakes
    shop = world["shop"]
    mall.put(mall_order("L-1", clock.now), clock.now)
    run_all(clock.advance(seconds=1))
    # given the grace period is over and another worker holds the advance lease of this shop
    clock.advance(minutes=31)
    Lease.objects.filter(stage="advance", scope=shop.pk).update(holder="other", expires_at=clock.now + timedelta(60))
    # when this worker runs the shop's advance
    assert run_scope("advance", shop.pk, clock.now) is None
    # then the order was not touched
    assert shop.orders.get().status == "new"


def test_sweeps_take_one_lease_per_shop_and_per_warehouse(world, fakes, clock) -> None:
    mall, _warehouse = fakes
    mall.put(mall_order("L-2", clock.now - timedelta(hours=1)), clock.now)
    run_all(clock.advance(seconds=1))
    scopes = set(Lease.objects.values_list("stage", "scope"))
    shop, warehouse = world["shop"].pk, world["warehouse"].pk
    assert {("mall_sync", shop), ("advance", shop), ("submit", warehouse), ("collect", warehouse)} <= scopes


def test_a_restarted_runner_frees_the_leases_of_a_dead_process_of_its_host_only(db) -> None:
    import socket
    import subprocess
    import sys
    from datetime import UTC, datetime, timedelta

    from juchu.runtime import leases
    from juchu.runtime.models import Lease

    # given a lease held by a process of this host that has exited, and one held by another host
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)
    now = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    host = socket.gethostname()
    Lease.objects.create(stage="advance", scope=1, holder=f"{host}:{dead_pid}:1", expires_at=now + timedelta(minutes=1))
    Lease.objects.create(stage="advance", scope=2, holder="other-host:1:1", expires_at=now + timedelta(minutes=1))

    # when the runner starts, then only the dead local holder's lease is free at once
    assert leases.free_dead_local(now) == 1
    assert leases.acquire("advance", 1, "me", now, 60)
    assert not leases.acquire("advance", 2, "me", now, 60)
