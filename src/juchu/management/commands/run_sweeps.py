"""``juchu run-sweeps``: run the pipeline's sweeps from the command line (once, or in a loop)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from juchu.runtime.runner import EmbeddedRunner, utcnow
from juchu.runtime.sweeps import STAGES, run_all, run_stage


class Command(BaseCommand):
    help = "パイプラインのスイープを実行します"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="各ステージを1回だけ実行して終了")
        parser.add_argument("--stage", choices=sorted(STAGES), help="このステージだけ実行")

    def handle(self, *args, **options) -> None:
        if options["once"] or options["stage"]:
            now = utcnow()
            results = {options["stage"]: run_stage(options["stage"], now)} if options["stage"] else run_all(now)
            for stage, count in results.items():
                self.stdout.write(f"{stage}: {'busy (lease held elsewhere)' if count is None else count}")
            return
        runner = EmbeddedRunner()
        runner.run()
