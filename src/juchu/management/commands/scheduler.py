"""``juchu scheduler``: Celery beat, the one process that wakes the workers every tick (run exactly one)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from juchu.management.commands.worker import require_scale_out


class Command(BaseCommand):
    # No URL or template checks: a worker or the scheduler serves no pages, and must start without them.
    requires_system_checks: list[str] = []
    help = "ワーカーを定期的に起こすスケジューラー (Celery beat) を起動します。1台だけで動かしてください"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loglevel", default="INFO")
        parser.add_argument(
            "--schedule-file",
            default=None,
            help="beat の状態ファイル (既定: JUCHU_DATA_DIR/celerybeat-schedule)",
        )

    def handle(self, *args, **options) -> None:
        require_scale_out("scheduler")
        from juchu.runtime.celery_app import app

        schedule = options["schedule_file"] or str(settings.DATA_DIR / "celerybeat-schedule")
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        app.start(["beat", f"--loglevel={options['loglevel']}", f"--schedule={schedule}"])
