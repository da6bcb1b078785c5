"""``juchu serve``: the web server (waitress, production-grade WSGI) and the embedded runner in one process."""

from __future__ import annotations

import signal

from django.core.management import call_command
from django.core.management.base import BaseCommand

from juchu.runtime.runner import EmbeddedRunner


def stop_on_sigterm() -> None:
    """Let SIGTERM (systemd, kill) end the server like Ctrl+C, so the runner finishes its pass and stops."""

    def _interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)


class Command(BaseCommand):
    help = "Webサーバーとパイプライン (埋め込みランナー) を起動します"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-runner", action="store_true", help="パイプラインを動かさない (Webのみ)")

    def handle(self, *args, **options) -> None:
        from waitress import serve

        from juchu.wsgi import application

        call_command("migrate", interactive=False, verbosity=0)
        stop_on_sigterm()
        runner = None
        if not options["no_runner"]:
            runner = EmbeddedRunner()
            runner.start()
        self.stdout.write(f"Juchu: http://{options['host']}:{options['port']}/ (Ctrl+C で停止)")
        try:
            serve(application, host=options["host"], port=options["port"], threads=options["threads"])
        finally:
            if runner is not None:
                runner.stop()
                runner.join(timeout=10)
