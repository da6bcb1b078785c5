"""Starting the sandbox as a child process (``juchu sandbox``, ``juchu demo``): juchu never imports it."""

from __future__ import annotations

import subprocess
import sys
import time
from urllib.error import URLError
from urllib.request import urlopen


class SandboxFailed(RuntimeError):
    """The sandbox did not come up; the message has its output."""


def start(
    port: int, *, seed: int = 1, ship_delay: float = 2.0, host: str = "127.0.0.1", wait_seconds: float = 20.0
) -> subprocess.Popen[bytes]:
    """Start ``python -m juchu_sandbox`` and wait until ``/_sandbox/health`` answers."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "juchu_sandbox",
            "--host",
            host,
            "--port",
            str(port),
            "--seed",
            str(seed),
            "--ship-delay",
            str(ship_delay),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            raise SandboxFailed(f"サンドボックスが起動しませんでした (exit {process.returncode}):\n{output}")
        try:
            with urlopen(f"http://{host}:{port}/_sandbox/health", timeout=1) as answer:
                if answer.status == 200:
                    return process
        except (URLError, OSError):
            time.sleep(0.1)
    stop(process)
    raise SandboxFailed(f"サンドボックスが {wait_seconds:.0f} 秒以内に応答しませんでした (port {port})")


def stop(process: subprocess.Popen[bytes]) -> None:
    """End the sandbox process (terminate, then kill)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
