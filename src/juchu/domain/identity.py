"""Hashes that identify an order's buyer-and-items (for duplicates) and its mall content (for changes)."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def duplicate_fingerprint(
    buyer_name: str, phone: str, addresses: Iterable[str], items: Iterable[tuple[str, str, int]]
) -> str:
    """Same buyer, same addresses and same items (mall item, variant, quantity) give the same value."""
    parts = [_norm(buyer_name), _norm(phone).replace("-", "")]
    parts.extend(sorted(_norm(a) for a in addresses))
    parts.extend(sorted(f"{_norm(i)}|{_norm(v)}|{q}" for i, v, q in items))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def content_hash(canonical: str) -> str:
    """A short stable hash of an order's canonical content text."""
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]
