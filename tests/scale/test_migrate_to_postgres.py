"""``juchu migrate-to-postgres``: an embedded SQLite installation moves to PostgreSQL with every row.

Builds a real SQLite installation in a data directory (orders advanced through the pipeline, with their
events, tags, effects, allocations and shipment requests), copies it with the command, and compares every
table's row count and ids straight from the two files/servers. Needs ``JUCHU_TEST_PG``.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import _cluster  # noqa: E402  # bench/ is not a package

pytestmark = [pytest.mark.pg]

BUILD = """
import sys
sys.path.insert(0, "bench")
import _cluster, _world
_cluster.setup_django()
from django.utils import timezone
from juchu.orders.advance import advance_all_due
world = _world.build_world()
_world.load_orders(world, 300, timezone.now(), seed=4)
advance_all_due(timezone.now())
"""


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_every_row_of_an_embedded_installation_arrives_in_postgresql(tmp_path: Path) -> None:
    pg = os.environ.get("JUCHU_TEST_PG")
    if not pg:
        pytest.skip("JUCHU_TEST_PG is not set: moving to PostgreSQL needs a server (CI sets it)")
    if problem := _cluster.pg_problem(pg):
        pytest.skip(problem)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUCHU_")}
    env |= {"JUCHU_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "juchu.settings"}
    # given an embedded installation whose orders went through advance
    built = run([sys.executable, "-c", BUILD], env)
    assert built.returncode == 0, built.stderr[-3000:]
    target = _cluster.recreate_database(pg, f"{urlsplit(pg).path.lstrip('/') or 'juchu'}_moved")

    # when it is copied to an empty PostgreSQL database
    moved = run([sys.executable, "-m", "juchu", "migrate-to-postgres", target], env)

    # then every table has the same rows (ids included), and new rows get fresh ids
    assert moved.returncode == 0, moved.stdout[-2000:] + moved.stderr[-3000:]
    import psycopg

    lite = sqlite3.connect(tmp_path / "juchu.sqlite3")
    tables = [
        name
        for (name,) in lite.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
        if name != "django_migrations"
    ]
    with psycopg.connect(target) as server:
        on_server = {name for (name,) in server.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        for table in tables:
            assert table in on_server
            columns = [row[1] for row in lite.execute(f'PRAGMA table_info("{table}")')]
            key = "id" if "id" in columns else columns[0]
            rows_lite = [row[0] for row in lite.execute(f'SELECT "{key}" FROM "{table}" ORDER BY 1')]
            rows_pg = [row[0] for row in server.execute(f'SELECT "{key}" FROM "{table}" ORDER BY 1')]
            assert rows_pg == rows_lite, table
        ids_lite = [row[0] for row in lite.execute("SELECT id FROM orders_orderevent")]
        assert server.execute("SELECT count(*) FROM orders_order WHERE status = 'awaiting_shipment'").fetchone() == (
            300,
        )
        events = server.execute("SELECT count(*) FROM orders_orderevent").fetchone()[0]
        assert events >= 600
        fresh = server.execute("SELECT nextval(pg_get_serial_sequence('orders_orderevent', 'id'))").fetchone()[0]
        assert fresh > max(ids_lite or [0]) and fresh > events
