"""Memory of ``juchu serve`` while its runner advances N due orders: peak RSS (process + children).

Usage: ``python bench/serve_memory.py --orders 100000 [--seconds 20] [--json]``; the last line is JSON.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _world


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port: int) -> bool:
    """Any HTTP response on / (redirects are not followed)."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/")
        conn.getresponse().read()
        conn.close()
        return True
    except OSError:
        return False


def rss_mb(proc) -> float:
    import psutil

    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total / 1024 / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the runner works after startup")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    import psutil

    data_dir = _world.fresh_data_dir("juchu-serve-")
    _world.setup_django()
    from django.db import connection
    from django.utils import timezone

    load_seconds = _world.load_orders(_world.build_world(), args.orders, timezone.now())
    connection.close()

    port = free_port()
    juchu = shutil.which("juchu") or str(Path(sys.executable).with_name("juchu"))
    env = {**os.environ, "JUCHU_DATA_DIR": str(data_dir)}
    log = open(data_dir / "serve.log", "wb")  # noqa: SIM115
    started = time.perf_counter()
    server = subprocess.Popen([juchu, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    proc = psutil.Process(server.pid)
    samples: list[tuple[float, float]] = []
    ready_after = None
    try:
        while time.perf_counter() - started < 120:
            samples.append((time.perf_counter() - started, rss_mb(proc)))
            if server.poll() is not None:
                raise SystemExit(f"juchu serve exited with {server.returncode}; see {data_dir / 'serve.log'}")
            if answers(port):
                ready_after = time.perf_counter() - started
                break
            time.sleep(0.5)
        if ready_after is None:
            raise SystemExit("juchu serve did not answer within 120 s")
        until = time.perf_counter() + args.seconds
        while time.perf_counter() < until:
            samples.append((time.perf_counter() - started, rss_mb(proc)))
            time.sleep(0.5)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()

    import sqlite3

    db = sqlite3.connect(str(data_dir / "juchu.sqlite3"))
    remaining = db.execute("SELECT COUNT(*) FROM orders_order WHERE due_at IS NOT NULL").fetchone()[0]
    db.close()
    max_rss = max(mb for _t, mb in samples)
    report = {
        "orders": args.orders,
        "max_rss_mb": round(max_rss, 1),
        "final_rss_mb": round(samples[-1][1], 1),
        "ready_seconds": round(ready_after, 2),
        "run_seconds": args.seconds,
        "still_due": remaining,
        "advanced": args.orders - remaining,
        "load_seconds": round(load_seconds, 2),
        "samples": len(samples),
        "data_dir": str(data_dir),
    }
    if not args.json:
        print(f"{'t (s)':>8} {'rss (MB)':>10}")
        for t, mb in samples[:: max(1, len(samples) // 20)]:
            print(f"{t:>8.1f} {mb:>10.1f}")
        print(f"max RSS {max_rss:.1f} MB; advanced {report['advanced']} of {args.orders} in {args.seconds:.0f} s")
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
