"""The integration suite once more on PostgreSQL, when ``JUCHU_TEST_PG`` names a server (CI sets it).

The suite runs in a subprocess because the database is chosen when the settings are read
(``JUCHU_DATABASE_URL``). This file is left out of that run so that it never runs itself (and JUCHU_TEST_PG is unset
there too); so are the runner tests, which run a real thread on the real clock and stay on SQLite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.pg
@pytest.mark.slow
def test_the_integration_suite_passes_on_postgresql() -> None:
    url = os.environ.get("JUCHU_TEST_PG")
    if not url:
        pytest.skip("JUCHU_TEST_PG is not set: the integration suite runs on SQLite only (CI sets it)")
    env = {k: v for k, v in os.environ.items() if k != "JUCHU_TEST_PG"}  # never recurse
    env["JUCHU_DATABASE_URL"] = url

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/integration",
            "-q",
            "-p",
            "no:cacheprovider",
            "--ignore=tests/integration/test_postgresql.py",
            "--ignore=tests/integration/test_runner.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )

    tail = "\n".join((result.stdout + result.stderr).splitlines()[-60:])
    print(tail)
    assert result.returncode == 0, f"the integration suite failed on PostgreSQL ({url}):\n{tail}"
