"""Client-side rate limits shared by the connectors: a token bucket per credential, and an injectable clock."""

from __future__ import annotations

import hashlib
import math
import threading
import time
from typing import Protocol

from juchu.connectors.base import ConnectorError


class Clock(Protocol):
    """Monotonic time and sleeping, injected so tests never really sleep."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block for ``seconds``."""
        ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """``time.sleep()``."""
        time.sleep(seconds)


class RateLimited(ConnectorError):
    """A call would have to wait longer than allowed for its turn; try again after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message, retryable=True, code="RATE_LIMIT")
        self.retry_after = retry_after


class TokenBucket:
    """At most ``rate`` calls per second on average, bursts up to ``capacity``; thread-safe.

    A caller reserves its token under the lock and sleeps outside it, so waiters queue fairly. When the wait
    would exceed ``max_wait`` nothing is reserved and :class:`RateLimited` is raised instead.
    """

    def __init__(self, rate: float, clock: Clock, *, capacity: float | None = None, max_wait: float = math.inf) -> None:
        if rate <= 0 or (capacity is not None and capacity < 1):
            raise ValueError("rate must be > 0 and capacity >= 1")
        self.rate = rate
        self.capacity = capacity if capacity is not None else max(rate, 1.0)
        self.max_wait = max_wait
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = self.capacity
        self._last = clock.monotonic()
        self._blocked_until = -math.inf

    def acquire(self, what: str = "") -> None:
        """Take one token, sleeping for it up to ``max_wait`` seconds."""
        with self._lock:
            now = self._clock.monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            ready_at = now if self._tokens >= 1 else now + (1 - self._tokens) / self.rate
            wait = max(ready_at, self._blocked_until) - now
            if wait > self.max_wait:
                raise RateLimited(
                    f"{what}: 呼び出し回数の上限に達しています（{wait:.1f}秒後に再試行してください）", retry_after=wait
                )
            self._tokens -= 1
        if wait > 0:
            self._clock.sleep(wait)

    def block_for(self, seconds: float) -> None:
        """The server said 429: hand out no token for ``seconds``."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock.monotonic() + seconds)


_shared_lock = threading.Lock()
_shared: dict[tuple[str, float, float | None, float], TokenBucket] = {}


def shared_bucket(
    credential: str, rate: float, *, capacity: float | None = None, max_wait: float = math.inf
) -> TokenBucket:
    """The one bucket of a credential in this process: every connector built for it shares the limit.

    The credential is kept only as a hash.
    """
    key = (hashlib.sha256(credential.encode()).hexdigest(), rate, capacity, max_wait)
    with _shared_lock:
        bucket = _shared.get(key)
        if bucket is None:
            bucket = _shared[key] = TokenBucket(rate, SystemClock(), capacity=capacity, max_wait=max_wait)
        return bucket


def bucket_for(
    credential: str,
    rate: float,
    *,
    clock: Clock | None,
    capacity: float | None = None,
    max_wait: float = math.inf,
) -> TokenBucket:
    """The process-wide bucket of ``credential``; with an injected ``clock`` (a test) a bucket of its own."""
    if clock is not None:
        return TokenBucket(rate, clock, capacity=capacity, max_wait=max_wait)
    return shared_bucket(credential, rate, capacity=capacity, max_wait=max_wait)
