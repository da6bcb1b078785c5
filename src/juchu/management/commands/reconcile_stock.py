"""``juchu reconcile-stock``: compare each shop's mall stock with Juchu's now, and print the differences."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from juchu.catalog.reconcile import reconcile_shop
from juchu.shops.models import Shop


class Command(BaseCommand):
    help = "在庫照合: モールの在庫を読み、受注管理の在庫と比べて差異を表示します (差異は次の在庫連動で再送)"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--shop", action="append", default=[], help="ショップコード (複数可。省略: 接続中の全ショップ)"
        )

    def handle(self, *args, **options) -> None:
        shops = Shop.objects.filter(active=True).exclude(connector="").order_by("code")
        if options["shop"]:
            shops = Shop.objects.filter(code__in=options["shop"]).order_by("code")
            missing = set(options["shop"]) - set(shops.values_list("code", flat=True))
            if missing:
                raise CommandError(f"ショップが見つかりません: {', '.join(sorted(missing))}")
        failed = False
        for shop in shops:
            run = reconcile_shop(shop, timezone.now())
            if run.error:
                failed = True
                self.stdout.write(f"{shop.code}: 照合できませんでした: {run.error}")
                continue
            self.stdout.write(f"{shop.code}: {run.checked} 件を照合、差異 {len(run.differences)} 件")
            for d in run.differences:
                mall = "記録なし" if d["mall"] is None else d["mall"]
                self.stdout.write(f"  {d['key']}\t{d['product']}\t受注管理 {d['juchu']}\tモール {mall}")
        if failed:
            raise CommandError("照合できなかったショップがあります")
