"""The scale-out runtime as processes: workers killed with SIGKILL while orders flow lose and double nothing.

The sandbox, three ``juchu worker`` processes and ``juchu scheduler`` on PostgreSQL + Redis take 500 orders to
完了 while a random worker is killed every 3 seconds and started again (``bench/scale_kill.py``; the same
script runs the 5,000-order version outside the suite). Needs ``JUCHU_TEST_PG`` and a Redis server
(``JUCHU_TEST_REDIS``, default ``redis://127.0.0.1:6379/6``; the test empties that Redis database).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import _cluster  # noqa: E402  # bench/ is not a package

pytestmark = [pytest.mark.pg, pytest.mark.slow]

ORDERS = 500


@pytest.fixture
def servers() -> tuple[str, str]:
    pg = os.environ.get("JUCHU_TEST_PG")
    if not pg:
        pytest.skip("JUCHU_TEST_PG is not set: the multi-process test needs PostgreSQL (CI sets it)")
    redis = os.environ.get("JUCHU_TEST_REDIS", _cluster.DEFAULT_REDIS)
    for problem in (_cluster.pg_problem(pg), _cluster.redis_problem(redis)):
        if problem:
            pytest.skip(problem)
    return pg, redis


def test_killing_random_workers_loses_no_order_and_sends_nothing_twice(servers: tuple[str, str]) -> None:
    pg, redis = servers
    database = f"{urlsplit(pg).path.lstrip('/') or 'juchu'}_kill"
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUCHU_")}

    # given three workers and the scheduler, when 500 orders flow while a worker is SIGKILLed every 3 s
    command = [sys.executable, str(ROOT / "bench" / "scale_kill.py"), "--orders", str(ORDERS), "--workers", "3"]
    command += ["--kill-every", "3", "--max-seconds", "240", "--pg", pg, "--database", database, "--redis", redis]
    process = subprocess.Popen(
        [*command, "--json"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        stdout, stderr = process.communicate(timeout=420)
    except subprocess.TimeoutExpired:
        process.terminate()  # the script stops its workers, scheduler and sandbox on SIGTERM
        stdout, stderr = process.communicate(timeout=60)
    done = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)

    lines = done.stdout.strip().splitlines()
    assert lines, f"no result (exit {done.returncode}):\n{done.stderr[-4000:]}"
    result = json.loads(lines[-1])
    # then workers were really killed, and every order reached 完了
    assert result["kills"] >= 5, result
    assert result["orders_placed"] == ORDERS
    assert result["orders_completed"] == ORDERS and result["orders_lost"] == 0, (result, done.stderr[-4000:])
    # and no effect failed for good (a confirmation or report sent twice is not refused)
    assert result["effects_failed"] == 0, result["effects_failed_examples"]
    # and RSL accepted each package exactly once, and each was reported to the mall once
    assert result["rsl_accepted_per_request_max"] == 1
    assert result["rsl_accepted_per_package_max"] == 1
    assert result["rsl_accepted"] == result["shipments"] == result["packages"]
    assert result["mall_shipping_records_doubled"] == 0
    assert result["mall_packages_with_wrong_records"] == 0
    # and one mail of each kind went out per order (thanks) and per shipment (shipping), none twice
    assert result["thanks_mails"] == ORDERS and result["thanks_mails_per_order_max"] == 1
    assert result["shipping_mails"] == result["shipments"] and result["shipping_mails_per_shipment_max"] == 1
    assert result["mail_message_ids_sent"] == result["thanks_mails"] + result["shipping_mails"]
    assert result["mail_message_ids_sent_twice"] == 0, result
    assert result["problems"] == [] and done.returncode == 0
