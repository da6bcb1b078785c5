"""The scale-out runtime as real processes, for the benchmarks and the multi-process tests.

A fresh PostgreSQL database, a Redis database, sandboxes (one per shop), ``juchu worker`` processes and one
``juchu scheduler``, all started with the same ``JUCHU_*`` environment. Django in *this* process is set up
against the same database (call :func:`configure_env` before :func:`setup_django`), so the caller builds the
world and reads the results directly.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/juchu_h6"
DEFAULT_REDIS = "redis://127.0.0.1:6379/6"
FINAL = {"completed", "cancelled"}


def with_database(url: str, name: str) -> str:
    """``url`` with its database name replaced."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def recreate_database(base_url: str, name: str) -> str:
    """Drop and create database ``name`` on ``base_url``'s server; returns its URL."""
    import psycopg

    with psycopg.connect(with_database(base_url, "postgres"), autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return with_database(base_url, name)


def redis_problem(url: str) -> str:
    """Why Redis at ``url`` cannot be used ("" when it answers)."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:  # any failure is the answer
        return f"Redis at {url} does not answer: {exc.__class__.__name__}: {exc}"
    return ""


def pg_problem(url: str) -> str:
    """Why PostgreSQL at ``url`` cannot be used ("" when it answers)."""
    import psycopg

    try:
        psycopg.connect(with_database(url, "postgres"), connect_timeout=3).close()
    except Exception as exc:  # any failure is the answer
        return f"PostgreSQL at {url} does not answer: {exc.__class__.__name__}: {exc}"
    return ""


def stop_on_sigterm() -> None:
    """Let SIGTERM (a CI time-out, ``kill``) unwind like Ctrl+C, so the processes started here are stopped too."""

    def _exit(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)


def configure_env(database_url: str, broker_url: str, **settings: object) -> Path:
    """Point this process (and the processes it starts) at the database and broker; returns the data dir."""
    import redis

    redis.Redis.from_url(broker_url).flushdb()  # wake-ups left from an earlier run would only add noise
    data_dir = Path(tempfile.mkdtemp(prefix="juchu-scale-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "juchu.settings",
            "JUCHU_DATA_DIR": str(data_dir),
            "JUCHU_DATABASE_URL": database_url,
            "JUCHU_BROKER_URL": broker_url,
            "JUCHU_LOG_LEVEL": "WARNING",
        }
    )
    os.environ.update({f"JUCHU_{k.upper()}": str(v) for k, v in settings.items()})
    return data_dir


def setup_django(migrate: bool = True) -> None:
    """django.setup() and, on a fresh database, migrate (without the system checks: no pages are served)."""
    import django
    from django.core.management import call_command

    django.setup()
    if migrate:
        call_command("migrate", interactive=False, verbosity=0, skip_checks=True)


@dataclass
class Cluster:
    """``juchu worker`` processes (one process each, ``--pool solo``) and one ``juchu scheduler``."""

    data_dir: Path
    workers: list[subprocess.Popen | None] = field(default_factory=list)
    scheduler: subprocess.Popen | None = None
    kills: int = 0

    def _start(self, name: str, *args: str) -> subprocess.Popen:
        log = open(self.data_dir / f"{name}.log", "ab")  # noqa: SIM115  # the child keeps it open
        return subprocess.Popen(
            [sys.executable, "-m", "juchu", *args], stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ)
        )

    def start_worker(self, index: int) -> None:
        """Start worker ``index`` (again, after a kill)."""
        process = self._start(
            f"worker-{index}", "worker", "--pool", "solo", "--hostname", f"w{index}@%h", "--loglevel", "WARNING"
        )
        while len(self.workers) <= index:
            self.workers.append(None)
        self.workers[index] = process

    def start(self, workers: int) -> None:
        """Start the workers and the scheduler."""
        for index in range(workers):
            self.start_worker(index)
        self.scheduler = self._start(
            "scheduler",
            "scheduler",
            "--loglevel",
            "WARNING",
            "--schedule-file",
            str(self.data_dir / "celerybeat-schedule"),
        )

    def kill_random_worker(self, rng: random.Random) -> int:
        """SIGKILL one worker chosen at random and start it again; returns its index."""
        index = rng.randrange(len(self.workers))
        process = self.workers[index]
        if process is not None:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        self.kills += 1
        self.start_worker(index)
        return index

    def stop(self) -> None:
        """End every process this cluster started (TERM, then KILL)."""
        processes = [p for p in [*self.workers, self.scheduler] if p is not None]
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    def alive(self) -> list[str]:
        """Problems: processes that ended on their own (a crash, not one of our kills)."""
        dead = [f"worker-{i}" for i, p in enumerate(self.workers) if p is not None and p.poll() is not None]
        if self.scheduler is not None and self.scheduler.poll() is not None:
            dead.append("scheduler")
        return dead

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of every process log, for a failure message."""
        out = []
        for path in sorted(self.data_dir.glob("*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(out)


def statuses() -> dict[str, int]:
    """Orders per status."""
    from django.db.models import Count

    from juchu.orders.models import Order

    return dict(Order.objects.values_list("status").annotate(n=Count("id")))


def pending_effects() -> int:
    """Effects (mails, mall updates) still to be sent."""
    from juchu.orders.models import Effect

    return Effect.objects.filter(state="pending").count()


def wait_until(done, *, max_seconds: float, every: float = 0.25, tick=None) -> float:
    """Poll ``done()`` until true or out of time; ``tick()`` runs between polls. Returns the seconds taken."""
    started = time.monotonic()
    while time.monotonic() - started < max_seconds:
        if done():
            break
        if tick is not None:
            tick()
        time.sleep(every)
    return time.monotonic() - started


def mail_message_ids(data_dir: Path) -> Counter:
    """How often each Message-ID was written by the file mail backend (each send appends one message)."""
    from email.parser import Parser
    from email.policy import default

    counts: Counter = Counter()
    separator = "\n" + "-" * 79 + "\n"  # what Django's file backend writes after each message
    for path in (data_dir / "mail").glob("*.log"):
        for chunk in path.read_text(errors="replace").split(separator):
            if chunk.strip():
                message_id = Parser(policy=default).parsestr(chunk, headersonly=True)["Message-ID"]
                counts[str(message_id).strip()] += 1
    return counts
