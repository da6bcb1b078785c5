"""The integration suite once more on PostgreSQL, in a subprocess that runs beside the main run.

The database is chosen when the settings are read (``JUCHU_DATABASE_URL``), so the suite runs in a child
process. It starts as soon as the main run has collected its tests (tests/conftest.py) and runs on the second
core while the main run goes on; ``test_postgresql.py`` waits for it and reports its result. Started
serially at the end, it made CI about two minutes longer.

The child uses its own Redis database (the main run's broker tests and scale-out runs empty theirs) and never
reruns itself or the runner tests, which run a real thread on the real clock and stay on SQLite.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: The Redis database the child's broker tests use (the main run uses 6).
REDIS = "redis://127.0.0.1:6379/7"
NODE_ID = "tests/integration/test_postgresql.py::test_the_integration_suite_passes_on_postgresql"

_process: subprocess.Popen[bytes] | None = None
_output: tempfile._TemporaryFileWrapper[bytes] | None = None


def url() -> str:
    """The PostgreSQL server to run on, or "" when none is given."""
    return os.environ.get("JUCHU_TEST_PG", "")


def start() -> None:
    """Start the child run (once), when a server is given."""
    global _process, _output
    if _process is not None or not url():
        return
    env = {k: v for k, v in os.environ.items() if k != "JUCHU_TEST_PG"}  # never recurse
    env["JUCHU_DATABASE_URL"] = url()
    env.setdefault("JUCHU_TEST_REDIS", REDIS)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "tests/integration",
        "-q",
        "-p",
        "no:cacheprovider",
        "--ignore=tests/integration/test_postgresql.py",
        "--ignore=tests/integration/test_runner.py",
    ]
    _output = tempfile.NamedTemporaryFile(prefix="juchu-pg-run-", suffix=".log")  # noqa: SIM115 (kept until stop)
    _process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=_output, stderr=subprocess.STDOUT)


def wait(timeout: float) -> tuple[int, str]:
    """Wait for the child run; returns its exit code and the last 60 lines of its output."""
    start()
    assert _process is not None and _output is not None
    try:
        code = _process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _process.kill()
        code = _process.wait()
    tail = "\n".join(Path(_output.name).read_text(errors="replace").splitlines()[-60:])
    return code, tail


def stop() -> None:
    """End the child run if the main run ends without waiting for it (deselected, interrupted)."""
    global _process, _output
    if _process is not None and _process.poll() is None:
        _process.kill()
        _process.wait()
    if _output is not None:
        _output.close()
    _process = _output = None
