"""Helpers for the end-to-end tests over HTTP: a real sandbox process and Juchu's sweeps driving it."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from django.db.models import Count
from django.utils import timezone

from juchu.orders.models import Order
from juchu.runtime import demo_world, sandbox_process
from juchu.runtime.models import Lease
from juchu.runtime.sweeps import run_all

FINAL = {"completed", "cancelled"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Sandbox:
    """A running sandbox process and a client for its control API."""

    url: str
    control: httpx.Client

    def create_orders(self, count: int, seed: int, payment_mix: dict[str, float] | None = None) -> list[str]:
        body: dict[str, object] = {"count": count, "seed": seed}
        if payment_mix:
            body["paymentMix"] = payment_mix
        answer = self.control.post("/_sandbox/rakuten/orders", json=body)
        answer.raise_for_status()
        return answer.json()["orderNumbers"]

    def pay_confirmed_bank_transfers(self) -> int:
        """The buyers of orders waiting in 200 (楽天処理中: bank transfer) pay."""
        waiting = self.control.get("/_sandbox/rakuten/orders", params={"progress": "200"}).json()["orderNumbers"]
        for number in waiting:
            self.control.post(f"/_sandbox/rakuten/orders/{number}/pay").raise_for_status()
        return len(waiting)

    def rsl_summary(self) -> dict:
        return self.control.get("/_sandbox/rsl/summary").json()

    def mall_order(self, number: str) -> dict:
        return self.control.get(f"/_sandbox/rakuten/orders/{number}").json()


@contextmanager
def running_sandbox(ship_delay: float = 0.0) -> Iterator[Sandbox]:
    """Start ``python -m juchu_sandbox`` on a free port for the duration of the block."""
    port = free_port()
    process = sandbox_process.start(port, ship_delay=ship_delay)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=30) as control:
            yield Sandbox(url=url, control=control)
    finally:
        sandbox_process.stop(process)


def statuses() -> dict[str, int]:
    return dict(Order.objects.values_list("status").annotate(n=Count("id")))


def drive(sandbox: Sandbox, done: Callable[[], bool], *, max_seconds: float, pay: bool = True) -> tuple[float, int]:
    """Run sweep passes on the real clock until ``done()`` or the time is up; returns (seconds, passes)."""
    started = time.monotonic()
    passes = 0
    while time.monotonic() - started < max_seconds:
        run_all(timezone.now())
        passes += 1
        if pay:
            sandbox.pay_confirmed_bank_transfers()
        if done():
            break
        time.sleep(0.05)
    return time.monotonic() - started, passes


def sweep_errors() -> dict[str, str]:
    return {f"{lease.stage}/{lease.scope}": lease.last_error for lease in Lease.objects.exclude(last_error="")}


def configure_plain(sandbox: Sandbox) -> demo_world.DemoWorld:
    """The demo world without the deliberate stops (no unmapped item, plenty of stock, no receipt rule)."""
    world = demo_world.configure(
        sandbox.url, grace_seconds=0, with_unmapped=False, scarce_stock=False, rate_per_second=1000
    )
    world.shop.rules.all().delete()
    return world
