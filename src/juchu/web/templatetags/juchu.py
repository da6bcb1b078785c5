"""Template filters: labels in the user's language, yen, and times in Asia/Tokyo."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import template
from django.utils import translation

from juchu.domain.status import OrderStatus, PackageStatus

register = template.Library()
JST = ZoneInfo("Asia/Tokyo")


def _english() -> bool:
    return (translation.get_language() or "ja").startswith("en")


@register.filter
def label(value: Any) -> str:
    """An enum's label (label_ja / label_en) in the active language."""
    attr = "label_en" if _english() else "label_ja"
    return str(getattr(value, attr, value))


@register.filter
def status_label(code: str) -> str:
    """An order status code's label."""
    try:
        return label(OrderStatus(code))
    except ValueError:
        return code


@register.filter
def status_colour(code: str) -> str:
    """An order status code's colour."""
    try:
        return OrderStatus(code).colour
    except ValueError:
        return "gray"


@register.filter
def package_status_label(code: str) -> str:
    """A package shipment status code's label."""
    try:
        return label(PackageStatus(code))
    except ValueError:
        return code


@register.filter
def yen(value: Any) -> str:
    """An integer amount as ``1,234円``."""
    try:
        return f"{int(value):,}円"
    except (TypeError, ValueError):
        return ""


@register.filter
def jst(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An aware datetime shown in Asia/Tokyo; a date as is."""
    if isinstance(value, datetime):
        return value.astimezone(JST).strftime(fmt)
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    return ""


@register.simple_tag(takes_context=True)
def query_with(context: Any, **changes: Any) -> str:
    """The current query string with some parameters replaced (or dropped when None or "")."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value not in (None, ""):
            params[key] = value
    return "?" + params.urlencode() if params else "?"


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    """``mapping[key]`` in a template (None when missing)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


_PAYMENT_LABELS = {
    "unpaid": ("未入金", "Unpaid"),
    "paid": ("入金済", "Paid"),
    "authorized": ("与信済", "Authorized"),
    "not_required": ("入金不要", "Not required"),
    "deferred_pending": ("後払い審査中", "Deferred: pending"),
    "deferred_approved": ("後払い承認済", "Deferred: approved"),
}


@register.filter
def payment_label(code: str) -> str:
    """A payment state code's label."""
    ja, en = _PAYMENT_LABELS.get(code, (code, code))
    return en if _english() else ja


@register.filter
def duration(value: Any) -> str:
    """A timedelta in words: 30分, 2時間, 3日 (30 min, 2 h, 3 days in English)."""
    try:
        minutes = int(value.total_seconds() // 60)
    except AttributeError:
        return ""
    english = _english()
    if minutes % 1440 == 0 and minutes:
        n = minutes // 1440
        return f"{n} day{'s' if n > 1 else ''}" if english else f"{n}日"
    if minutes % 60 == 0 and minutes:
        n = minutes // 60
        return f"{n} h" if english else f"{n}時間"
    return f"{minutes} min" if english else f"{minutes}分"
