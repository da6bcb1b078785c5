"""``juchu web``: the web app alone under gunicorn, several worker processes, no pipeline in it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.e2e.sandbox_world import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_juchu_web_serves_the_app_from_gunicorn_workers_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUCHU_")}
    env |= {"JUCHU_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "juchu.settings"}
    migrate = [sys.executable, "-m", "juchu", "migrate", "--skip-checks", "-v", "0"]
    subprocess.run(migrate, cwd=ROOT, env=env, check=True, timeout=120)
    port = free_port()
    # given juchu web with two gunicorn workers
    web = subprocess.Popen(
        [sys.executable, "-m", "juchu", "web", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        answer = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and answer is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/admin/login/", timeout=5, follow_redirects=True)
            except httpx.TransportError:
                time.sleep(0.2)
        # then the login page is served (after whatever redirect the app makes)
        assert answer is not None and answer.status_code == 200
        # and SIGTERM stops gunicorn cleanly
        web.send_signal(signal.SIGTERM)
        output, _ = web.communicate(timeout=30)
        assert web.returncode == 0, output[-2000:]
        assert "Booting worker" in output and output.count("Booting worker") >= 2
    finally:
        if web.poll() is None:
            web.kill()
            web.wait(timeout=10)
