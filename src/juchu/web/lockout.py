"""Login lock-out: too many failed logins for one username or from one address lock further attempts.

The failures are rows in the database, so every web process (``juchu web`` runs several) sees the same
count. A username is locked after ``JUCHU_LOGIN_MAX_FAILURES`` failures within ``JUCHU_LOGIN_LOCK_MINUTES``,
an address after ``JUCHU_LOGIN_IP_MAX_FAILURES``; the lock lasts ``JUCHU_LOGIN_LOCK_MINUTES`` after the
last failure. Whether the username exists plays no part, so the lock tells an attacker nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from juchu.web.models import LoginFailure

log = logging.getLogger("juchu.web.lockout")

#: What a locked-out user reads; the same whether or not the username exists.
LOCKED_MESSAGE = gettext_noop(
    "ログインの失敗が続いたため、しばらくログインできません。%(minutes)s分ほど待ってからやり直してください。"
)


def now() -> datetime:
    """The lock-out's clock (tests move it)."""
    return timezone.now()


def _window() -> timedelta:
    return timedelta(minutes=settings.JUCHU_LOGIN_LOCK_MINUTES)


def normalise(username: str) -> str:
    """The key a username's failures are counted under."""
    return username.strip().lower()[:150]


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the address JUCHU_PROXY_COUNT trusted proxies put in X-Forwarded-For."""
    proxies = settings.JUCHU_PROXY_COUNT
    if proxies > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies][:45]
    return str(request.META.get("REMOTE_ADDR") or "unknown")[:45]


@dataclass(frozen=True, slots=True)
class Lock:
    """Why and until when logins are refused."""

    key: str  # "username" or "ip"
    until: datetime

    @property
    def message(self) -> str:
        """The message shown on the login page."""
        return gettext(LOCKED_MESSAGE) % {"minutes": settings.JUCHU_LOGIN_LOCK_MINUTES}


def _lock_of(failures, limit: int, key: str, at: datetime) -> Lock | None:
    """Locked when, at the latest failure of the last window, ``limit`` failures fell within the window before it."""
    last = failures.filter(at__gt=at - _window(), at__lte=at).aggregate(m=Max("at"))["m"]
    if last is None:
        return None
    if failures.filter(at__gt=last - _window(), at__lte=last).count() >= limit:
        return Lock(key, last + _window())
    return None


def lock_for(username: str, ip: str, at: datetime | None = None) -> Lock | None:
    """The lock that refuses a login of ``username`` from ``ip`` now, or None."""
    at = at or now()
    return _lock_of(
        LoginFailure.objects.filter(username=normalise(username)), settings.JUCHU_LOGIN_MAX_FAILURES, "username", at
    ) or _lock_of(LoginFailure.objects.filter(ip=ip), settings.JUCHU_LOGIN_IP_MAX_FAILURES, "ip", at)


def record_failure(username: str, ip: str, at: datetime | None = None) -> Lock | None:
    """Count one failed login; returns the lock it caused (logged once, when it starts), or None."""
    at = at or now()
    # A lock is judged on the window before its last failure: keep two windows of history.
    LoginFailure.objects.filter(at__lte=at - 2 * _window()).delete()
    LoginFailure.objects.create(username=normalise(username), ip=ip, at=at)
    lock = lock_for(username, ip, at)
    if lock is not None:
        log.warning(
            "login locked (%s) for username=%r ip=%s until %s",
            lock.key,
            normalise(username),
            ip,
            lock.until.isoformat(timespec="seconds"),
        )
    return lock


def clear(username: str) -> None:
    """Forget the username's failures (after a successful login); the address's other failures stay."""
    LoginFailure.objects.filter(username=normalise(username)).delete()
