"""``juchu purge-personal-data [--days N] [--dry-run]``: purge buyers' personal data of long-finished orders."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from juchu.orders.purge import purge_personal_data


def positive_days(value: str) -> int:
    days = int(value)
    if days < 1:
        raise ValueError(value)
    return days


class Command(BaseCommand):
    help = (
        "完了・キャンセルから指定日数が過ぎた受注の個人情報 (氏名・住所・電話番号・メールアドレス) を"
        "「（削除済み）」に置き換えます"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--days",
            type=positive_days,
            help="完了・キャンセルからこの日数が過ぎた受注が対象 (既定: JUCHU_PURGE_AFTER_DAYS)",
        )
        parser.add_argument("--dry-run", action="store_true", help="件数を数えるだけで削除しない")

    def handle(self, *args, **options) -> None:
        days = options["days"] or settings.JUCHU_PURGE_AFTER_DAYS
        if days <= 0:
            raise CommandError("JUCHU_PURGE_AFTER_DAYS=0 (削除しない設定) です。実行するには --days を指定してください")
        result = purge_personal_data(timezone.now(), timedelta(days=days), dry_run=options["dry_run"])
        if options["dry_run"]:
            self.stdout.write(f"対象: {result.orders} 件 (完了・キャンセルから {days} 日超、未削除) — 削除していません")
            return
        self.stdout.write(
            f"個人情報を削除しました: 受注 {result.orders} 件、送付先 {result.packages} 件、"
            f"メール {result.mails} 通、履歴などの書き換え {result.scrubbed} 件、ファイル {result.files} 個"
        )
