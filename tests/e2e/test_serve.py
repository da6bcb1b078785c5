"""``juchu serve`` and ``juchu run-sweeps`` as an operator starts them: real processes on a fresh data directory."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from juchu.runtime.sweeps import PASS

STARTUP = 30.0
RUNNER_PATIENCE = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def juchu_env(data_dir: Path) -> dict[str, str]:
    """The environment of a fresh embedded installation: SQLite in ``data_dir``, nothing inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUCHU_") and k != "DJANGO_SETTINGS_MODULE"}
    env["JUCHU_DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def get(port: int, path: str) -> http.client.HTTPResponse:
    """One GET, redirects not followed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def stop(process: subprocess.Popen) -> None:
    """SIGTERM, then kill if it does not end."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def output_of(process: subprocess.Popen, log: Path) -> str:
    return f"exit code {process.poll()}; output:\n" + log.read_text(errors="replace")[-4000:]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, Path, subprocess.Popen, Path]]:
    """``juchu serve`` on a free port with a fresh data directory; answers /admin/login/ with 200."""
    data_dir, log = tmp_path / "var", tmp_path / "serve.log"
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "juchu", "serve", "--port", str(port)],
            env=juchu_env(data_dir),
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    try:
        deadline = time.monotonic() + STARTUP
        status = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status = get(port, "/admin/login/").status
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        assert status == 200, f"/admin/login/ not answering 200 after {STARTUP}s (last {status}); " + output_of(
            process, log
        )
        yield port, data_dir, process, log
    finally:
        stop(process)


def test_serve_answers_with_waitress_and_runs_the_pipeline(served) -> None:
    port, data_dir, process, log = served

    # the home page sends an anonymous visitor to the login page
    home = get(port, "/")
    assert home.status in (301, 302), home.status
    assert home.getheader("Location") == "/login/?next=/"

    # the server is waitress, not Django's development server
    login = get(port, "/admin/login/")
    server = login.getheader("Server") or ""
    assert server.lower().startswith("waitress"), server
    assert "WSGIServer" not in server

    # the embedded runner runs the sweeps: its heartbeat row counts finished passes within seconds
    database = data_dir / "juchu.sqlite3"
    runs = 0
    deadline = time.monotonic() + RUNNER_PATIENCE
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as db:
                row = db.execute("SELECT runs FROM runtime_lease WHERE stage = 'runner'").fetchone()
            runs = row[0] if row else 0
        except sqlite3.OperationalError:
            runs = 0
        if runs > 0:
            break
        time.sleep(0.2)
    assert runs > 0, "the embedded runner never finished a pass; " + output_of(process, log)
    assert process.poll() is None, output_of(process, log)


def test_run_sweeps_once_prints_one_line_per_stage(tmp_path: Path) -> None:
    env = juchu_env(tmp_path / "var")
    migrate = subprocess.run(
        [sys.executable, "-m", "juchu", "migrate", "--no-input", "-v", "0"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr

    result = subprocess.run(
        [sys.executable, "-m", "juchu", "run-sweeps", "--once"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    stages = list(dict.fromkeys(PASS))
    assert [line.split(":")[0] for line in lines] == stages, result.stdout
    assert all(line == f"{stage}: 0" for line, stage in zip(lines, stages, strict=True)), result.stdout
