"""``juchu demo``: the whole flow on the embedded SQLite default, with an in-process demo mall and warehouse.

Until the HTTP sandbox lands (its own issue), the demo mall and RSL-like warehouse are the in-memory fakes
the tests use: a generator places realistic orders every few seconds, bank transfers get paid a little
later, the warehouse ships what it accepted. The web server and the runner are those of ``juchu serve``.
"""

from __future__ import annotations

import random
import secrets
import threading
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from juchu.catalog.models import MallItemMapping, Product, SetComponent, Stock
from juchu.connectors import registry
from juchu.connectors.base import MallLine, MallOrder, MallPackage
from juchu.connectors.fakes import FakeMall, FakeWarehouse
from juchu.domain.model import Address, PaymentKind, PaymentState
from juchu.fulfillment.models import Warehouse
from juchu.management.commands.serve import stop_on_sigterm
from juchu.runtime.runner import EmbeddedRunner
from juchu.shops.models import DeliveryMethodMapping, PaymentMethodMapping, Shop

NAMES = ["佐藤 花子", "鈴木 一郎", "高橋 美咲", "田中 健太", "伊藤 さくら", "渡辺 翔", "山本 陽子", "中村 大輔"]
ADDRESSES = [
    ("1000001", "東京都", "千代田区", "千代田1-1"),
    ("5300001", "大阪府", "大阪市北区", "梅田1-2-3"),
    ("4600008", "愛知県", "名古屋市中区", "栄3-4-5"),
    ("0600001", "北海道", "札幌市中央区", "北一条西2-1"),
    ("8100001", "福岡県", "福岡市中央区", "天神1-1-1"),
    ("9800811", "宮城県", "仙台市青葉区", "一番町2-2"),
]
ITEMS = [("tea-01", "煎茶 100g", 1080), ("tea-02", "ほうじ茶 200g", 1620), ("set-gift", "お茶ギフトセット", 4320)]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Command(BaseCommand):
    help = "デモ: デモ用モールと倉庫を相手に、受注から完了までを自動で流します"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--interval", type=float, default=3.0, help="注文を作る間隔 (秒)")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, **options) -> None:
        from waitress import serve

        from juchu.wsgi import application

        call_command("migrate", interactive=False, verbosity=0)
        stop_on_sigterm()
        mall, warehouse = FakeMall(), FakeWarehouse(_utcnow)
        warehouse.auto_ship = True
        registry.install_mall("demo", mall)
        registry.install_warehouse("demo", warehouse)
        password = self._setup()
        runner = EmbeddedRunner()
        runner.start()
        stop = threading.Event()
        generator = threading.Thread(target=self._generate, args=(mall, options, stop), daemon=True)
        generator.start()
        self.stdout.write(
            f"Juchu demo: http://{options['host']}:{options['port']}/admin/  user: admin  password: {password}\n"
            "注文は数秒ごとに作成され、1分の猶予の後に自動で出荷・完了まで進みます (Ctrl+C で停止)"
        )
        try:
            serve(application, host=options["host"], port=options["port"], threads=8)
        finally:
            stop.set()
            runner.stop()
            runner.join(timeout=10)

    def _setup(self) -> str:
        warehouse, _ = Warehouse.objects.get_or_create(
            code="demo-rsl", defaults={"name": "デモ倉庫 (RSL相当)", "connector": "demo"}
        )
        shop, created = Shop.objects.get_or_create(
            code="demo-rakuten",
            defaults={
                "name": "デモ茶舗 楽天市場店",
                "mall": "rakuten",
                "warehouse": warehouse,
                "connector": "demo",
                "grace_period_seconds": 60,
                "confirm_at_mall": True,
            },
        )
        if created:
            DeliveryMethodMapping.objects.create(shop=shop, mall_method="宅配便", warehouse_method="YUPACK")
            DeliveryMethodMapping.objects.create(shop=shop, mall_method="メール便", warehouse_method="YUPACKET")
            PaymentMethodMapping.objects.create(shop=shop, mall_method="クレジットカード", kind=PaymentKind.CARD)
            PaymentMethodMapping.objects.create(shop=shop, mall_method="銀行振込", kind=PaymentKind.PREPAID)
            PaymentMethodMapping.objects.create(shop=shop, mall_method="代金引換", kind=PaymentKind.COD)
            products = {}
            for code, name, price in ITEMS[:2]:
                products[code] = Product.objects.create(code=code.upper(), name=name, price=price)
                Stock.objects.create(warehouse=warehouse, product=products[code], on_hand=10_000)
                MallItemMapping.objects.create(shop=shop, mall_item_id=code, product=products[code])
            gift = Product.objects.create(code="SET-GIFT", name=ITEMS[2][1], is_set=True, price=ITEMS[2][2])
            SetComponent.objects.create(set_product=gift, component=products["tea-01"], quantity=2)
            SetComponent.objects.create(set_product=gift, component=products["tea-02"], quantity=1)
            MallItemMapping.objects.create(shop=shop, mall_item_id="set-gift", product=gift)
        user_model = get_user_model()
        password = secrets.token_urlsafe(9)
        admin, _ = user_model.objects.get_or_create(username="admin", defaults={"is_staff": True, "is_superuser": True})
        admin.set_password(password)
        admin.save()
        return password

    def _generate(self, mall: FakeMall, options: dict, stop: threading.Event) -> None:
        rng = random.Random(options["seed"])
        unpaid: list[tuple[str, datetime]] = []
        number = 0
        while not stop.wait(options["interval"]):
            now = _utcnow()
            number += 1
            order_number = f"{now:%Y%m%d}-{rng.randint(100000, 999999)}-{number:04d}"
            name = rng.choice(NAMES)
            postal, prefecture, city, street = rng.choice(ADDRESSES)
            item, item_name, price = rng.choice(ITEMS)
            quantity = rng.randint(1, 3)
            payment = rng.choices(["クレジットカード", "銀行振込", "代金引換"], weights=[7, 2, 1])[0]
            mall.put(
                MallOrder(
                    mall_order_number=order_number,
                    ordered_at=now,
                    packages=(
                        MallPackage(
                            name,
                            Address(postal, prefecture, city, street),
                            "宅配便",
                            (MallLine(item, quantity, price, item_name),),
                            mall_package_id="1",
                            phone="090-1234-5678",
                        ),
                    ),
                    payment_method=payment,
                    payment_state=PaymentState.AUTHORIZED if payment == "クレジットカード" else PaymentState.UNPAID,
                    mall_status="100",
                    buyer_name=name,
                    email=f"buyer{number}@example.jp",
                    phone="090-1234-5678",
                    goods_total=price * quantity,
                    total=price * quantity,
                ),
                now,
            )
            if payment == "銀行振込":
                unpaid.append((order_number, now + timedelta(minutes=2)))
            for paid in [u for u in unpaid if u[1] <= now]:
                mall.pay(paid[0], now)
                unpaid.remove(paid)
