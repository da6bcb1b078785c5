"""The computed system tags (システムタグ, pipeline.md §3): each check says what is wrong and where.

Only the tags in :data:`juchu.domain.tags.COMPUTED_TAGS` are decided here; the others are attached by
events (a rejected shipment request, a mall cancellation). Postal data comes through the
:data:`PostalLookup` port so that the domain never reads a database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from juchu.domain.islands import ISLAND_MUNICIPALITIES
from juchu.domain.model import Line, OrderSnapshot, Package, PaymentState, ShopPolicy
from juchu.domain.status import OrderStatus
from juchu.domain.tags import SYSTEM_TAGS


@dataclass(frozen=True, slots=True)
class PostalEntry:
    """What the postal data says about one postal code."""

    postal_code: str
    prefecture: str
    city: str
    #: JIS X 0402 code of the municipality (5 digits), "" when unknown.
    municipality_code: str = ""


#: The postal-data port: a normalised 7-digit code to its entry, or None when the code does not exist.
PostalLookup = Callable[[str], PostalEntry | None]


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What the checks need besides the order: the clock, the shop's policy and the postal data."""

    now: datetime
    policy: ShopPolicy
    postal: PostalLookup
    #: The earliest delivery date the warehouse can meet; None skips the requested-date check.
    earliest_delivery: date | None = None
    #: Whether the order's ship-by day is today in the warehouse calendar (decided by the caller).
    ship_by_today: bool = False


#: Hyphens of every kind (and the 長音符 people type for one), and spaces, as found in postal codes.
_POSTAL_NOISE = re.compile(r"[\s〒\-‐‑‒–—―−ー－﹣]")
_SEVEN_DIGITS = re.compile(r"[0-9]{7}")

#: Statuses in which an order can still miss today's cutoff because nobody released it.
_CUTOFF_STATUSES = frozenset({OrderStatus.AWAITING_CHECK, OrderStatus.CHECKED})


def normalise_postal_code(raw: str) -> str | None:
    """``raw`` as 7 half-width digits (全角 digits, 〒, hyphens, spaces removed), or None if not one."""
    code = _POSTAL_NOISE.sub("", unicodedata.normalize("NFKC", raw))
    return code if _SEVEN_DIGITS.fullmatch(code) else None


def _same_text(a: str, b: str) -> bool:
    return _compact(a) == _compact(b)


def _compact(text: str) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text))


def _package_where(order: OrderSnapshot, index: int) -> str:
    """``送付先N `` when the order has several packages, else nothing."""
    return f"送付先{index} " if len(order.packages) > 1 else ""


def _line_where(index: int, line: Line) -> str:
    variant = f" (バリエーション {line.mall_variant_id})" if line.mall_variant_id else ""
    return f"送付先{index} 明細 {line.mall_item_id}{variant}"


def _unmapped_item(order: OrderSnapshot, ctx: CheckContext) -> list[str]:
    return [
        _line_where(i, line)
        for i, package in enumerate(order.packages, 1)
        for line in package.lines
        if line.product_code is None
    ]


def _unknown_delivery_method(order: OrderSnapshot, ctx: CheckContext) -> list[str]:
    found = []
    for i, package in enumerate(order.packages, 1):
        if package.delivery_method in ctx.policy.delivery_methods:
            continue
        if package.delivery_method.strip():
            found.append(f"{_package_where(order, i)}配送方法「{package.delivery_method}」はショップの設定にありません")
        else:
            found.append(f"{_package_where(order, i)}配送方法が指定されていません")
    return found


def _unknown_payment_method(order: OrderSnapshot, ctx: CheckContext) -> list[str]:
    if order.payment_method in ctx.policy.payment_methods:
        return []
    if not order.payment_method.strip():
        return ["決済方法が指定されていません"]
    return [f"決済方法「{order.payment_method}」はショップの設定にありません"]


def _address_problem(package: Package, entry: PostalEntry | None, code: str | None) -> str | None:
    """Why the package's address is invalid, or None when its postal code and prefecture agree."""
    raw = package.address.postal_code
    if code is None:
        return f"郵便番号 {raw} は7桁ではありません" if raw.strip() else "郵便番号がありません"
    if entry is None:
        return f"郵便番号 {code} は郵便番号データにありません"
    prefecture = package.address.prefecture
    if not prefecture.strip():
        return f"郵便番号 {code} の都道府県は{entry.prefecture}ですが住所に都道府県がありません"
    if not _same_text(entry.prefecture, prefecture):
        return f"郵便番号 {code} の都道府県は{entry.prefecture}ですが住所は{prefecture}です"
    return None


def _delivery_date_unavailable(order: OrderSnapshot, ctx: CheckContext) -> list[str]:
    earliest = ctx.earliest_delivery
    if earliest is None:
        return []
    return [
        f"{_package_where(order, i)}指定日 {p.requested_date.isoformat()} は"
        f"最短お届け日 {earliest.isoformat()} より前です"
        for i, p in enumerate(order.packages, 1)
        if p.requested_date is not None and p.requested_date < earliest
    ]


def _duplicate_suspected(order: OrderSnapshot, ctx: CheckContext) -> list[str]:
    if not order.duplicate_candidates:
        return []
    return [f"注文番号 {'、'.join(order.duplicate_candidates)} と同じ注文者・住所・商品です"]


#: How many merge candidates a 同梱候補 reason names (the rest are counted).
MERGE_NAMED = 10


def _merge_candidate(order: OrderSnapshot, ctx: CheckContext) -> list[str]:
    if not order.merge_candidates:
        return []
    # At most MERGE_NAMED numbers are named: the reason stays short, and so does the set of orders whose tag
    # must follow when it changes (juchu.orders.merging wakes them).
    named = "、".join(order.merge_candidates[:MERGE_NAMED])
    more = len(order.merge_candidates) - MERGE_NAMED
    return [f"注文 {named}{f' ほか {more} 件' if more > 0 else ''} と同じ注文者・送付先・配送方法です"]


def _quantity_anomaly(order: OrderSnapshot, ctx: CheckContext) -> list[str]:
    limit = ctx.policy.quantity_threshold
    return [
        f"{_line_where(i, line)} の数量 {line.quantity} が上限 {limit} を超えています"
        for i, package in enumerate(order.packages, 1)
        for line in package.lines
        if line.quantity > limit
    ]


def _payment_failed(order: OrderSnapshot, ctx: CheckContext) -> list[str]:
    if order.payment_state is not PaymentState.FAILED:
        return []
    return [order.payment_error.strip() or "モールが決済エラーを報告しました"]


def _confirm_deadline(order: OrderSnapshot, ctx: CheckContext) -> list[str]:
    policy = ctx.policy
    if not policy.confirm_at_mall or order.mall_confirmed:
        return []
    if ctx.now < order.ordered_at + timedelta(days=policy.confirm_deadline_days):
        return []
    elapsed = (ctx.now - order.ordered_at).days
    return [f"注文から{elapsed}日経過しましたがモールで注文確認されていません"]


def _cutoff_at_risk(order: OrderSnapshot, ctx: CheckContext) -> list[str]:
    if not ctx.ship_by_today or order.status not in _CUTOFF_STATUSES:
        return []
    return [f"今日が出荷期限ですが{order.status.label_ja}のままです"]


_Check = Callable[[OrderSnapshot, CheckContext], list[str]]

#: The checks that need no postal data, in the order their tags are reported.
_CHECKS: tuple[tuple[str, _Check], ...] = (
    ("unmapped_item", _unmapped_item),
    ("unknown_delivery_method", _unknown_delivery_method),
    ("unknown_payment_method", _unknown_payment_method),
    ("delivery_date_unavailable", _delivery_date_unavailable),
    ("duplicate_suspected", _duplicate_suspected),
    ("quantity_anomaly", _quantity_anomaly),
    ("payment_failed", _payment_failed),
    ("confirm_deadline", _confirm_deadline),
    ("cutoff_at_risk", _cutoff_at_risk),
    ("merge_candidate", _merge_candidate),
)


def _postal_checks(order: OrderSnapshot, ctx: CheckContext) -> dict[str, list[str]]:
    """address_invalid and remote_island, which share one postal lookup per package."""
    found: dict[str, list[str]] = {"address_invalid": [], "remote_island": []}
    for i, package in enumerate(order.packages, 1):
        where = _package_where(order, i)
        code = normalise_postal_code(package.address.postal_code)
        entry = ctx.postal(code) if code is not None else None
        problem = _address_problem(package, entry, code)
        if problem is not None:
            found["address_invalid"].append(f"{where}{problem}")
        if package.island:
            found["remote_island"].append(f"{where}モールの離島フラグが付いています")
        elif entry is not None and entry.municipality_code in ISLAND_MUNICIPALITIES:
            place = f"{entry.prefecture}{entry.city}"
            found["remote_island"].append(f"{where}郵便番号 {code} ({place}) は離島です")
    return found


def evaluate_system_tags(order: OrderSnapshot, ctx: CheckContext) -> dict[str, str]:
    """The computed system tags that apply to ``order``: code → Japanese reason (label: what and where)."""
    found = {code: check(order, ctx) for code, check in _CHECKS}
    found.update(_postal_checks(order, ctx))
    return {code: f"{SYSTEM_TAGS[code].label_ja}: {'、'.join(reasons)}" for code, reasons in found.items() if reasons}
