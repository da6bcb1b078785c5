"""``juchu worker``: a Celery worker of the scale-out runtime (any number of them, on any machine)."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection


def require_scale_out(command: str) -> None:
    """Refuse to start without a broker, and say plainly why SQLite is not for several processes."""
    if not settings.JUCHU_BROKER_URL:
        raise CommandError(f"juchu {command}: JUCHU_BROKER_URL (Redis) が未設定です。例: redis://127.0.0.1:6379/0")
    if connection.vendor != "postgresql":
        raise CommandError(
            f"juchu {command}: 複数プロセスでの実行には PostgreSQL が必要です (JUCHU_DATABASE_URL)。"
            " SQLite なら juchu serve (埋め込みランナー) を使ってください"
        )
    # Celery's Django fixup runs the system checks, URL configuration included, which these processes never serve.
    os.environ.setdefault("CELERY_SKIP_CHECKS", "1")


class Command(BaseCommand):
    # No URL or template checks: a worker or the scheduler serves no pages, and must start without them.
    requires_system_checks: list[str] = []
    help = "パイプラインのワーカー (Celery) を起動します"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--concurrency", type=int, default=None, help="子プロセス数 (既定: CPUコア数)")
        parser.add_argument(
            "--pool", default="prefork", choices=["prefork", "solo", "threads"], help="solo = 1プロセスで実行"
        )
        parser.add_argument("--loglevel", default="INFO")
        parser.add_argument("--hostname", default=None, help="Celery のノード名 (既定: juchu@<ホスト名>)")

    def handle(self, *args, **options) -> None:
        require_scale_out("worker")
        from juchu.runtime.celery_app import QUEUE, app

        argv = ["worker", f"--loglevel={options['loglevel']}", f"--pool={options['pool']}", f"--queues={QUEUE}"]
        argv += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        if options["concurrency"]:
            argv.append(f"--concurrency={options['concurrency']}")
        argv.append(f"--hostname={options['hostname'] or 'juchu@%h'}")
        app.worker_main(argv)
