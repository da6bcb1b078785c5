"""Crash drill: ``juchu demo`` killed with SIGKILL at random moments while orders flow; nothing lost, nothing twice.

On a fresh data dir and free ports the drill starts, and keeps running across every kill:

- the sandbox (``python -m juchu_sandbox``), a separate process, so that its counts survive the OMS;
- a real SMTP server (aiosmtpd, in this process), the demo shop's SMTP server, which keeps every message;
- a buyer thread placing ``--orders`` orders at the sandbox mall through its control API (card, 代金引換 and
  銀行振込; the bank transfers are paid as soon as the shop confirmed them).

The OMS is ``juchu demo --sandbox-url … --no-generator --plenty-stock``: web server and embedded runner on
SQLite in the data dir, with ``JUCHU_LEASE_SECONDS=--lease-seconds`` (10): the (stage, shop) leases a killed
runner held block its successor until they expire, so with the default 60 s and kills every few seconds the
pipeline would stand still for the whole kill phase and the kills would hit only idle processes. Likewise
the effects and shipment requests a killed runner had claimed wait ``JUCHU_CLAIM_SECONDS`` (120, or
``--claim-seconds``) before they are retried. Both are safe to shorten here: one OMS runs at a time. It is
killed with SIGKILL ``--kills`` times, each after a random time, and started again at once; after the last
kill it runs until every order has settled and every effect is done, and is then stopped with SIGTERM.

The checks read the sandbox's control API, the SMTP server's inbox and Juchu's database:

- ``lost``: orders placed at the mall that are not in their expected final state in Juchu: 確認待 with the
  領収書 tag when the buyer's remarks ask for a 領収書 (the demo's custom tag rule), else 完了 with every
  package accepted once at RSL, reported to the mall and mailed about;
- ``duplicate_requests``: acceptances at RSL beyond one per request id and beyond one per package;
- ``duplicate_reports``: shipping records at the mall beyond one per parcel (tracking number) and basket;
- ``duplicate_mails``: distinct Message-IDs beyond one per (order, kind, shipment);
- ``mail_resends_same_message_id``: messages received again with a Message-ID already received. A kill after
  the SMTP server accepted a mail but before Juchu marked it sent resends that same message (SMTP cannot
  prevent it; the buyer's mail client shows it once): counted here, honestly, not in ``duplicate_mails``.

Usage: ``python bench/crash_drill.py --orders 5000 --kills 50 --seed 1 --json``
The last line printed is one JSON object; the exit code is 0 when nothing was lost or done twice.
"""

from __future__ import annotations

import argparse
import email
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _world

PAYMENTS = {"1": 6, "2": 2, "9": 2}  # card, 代金引換, bank transfer
RECEIPT_WORD = "領収書"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """The SMTP server's handler: keeps every accepted message's Message-ID, in order of arrival."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.message_ids: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        with self.lock:
            self.message_ids.append(str(message.get("Message-ID", "")).strip())
        return "250 OK"


class Buyers(threading.Thread):
    """Places the orders at the sandbox mall over ``seconds``, and pays bank transfers the shop confirmed."""

    def __init__(self, url: str, orders: int, batch: int, seconds: float, seed: int) -> None:
        super().__init__(name="drill-buyers", daemon=True)
        self.url, self.orders, self.batch, self.seconds, self.seed = url, orders, batch, seconds, seed
        self.numbers: list[str] = []
        self.placed_all = threading.Event()
        self.stopping = threading.Event()
        self.errors: list[str] = []

    def run(self) -> None:
        import httpx

        started = time.monotonic()
        rounds = max(1, -(-self.orders // self.batch))
        with httpx.Client(base_url=self.url, timeout=60) as control:
            while not self.stopping.is_set():
                try:
                    if len(self.numbers) < self.orders:
                        due_rounds = 1 + int((time.monotonic() - started) / self.seconds * rounds)
                        while len(self.numbers) < min(self.orders, due_rounds * self.batch):
                            count = min(self.batch, self.orders - len(self.numbers))
                            body = {"count": count, "seed": self.seed * 1_000_000 + len(self.numbers)}
                            answer = control.post("/_sandbox/rakuten/orders", json={**body, "paymentMix": PAYMENTS})
                            answer.raise_for_status()
                            self.numbers += answer.json()["orderNumbers"]
                        if len(self.numbers) >= self.orders:
                            self.placed_all.set()
                    waiting = control.get("/_sandbox/rakuten/orders", params={"progress": "200"})
                    for number in waiting.json()["orderNumbers"]:
                        control.post(f"/_sandbox/rakuten/orders/{number}/pay").raise_for_status()
                except httpx.HTTPError as exc:  # the sandbox is never killed: keep the reason and go on
                    self.errors.append(f"{exc.__class__.__name__}: {exc}")
                self.stopping.wait(0.5)


class Oms:
    """``juchu demo`` against the drill's sandbox, started and killed again and again."""

    def __init__(self, data_dir: Path, sandbox_url: str, grace: int, lease_seconds: int, claim_seconds: int | None):
        self.data_dir, self.sandbox_url, self.grace = data_dir, sandbox_url, grace
        self.lease_seconds, self.claim_seconds = lease_seconds, claim_seconds
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.log = open(data_dir / "oms.log", "ab")  # noqa: SIM115 - appended to by every start

    def start(self) -> None:
        self.starts += 1
        self.log.write(f"\n===== start {self.starts} =====\n".encode())
        self.log.flush()
        command = [
            sys.executable,
            "-m",
            "juchu",
            "demo",
            "--sandbox-url",
            self.sandbox_url,
            "--no-generator",
            "--plenty-stock",
            "--port",
            str(free_port()),
            "--grace",
            str(self.grace),
        ]
        env = {**os.environ, "JUCHU_DATA_DIR": str(self.data_dir), "JUCHU_LEASE_SECONDS": str(self.lease_seconds)}
        if self.claim_seconds is not None:
            env["JUCHU_CLAIM_SECONDS"] = str(self.claim_seconds)
        self.process = subprocess.Popen(
            command, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def kill(self) -> None:
        """SIGKILL, to the whole process group (the demo starts no child with --sandbox-url, but be sure)."""
        assert self.process is not None
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM: the graceful end after the drill."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def open_counts() -> dict[str, int]:
    """What is not finished yet in Juchu (read with Django from the drill's process)."""
    from django.db import close_old_connections
    from django.db.models import Count

    from juchu.domain.effects import EffectState
    from juchu.mail.models import OutgoingMail
    from juchu.orders.models import Effect, Order

    close_old_connections()
    by_status = dict(Order.objects.values_list("status").annotate(n=Count("id")))
    counts = {
        "orders": sum(by_status.values()),
        "unsettled": sum(n for status, n in by_status.items() if status not in ("completed", "awaiting_check")),
        "effects_pending": Effect.objects.filter(state=EffectState.PENDING.value).count(),
        "mails_unsent": OutgoingMail.objects.filter(sent_at__isnull=True).count(),
    }
    close_old_connections()
    return counts


def expected_status(mall_order: dict[str, Any]) -> str:
    """The final status the demo world gives an order: 確認待 for a 領収書 request, else 完了."""
    return "awaiting_check" if RECEIPT_WORD in (mall_order.get("remarks") or "") else "completed"


def check(sandbox_url: str, numbers: list[str], received: list[str]) -> dict[str, Any]:
    """Compare what the mall, RSL and the SMTP server received with what Juchu holds."""
    import httpx
    from django.db import close_old_connections

    from juchu.fulfillment.models import Parcel, Shipment
    from juchu.mail.models import OutgoingMail
    from juchu.orders.models import Order, OrderTag
    from juchu.orders.models import Package as PackageRow

    close_old_connections()
    rows = {o.mall_order_number: o for o in Order.objects.all()}
    receipt_tagged = set(OrderTag.objects.filter(code="receipt").values_list("order__mall_order_number", flat=True))
    packages_of: dict[str, set[str]] = defaultdict(set)
    for number, basket in PackageRow.objects.values_list("order__mall_order_number", "mall_package_id"):
        packages_of[number].add(basket)
    shipments_of = Counter(Shipment.objects.values_list("package__order__mall_order_number", flat=True))
    trackings: dict[str, set[str]] = defaultdict(set)
    for basket, tracking in Parcel.objects.values_list("shipment__package__mall_package_id", "tracking_number"):
        trackings[basket].add(tracking)

    wrong: list[str] = []
    expected_by_status: Counter[str] = Counter()
    doubled_records = missing_records = 0
    with httpx.Client(base_url=sandbox_url, timeout=60) as control:
        accepted = control.get("/_sandbox/rsl/shipments").json()["shipments"]
        summary = control.get("/_sandbox/rsl/summary").json()
        for number in numbers:
            mall = control.get(f"/_sandbox/rakuten/orders/{number}").json()
            want = expected_status(mall["order"])
            expected_by_status[want] += 1
            row = rows.get(number)
            if row is None:
                wrong.append(f"{number}: not imported")
                continue
            if row.status != want:
                wrong.append(f"{number}: {row.status}, expected {want} ({row.explanation})")
                continue
            if want == "awaiting_check" and number not in receipt_tagged:
                wrong.append(f"{number}: 確認待 without the 領収書 tag ({row.explanation})")
            per_basket: dict[str, list[str]] = defaultdict(list)
            for record in mall["shippingRecords"]:
                per_basket[str(record["basketId"])].append(record.get("shippingNumber") or "")
            for basket in packages_of[number]:
                sent = per_basket.get(basket, [])
                doubled_records += len(sent) - len(set(sent))
                if want == "completed" and set(sent) != trackings.get(basket, set()):
                    missing_records += 1
                    wrong.append(f"{number}#{basket}: mall holds {sorted(set(sent))}, Juchu {trackings.get(basket)}")

    per_request = Counter(s["requestId"] for s in accepted)
    per_package = Counter(f"{s['mallOrderNumber']}#{s['packageNumber']}" for s in accepted)
    completed = [n for n in numbers if rows.get(n) is not None and rows[n].status == "completed"]
    requested_orders = Counter(s["mallOrderNumber"] for s in accepted)
    not_requested = sum(max(0, len(packages_of[n]) - requested_orders[n]) for n in completed)

    # Mails: every row Juchu rendered, and what the SMTP server received.
    mails = list(OutgoingMail.objects.values_list("message_id", "order__mall_order_number", "kind", "effect__item_id"))
    by_id = {message_id: (number, kind, item) for message_id, number, kind, item in mails}
    received_ids = Counter(received)
    distinct_per_mail: Counter[tuple[str, str, str]] = Counter()
    for message_id in received_ids:
        if message_id in by_id:
            distinct_per_mail[by_id[message_id]] += 1
    unknown = [m for m in received_ids if m not in by_id]
    never_received = [m for m, *_ in mails if m not in received_ids]
    thanks = {number for number, kind, _item in distinct_per_mail if kind == "thanks_mail"}
    shipping_mails = Counter(number for number, kind, _item in distinct_per_mail if kind == "shipping_mail")
    mails_missing = sum(1 for n in completed if n not in thanks) + sum(
        max(0, shipments_of[n] - shipping_mails[n]) for n in completed
    )
    close_old_connections()
    return {
        "orders": len(numbers),
        "expected": dict(expected_by_status),
        "wrong": wrong,
        "rsl_accepted": len(accepted),
        "rsl_requests_received": summary["requestsReceived"],
        "rsl_repeats": summary["repeats"],
        "duplicate_requests_per_id": sum(n - 1 for n in per_request.values() if n > 1),
        "duplicate_requests_per_package": sum(n - 1 for n in per_package.values() if n > 1),
        "packages_not_requested": not_requested,
        "mall_records_doubled": doubled_records,
        "mall_records_wrong": missing_records,
        "mails_received": len(received),
        "mails_distinct": len(received_ids),
        "mail_resends_same_message_id": len(received) - len(received_ids),
        "duplicate_mails": sum(n - 1 for n in distinct_per_mail.values() if n > 1),
        "mails_unknown": len(unknown),
        "mails_never_received": len(never_received),
        "mails_missing": mails_missing,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1, help="seeds the kill times, the sandbox and the orders")
    parser.add_argument("--batch", type=int, default=50, help="orders placed at the mall per round")
    parser.add_argument("--min-gap", type=float, default=2.0, help="shortest run of the OMS before a kill (s)")
    parser.add_argument("--max-gap", type=float, default=14.0, help="longest run of the OMS before a kill (s)")
    parser.add_argument(
        "--place-seconds", type=float, default=None, help="spread the orders over this long (default: 80%% of kills)"
    )
    parser.add_argument("--grace", type=int, default=2, help="the demo shop's buyer-cancel grace (s)")
    parser.add_argument("--ship-delay", type=float, default=0.5, help="seconds RSL takes to ship")
    parser.add_argument(
        "--lease-seconds",
        type=int,
        default=10,
        help="JUCHU_LEASE_SECONDS of the OMS: a killed runner's (stage, shop) leases block its successor this long",
    )
    parser.add_argument(
        "--claim-seconds",
        type=int,
        default=None,
        help="JUCHU_CLAIM_SECONDS of the OMS (default: its own, 120): what a killed runner claimed waits this long",
    )
    parser.add_argument("--settle-seconds", type=float, default=900.0, help="how long to wait for the end")
    parser.add_argument("--data-dir", type=Path, default=None, help="default: a fresh temporary directory")
    parser.add_argument("--json", action="store_true", help="only the JSON line")
    options = parser.parse_args(argv)

    rng = random.Random(options.seed)
    gaps = [rng.uniform(options.min_gap, options.max_gap) for _ in range(options.kills)]
    place_seconds = options.place_seconds if options.place_seconds is not None else max(5.0, 0.8 * sum(gaps))

    if options.data_dir is not None:
        options.data_dir.mkdir(parents=True, exist_ok=True)
        os.environ["JUCHU_DATA_DIR"] = str(options.data_dir)
        data_dir = options.data_dir
    else:
        data_dir = _world.fresh_data_dir("juchu-crash-drill-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "juchu.settings")
    _world.setup_django()

    from aiosmtpd.controller import Controller
    from django.db import close_old_connections
    from django.utils import timezone

    from juchu.mail.models import SmtpSecurity, SmtpSettings
    from juchu.runtime import demo_world

    def say(text: str) -> None:
        if not options.json:
            print(text, flush=True)

    inbox = Inbox()
    smtp_port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    sandbox_port = free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    sandbox_log = open(data_dir / "sandbox.log", "wb")  # noqa: SIM115 - closed in finally
    sandbox = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "juchu_sandbox",
            "--port",
            str(sandbox_port),
            "--seed",
            str(options.seed),
            "--ship-delay",
            str(options.ship_delay),
        ],
        stdout=sandbox_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    oms = Oms(data_dir, sandbox_url, options.grace, options.lease_seconds, options.claim_seconds)
    buyers = Buyers(sandbox_url, options.orders, options.batch, place_seconds, options.seed)
    started = time.monotonic()
    kill_log: list[dict[str, Any]] = []
    try:
        import httpx

        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{sandbox_url}/_sandbox/health", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or sandbox.poll() is not None:
                    raise RuntimeError(f"the sandbox did not start, see {data_dir / 'sandbox.log'}") from None
                time.sleep(0.1)
        # RSL's 5 calls/s is the real limit, but thousands of orders in minutes need more.
        httpx.put(f"{sandbox_url}/_sandbox/rsl/settings", json={"rateLimitPerSecond": None}).raise_for_status()
        world = demo_world.configure(
            sandbox_url, grace_seconds=options.grace, with_unmapped=False, scarce_stock=False, rate_per_second=1000
        )
        SmtpSettings.objects.update_or_create(
            shop=world.shop,
            defaults={
                "host": "127.0.0.1",
                "port": smtp_port,
                "security": SmtpSecurity.NONE.value,
                "timeout_seconds": 5,
                "updated_at": timezone.now(),
            },
        )
        close_old_connections()
        say(f"data dir {data_dir}, sandbox {sandbox_url}, SMTP 127.0.0.1:{smtp_port}")
        say(f"{options.orders} orders over {place_seconds:.0f} s, {options.kills} kills")

        buyers.start()
        for i, gap in enumerate(gaps, 1):
            oms.start()
            time.sleep(gap)
            died_before = not oms.alive()
            oms.kill()
            counts = open_counts()
            kill_log.append({"kill": i, "after_s": round(gap, 2), "died_before": died_before, **counts})
            say(
                f"kill {i:3d} after {gap:5.1f} s: {counts['orders']:5d} orders, {counts['unsettled']:5d} unsettled, "
                f"{counts['effects_pending']:4d} effects pending, {len(inbox.message_ids):5d} mails received"
                + ("  (had died by itself!)" if died_before else "")
            )

        oms.start()
        buyers.placed_all.wait(timeout=max(0.0, place_seconds - (time.monotonic() - started)) + 120)
        settle_deadline = time.monotonic() + options.settle_seconds
        while time.monotonic() < settle_deadline:
            counts = open_counts()
            if (
                buyers.placed_all.is_set()
                and counts["orders"] >= options.orders
                and counts["unsettled"] == 0
                and counts["effects_pending"] == 0
                and counts["mails_unsent"] == 0
            ):
                break
            if not oms.alive():
                say("the OMS ended by itself; starting it again")
                oms.start()
            time.sleep(2.0)
        time.sleep(2.0)  # let a last RSL or SMTP answer arrive
        buyers.stopping.set()
        buyers.join(timeout=30)
        oms.stop()
        with inbox.lock:
            received = list(inbox.message_ids)
        result = check(sandbox_url, buyers.numbers, received)
    finally:
        buyers.stopping.set()
        oms.stop()
        smtp.stop()
        if sandbox.poll() is None:
            sandbox.terminate()
            sandbox.wait(timeout=10)
        sandbox_log.close()

    elapsed = round(time.monotonic() - started, 1)
    lost = len(result["wrong"]) + result["packages_not_requested"] + result["mails_missing"]
    lost += result["mails_never_received"] + max(0, options.orders - len(buyers.numbers))
    summary = {
        "orders": len(buyers.numbers),
        "kills": len(kill_log),
        "lost": lost,
        "duplicate_requests": result["duplicate_requests_per_id"] + result["duplicate_requests_per_package"],
        "duplicate_reports": result["mall_records_doubled"],
        "duplicate_mails": result["duplicate_mails"],
        "mail_resends_same_message_id": result["mail_resends_same_message_id"],
        "elapsed_s": elapsed,
        "expected": result["expected"],
        "rsl_accepted": result["rsl_accepted"],
        "rsl_requests_received": result["rsl_requests_received"],
        "mails_received": result["mails_received"],
        "mails_distinct": result["mails_distinct"],
        "mails_unknown": result["mails_unknown"],
        "kills_where_oms_had_died": sum(1 for k in kill_log if k["died_before"]),
        "buyer_errors": len(buyers.errors),
        "wrong_examples": result["wrong"][:5],
        "seed": options.seed,
        "lease_seconds": options.lease_seconds,
        "claim_seconds": options.claim_seconds,
    }
    if not options.json:
        print()
        print(f"{'check':40s} {'count':>8s}")
        for key in (
            "orders",
            "kills",
            "lost",
            "duplicate_requests",
            "duplicate_reports",
            "duplicate_mails",
            "mail_resends_same_message_id",
            "rsl_accepted",
            "rsl_requests_received",
            "mails_received",
            "mails_distinct",
            "mails_unknown",
            "kills_where_oms_had_died",
        ):
            print(f"{key:40s} {summary[key]:>8}")
        print(f"{'expected final states':40s} {summary['expected']}")
        for line in result["wrong"][:20]:
            print(f"  wrong: {line}")
    print(json.dumps(summary, ensure_ascii=False))
    ok = not (lost or summary["duplicate_requests"] or summary["duplicate_reports"] or summary["duplicate_mails"])
    return 0 if ok and not summary["mails_unknown"] else 1


if __name__ == "__main__":
    sys.exit(main())
