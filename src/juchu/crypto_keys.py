"""Where the installation's secret comes from: ``JUCHU_SECRET_KEY``, or a key file in the data directory.

Plain file handling with no Django, so that ``juchu.settings`` can use it while it is being read. The key
file is created on first run with mode 0600. ``juchu rotate-key`` (key-file mode) writes the next key to
``secret.key.new`` before it re-encrypts anything and keeps the replaced key as ``secret.key.old``; both are
read here as *fallback* keys, so a rotation interrupted at any point still leaves every secret readable.
See ``docs/decisions/0006-secrets-at-rest.md``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

#: The suffixes of the key files beside ``secret.key`` that still open (never seal) stored secrets.
NEW_SUFFIX = ".new"
OLD_SUFFIX = ".old"


def new_secret() -> str:
    """A fresh random secret (the same shape as a generated ``secret.key``)."""
    return secrets.token_urlsafe(50)


def write_key_file(path: Path, key: str, *, replace: bool = False) -> None:
    """Write ``key`` to ``path`` with mode 0600; refuses to overwrite unless ``replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if replace:
        temporary = path.with_name(path.name + ".tmp")
        temporary.unlink(missing_ok=True)
        _write_exclusive(temporary, key)
        os.replace(temporary, path)
    else:
        _write_exclusive(path, key)


def _write_exclusive(path: Path, key: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())


def read_key_file(path: Path) -> str | None:
    """The key in ``path``, or None when the file does not exist (or is empty)."""
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None


def load_or_create(path: Path) -> str:
    """The key in the key file, created (mode 0600) with a fresh secret on first run."""
    if (key := read_key_file(path)) is not None:
        return key
    key = new_secret()
    try:
        write_key_file(path, key)
    except FileExistsError:  # another process created it first: use theirs
        return read_key_file(path) or key
    return key


def fallback_secrets(old_keys_env: str, key_file: Path | None) -> list[str]:
    """The earlier (or pending) secrets: ``JUCHU_OLD_SECRET_KEYS`` (comma-separated), then the key files.

    In key-file mode ``secret.key.new`` (a rotation in progress) and ``secret.key.old`` (the key a rotation
    replaced) are read too. They decrypt stored secrets and verify old sessions; nothing is sealed with them.
    """
    found = [k.strip() for k in old_keys_env.split(",") if k.strip()]
    if key_file is not None:
        for suffix in (NEW_SUFFIX, OLD_SUFFIX):
            key = read_key_file(key_file.with_name(key_file.name + suffix))
            if key is not None:
                found.append(key)
    return list(dict.fromkeys(found))
