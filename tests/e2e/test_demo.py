"""``juchu demo`` as a user runs it: the sandbox and the OMS in one command, orders flowing to the end."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.e2e.sandbox_world import free_port

pytestmark = pytest.mark.slow


def test_the_demo_runs_orders_to_their_end_and_reports_no_double_request_or_report(tmp_path) -> None:
    env = {**os.environ, "JUCHU_DATA_DIR": str(tmp_path / "var")}
    command = [
        sys.executable,
        "-m",
        "juchu",
        "demo",
        "--port",
        str(free_port()),
        "--sandbox-port",
        str(free_port()),
        "--orders",
        "60",
        "--batch",
        "5",
        "--interval",
        "0.3",
        "--grace",
        "3",
        "--ship-delay",
        "0.5",
        "--until-done",
    ]
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=240, check=False)

    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    assert "demo /" in finished.stdout, "the login is printed"
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    assert result["orders"] == 60
    assert set(result["by_mall"]) == {"rakuten", "yahoo", "amazon", "aupay", "qoo10", "makeshop"}, "a shop per mall"
    assert set(result["by_status"]) <= {"completed", "cancelled", "awaiting_check"}
    assert result["by_status"].get("completed", 0) >= 45
    assert result["by_status"].get("awaiting_check", 0) >= 1, "the Rakuten order with a bad address stops"
    assert result["duplicate_tracking"] == {}
    assert result["requests_per_request_id_max"] == 1
    assert result["requests_per_package_max"] == 1
    assert result["reports_per_shipment_max"] == 1
