"""The crash drill, small: ``juchu demo`` killed with SIGKILL while orders flow; nothing lost, nothing twice.

Runs ``bench/crash_drill.py`` as a user would (its own sandbox, SMTP server and data dir): 150 orders, the OMS
killed 4 times at seeded random moments and restarted each time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

DRILL = Path(__file__).resolve().parents[2] / "bench" / "crash_drill.py"


def test_killing_the_oms_four_times_loses_no_order_and_sends_nothing_twice(tmp_path) -> None:
    command = [
        sys.executable,
        str(DRILL),
        "--orders",
        "150",
        "--kills",
        "4",
        "--seed",
        "5",
        "--min-gap",
        "3",
        "--max-gap",
        "7",
        "--lease-seconds",
        "3",
        "--claim-seconds",
        "5",
        "--batch",
        "25",
        "--settle-seconds",
        "150",
        "--data-dir",
        str(tmp_path / "var"),
        "--json",
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)

    result = json.loads(finished.stdout.strip().splitlines()[-1])
    assert (result["orders"], result["kills"]) == (150, 4), finished.stderr[-3000:]
    assert result["lost"] == 0, result["wrong_examples"]
    assert result["duplicate_requests"] == 0
    assert result["duplicate_reports"] == 0
    assert result["duplicate_mails"] == 0
    assert result["mails_unknown"] == 0
    assert result["kills_where_oms_had_died"] == 0, "every kill hit a running OMS"
    assert result["expected"]["completed"] >= 100
    assert result["rsl_accepted"] >= result["expected"]["completed"], "each completed order was accepted at RSL"
    assert finished.returncode == 0
