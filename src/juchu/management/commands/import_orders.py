"""``juchu import-orders FILE --shop CODE``: 受注CSV取込 from the command line, with a progress bar."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from juchu.csvio.orders import commit_order_csv, preview_order_csv
from juchu.shops.models import Shop


class ProgressBar:
    """A one-line bar on stderr, redrawn in place when stderr is a terminal and every 10 % otherwise."""

    def __init__(self, stream, label: str) -> None:
        self.stream, self.label, self.started, self.last = stream, label, time.monotonic(), -1

    def __call__(self, done: int, total: int) -> None:
        percent = 100 if total == 0 else done * 100 // total
        tty = self.stream.isatty()
        if not tty and percent // 10 == self.last // 10 and done < total:
            return
        self.last = percent
        bar = "#" * (percent // 4) + "-" * (25 - percent // 4)
        seconds = time.monotonic() - self.started
        text = f"{self.label} [{bar}] {percent:3d}% {done:,}/{total:,} 件 {seconds:.1f}秒"
        self.stream.write(f"\r{text}" if tty else f"{text}\n")
        if tty and done >= total:
            self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = "受注CSVを取り込みます (不正な行のある受注は取り込みません。同じファイルを再度取り込んでも重複しません)"

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="受注CSV (UTF-8 または CP932)")
        parser.add_argument("--shop", required=True, help="ショップコード")
        parser.add_argument("--dry-run", action="store_true", help="確認だけ行い、取り込みません")
        parser.add_argument("--actor", default="cli", help="操作者として履歴に残す名前")

    def handle(self, *args, **options) -> None:
        try:
            shop = Shop.objects.get(code=options["shop"])
        except Shop.DoesNotExist:
            raise CommandError(f"ショップコード {options['shop']} は登録されていません") from None
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"ファイル {path} がありません")
        data = path.read_bytes()
        if options["dry_run"]:
            preview = preview_order_csv(shop, data)
            self.stdout.write(
                f"{preview.rows:,} 行: 取込可能な受注 {preview.orders:,} 件 (新規 {len(preview.new):,}、"
                f"取込済み {len(preview.existing):,})、取り込めない受注 {len(preview.rejected):,} 件"
            )
            self._errors(preview.errors)
            return
        result = commit_order_csv(shop, data, options["actor"], timezone.now(), ProgressBar(sys.stderr, "取込"))
        self.stdout.write(
            f"{result.rows:,} 行: 新規 {len(result.created):,} 件、更新 {len(result.updated):,} 件、"
            f"変更なし {len(result.unchanged):,} 件、取り込めない受注 {len(result.rejected):,} 件"
        )
        self._errors(result.errors)
        if result.errors:
            raise CommandError(f"{len(result.errors):,} 件のエラーがあります (エラーのない受注は取り込み済みです)")

    def _errors(self, errors) -> None:
        for error in errors[:200]:
            owner = f" [受注 {error.order_number}]" if error.order_number else ""
            self.stderr.write(f"  {error}{owner}")
        if len(errors) > 200:
            self.stderr.write(f"  … ほか {len(errors) - 200:,} 件")
