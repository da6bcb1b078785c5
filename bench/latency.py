"""Benchmark of the runner's latency with many open orders: grace expiry → RSL acceptance, RSL ship → Rakuten report.

Usage: ``python bench/latency.py --orders 10000 --seconds 60 [--rate 5] [--grace 20] [--json]``

On a fresh data dir: the sandbox (ship delay 1 s, RSL rate limit off) and the demo world with a short grace;
N 銀行振込 orders (spread over the last days, so they wait at 確認済 for payment and stay open) are imported and
settled before the clock starts. Then the EmbeddedRunner thread runs on the real clock while a steady stream of card
orders arrives at the mall. For each stream order: (a) its RSL ``acceptedAt`` minus (order time + grace), and
(b) the time the mall's order went to 500 (shipping record added) minus the RSL shipment's ``endedAt``.
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _world

CHUNK = 1_000


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def quantile(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))
    return ordered[rank]


def parse_time(value: str) -> datetime:
    """RSL (``…+09:00``) and Rakuten (``…+0900``) times."""
    return datetime.fromisoformat(value) if value[-3] == ":" else datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")


def settle(run_all, now_fn, max_passes: int = 50) -> int:
    """One pass after another until a pass does nothing but look at the mall; the number of passes."""
    for passes in range(1, max_passes + 1):
        done = run_all(now_fn())
        if not any(count for stage, count in done.items() if stage != "mall_sync"):
            return passes
    return max_passes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000, help="open orders loaded before the clock starts")
    parser.add_argument("--seconds", type=float, default=60.0, help="measurement window (stream duration)")
    parser.add_argument("--rate", type=float, default=5.0, help="stream orders per second")
    parser.add_argument("--grace", type=int, default=20, help="the shop's cancel grace in seconds")
    parser.add_argument("--ship-delay", type=float, default=1.0)
    parser.add_argument(
        "--open-spread-seconds",
        type=int,
        default=2 * 86400,
        help="the open orders' order times are spread this far back (0 = all placed just now)",
    )
    parser.add_argument("--drain-seconds", type=float, default=90.0, help="how long to wait for the last reports")
    parser.add_argument(
        "--profile", metavar="HTML", help="profile one runner pass (before the stream) with pyinstrument"
    )
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    # SIGTERM (e.g. timeout) ends through the finally below: the sandbox stops, the temp dir goes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    os.environ["JUCHU_SYNC_INTERVAL_SECONDS"] = "1"
    os.environ["JUCHU_STOCK_SYNC_INTERVAL_SECONDS"] = "60"
    data_dir = _world.fresh_data_dir(prefix="juchu-bench-latency-")
    process = None
    runner = None
    try:
        _world.setup_django()
        import httpx
        from django.db.models import Count
        from django.utils import timezone

        from juchu.domain.status import OrderStatus
        from juchu.orders.models import Order
        from juchu.orders.sync import sync_shop
        from juchu.runtime import demo_world, sandbox_process
        from juchu.runtime.runner import EmbeddedRunner
        from juchu.runtime.sweeps import run_all
        from juchu.shops.models import Shop

        port = free_port()
        process = sandbox_process.start(port, seed=args.seed, ship_delay=args.ship_delay)
        url = f"http://127.0.0.1:{port}"
        control = httpx.Client(base_url=url, timeout=120)
        control.put(
            "/_sandbox/rsl/settings",
            json={"shipDelaySeconds": args.ship_delay, "rateLimitPerSecond": None, "waitForShipByDate": False},
        ).raise_for_status()
        world = demo_world.configure(
            url, grace_seconds=args.grace, with_unmapped=False, scarce_stock=False, rate_per_second=1000
        )

        # ---- the open orders, imported and settled before the clock starts ----
        load_started = time.perf_counter()
        for start in range(0, args.orders, CHUNK):
            body = {"count": min(CHUNK, args.orders - start), "seed": args.seed + start, "paymentMix": {"9": 1}}
            if args.open_spread_seconds:
                body["spreadSeconds"] = args.open_spread_seconds
            control.post("/_sandbox/rakuten/orders", json=body).raise_for_status()
        while sync_shop(Shop.objects.get(pk=world.shop.pk), timezone.now()).created:
            pass
        settle_passes = settle(run_all, timezone.now)
        # Open orders placed just now are still in their grace: wait for it to end and settle them too.
        # (only grace: stopped orders are also due again at the next cutoff or midnight, hours away)
        last_due = (
            Order.objects.filter(status=OrderStatus.NEW.value, due_at__gt=timezone.now())
            .order_by("-due_at")
            .values_list("due_at", flat=True)
        )
        if last_due:
            time.sleep(max(0.0, (last_due[0] - timezone.now()).total_seconds()) + 1)
            settle_passes += settle(run_all, timezone.now)
        load_seconds = time.perf_counter() - load_started
        final = [s.value for s in OrderStatus if s.is_final]
        open_orders = Order.objects.exclude(status__in=final).count()
        by_status = dict(
            Order.objects.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n")
        )

        pass_seconds = []
        for _ in range(3):
            t0 = time.perf_counter()
            run_all(timezone.now())
            pass_seconds.append(time.perf_counter() - t0)
        if args.profile:
            from pyinstrument import Profiler

            time.sleep(1.1)  # the shop is due for a sync again
            profiler = Profiler()
            profiler.start()
            run_all(timezone.now())
            profiler.stop()
            Path(args.profile).write_text(profiler.output_html())
            print(profiler.output_text(unicode=True, color=False, show_all=False), file=sys.stderr)

        # ---- the window: the runner on the real clock, a steady stream of card orders ----
        runner = EmbeddedRunner()
        runner.start()
        stream: list[str] = []
        interval = 1.0 / args.rate
        window_started = time.monotonic()
        tick = window_started
        while tick < window_started + args.seconds:
            delay = tick - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            answer = control.post(
                "/_sandbox/rakuten/orders",
                json={"count": 1, "seed": args.seed + 10_000_000 + len(stream), "paymentMix": {"1": 1}},
            )
            answer.raise_for_status()
            stream += answer.json()["orderNumbers"]
            tick += interval
        stream_set = set(stream)

        # ---- wait until every stream order is reported (500) at the mall ----
        deadline = time.monotonic() + args.grace + args.drain_seconds
        while time.monotonic() < deadline:
            reported = set(control.get("/_sandbox/rakuten/orders", params={"progress": "500"}).json()["orderNumbers"])
            if stream_set <= reported:
                break
            time.sleep(1)
        runner.stop()
        runner.join(timeout=60)
        passes = runner.passes
        runner_alive = runner.is_alive()
        runner = None

        # ---- measure ----
        accepted: dict[str, list[datetime]] = {}
        for received in control.get("/_sandbox/rsl/requests").json()["requests"]:
            request, answer = received.get("request") or {}, received.get("answer") or {}
            number = request.get("mallOrderNumber") if isinstance(request, dict) else None
            if number in stream_set and answer.get("acceptedAt") and not received.get("repeat"):
                accepted.setdefault(number, []).append(parse_time(answer["acceptedAt"]))
        shipped: dict[str, list[datetime]] = {}
        for shipment in control.get("/_sandbox/rsl/shipments").json()["shipments"]:
            number = shipment["mallOrderNumber"]
            if number in stream_set and shipment["status"] == "shipped" and shipment.get("endedAt"):
                shipped.setdefault(number, []).append(parse_time(shipment["endedAt"]))
        # Orders Juchu stops on purpose (the demo's 領収書 rule → 確認待) never go to the warehouse: not measured.
        held = set(
            Order.objects.filter(mall_order_number__in=stream, status=OrderStatus.AWAITING_CHECK.value).values_list(
                "mall_order_number", flat=True
            )
        )
        grace = timedelta(seconds=args.grace)
        to_request: list[float] = []
        to_report: list[float] = []
        missing_request, missing_report = [], []
        for number in stream:
            if number in held:
                continue
            mall = control.get(f"/_sandbox/rakuten/orders/{number}").json()
            ordered_at = parse_time(mall["order"]["orderDatetime"])
            if number in accepted:
                to_request.append((max(accepted[number]) - (ordered_at + grace)).total_seconds())
            else:
                missing_request.append(number)
            reported_at = next((parse_time(h["time"]) for h in mall["history"] if h["to"] == 500), None)
            if number in shipped and reported_at is not None:
                to_report.append((reported_at - max(shipped[number])).total_seconds())
            else:
                missing_report.append(number)

        def stats(values: list[float]) -> dict[str, float]:
            return {
                "p50": quantile(values, 0.50),
                "p95": quantile(values, 0.95),
                "p99": quantile(values, 0.99),
                "max": max(values) if values else float("nan"),
                "mean": statistics.fmean(values) if values else float("nan"),
            }

        a, b = stats(to_request), stats(to_report)
        report = {
            "orders": open_orders,
            "stream_orders": len(stream),
            "grace_to_request_p50_s": a["p50"],
            "grace_to_request_p95_s": a["p95"],
            "grace_to_request_p99_s": a["p99"],
            "grace_to_request_max_s": a["max"],
            "ship_to_report_p50_s": b["p50"],
            "ship_to_report_p95_s": b["p95"],
            "ship_to_report_p99_s": b["p99"],
            "ship_to_report_max_s": b["max"],
            "held_for_check": len(held),
            "not_requested": len(missing_request),
            "not_reported": len(missing_report),
            "runner_passes": passes,
            "quiet_pass_seconds": round(statistics.median(pass_seconds), 3),
            "load_seconds": round(load_seconds, 1),
            "settle_passes": settle_passes,
            "open_by_status": by_status,
            "grace_seconds": args.grace,
            "stream_per_second": args.rate,
            "window_seconds": args.seconds,
        }
        if not args.json:
            print(f"{open_orders} open orders ({by_status}) loaded in {load_seconds:.1f}s; a quiet runner pass takes")
            print(f"{report['quiet_pass_seconds']:.3f}s; {len(stream)} stream orders over {args.seconds:.0f}s")
            print(
                f"(grace {args.grace}s, ship delay {args.ship_delay}s), {passes} runner passes; {len(held)} held at "
                "確認待 by the demo's 領収書 rule (not measured). Sandbox times are to the second."
            )
            print(f"{'latency (s)':<34} {'n':>5} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>6} {'mean':>6}")
            for label, values, s in (
                ("grace expiry → RSL accepted", to_request, a),
                ("RSL shipped → Rakuten report", to_report, b),
            ):
                print(
                    f"{label:<34} {len(values):>5} {s['p50']:>6.1f} {s['p95']:>6.1f} {s['p99']:>6.1f} "
                    f"{s['max']:>6.1f} {s['mean']:>6.2f}"
                )
            if runner_alive:
                print("the runner thread did not end within 60 s")
            for number in dict.fromkeys(missing_request + missing_report):
                row = Order.objects.filter(mall_order_number=number).values_list("status", "explanation").first()
                print(f"not requested/reported: {number} {row}")
        print(json.dumps(report, ensure_ascii=False))
        return 0
    finally:
        if runner is not None:
            runner.stop()
            runner.join(timeout=60)
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
