"""Benchmark of the order list (受注一覧) with a million orders on the embedded SQLite.

Usage: ``python bench/ui.py [--orders 1000000] [--requests 40] [--data-dir bench/results/ui] [--fresh] [--json]``

Builds (once; reused while the order count matches, ``--fresh`` rebuilds) a SQLite database with N orders spread
over a year in every status, one package and one line each, search terms and tags, as the importer would leave
them. Then measures, in-process through Django's test client (server time: URL routing, auth, queries, template):
the first page and a keyset next page of every tab, a free-text search (name, name part, order number, phone),
and the tab counts. Prints a table; the last line is one JSON object with ``orders``, ``list_p95_ms`` (the worst
tab), ``search_p95_ms`` and ``counts_ms`` (p95 of the counts query). Targets: list and search p95 ≤ 200 ms,
counts ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATUS_SHARE = [
    ("completed", 0.86),
    ("cancelled", 0.05),
    ("shipped", 0.01),
    ("shipping", 0.02),
    ("partially_shipped", 0.002),
    ("awaiting_shipment", 0.008),
    ("checked", 0.025),
    ("awaiting_check", 0.01),
    ("new", 0.015),
]
FAMILY = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
    "林",
    "斎藤",
    "清水",
]
GIVEN = [
    "花子",
    "一郎",
    "美咲",
    "健",
    "さくら",
    "翔太",
    "結衣",
    "蓮",
    "陽菜",
    "大翔",
    "誠",
    "恵子",
    "拓也",
    "由美",
    "浩二",
    "直子",
    "陽菜",
    "結菜",
    "悠真",
    "湊",
]
CHUNK = 20_000


def quantile(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))
    return ordered[rank]


def setup_django(data_dir: Path) -> None:
    os.environ["JUCHU_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "juchu.settings")
    import django

    django.setup()


def build(n: int, seed: int) -> None:
    """The world and N orders, written with the importer's bulk writer."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from juchu.catalog.models import MallItemMapping, Product
    from juchu.fulfillment.models import Warehouse
    from juchu.orders import writes
    from juchu.orders.models import Order, OrderLine, OrderSearchTerm, OrderTag, Package
    from juchu.orders.search import terms_for
    from juchu.shops.models import Shop

    call_command("migrate", interactive=False, verbosity=0)
    rng = random.Random(seed)
    warehouse = Warehouse.objects.create(code="rsl", name="RSL")
    shops = [
        Shop.objects.create(code=f"shop{i}", name=f"ショップ{i}", mall=mall, warehouse=warehouse)
        for i, mall in enumerate(["rakuten", "yahoo", "amazon"])
    ]
    products = [Product.objects.create(code=f"SKU-{i:04d}", name=f"商品{i}") for i in range(200)]
    for shop in shops:
        MallItemMapping.objects.bulk_create(
            MallItemMapping(shop=shop, mall_item_id=f"item-{p.code}", product=p) for p in products
        )
    statuses = [s for s, _ in STATUS_SHARE]
    weights = [w for _, w in STATUS_SHARE]
    end = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
    start = end - timedelta(days=365)
    span = (end - start).total_seconds()
    order_names = (
        "shop_id",
        "mall_order_number",
        "status",
        "ordered_at",
        "imported_at",
        "status_changed_at",
        "buyer_name",
        "buyer_kana",
        "email",
        "phone",
        "payment_method",
        "goods_total",
        "total",
        "warehouse_id",
        "explanation",
    )
    package_names = (
        "order_id",
        "seq",
        "recipient_name",
        "phone",
        "postal_code",
        "prefecture",
        "city",
        "address1",
        "delivery_method",
        "shipment_status",
    )
    line_names = ("order_id", "package_id", "seq", "mall_item_id", "name", "quantity", "unit_price", "product_id")
    started = time.perf_counter()
    for base in range(0, n, CHUNK):
        count = min(CHUNK, n - base)
        orders, terms, tags = [], [], []
        times = sorted(start + timedelta(seconds=span * (base + i) / n) for i in range(count))
        for i in range(count):
            k = base + i
            status = rng.choices(statuses, weights)[0]
            name = f"{rng.choice(FAMILY)} {rng.choice(GIVEN)}"
            phone = f"0{rng.randint(10, 99)}-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
            number = f"{360000 + k % 3}-{times[i].strftime('%Y%m%d')}-{k:08d}"
            amount = rng.randint(1, 30) * 500
            orders.append(
                (
                    rng.choice(shops).pk,
                    number,
                    status,
                    times[i],
                    times[i],
                    times[i] + timedelta(hours=2),
                    name,
                    "",
                    f"b{k}@example.jp",
                    phone,
                    rng.choice(["クレジットカード", "銀行振込", "代金引換"]),
                    amount,
                    amount,
                    warehouse.pk,
                    "",
                )
            )
        with transaction.atomic():
            first = (Order.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
            writes.insert_rows(Order, order_names, orders)
            ids = range(first, first + count)
            writes.insert_rows(
                Package,
                package_names,
                (
                    (pk, 1, o[6], o[9], "1000001", "東京都", "千代田区", "千代田1-1", "宅配便", "pending")
                    for pk, o in zip(ids, orders, strict=True)
                ),
            )
            pkg_first = Package.objects.filter(order_id=first).values_list("id", flat=True).get()
            writes.insert_rows(
                OrderLine,
                line_names,
                (
                    (
                        pk,
                        pkg_first + j,
                        1,
                        f"item-SKU-{(pk * 7) % 200:04d}",
                        "商品",
                        1,
                        o[11],
                        products[(pk * 7) % 200].pk,
                    )
                    for j, (pk, o) in enumerate(zip(ids, orders, strict=True))
                ),
            )
            for pk, o in zip(ids, orders, strict=True):
                terms += [(pk, t, o[3]) for t in terms_for(o[1], [o[6], o[6]], [o[9], o[9]], [o[8]])]
                if o[2] == "awaiting_check":
                    tags.append(
                        (
                            pk,
                            rng.choice(["address_invalid", "unmapped_item", "quantity_anomaly"]),
                            "system",
                            "bench",
                            o[3],
                        )
                    )
                elif o[2] == "checked" and rng.random() < 0.2:
                    tags.append((pk, "cutoff_at_risk", "system", "bench", o[3]))
            writes.insert_rows(OrderSearchTerm, ("order_id", "term", "ordered_at"), terms)
            writes.insert_rows(OrderTag, ("order_id", "code", "source", "reason", "created_at"), tags)
        done = base + count
        print(f"  built {done:>9,} orders ({time.perf_counter() - started:5.0f} s)", file=sys.stderr, flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(requests: int, seed: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from juchu.orders import queries
    from juchu.orders.models import Order
    from juchu.web.auth import Role, set_role

    user, _ = get_user_model().objects.get_or_create(username="bench-viewer")
    set_role(user, Role.VIEWER)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    rng = random.Random(seed)

    def timed(url: str, params: dict) -> tuple[float, str]:
        t = time.perf_counter()
        response = client.get(url, params)
        elapsed = (time.perf_counter() - t) * 1000
        assert response.status_code == 200, (url, params, response.status_code)
        return elapsed, response.content.decode()

    for tab in queries.TABS:  # warm up: templates compiled, connection open, pages cached
        timed("/orders/", {"tab": tab})
    results: dict[str, list[float]] = {}
    for tab in queries.TABS:
        samples = []
        for i in range(requests):
            ms, html = timed("/orders/", {"tab": tab})
            samples.append(ms)
            nxt = re.search(r'href="\?([^"]*)" rel="next"', html)
            if nxt and i % 2 == 0:
                ms2, _ = timed("/orders/?" + nxt.group(1).replace("&amp;", "&"), {})
                samples.append(ms2)
        results[f"tab:{tab}"] = samples
    orders = list(Order.objects.order_by("?").values_list("mall_order_number", "buyer_name", "phone")[:requests])
    searches = []
    for number, name, phone in orders:
        for q in (name, name.split()[-1], number, number[-8:], phone):
            searches.append(timed("/orders/", {"q": q})[0])
    for _ in range(requests // 4):
        searches.append(timed("/orders/", {"q": f"{rng.choice(FAMILY)}", "tab": "completed"})[0])
    results["search"] = searches
    counts = []
    for _ in range(max(10, requests // 2)):
        t = time.perf_counter()
        queries.tab_counts(queries.OrderFilter())
        counts.append((time.perf_counter() - t) * 1000)
    results["counts"] = counts
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench" / "results" / "ui")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", action="store_true", help="(the JSON line is always printed last)")
    args = parser.parse_args()
    data_dir = args.data_dir.resolve() / str(args.orders)
    database = data_dir / "juchu.sqlite3"
    if args.fresh and data_dir.exists():
        for path in data_dir.iterdir():
            path.unlink()
    existing = database.exists()
    data_dir.mkdir(parents=True, exist_ok=True)
    setup_django(data_dir)
    if not existing:
        print(f"building {args.orders:,} orders in {database} ...", file=sys.stderr)
        build(args.orders, args.seed)
    from juchu.orders.models import Order

    n = Order.objects.count()
    results = measure(args.requests, args.seed)
    print(f"{'what':<28}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for name, samples in results.items():
        print(
            f"{name:<28}{len(samples):>6}{quantile(samples, 0.5):>10.1f}{quantile(samples, 0.95):>10.1f}"
            f"{max(samples):>10.1f}"
        )
    summary = {
        "orders": n,
        "list_p95_ms": round(max(quantile(s, 0.95) for k, s in results.items() if k.startswith("tab:")), 1),
        "worst_tab": max((k for k in results if k.startswith("tab:")), key=lambda k: quantile(results[k], 0.95)),
        "search_p95_ms": round(quantile(results["search"], 0.95), 1),
        "counts_ms": round(quantile(results["counts"], 0.95), 1),
    }
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
