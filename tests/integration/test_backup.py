"""``juchu backup`` and ``juchu restore`` on a real data directory, run as the operator runs them.

Each test has its own data directory with a migrated database (copied from one made per module). The commands
run in a subprocess (``python -m juchu``) with ``JUCHU_DATA_DIR`` set, since the tests' own database is another.
The concurrent writer is a thread of this process writing orders into that same SQLite file.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import connection

from juchu.fulfillment.models import Warehouse
from juchu.orders.models import Order, OrderLine, Package
from juchu.runtime.models import Lease
from juchu.shops.models import Shop

DB = "juchu.sqlite3"

# The embedded database's backup; the rows are written with the SQLite preparers of the test run's connection.
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("JUCHU_DATABASE_URL")),
    reason="juchu backup/restore copy the embedded SQLite database; PostgreSQL uses pg_dump (docs/backup.md)",
)


def juchu(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``juchu ARGS`` as an operator would, on the installation in ``data_dir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUCHU_")}
    env.update(JUCHU_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="juchu.settings")
    return subprocess.run(
        [sys.executable, "-m", "juchu", *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def insert(db: sqlite3.Connection, model, **values) -> int:
    """Insert one row of ``model`` with plain SQL, every other field at its default (as the ORM would store it)."""
    columns, params = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        value = values[field.attname] if field.attname in values else field.get_default()
        columns.append(f'"{field.column}"')
        params.append(field.get_db_prep_save(value, connection))
    sql = f'INSERT INTO "{model._meta.db_table}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'
    return db.execute(sql, params).lastrowid


def open_db(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    return db


def write_order(db: sqlite3.Connection, shop_id: int, warehouse_id: int, number: str) -> int:
    """One order with two packages of two lines each, in one transaction (as an import writes it)."""
    now = datetime.now(UTC)
    db.execute("BEGIN IMMEDIATE")
    order_id = insert(
        db,
        Order,
        shop_id=shop_id,
        warehouse_id=warehouse_id,
        mall_order_number=number,
        ordered_at=now,
        imported_at=now,
        status_changed_at=now,
        buyer_name="山田 太郎",
    )
    for seq in (1, 2):
        package_id = insert(
            db, Package, order_id=order_id, seq=seq, recipient_name="山田 太郎", postal_code="1000001",
            prefecture="東京都", delivery_method="宅配便",
        )  # fmt: skip
        for line in (1, 2):
            insert(db, OrderLine, order_id=order_id, package_id=package_id, seq=line, mall_item_id="item-a", quantity=1)
    db.execute("COMMIT")
    return order_id


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A data directory migrated once, with a shop and a warehouse."""
    data_dir = tmp_path_factory.mktemp("template")
    done = juchu(data_dir, "migrate", "-v", "0")
    assert done.returncode == 0, done.stderr
    db = open_db(data_dir / DB)
    warehouse = insert(db, Warehouse, code="rsl", name="RSL")
    insert(db, Shop, code="demo", name="デモ店", mall="rakuten", warehouse_id=warehouse)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return data_dir


@pytest.fixture
def data_dir(migrated, tmp_path) -> Path:
    target = tmp_path / "var"
    target.mkdir()
    shutil.copy(migrated / DB, target / DB)
    shutil.copy(migrated / "secret.key", target / "secret.key")
    return target


@pytest.fixture
def ids(data_dir) -> tuple[int, int]:
    db = open_db(data_dir / DB)
    try:
        shop = db.execute("SELECT id, warehouse_id FROM shops_shop").fetchone()
    finally:
        db.close()
    return shop


class Writer(threading.Thread):
    """Keeps writing orders into the database file until stopped; remembers the ids it committed, in order."""

    def __init__(self, path: Path, shop_id: int, warehouse_id: int) -> None:
        super().__init__(daemon=True)
        self.path, self.shop_id, self.warehouse_id = path, shop_id, warehouse_id
        self.committed: list[int] = []
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        db = open_db(self.path)
        try:
            n = 0
            while not self.stopping.is_set():
                n += 1
                self.committed.append(write_order(db, self.shop_id, self.warehouse_id, f"W-{n}"))
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            db.close()


@pytest.fixture
def writer(data_dir, ids) -> Iterator[Writer]:
    thread = Writer(data_dir / DB, *ids)
    yield thread
    thread.stopping.set()
    thread.join(timeout=30)


def rows(path: Path, sql: str) -> list[tuple]:
    db = sqlite3.connect(str(path))
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def test_a_backup_taken_while_orders_are_written_is_one_consistent_moment(data_dir, writer, tmp_path) -> None:
    # given a writer committing orders (two packages, four lines each) into the live database
    writer.start()
    while len(writer.committed) < 50:
        assert writer.error is None and writer.is_alive()
        threading.Event().wait(0.01)

    # when the database is backed up meanwhile
    before = len(writer.committed)
    done = juchu(data_dir, "backup", str(tmp_path / "backup.sqlite3"))
    after = len(writer.committed)
    writer.stopping.set()
    writer.join(timeout=30)
    assert writer.error is None
    assert done.returncode == 0, done.stderr
    assert after > before, "the writer kept writing during the backup"

    # then the copy is sound, a single file, and holds exactly the orders committed up to one moment
    copy = tmp_path / "backup.sqlite3"
    assert rows(copy, "PRAGMA integrity_check") == [("ok",)]
    assert rows(copy, "PRAGMA journal_mode") == [("delete",)]
    orders = [r[0] for r in rows(copy, "SELECT id FROM orders_order ORDER BY id")]
    assert before <= len(orders) <= after
    assert orders == writer.committed[: len(orders)]
    # ... every order in it complete: no order without all of its packages and lines
    incomplete = rows(
        copy,
        "SELECT o.id FROM orders_order o WHERE (SELECT COUNT(*) FROM orders_package p WHERE p.order_id = o.id) != 2"
        " OR (SELECT COUNT(*) FROM orders_orderline l WHERE l.order_id = o.id) != 4",
    )
    assert incomplete == []
    assert rows(copy, "SELECT COUNT(*) FROM orders_orderline") == [(4 * len(orders),)]
    assert f"受注 {len(orders):,} 件" in done.stdout
    assert "整合性チェック: ok" in done.stdout


def test_backup_refuses_to_overwrite_a_file_unless_forced(data_dir, tmp_path) -> None:
    target = tmp_path / "backup.sqlite3"
    target.write_text("an older backup")

    refused = juchu(data_dir, "backup", str(target))
    assert refused.returncode != 0
    assert "すでにあります" in refused.stderr
    assert target.read_text() == "an older backup"

    forced = juchu(data_dir, "backup", "--force", str(target))
    assert forced.returncode == 0, forced.stderr
    assert rows(target, "PRAGMA integrity_check") == [("ok",)]


def test_restore_brings_the_backup_back_and_keeps_the_database_it_replaces(data_dir, ids, tmp_path) -> None:
    # given a backup with one order, and then a database that changed since (the order gone, another added)
    db = open_db(data_dir / DB)
    kept_id = write_order(db, *ids, "BACKED-UP")
    db.close()
    backup = tmp_path / "backup.sqlite3"
    assert juchu(data_dir, "backup", str(backup)).returncode == 0
    db = open_db(data_dir / DB)
    db.execute("DELETE FROM orders_orderline")
    db.execute("DELETE FROM orders_package")
    db.execute("DELETE FROM orders_order")
    write_order(db, *ids, "AFTER-BACKUP")
    db.close()  # leaves the change in the WAL until the next checkpoint

    # when the backup is restored
    done = juchu(data_dir, "restore", str(backup))

    # then the database is the backup again, migrated, with no stale WAL of the replaced one
    assert done.returncode == 0, done.stderr
    assert rows(data_dir / DB, "SELECT id, mall_order_number FROM orders_order") == [(kept_id, "BACKED-UP")]
    assert rows(data_dir / DB, "PRAGMA integrity_check") == [("ok",)]
    # ... and the replaced database is kept beside it, with its last (WAL-only) change
    kept = list(data_dir.glob(f"{DB}.before-restore-*"))
    assert len(kept) == 1
    assert rows(kept[0], "SELECT mall_order_number FROM orders_order") == [("AFTER-BACKUP",)]
    assert f"{kept[0]}" in done.stdout
    assert juchu(data_dir, "migrate", "--check").returncode == 0


def test_restore_refuses_while_the_runner_is_beating_unless_forced(data_dir, tmp_path) -> None:
    backup = tmp_path / "backup.sqlite3"
    assert juchu(data_dir, "backup", str(backup)).returncode == 0
    # given a runner that beat a moment ago (the embedded runner's heartbeat row)
    db = open_db(data_dir / DB)
    now = datetime.now(UTC)
    insert(db, Lease, stage="runner", scope=0, holder="host:1", expires_at=now, last_run_at=now, runs=7)
    db.close()

    refused = juchu(data_dir, "restore", str(backup))
    assert refused.returncode != 0
    assert "ランナーが動いています" in refused.stderr
    assert list(data_dir.glob(f"{DB}.before-restore-*")) == []
    assert rows(data_dir / DB, "SELECT runs FROM runtime_lease WHERE stage = 'runner'") == [(7,)]

    forced = juchu(data_dir, "restore", "--force", str(backup))
    assert forced.returncode == 0, forced.stderr
    assert rows(data_dir / DB, "SELECT COUNT(*) FROM runtime_lease WHERE stage = 'runner'") == [(0,)]


def test_restore_refuses_files_that_are_not_a_juchu_backup(data_dir, tmp_path) -> None:
    before = (data_dir / DB).read_bytes()
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("これはバックアップではありません" * 100)
    other = tmp_path / "other.sqlite3"
    db = sqlite3.connect(str(other))
    db.execute("CREATE TABLE things (id INTEGER PRIMARY KEY)")
    db.commit()
    db.close()
    newer = tmp_path / "newer.sqlite3"
    assert juchu(data_dir, "backup", str(newer)).returncode == 0
    db = sqlite3.connect(str(newer))
    db.execute(
        "INSERT INTO django_migrations (app, name, applied) VALUES ('orders', '9999_from_the_future', '2030-01-01')"
    )
    db.commit()
    db.close()

    for path, reason in [
        (not_sqlite, "SQLite のデータベースではありません"),
        (other, "Juchu のバックアップではありません"),
        (newer, "orders.9999_from_the_future"),
        (tmp_path / "missing.sqlite3", "がありません"),
    ]:
        refused = juchu(data_dir, "restore", str(path))
        assert refused.returncode != 0, path
        assert reason in refused.stderr, refused.stderr
    assert (data_dir / DB).read_bytes() == before
    assert list(data_dir.glob(f"{DB}.before-restore-*")) == []
