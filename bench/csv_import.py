"""Benchmark of 受注CSV取込: a 100,000-row order CSV (CP932, CRLF) imported into SQLite.

Usage: ``python bench/csv_import.py [--rows 100000] [--json] [--profile out.html]``

Builds the bench world (a shop with ~200 mapped SKUs), writes an order CSV of N rows (two lines per order,
every fifth order with a second destination; not timed), then times ``commit_order_csv`` on it from bytes
to committed orders, as the upload screen and ``juchu import-orders`` do. Baseline in the same process:
decoding the file and splitting it with the standard ``csv`` module only. A second commit of the same file
is timed too (it must create nothing). The last line printed is one JSON object (rows, seconds, ...).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import shutil
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _world


def make_csv(rows: int, items: list[str], seed: int) -> bytes:
    """An order CSV in the documented layout with ``rows`` data rows, CP932 and CRLF as Excel saves it."""
    from juchu.csvio.order_layout import ALL_COLUMNS

    rng = random.Random(seed)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ALL_COLUMNS)
    written, n = 0, 0
    while written < rows:
        n += 1
        number = f"CSV-{n:07d}"
        surname = rng.choice(_world.SURNAMES)
        postal, prefecture, city = rng.choice(_world.POSTAL_CODES)
        packages = 2 if n % 5 == 0 else 1
        per_package = 1 if packages == 2 else 2
        for package in range(1, packages + 1):
            for _ in range(per_package):
                if written == rows:
                    break
                item = rng.choice(items)
                writer.writerow(
                    [
                        number,
                        f"2026-11-26 {n % 24:02d}:{n % 60:02d}:00",
                        f"{surname} 太郎",
                        "ヤマダ タロウ",
                        f"buyer{n}@example.jp",
                        "03-1234-5678",
                        "クレジットカード",
                        "オーソリ済",
                        "",
                        0,
                        0,
                        0,
                        "",
                        0,
                        "ギフト包装希望" if n % 17 == 0 else "",
                        package,
                        f"{surname} 花子",
                        "",
                        "090-0000-0000",
                        postal,
                        prefecture,
                        city,
                        "1-2-3",
                        "コーポ101",
                        "宅配便",
                        "",
                        "",
                        item,
                        "",
                        f"商品 {item}",
                        rng.randint(5, 200) * 100,
                        rng.randint(1, 3),
                    ]
                )
                written += 1
    return out.getvalue().encode("cp932")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    parser.add_argument("--profile", metavar="HTML", help="profile the commit with pyinstrument")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    data_dir = _world.fresh_data_dir(prefix="juchu-bench-csv-")
    try:
        _world.setup_django()
        from django.utils import timezone

        from juchu.csvio.orders import commit_order_csv
        from juchu.orders.models import Order, OrderLine

        world = _world.build_world()
        data = make_csv(args.rows, world["mall_items"], args.seed)

        started = time.perf_counter()
        baseline_rows = sum(1 for _ in csv.reader(io.StringIO(data.decode("cp932"), newline=""))) - 1
        baseline = time.perf_counter() - started

        profiler = None
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
        started = time.perf_counter()
        result = commit_order_csv(world["shop"], data, "bench", timezone.now())
        seconds = time.perf_counter() - started
        if profiler is not None:
            profiler.stop()
            Path(args.profile).write_text(profiler.output_html())

        started = time.perf_counter()
        again = commit_order_csv(world["shop"], data, "bench", timezone.now())
        again_seconds = time.perf_counter() - started

        figures = {
            "rows": args.rows,
            "seconds": round(seconds, 2),
            "rows_per_s": round(args.rows / seconds),
            "orders": len(result.created),
            "errors": len(result.errors),
            "lines_in_db": OrderLine.objects.count(),
            "orders_in_db": Order.objects.count(),
            "baseline_csv_split_seconds": round(baseline, 3),
            "ratio_to_baseline": round(seconds / baseline, 1) if baseline else None,
            "reupload_seconds": round(again_seconds, 2),
            "reupload_created": len(again.created),
            "reupload_unchanged": len(again.unchanged),
            "file_bytes": len(data),
        }
        assert baseline_rows == args.rows and figures["lines_in_db"] == args.rows, figures
        if not args.json:
            width = max(len(k) for k in figures)
            for key, value in figures.items():
                print(f"{key:<{width}}  {value}")
        print(json.dumps(figures))
        return 0
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
