"""``juchu sandbox``: serve the emulated Rakuten RMS and RSL on 127.0.0.1 (for tests, benchmarks, demos)."""

from __future__ import annotations

import contextlib
import subprocess
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "サンドボックス (楽天RMS・RSLのエミュレーター) を起動します"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8100)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--ship-delay", type=float, default=2.0)
        parser.add_argument("--realistic-cutoff", action="store_true", help="RSLは出荷予定日まで出荷しない (15:29締め)")

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"Juchu sandbox: http://{options['host']}:{options['port']}/_sandbox/health")
        command = [
            sys.executable,
            "-m",
            "juchu_sandbox",
            "--host",
            options["host"],
            "--port",
            str(options["port"]),
            "--seed",
            str(options["seed"]),
            "--ship-delay",
            str(options["ship_delay"]),
            *(["--realistic-cutoff"] if options["realistic_cutoff"] else []),
        ]
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C ends the child too; nothing to report
            subprocess.run(command, check=False)
