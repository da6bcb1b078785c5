"""``juchu rsl-csv export|import``: shipment requests out and results in by CSV file (RSL's file exchange)."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from juchu.fulfillment.file_exchange import export_requests, import_results
from juchu.fulfillment.models import Warehouse


class Command(BaseCommand):
    help = "RSLとCSVで出荷依頼を出し (export)、出荷実績を取り込みます (import)"

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["export", "import"])
        parser.add_argument("file", help="export: 書き出すファイル (- で標準出力) / import: 出荷実績CSV")
        parser.add_argument("--warehouse", required=True, help="倉庫コード")

    def handle(self, *args, **options) -> None:
        try:
            warehouse = Warehouse.objects.get(code=options["warehouse"])
        except Warehouse.DoesNotExist:
            raise CommandError(f"倉庫コード {options['warehouse']} は登録されていません") from None
        now = timezone.now()
        if options["action"] == "export":
            export = export_requests(warehouse, now)
            if options["file"] == "-":
                sys.stdout.buffer.write(export.data)
            else:
                Path(options["file"]).write_bytes(export.data)
            self.stderr.write(f"出荷依頼 {export.exported} 件を書き出しました")
            for request_id, reason in export.rejected.items():
                self.stderr.write(f"  書き出せません: {request_id}: {reason}")
            return
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"ファイル {path} がありません")
        result, errors = import_results(warehouse, path.read_bytes(), now)
        self.stdout.write(
            f"出荷実績 {result.results} 件: 出荷済 {result.shipped}、出荷不可 {result.unshippable}、"
            f"取下げ {result.withdrawn}、不明な依頼 {result.unknown}"
        )
        for error in errors:
            self.stderr.write(f"  取り込めない行: {error}")
        if errors:
            raise CommandError(f"{len(errors)} 行を取り込めませんでした (他の行は取り込み済みです)")
