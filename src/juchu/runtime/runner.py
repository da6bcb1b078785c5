"""The embedded runner: one thread that loops over the stages, sleeping until work is due or it is woken."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from django.conf import settings
from django.db import close_old_connections

from juchu.runtime import leases
from juchu.runtime.sweeps import HOLDER, next_due, run_all

log = logging.getLogger("juchu.runner")


def utcnow() -> datetime:
    """The runner's clock."""
    return datetime.now(UTC)


class EmbeddedRunner(threading.Thread):
    """Runs every sweep in a loop inside the web server's process (``juchu serve``, ``juchu demo``)."""

    def __init__(self, clock: Callable[[], datetime] = utcnow, idle_seconds: float | None = None) -> None:
        super().__init__(name="juchu-runner", daemon=True)
        self._clock = clock
        self._idle = settings.JUCHU_RUNNER_IDLE_SECONDS if idle_seconds is None else idle_seconds
        self._wake = threading.Event()
        # Not ``_stop``: threading.Thread has a private method of that name, which join() calls.
        self._stopping = threading.Event()
        self.passes = 0
        self.last_pass_at: datetime | None = None

    def wake(self) -> None:
        """Look now (something changed)."""
        self._wake.set()

    def stop(self) -> None:
        """Finish the current pass and end."""
        self._stopping.set()
        self._wake.set()

    def run(self) -> None:
        """Loop until stopped; one failing pass never ends the loop."""
        try:
            freed = leases.free_dead_local(self._clock())
            if freed:
                log.info("freed %d sweep lease(s) of a process of this host that is gone", freed)
        except Exception:
            log.exception("could not free the leases of dead processes; they expire on their own")
        finally:
            close_old_connections()
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                close_old_connections()
                now = self._clock()
                run_all(now)
                leases.beat("runner", HOLDER, now)
                self.passes += 1
                self.last_pass_at = now
                wait = self._idle
                due = next_due(self._clock())
                if due is not None:
                    wait = min(wait, max(0.0, (due - self._clock()).total_seconds()))
            except Exception:
                log.exception("runner pass failed")
                wait = self._idle
            finally:
                close_old_connections()
            log.debug("pass took %.3fs", time.monotonic() - started)
            self._wake.wait(timeout=max(wait, 0.05))
            self._wake.clear()
