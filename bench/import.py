"""Benchmark of 受注取込: N sandbox Rakuten orders imported by ``sync_shop`` over HTTP into SQLite.

Usage: ``python bench/import.py --orders 10000 [--json] [--profile out.html]``

Starts the sandbox on a free port, builds the demo world on it, creates N card orders there (not timed), then
times ``sync_shop`` (from no cursor, so it looks back 14 days) until a sync creates nothing more.
The last line printed is one JSON object (orders, import_seconds, import_per_s, http_calls, ...).
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _world

CHUNK = 1_000


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_orders(control, n: int, seed: int, payment_mix: dict[str, int]) -> list[str]:
    """``n`` generated orders in the sandbox mall, in chunks of 1,000; their numbers."""
    numbers: list[str] = []
    for start in range(0, n, CHUNK):
        count = min(CHUNK, n - start)
        answer = control.post(
            "/_sandbox/rakuten/orders", json={"count": count, "seed": seed + start, "paymentMix": payment_mix}
        )
        answer.raise_for_status()
        numbers += answer.json()["orderNumbers"]
    return numbers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    parser.add_argument("--profile", metavar="HTML", help="profile the import with pyinstrument")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    # SIGTERM (e.g. timeout) ends through the finally below: the sandbox stops, the temp dir goes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    data_dir = _world.fresh_data_dir(prefix="juchu-bench-import-")
    process = None
    try:
        _world.setup_django()
        import httpx
        from django.utils import timezone

        from juchu.orders.models import Order, OrderLine
        from juchu.orders.models import Package as PackageRow
        from juchu.orders.sync import sync_shop
        from juchu.runtime import demo_world, sandbox_process
        from juchu.shops.models import Shop

        port = free_port()
        process = sandbox_process.start(port, seed=args.seed, ship_delay=60)
        url = f"http://127.0.0.1:{port}"
        world = demo_world.configure(
            url, grace_seconds=1800, with_unmapped=False, scarce_stock=False, rate_per_second=1000
        )
        with httpx.Client(base_url=url, timeout=120) as control:
            started = time.perf_counter()
            numbers = create_orders(control, args.orders, args.seed, {"1": 1})
            create_seconds = time.perf_counter() - started
            control.delete("/_sandbox/rakuten/calls").raise_for_status()

            shop = Shop.objects.get(pk=world.shop.pk)
            assert shop.sync_cursor is None, shop.sync_cursor
            profiler = None
            if args.profile:
                from pyinstrument import Profiler

                profiler = Profiler()
                profiler.start()
            syncs: list[tuple[int, int, int, float]] = []
            started = time.perf_counter()
            while True:
                shop = Shop.objects.get(pk=world.shop.pk)
                t0 = time.perf_counter()
                result = sync_shop(shop, timezone.now())
                syncs.append((result.created, result.updated, result.errors, time.perf_counter() - t0))
                if result.failed:
                    raise SystemExit(f"sync failed: {result.failed}")
                if result.created == 0:
                    break
            import_seconds = time.perf_counter() - started
            if profiler is not None:
                profiler.stop()
                Path(args.profile).write_text(profiler.output_html())
                print(profiler.output_text(unicode=True, color=False, show_all=False), file=sys.stderr)
            calls = control.get("/_sandbox/rakuten/calls").json()["calls"]

        imported = Order.objects.filter(shop=world.shop).count()
        if imported != args.orders or set(numbers) != set(
            Order.objects.filter(shop=world.shop).values_list("mall_order_number", flat=True)
        ):
            raise SystemExit(f"expected {args.orders} orders imported, found {imported}")
        by_path: dict[str, int] = {}
        for call in calls:
            name = call["path"].rstrip("/").rsplit("/", 1)[-1]
            by_path[name] = by_path.get(name, 0) + 1
        report = {
            "orders": args.orders,
            "import_seconds": round(import_seconds, 3),
            "import_per_s": round(args.orders / import_seconds, 1),
            "http_calls": len(calls),
            "http_calls_by_api": by_path,
            "syncs": len(syncs),
            "packages": PackageRow.objects.count(),
            "lines": OrderLine.objects.count(),
            "create_in_sandbox_seconds": round(create_seconds, 3),
        }
        if not args.json:
            print(f"{'sync':<6} {'created':>9} {'updated':>9} {'errors':>7} {'seconds':>9} {'per second':>12}")
            for i, (created, updated, errors, seconds) in enumerate(syncs, 1):
                rate = f"{created / seconds:>12,.0f}" if created else f"{'-':>12}"
                print(f"{i:<6} {created:>9} {updated:>9} {errors:>7} {seconds:>9.2f} {rate}")
            print(
                f"{'total':<6} {args.orders:>9} {'':>9} {'':>7} {import_seconds:>9.2f} {report['import_per_s']:>12,.0f}"
            )
            print(
                f"HTTP calls to the mall: {len(calls)} ({', '.join(f'{k} {v}' for k, v in sorted(by_path.items()))}); "
                f"{report['packages']} packages, {report['lines']} lines; "
                f"creating the orders in the sandbox took {create_seconds:.1f}s (not timed)"
            )
        print(json.dumps(report, ensure_ascii=False))
        return 0
    finally:
        if process is not None:
            from juchu.runtime import sandbox_process

            sandbox_process.stop(process)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
