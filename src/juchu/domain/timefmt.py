"""Formatting instants for Japanese explanations (shown in Asia/Tokyo)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")


def jst_hm(when: datetime) -> str:
    """``when`` in JST as ``HH:MM`` (with the date when it is not the same day as nothing else)."""
    local = when.astimezone(JST)
    return local.strftime("%m/%d %H:%M")


def jst_hms(when: datetime) -> str:
    """``when`` in JST as ``MM/DD HH:MM:SS``."""
    return when.astimezone(JST).strftime("%m/%d %H:%M:%S")
