"""After a full ``juchu demo`` run, neither the database files nor the logs hold an API key in clear text."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from juchu.runtime.demo_world import SANDBOX_RAKUTEN, SANDBOX_RSL
from tests.e2e.sandbox_world import free_port

pytestmark = pytest.mark.slow

#: What must never be found: each key as it was entered, and the Rakuten Authorization header built from them.
SECRETS = {
    "Rakuten serviceSecret": SANDBOX_RAKUTEN["serviceSecret"],
    "Rakuten licenseKey": SANDBOX_RAKUTEN["licenseKey"],
    "RSL api_key": SANDBOX_RSL["api_key"],
    "Rakuten ESA header": base64.b64encode(
        f"{SANDBOX_RAKUTEN['serviceSecret']}:{SANDBOX_RAKUTEN['licenseKey']}".encode()
    ).decode(),
}
#: The key files themselves hold the installation secret, not an API key; everything else is scanned.
KEY_FILES = {"secret.key", "secret.key.old", "secret.key.new"}


def findings(name: str, data: bytes) -> list[str]:
    """Which secrets ``data`` contains, in UTF-8 or UTF-16 (SQLite may store text either way)."""
    found = []
    for label, secret in SECRETS.items():
        if any(secret.encode(codec) in data for codec in ("utf-8", "utf-16-le", "utf-16-be")):
            found.append(f"{label} in {name}")
    return found


def test_a_demo_run_leaves_no_api_key_in_clear_in_the_database_files_or_the_logs(tmp_path) -> None:
    data_dir = tmp_path / "var"
    env = {**os.environ, "JUCHU_DATA_DIR": str(data_dir), "JUCHU_LOG_LEVEL": "DEBUG"}
    env.pop("JUCHU_SECRET_KEY", None)  # the key-file mode of a first run
    command = [sys.executable, "-m", "juchu", "demo", "--port", str(free_port()), "--sandbox-port", str(free_port())]
    command += ["--orders", "20", "--batch", "5", "--interval", "0.3", "--grace", "3", "--ship-delay", "0.5"]
    command += ["--until-done"]

    finished = subprocess.run(command, env=env, capture_output=True, timeout=120, check=False)

    logs = finished.stdout + finished.stderr
    assert finished.returncode == 0, logs[-4000:].decode("utf-8", "replace")
    result = json.loads(finished.stdout.decode().strip().splitlines()[-1])
    assert result["orders"] == 20 and result["by_status"].get("completed", 0) >= 10, "the demo really ran"
    database = data_dir / "juchu.sqlite3"
    assert database.stat().st_size > 100_000
    scanned: list[Path] = [p for p in data_dir.rglob("*") if p.is_file() and p.name not in KEY_FILES]
    assert database in scanned
    found = findings("the demo's stdout/stderr", logs)
    for path in scanned:
        found += findings(str(path.relative_to(data_dir)), path.read_bytes())
    assert found == []
    # The credentials are there, sealed: the scan looked at the right rows.
    assert b"enc1:" in database.read_bytes() + b"".join(
        p.read_bytes() for p in scanned if p.name.startswith("juchu.sqlite3-")
    )
