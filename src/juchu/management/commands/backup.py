"""``juchu backup FILE [--force]``: a consistent copy of the embedded (SQLite) database, taken while Juchu runs.

SQLite's online backup reads the whole database in one step inside one read transaction: in WAL mode the
runner and the web server keep writing meanwhile, and the copy is the database as it was at one moment. The
copy is written next to FILE, switched to a single file (no WAL), checked with ``PRAGMA integrity_check`` and
only then renamed to FILE. PostgreSQL installations use ``pg_dump`` (docs/backup.md).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

#: Tables counted in the summary of a backup or restore: (table, label).
COUNTED = (("orders_order", "受注"), ("orders_package", "送付先"), ("orders_orderline", "明細"))
#: The table that makes a SQLite file a Juchu database.
MARKER_TABLE = "orders_order"


@dataclass
class DatabaseFacts:
    """What a SQLite file holds, read without changing it."""

    integrity: str = ""
    tables: set[str] = field(default_factory=set)
    migrations: set[tuple[str, str]] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        return "、".join(f"{label} {self.counts.get(table, 0):,} 件" for table, label in COUNTED)


def sqlite_path() -> Path | None:
    """The embedded database's file, or None when Juchu runs on another database (PostgreSQL)."""
    config = settings.DATABASES["default"]
    if config["ENGINE"] != "django.db.backends.sqlite3":
        return None
    return Path(config["NAME"]).resolve()


def postgres_hint(command: str) -> str:
    """The message for a PostgreSQL installation, which backs up with PostgreSQL's own tools."""
    tool = "pg_dump" if command == "backup" else "pg_restore"
    return (
        f"この Juchu は PostgreSQL を使っています。juchu {command} は組み込み (SQLite) 用です。"
        f"PostgreSQL は {tool} を使ってください (手順: docs/backup.md)。"
    )


def read_facts(path: Path) -> DatabaseFacts:
    """Integrity, tables, applied migrations and row counts of a SQLite file (opened read-only, as is)."""
    facts = DatabaseFacts()
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as exc:
        raise CommandError(f"{path} を開けません: {exc}") from exc
    try:
        facts.integrity = "; ".join(row[0] for row in db.execute("PRAGMA integrity_check").fetchall())
        facts.tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "django_migrations" in facts.tables:
            facts.migrations = set(db.execute("SELECT app, name FROM django_migrations").fetchall())
        for table, _label in COUNTED:
            if table in facts.tables:
                facts.counts[table] = db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise CommandError(f"{path} は SQLite のデータベースではありません ({exc})") from exc
    finally:
        db.close()
    return facts


def copy_database(source: Path, target: Path) -> None:
    """An online backup of ``source`` into the new file ``target``, as one single-file database."""
    src = sqlite3.connect(str(source), timeout=30)
    try:
        dst = sqlite3.connect(str(target))
        try:
            # pages=-1: every page in one step, so one read transaction (one snapshot) covers the whole copy.
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()
    _fsync(target)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Command(BaseCommand):
    help = "組み込みデータベース (SQLite) を、動かしたまま FILE にバックアップします"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="バックアップ先のファイル")
        parser.add_argument("--force", action="store_true", help="FILE がすでにあれば上書きする")

    def handle(self, *args, **options) -> None:
        source = sqlite_path()
        if source is None:
            raise CommandError(postgres_hint("backup"))
        if not source.is_file():
            raise CommandError(f"データベース {source} がありません (JUCHU_DATA_DIR を確認してください)")
        target = Path(options["file"]).resolve()
        if target == source:
            raise CommandError("バックアップ先が使用中のデータベースと同じです")
        if target.exists() and not options["force"]:
            raise CommandError(f"{target} はすでにあります (上書きするには --force)")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
        partial.unlink(missing_ok=True)
        try:
            copy_database(source, partial)
            facts = read_facts(partial)
            if facts.integrity != "ok":
                raise CommandError(f"コピーの整合性チェックに失敗しました: {facts.integrity}")
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(f"バックアップしました: {target} ({target.stat().st_size:,} バイト、{facts.summary()})")
        self.stdout.write("整合性チェック: ok")
        if not os.environ.get("JUCHU_SECRET_KEY"):
            key = Path(settings.DATA_DIR) / "secret.key"
            self.stdout.write(f"秘密鍵 {key} も一緒に保管してください (復元先で同じ鍵が必要です)")
