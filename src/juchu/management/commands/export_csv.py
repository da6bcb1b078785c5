"""``juchu export-csv KIND FILE``: mappings, products, stock, shipment results or orders as CSV."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from juchu.csvio.catalog_files import export_mappings, export_products, export_stock
from juchu.csvio.orders import orders_to_csv
from juchu.csvio.shipments import export_shipments
from juchu.fulfillment.models import Warehouse
from juchu.orders.models import Order
from juchu.shops.models import Shop

KINDS = ("mappings", "products", "stock", "shipments", "orders")


class Command(BaseCommand):
    help = "CSVを書き出します: mappings (商品マッピング)、products、stock、shipments (出荷実績)、orders (受注)"

    def add_arguments(self, parser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file", help="書き出すファイル (- で標準出力)")
        parser.add_argument("--shop", help="ショップコード (shipments・orders は必須)")
        parser.add_argument("--warehouse", help="倉庫コード (stock)")
        parser.add_argument("--since", type=date.fromisoformat, help="出荷日・注文日の開始 (YYYY-MM-DD)")
        parser.add_argument("--until", type=date.fromisoformat, help="出荷日・注文日の終了 (YYYY-MM-DD)")
        parser.add_argument("--encoding", default="cp932", choices=["cp932", "utf-8"])

    def handle(self, *args, **options) -> None:
        kind, encoding = options["kind"], options["encoding"]
        shop = self._shop(options["shop"]) if options["shop"] else None
        if kind in ("shipments", "orders") and shop is None:
            raise CommandError(f"{kind} には --shop が必要です")
        out = sys.stdout.buffer if options["file"] == "-" else Path(options["file"]).open("wb")  # noqa: SIM115
        try:
            if kind == "mappings":
                out.write(export_mappings(shop, encoding))
            elif kind == "products":
                out.write(export_products(encoding))
            elif kind == "stock":
                warehouse = None
                if options["warehouse"]:
                    warehouse = Warehouse.objects.filter(code=options["warehouse"]).first()
                    if warehouse is None:
                        raise CommandError(f"倉庫コード {options['warehouse']} は登録されていません")
                out.write(export_stock(warehouse, encoding))
            elif kind == "shipments":
                out.write(export_shipments(shop, options["since"], options["until"], encoding))
            else:
                orders = Order.objects.filter(shop=shop).order_by("ordered_at", "id")
                if options["since"]:
                    orders = orders.filter(ordered_at__date__gte=options["since"])
                if options["until"]:
                    orders = orders.filter(ordered_at__date__lte=options["until"])
                count = orders_to_csv(orders, out, encoding)
                self.stderr.write(f"受注 {count:,} 件を書き出しました")
        finally:
            if out is not sys.stdout.buffer:
                out.close()

    def _shop(self, code: str) -> Shop:
        try:
            return Shop.objects.get(code=code)
        except Shop.DoesNotExist:
            raise CommandError(f"ショップコード {code} は登録されていません") from None
