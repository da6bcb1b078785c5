"""Issuing, checking and revoking API tokens (the only code that sees a token in clear)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from juchu.api.models import ApiToken

#: Every token starts with this, so a leaked one is recognisable (secret scanners, logs).
TOKEN_PREFIX = "juchu_"
#: Characters of the token kept in clear for display.
DISPLAY_LENGTH = 12
#: ``last_used_at`` is written at most this often per token (a write per request would serialise reads).
TOUCH_EVERY = timedelta(minutes=1)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest a token is stored and looked up by."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue_token(user: Any, name: str, now: datetime) -> tuple[ApiToken, str]:
    """A new token for ``user``: the stored row and the token in clear (shown once, never again)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(
        user=user, name=name, prefix=token[:DISPLAY_LENGTH], key_hash=hash_token(token), created_at=now
    )
    return row, token


def user_for_token(token: str, now: datetime) -> Any | None:
    """The active user a live token belongs to, or None (unknown, revoked, or the user is inactive)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = ApiToken.objects.select_related("user").filter(key_hash=hash_token(token), revoked_at=None).first()
    if row is None or not row.user.is_active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


def revoke_token(prefix: str, now: datetime, username: str | None = None) -> int:
    """Revoke the live tokens whose display prefix is ``prefix`` (of ``username``, if given); returns how many."""
    tokens = ApiToken.objects.filter(prefix=prefix, revoked_at=None)
    if username is not None:
        tokens = tokens.filter(user__username=username)
    return tokens.update(revoked_at=now)
