"""Benchmark of the advance sweep: N due orders from 新規 to 出荷待ち, against a raw SQLite insert baseline.

Usage: ``python bench/pipeline.py --orders 100000 [--batch 500] [--split] [--json] [--profile out.html]``

``--split`` (分割出荷, decision 0010): the shop gets a second warehouse that holds every odd SKU, and the first
keeps only the even ones, so an order with both kinds of lines is split across the two warehouses.

The last line printed is one JSON object (orders, advance_per_s, baseline_insert_per_s, ratio, ...).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _world


def baseline_insert(n: int, columns: list[str]) -> float:
    """Seconds for one executemany insert of ``n`` order-shaped rows into a fresh WAL file database."""
    with tempfile.TemporaryDirectory(prefix="juchu-baseline-") as tmp:
        db = sqlite3.connect(str(Path(tmp) / "baseline.sqlite3"), isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(
            "CREATE TABLE orders_order (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            + ", ".join(f'"{c}"' for c in columns if c != "id")
            + ")"
        )
        names = [c for c in columns if c != "id"]
        template = [
            "2026-11-26 01:00:00" if c.endswith("_at") else 1 if c.endswith("_id") or c == "version" else "x"
            for c in names
        ]
        number = names.index("mall_order_number")
        rows = []
        for i in range(n):
            row = list(template)
            row[number] = f"bench-{i:08d}"
            rows.append(tuple(row))
        sql = f"INSERT INTO orders_order ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        started = time.perf_counter()
        db.execute("BEGIN")
        db.executemany(sql, rows)
        db.execute("COMMIT")
        seconds = time.perf_counter() - started
        db.close()
    return seconds


def run_advance(batch: int) -> tuple[int, int, float]:
    """The advance sweep as the runner runs it, over every due order; returns (looked at, batches, seconds)."""
    from django.utils import timezone

    from juchu.orders.advance import advance_all_due

    now = timezone.now()
    started = time.perf_counter()
    result = advance_all_due(now, batch=batch, max_batches=10**6)
    seconds = time.perf_counter() - started
    return result.looked_at, -(-result.looked_at // batch), seconds


def split_stock(world: dict) -> None:
    """Odd SKUs only in a second warehouse (the shop's 分割出荷 warehouse), even SKUs only in the first."""
    from juchu.catalog.models import Product, Stock
    from juchu.fulfillment.models import Warehouse
    from juchu.shops.models import Shop

    second = Warehouse.objects.create(code="own", name="自社倉庫", connector="")
    Shop.objects.filter(pk=world["shop"].pk).update(split_warehouse=second)
    odd = [p for p in Product.objects.filter(is_set=False) if int(p.code.rsplit("-", 1)[1]) % 2]
    Stock.objects.filter(warehouse=world["warehouse"], product__in=odd).update(on_hand=0)
    Stock.objects.bulk_create(Stock(warehouse=second, product=p, on_hand=10_000_000) for p in odd)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=None, help="advance batch size (default JUCHU_BATCH_SIZE)")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    parser.add_argument("--profile", metavar="HTML", help="profile the advance stage with pyinstrument")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--split", action="store_true", help="odd SKUs only in a second warehouse (分割出荷)")
    args = parser.parse_args(argv)

    data_dir = _world.fresh_data_dir()
    _world.setup_django()
    from django.conf import settings
    from django.db.models import Count
    from django.utils import timezone

    from juchu.domain.status import OrderStatus
    from juchu.orders.models import Order

    batch = args.batch or settings.JUCHU_BATCH_SIZE
    world = _world.build_world()
    if args.split:
        split_stock(world)
    load_seconds = _world.load_orders(world, args.orders, timezone.now(), seed=args.seed)

    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    looked, batches, advance_seconds = run_advance(batch)
    if profiler is not None:
        profiler.stop()
        Path(args.profile).write_text(profiler.output_html())
        print(profiler.output_text(unicode=True, color=False, show_all=False), file=sys.stderr)

    waiting = Order.objects.filter(status=OrderStatus.AWAITING_SHIPMENT.value).count()
    # --split: a set whose components lie in both warehouses cannot ship (a set is packed in one place)
    unsplittable = Order.objects.filter(
        status=OrderStatus.CHECKED.value, explanation__contains="1明細は1つの倉庫から出荷する"
    ).count()
    if waiting + unsplittable != args.orders or (unsplittable and not args.split):
        by_status = dict(Order.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
        raise SystemExit(f"expected {args.orders} orders in awaiting_shipment, got {waiting}: {by_status}")
    tagged = Order.objects.filter(tags__code__in=["gift-wrap", "high-value"]).distinct().count()
    split = Order.objects.filter(packages__split_from__isnull=False).distinct().count()
    moved = Order.objects.filter(packages__warehouse__isnull=False, packages__split_from__isnull=True).distinct()

    columns = [f.column for f in Order._meta.concrete_fields]
    baseline_seconds = baseline_insert(args.orders, columns)

    advance_per_s = args.orders / advance_seconds
    baseline_per_s = args.orders / baseline_seconds
    report = {
        "orders": args.orders,
        "batch_size": batch,
        "batches": batches,
        "looked_at": looked,
        "tagged_by_rules": tagged,
        "split_orders": split,
        "unsplittable_set_orders": unsplittable,
        "moved_whole_orders": moved.exclude(packages__split_from__isnull=False).count(),
        "load_seconds": round(load_seconds, 3),
        "advance_seconds": round(advance_seconds, 3),
        "advance_per_s": round(advance_per_s, 1),
        "baseline_insert_seconds": round(baseline_seconds, 4),
        "baseline_insert_per_s": round(baseline_per_s, 1),
        "ratio": round(advance_per_s / baseline_per_s, 5),
        "order_columns": len(columns),
        "data_dir": str(data_dir),
    }
    if not args.json:
        rows = [
            ("load (bulk insert, not measured)", args.orders, load_seconds),
            ("advance (new → awaiting_shipment)", args.orders, advance_seconds),
            ("baseline raw sqlite3 executemany", args.orders, baseline_seconds),
        ]
        print(f"{'stage':<36} {'orders':>9} {'seconds':>9} {'per second':>12}")
        for stage, count, seconds in rows:
            print(f"{stage:<36} {count:>9} {seconds:>9.2f} {count / seconds:>12,.0f}")
        print(f"batch size {batch}, {batches} batches, {tagged} orders tagged by rules (not stopped)")
        if args.split:
            print(
                f"分割出荷: {split} orders split, {report['moved_whole_orders']} moved whole to the second warehouse, "
                f"{unsplittable} wait (a set with components in both)"
            )
        print(f"ratio advance/baseline: {report['ratio']:.4f}")
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
