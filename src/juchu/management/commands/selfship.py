"""``juchu selfship issue|import``: own-warehouse shipping (自社出荷) for scripts: batches out, tracking numbers in."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from juchu.fulfillment.models import Warehouse
from juchu.fulfillment.selfship import (
    NotReady,
    batch_request_ids,
    batch_slips,
    import_tracking,
    issue_batch,
    settings_of,
)
from juchu.fulfillment.selfship_paperwork import delivery_notes, picking_list


class Command(BaseCommand):
    help = "自社倉庫の出荷指示を出し (issue)、送り状ソフトの発行済データからお問い合わせ番号を取り込みます (import)"

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["issue", "import"])
        parser.add_argument("file", nargs="?", help="import: 送り状ソフトの発行済データ (CSV)")
        parser.add_argument("--warehouse", required=True, help="自社倉庫の倉庫コード")
        parser.add_argument("--out", help="issue: 送り状CSV・ピッキングリスト・納品書を書き出すディレクトリ")

    def handle(self, *args, **options) -> None:
        try:
            warehouse = Warehouse.objects.get(code=options["warehouse"])
        except Warehouse.DoesNotExist:
            raise CommandError(f"倉庫コード {options['warehouse']} は登録されていません") from None
        if options["action"] == "issue":
            self._issue(warehouse, options["out"])
        else:
            self._import(warehouse, options["file"])

    def _issue(self, warehouse: Warehouse, out: str | None) -> None:
        now = timezone.now()
        try:
            issued = issue_batch(warehouse, now, "command")
        except NotReady as exc:
            raise CommandError(str(exc)) from None
        if issued.batch is None:
            self.stdout.write("出荷指示を出す出荷依頼はありませんでした")
            return
        batch = issued.batch
        self.stdout.write(f"出荷指示 #{batch.pk}: 出荷依頼 {issued.issued} 件 (出荷予定日 {batch.ship_date:%Y-%m-%d})")
        for error in issued.flagged:
            self.stderr.write(f"  送り状を作れません (手書きしてください): {error}")
        if out:
            directory = Path(out)
            directory.mkdir(parents=True, exist_ok=True)
            stem = f"selfship-{warehouse.code}-{batch.pk}"
            ids = batch_request_ids(batch)
            files = {
                f"{stem}-slips.csv": batch_slips(batch).data,
                f"{stem}-picking.pdf": picking_list(ids, now),
                f"{stem}-notes.pdf": delivery_notes(ids, settings_of(warehouse)),
            }
            for name, data in files.items():
                (directory / name).write_bytes(data)
                self.stdout.write(f"  {directory / name}")

    def _import(self, warehouse: Warehouse, file: str | None) -> None:
        if not file:
            raise CommandError("取り込むファイルを指定してください")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"ファイル {path} がありません")
        result = import_tracking(warehouse, path.read_bytes(), timezone.now())
        skipped = len(result.already_shipped)
        self.stdout.write(f"出荷を登録しました: {result.recorded.shipped} 件、登録済みのため飛ばした受注 {skipped} 件")
        for warning in result.warnings:
            self.stderr.write(f"  注意: {warning}")
        for error in result.errors:
            self.stderr.write(f"  取り込めない行: {error}")
        if result.errors:
            raise CommandError(f"{len(result.errors)} 行を取り込めませんでした (他の行は取り込み済みです)")
