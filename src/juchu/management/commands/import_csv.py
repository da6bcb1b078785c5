"""``juchu import-csv KIND FILE``: item mappings, products or stock counts from CSV (orders: import-orders)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from juchu.csvio.catalog_files import import_mappings, import_products, import_stock


class Command(BaseCommand):
    help = "CSVを取り込みます: mappings (商品マッピング)、products (商品)、stock (在庫数)。受注は import-orders"

    def add_arguments(self, parser) -> None:
        parser.add_argument("kind", choices=["mappings", "products", "stock"])
        parser.add_argument("file")

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"ファイル {path} がありません")
        data = path.read_bytes()
        kind = options["kind"]
        if kind == "mappings":
            result = import_mappings(data, timezone.now())
        elif kind == "products":
            result = import_products(data)
        else:
            result = import_stock(data, timezone.now())
        a = result.applied
        self.stdout.write(
            f"{result.rows:,} 行: 追加 {a.created:,}、更新 {a.updated:,}、削除 {a.deleted:,}、"
            f"動き出した受注 {a.woken:,}、エラー {len(result.errors):,}"
        )
        for error in result.errors[:200]:
            self.stderr.write(f"  {error}")
        if result.errors:
            raise CommandError(f"{len(result.errors):,} 行を取り込めませんでした (他の行は取り込み済みです)")
