"""Kill test of the scale-out runtime: orders to 完了 while a random worker is SIGKILLed every few seconds.

The sandbox (Rakuten + RSL over HTTP), ``--workers`` ``juchu worker`` processes and one ``juchu scheduler`` on
PostgreSQL + Redis. ``--orders`` orders are placed at the sandbox mall; every ``--kill-every`` seconds one
worker, chosen at random, is killed with SIGKILL and started again. At the end it counts what the outside
world received: orders lost, RSL acceptances per request and per package, shipping records per package at
the mall, mails per Message-ID.

Usage: ``python bench/scale_kill.py --orders 5000 [--workers 3] [--kill-every 3] [--json]``
The last line printed is one JSON object; the exit code is 0 when every count is as it must be.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _cluster

PAYMENTS = {"1": 8, "2": 2}  # card, 代金引換: nobody has to pay by hand during the run


def check(sandbox_url: str, numbers: list[str], data_dir: Path) -> dict:
    """Count what Juchu holds and what the outside world received."""
    import httpx

    from juchu.domain.effects import EffectKind, EffectState
    from juchu.fulfillment.models import Parcel, Shipment
    from juchu.mail.models import OutgoingMail
    from juchu.orders.models import Effect, Order
    from juchu.orders.models import Package as PackageRow

    completed = set(Order.objects.filter(status="completed").values_list("mall_order_number", flat=True))
    known = set(Order.objects.values_list("mall_order_number", flat=True))
    trackings: dict[str, set[str]] = {}
    for basket, number in Parcel.objects.values_list("shipment__package__mall_package_id", "tracking_number"):
        trackings.setdefault(basket, set()).add(number)
    doubled_records = wrong_records = 0
    with httpx.Client(base_url=sandbox_url, timeout=30) as control:
        summary = control.get("/_sandbox/rsl/summary").json()
        for number in numbers:
            mall = control.get(f"/_sandbox/rakuten/orders/{number}").json()
            per_basket: dict[str, list[str]] = {}
            for record in mall["shippingRecords"]:
                per_basket.setdefault(str(record["basketId"]), []).append(record.get("shippingNumber") or "")
            for package in mall["order"]["PackageModelList"]:
                sent = per_basket.get(str(package["basketId"]), [])
                doubled_records += len(sent) - len(set(sent))
                wrong_records += set(sent) != trackings.get(str(package["basketId"]), set())
    thanks_per_order = Counter(
        OutgoingMail.objects.filter(kind=EffectKind.THANKS_MAIL.value).values_list("order_id", flat=True)
    )
    shipping_per_shipment = Counter(
        OutgoingMail.objects.filter(kind=EffectKind.SHIPPING_MAIL.value).values_list("effect__item_id", flat=True)
    )
    sends = _cluster.mail_message_ids(data_dir)
    thanks = OutgoingMail.objects.filter(kind=EffectKind.THANKS_MAIL.value, sent_at__isnull=False).count()
    shipping = OutgoingMail.objects.filter(kind=EffectKind.SHIPPING_MAIL.value, sent_at__isnull=False).count()
    failed = Effect.objects.filter(state=EffectState.FAILED.value)
    return {
        "effects_failed": failed.count(),
        "effects_failed_examples": list(failed.values_list("key", "last_error")[:3]),
        "orders_placed": len(numbers),
        "orders_imported": len(known & set(numbers)),
        "orders_completed": len(completed & set(numbers)),
        "orders_lost": len(set(numbers) - completed),
        "packages": PackageRow.objects.count(),
        "shipments": Shipment.objects.count(),
        "rsl_accepted": summary["accepted"],
        "rsl_requests_received": summary["requestsReceived"],
        "rsl_accepted_per_request_max": summary["acceptedPerRequestIdMax"],
        "rsl_accepted_per_package_max": summary["acceptedPerMallOrderNumberMax"],
        "mall_shipping_records_doubled": doubled_records,
        "mall_packages_with_wrong_records": wrong_records,
        "thanks_mails": thanks,
        "shipping_mails": shipping,
        "thanks_mails_per_order_max": max(thanks_per_order.values(), default=0),
        "shipping_mails_per_shipment_max": max(shipping_per_shipment.values(), default=0),
        "mail_message_ids_sent": len(sends),
        "mail_message_ids_sent_twice": sum(1 for n in sends.values() if n > 1),
    }


def verdict(result: dict) -> list[str]:
    """Every count that is not as it must be."""
    wrong = []
    if result["effects_failed"]:
        wrong.append(f"{result['effects_failed']} effects failed for good: {result['effects_failed_examples']}")
    if result["orders_lost"]:
        wrong.append(f"{result['orders_lost']} orders not completed")
    if result["rsl_accepted_per_request_max"] != 1 or result["rsl_accepted_per_package_max"] != 1:
        wrong.append("a package was accepted by RSL more than once")
    if result["rsl_accepted"] != result["shipments"] or result["shipments"] != result["packages"]:
        wrong.append("RSL acceptances, shipments and packages differ")
    if result["mall_shipping_records_doubled"] or result["mall_packages_with_wrong_records"]:
        wrong.append("shipping records at the mall are doubled or wrong")
    if result["thanks_mails"] != result["orders_placed"] or result["shipping_mails"] != result["shipments"]:
        wrong.append("not one thanks mail per order and one shipping mail per shipment")
    if result["thanks_mails_per_order_max"] != 1 or result["shipping_mails_per_shipment_max"] != 1:
        wrong.append("more than one mail of a kind per order or shipment")
    if result["mail_message_ids_sent"] != result["thanks_mails"] + result["shipping_mails"]:
        wrong.append("the mail files hold other messages than the sent mails")
    if result["mail_message_ids_sent_twice"]:
        wrong.append(f"{result['mail_message_ids_sent_twice']} mails were sent twice")
    return wrong


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--kill-every", type=float, default=3.0, help="seconds between two kills (0: none)")
    parser.add_argument("--max-seconds", type=float, default=600)
    parser.add_argument("--pg", default=_cluster.DEFAULT_PG, help="a PostgreSQL URL on the server to use")
    parser.add_argument("--database", default="juchu_h6_kill", help="database to (re)create for the run")
    parser.add_argument("--redis", default=_cluster.DEFAULT_REDIS)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args(argv)
    _cluster.stop_on_sigterm()

    for problem in (_cluster.pg_problem(args.pg), _cluster.redis_problem(args.redis)):
        if problem:
            raise SystemExit(problem)
    url = _cluster.recreate_database(args.pg, args.database)
    # Short leases and claims, so that the work of a killed worker is taken over within seconds.
    data_dir = _cluster.configure_env(
        url, args.redis, lease_seconds=10, claim_seconds=15, sync_interval_seconds=1, runner_idle_seconds=0.5
    )
    _cluster.setup_django()
    from tests.e2e.sandbox_world import free_port

    from juchu.runtime import demo_world, sandbox_process

    port = free_port()
    sandbox = sandbox_process.start(port, ship_delay=0.0)
    sandbox_url = f"http://127.0.0.1:{port}"
    cluster = _cluster.Cluster(data_dir)
    rng = random.Random(args.seed)
    try:
        world = demo_world.configure(
            sandbox_url, grace_seconds=0, with_unmapped=False, scarce_stock=False, rate_per_second=1000
        )
        world.shop.rules.all().delete()
        cluster.start(args.workers)
        time.sleep(3)  # the workers connect to Redis
        import httpx

        with httpx.Client(base_url=sandbox_url, timeout=60) as control:
            answer = control.post(
                "/_sandbox/rakuten/orders", json={"count": args.orders, "seed": args.seed, "paymentMix": PAYMENTS}
            )
            answer.raise_for_status()
            numbers = answer.json()["orderNumbers"]
        last_kill = time.monotonic()

        def chaos() -> None:
            nonlocal last_kill
            if args.kill_every and time.monotonic() - last_kill >= args.kill_every:
                cluster.kill_random_worker(rng)
                last_kill = time.monotonic()

        seconds = _cluster.wait_until(
            lambda: _cluster.statuses().get("completed", 0) >= len(numbers) and not _cluster.pending_effects(),
            max_seconds=args.max_seconds,
            tick=chaos,
        )
        crashed = cluster.alive()
        result = {
            "workers": args.workers,
            "kills": cluster.kills,
            "seconds": round(seconds, 1),
            "orders_per_s": round(len(numbers) / seconds, 1),
            "statuses": _cluster.statuses(),
            "crashed_on_their_own": crashed,
        }
        result |= check(sandbox_url, numbers, data_dir)
        result["problems"] = verdict(result)
    finally:
        cluster.stop()
        sandbox_process.stop(sandbox)
    if result["problems"]:
        print(cluster.log_tail(), file=sys.stderr)
    if not args.json:
        for key, value in result.items():
            print(f"{key:<40} {value}")
    print(json.dumps(result, ensure_ascii=False))
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
