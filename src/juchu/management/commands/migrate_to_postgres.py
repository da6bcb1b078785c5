"""``juchu migrate-to-postgres URL``: copy an embedded (SQLite) installation, every row, into PostgreSQL.

Run it with the embedded installation's environment (its ``JUCHU_DATA_DIR``), with Juchu stopped. The target
database must exist and be empty; it is migrated first, then every table is copied in foreign-key order with
its primary keys, the sequences are moved past the copied ids, and the row counts are compared table by table.
"""

from __future__ import annotations

import dj_database_url
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connections, models, transaction

TARGET = "postgres_target"
CHUNK = 2000


def copy_order(all_models: list[type[models.Model]]) -> list[type[models.Model]]:
    """The models with every model a foreign key points to before the model itself."""
    remaining = {m._meta.label: m for m in all_models}
    done: list[type[models.Model]] = []
    placed: set[str] = set()
    while remaining:
        ready = [
            label
            for label, model in remaining.items()
            if all(
                f.related_model is None
                or f.related_model._meta.label in placed
                or f.related_model._meta.label == label
                or f.related_model._meta.label not in remaining
                for f in model._meta.concrete_fields
                if f.is_relation
            )
        ]
        if not ready:
            raise CommandError(f"外部キーが循環しています: {sorted(remaining)}")
        for label in sorted(ready):
            done.append(remaining.pop(label))
            placed.add(label)
    return done


class Command(BaseCommand):
    help = "埋め込み (SQLite) の全データを PostgreSQL にコピーします。Juchu を止めてから実行してください"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("url", help="コピー先 PostgreSQL の URL (空のデータベース)")

    def handle(self, *args, **options) -> None:
        source = connections["default"]
        if source.vendor != "sqlite":
            raise CommandError("コピー元が SQLite ではありません (JUCHU_DATABASE_URL を外して実行してください)")
        config = dj_database_url.parse(options["url"])
        if "postgresql" not in config["ENGINE"]:
            raise CommandError("コピー先は postgresql:// の URL にしてください")
        settings.DATABASES[TARGET] = {**source.settings_dict, **config, "OPTIONS": {}, "TEST": {}}
        connections.settings[TARGET] = settings.DATABASES[TARGET]
        call_command("migrate", database="default", interactive=False, verbosity=0, skip_checks=True)
        call_command("migrate", database=TARGET, interactive=False, verbosity=0, skip_checks=True)
        order_model = apps.get_model("orders", "Order")
        if order_model.objects.using(TARGET).exists():
            raise CommandError("コピー先にすでに注文があります。空のデータベースを指定してください")
        ordered = copy_order([m for m in apps.get_models(include_auto_created=True) if m._meta.managed])
        target = connections[TARGET]
        with transaction.atomic(using=TARGET):
            # migrate created its own content types and permissions; the source's ids are the ones rows refer to.
            for model in reversed(ordered):
                model._default_manager.using(TARGET).all().delete()
            for model in ordered:
                copied = self._copy(model)
                if copied:
                    self.stdout.write(f"{model._meta.label}: {copied}")
            with target.cursor() as cursor:
                for statement in target.ops.sequence_reset_sql(no_style(), ordered):
                    cursor.execute(statement)
        counts = {m._meta.label: [m._default_manager.using(db).count() for db in ("default", TARGET)] for m in ordered}
        differences = [f"{label}: {a} → {b}" for label, (a, b) in counts.items() if a != b]
        if differences:
            raise CommandError("件数が一致しません: " + "; ".join(differences))
        self.stdout.write(self.style.SUCCESS(f"{len(ordered)} テーブルをコピーしました。件数はすべて一致しています"))

    def _copy(self, model: type[models.Model]) -> int:
        rows = model._default_manager.using("default").order_by("pk")
        batch: list[models.Model] = []
        copied = 0
        for row in rows.iterator(chunk_size=CHUNK):
            batch.append(row)
            if len(batch) >= CHUNK:
                model._default_manager.using(TARGET).bulk_create(batch)
                copied += len(batch)
                batch = []
        if batch:
            model._default_manager.using(TARGET).bulk_create(batch)
            copied += len(batch)
        return copied
