"""(stage, scope) leases: at most one worker runs a sweep at a time; a dead worker's lease expires."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from juchu.runtime.models import Lease


def acquire(stage: str, scope: int, holder: str, now: datetime, seconds: int) -> bool:
    """Take (or extend) the lease; False when another holder's lease is still running."""
    expires = now + timedelta(seconds=seconds)
    with transaction.atomic():
        taken = (
            Lease.objects.filter(stage=stage, scope=scope)
            .filter(Q(holder=holder) | Q(expires_at__lte=now))
            .update(holder=holder, expires_at=expires)
        )
        if taken:
            return True
        if Lease.objects.filter(stage=stage, scope=scope).exists():
            return False
        try:
            with transaction.atomic():
                Lease.objects.create(stage=stage, scope=scope, holder=holder, expires_at=expires)
        except IntegrityError:
            return False
        return True


def release(stage: str, scope: int, holder: str, now: datetime, error: str = "") -> None:
    """Give the lease back and record the run."""
    Lease.objects.filter(stage=stage, scope=scope, holder=holder).update(
        expires_at=now, last_run_at=now, last_error=error[:2000], runs=F("runs") + 1
    )


def beat(name: str, holder: str, now: datetime) -> None:
    """Record that a loop (the embedded runner) finished a pass: its row's run count and time (for health)."""
    updated = Lease.objects.filter(stage=name, scope=0).update(
        holder=holder, expires_at=now, last_run_at=now, runs=F("runs") + 1
    )
    if not updated:
        try:
            with transaction.atomic():
                Lease.objects.create(stage=name, scope=0, holder=holder, expires_at=now, last_run_at=now, runs=1)
        except IntegrityError:
            pass  # another process created it a moment ago; the next pass counts


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def free_dead_local(now: datetime) -> int:
    """Expire the leases held by processes of this host that are gone (a crashed runner restarting here).

    A holder is ``host:pid:thread``; a lease of a pid that no longer runs on this host cannot be in use, so the
    restarted runner need not wait ``JUCHU_LEASE_SECONDS`` for it. Other hosts' leases are left to expire.
    """
    prefix = f"{socket.gethostname()}:"
    dead = []
    for pk, holder in Lease.objects.filter(holder__startswith=prefix, expires_at__gt=now).values_list("id", "holder"):
        parts = holder.split(":")
        if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) != os.getpid() and not _alive(int(parts[1])):
            dead.append(pk)
    return Lease.objects.filter(id__in=dead).update(expires_at=now) if dead else 0
