"""``juchu web``: the web app alone under gunicorn, for the scale-out runtime (no pipeline in this process)."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Webサーバー (gunicorn) だけを起動します。パイプラインは juchu worker / juchu scheduler が動かします"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="host:port (または unix:/path)")
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--timeout", type=int, default=60)

    def handle(self, *args, **options) -> None:
        from gunicorn.app.base import BaseApplication

        from juchu.wsgi import application

        config = {
            "bind": options["bind"],
            "workers": options["workers"],
            "threads": options["threads"],
            "timeout": options["timeout"],
            "accesslog": "-",
            "errorlog": "-",
        }

        class JuchuWeb(BaseApplication):
            def load_config(self) -> None:
                for key, value in config.items():
                    self.cfg.set(key, value)

            def load(self):
                return application

        self.stdout.write(f"Juchu web: http://{options['bind']}/ (gunicorn, {options['workers']} workers)")
        JuchuWeb().run()
