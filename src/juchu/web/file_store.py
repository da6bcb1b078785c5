"""Files the screens keep on the server between two requests: an uploaded order CSV awaiting 取り込む, and
the RSL request files already handed over (so a lost download can be fetched again).

Names are made here, never taken from the client: an upload is found by the user, the shop and a random
token; an export by a name that must match :data:`EXPORT_NAME` and exist in the directory.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from django.conf import settings

#: Uploads nobody committed are removed after this long.
UPLOAD_TTL_SECONDS = 24 * 3600
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,40}$")
EXPORT_NAME = re.compile(r"^rsl-[A-Za-z0-9_-]{1,40}-\d{8}-\d{6}-[a-f0-9]{8}\.csv$")


def _uploads() -> Path:
    path = Path(settings.DATA_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _exports() -> Path:
    path = Path(settings.DATA_DIR) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _upload_path(user_id: int, shop_id: int, token: str) -> Path | None:
    if not TOKEN.match(token):
        return None
    return _uploads() / f"{int(user_id)}-{int(shop_id)}-{token}.csv"


def save_upload(user_id: int, shop_id: int, data: bytes) -> str:
    """Keep an uploaded file for one user and shop; returns the token that finds it again."""
    _remove_stale(_uploads(), UPLOAD_TTL_SECONDS)
    token = secrets.token_urlsafe(24)
    path = _upload_path(user_id, shop_id, token)
    assert path is not None  # token_urlsafe(24) is 32 characters of the token alphabet
    path.write_bytes(data)
    return token


def load_upload(user_id: int, shop_id: int, token: str) -> bytes | None:
    """The bytes kept by :func:`save_upload`, or None when the token is unknown, foreign or expired."""
    path = _upload_path(user_id, shop_id, token)
    if path is None or not path.is_file():
        return None
    return path.read_bytes()


def discard_upload(user_id: int, shop_id: int, token: str) -> None:
    """Remove a kept upload (after its commit)."""
    path = _upload_path(user_id, shop_id, token)
    if path is not None:
        path.unlink(missing_ok=True)


def save_export(warehouse_code: str, stamp: str, data: bytes) -> str:
    """Keep an exported RSL request file; returns its name (``stamp`` is ``YYYYmmdd-HHMMSS``)."""
    code = re.sub(r"[^A-Za-z0-9_-]", "_", warehouse_code)[:40] or "_"
    name = f"rsl-{code}-{stamp}-{secrets.token_hex(4)}.csv"
    (_exports() / name).write_bytes(data)
    return name


def load_export(name: str) -> bytes | None:
    """A kept RSL request file by name, or None when the name is not one :func:`save_export` makes."""
    if not EXPORT_NAME.match(name):
        return None
    path = _exports() / name
    return path.read_bytes() if path.is_file() else None


def recent_exports(limit: int = 10) -> list[str]:
    """The names of the latest kept RSL request files, newest first."""
    names = [p.name for p in _exports().iterdir() if EXPORT_NAME.match(p.name)]
    return sorted(names, key=lambda n: n.split("-")[-3:-1], reverse=True)[:limit]


def _remove_stale(directory: Path, ttl: int) -> None:
    limit = time.time() - ttl
    for path in directory.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue
