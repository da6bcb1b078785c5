"""``juchu restore FILE [--force]``: put a backup made by ``juchu backup`` back as the embedded database.

The file must be a sound Juchu database (integrity ok, the orders table present) whose migrations this
version of Juchu knows. Juchu must be stopped: a runner that beat within :data:`RUNNER_FRESH` makes the
restore refuse (``--force`` overrides). The current database is kept as ``juchu.sqlite3.before-restore-<time>``,
the backup replaces it in one rename (stale ``-wal``/``-shm`` files removed first), and ``migrate`` runs.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from datetime import timedelta
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from juchu.management.commands.backup import MARKER_TABLE, copy_database, postgres_hint, read_facts, sqlite_path
from juchu.runtime.models import Lease

#: A runner whose last pass is more recent than this is taken to be running.
RUNNER_FRESH = timedelta(minutes=2)


class Command(BaseCommand):
    help = "juchu backup で作ったファイルから組み込みデータベース (SQLite) を復元します (Juchu を止めてから)"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="復元するバックアップファイル")
        parser.add_argument("--force", action="store_true", help="ランナーが動いているように見えても復元する")

    def handle(self, *args, **options) -> None:
        target = sqlite_path()
        if target is None:
            raise CommandError(postgres_hint("restore"))
        source = Path(options["file"]).resolve()
        if not source.is_file():
            raise CommandError(f"{source} がありません")
        facts = read_facts(source)
        if facts.integrity != "ok":
            raise CommandError(f"{source} は壊れています (整合性チェック: {facts.integrity})")
        if MARKER_TABLE not in facts.tables:
            raise CommandError(f"{source} は Juchu のバックアップではありません (受注テーブルがありません)")
        unknown = sorted(facts.migrations - set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations))
        if unknown:
            names = ", ".join(f"{app}.{name}" for app, name in unknown[:5])
            raise CommandError(
                f"{source} はこの Juchu より新しい版で作られています (未知のマイグレーション: {names})。"
                "Juchu を更新してから復元してください"
            )
        if not options["force"]:
            self._refuse_while_running()
        connections.close_all()
        kept = self._replace(target, source)
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(f"復元しました: {source} → {target} ({facts.summary()})")
        if kept is not None:
            self.stdout.write(f"復元前のデータベースは {kept} に残しました")
        self.stdout.write("バックアップ時と同じ秘密鍵 (secret.key または JUCHU_SECRET_KEY) で起動してください")

    def _refuse_while_running(self) -> None:
        """Refuse when the embedded runner beat recently or a sweep holds its lease (Juchu is running)."""
        now = timezone.now()
        try:
            beat = Lease.objects.filter(stage="runner", scope=0).values_list("last_run_at", flat=True).first()
            running = Lease.objects.filter(expires_at__gt=now).exclude(stage="runner")
            held = list(running.values_list("stage", flat=True))
        except DatabaseError:
            return  # no database (or no tables) yet: nothing runs on it
        if beat is not None and now - beat < RUNNER_FRESH:
            seconds = int((now - beat).total_seconds())
            raise CommandError(
                f"Juchu のランナーが動いています ({seconds} 秒前に動作)。juchu serve / juchu demo を止めてから"
                "復元してください (止めたのが確実なら --force)"
            )
        if held:
            raise CommandError(
                f"スイープが実行中です ({', '.join(sorted(set(held)))})。Juchu を止めてから復元してください "
                "(止めたのが確実なら --force)"
            )

    def _replace(self, target: Path, source: Path) -> Path | None:
        """Keep the current database aside, then put the backup in its place in one rename."""
        target.parent.mkdir(parents=True, exist_ok=True)
        kept = None
        if target.exists():
            kept = target.with_name(f"{target.name}.before-restore-{timezone.localtime():%Y%m%d-%H%M%S}")
            # Through SQLite, not a file copy: what is still in the WAL belongs to the current database too.
            copy_database(target, kept)
        incoming = target.with_name(f".{target.name}.restore-{os.getpid()}")
        try:
            shutil.copyfile(source, incoming)
            db = sqlite3.connect(str(incoming))
            try:
                db.execute("PRAGMA journal_mode=DELETE")
            finally:
                db.close()
            # The old WAL would be replayed onto the restored file: it goes first (its content is in ``kept``).
            for suffix in ("-wal", "-shm", "-journal"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            os.replace(incoming, target)
        finally:
            incoming.unlink(missing_ok=True)
        return kept
