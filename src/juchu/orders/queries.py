"""Reading orders for people: the list's filters, tabs, counts and keyset pages (受注一覧).

The web list, the REST API and the CSV export all read through here, so one filter means the same
everywhere. Pages are keyset pages (after the last row seen), never OFFSET, so page 2,000 of a million
orders costs what page 1 does.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet

from juchu.catalog.models import Product
from juchu.domain.effects import EffectState
from juchu.domain.status import OrderStatus
from juchu.domain.tags import SYSTEM_TAGS, TagKind
from juchu.orders import search
from juchu.orders.models import Effect, Order, OrderLine, OrderTag, Package

JST = ZoneInfo("Asia/Tokyo")

#: Tabs besides the statuses: everything, what a person must act on (要対応), the cutoff risk (締め時間リスク).
TAB_ALL = "all"
TAB_ACTION = "action"
TAB_CUTOFF = "cutoff_risk"
TABS = (TAB_ALL, *[s.value for s in OrderStatus], TAB_ACTION, TAB_CUTOFF)
TAB_LABELS = {
    TAB_ALL: ("すべて", "All"),
    TAB_ACTION: ("要対応", "Needs action"),
    TAB_CUTOFF: ("締め時間リスク", "Cutoff risk"),
}

#: Sort keys a list may ask for: the column and its direction.
SORTS = {
    "-ordered_at": ("ordered_at", True),
    "ordered_at": ("ordered_at", False),
    "-total": ("total", True),
    "total": ("total", False),
    "-status_changed_at": ("status_changed_at", True),
    "status_changed_at": ("status_changed_at", False),
}
DEFAULT_SORT = "-ordered_at"
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
#: The dates a filter may name (outside them, converting to UTC or adding a day would overflow).
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
#: The largest id a cursor may carry.
MAX_ID = 2**53

_OPEN = [s.value for s in OrderStatus if not s.is_final]
#: Error tags that do not stop the order but still need a person (モールキャンセル, 出荷実績反映エラー, ...).
_ACTION_TAGS = [t.code for t in SYSTEM_TAGS.values() if t.kind is TagKind.ERROR]


class FilterError(ValueError):
    """A filter parameter that cannot be understood; the message says which and why."""


@dataclass(frozen=True)
class OrderFilter:
    """What an operator asked to see. Empty fields do not filter."""

    tab: str = TAB_ALL
    shop: int | None = None
    mall: str = ""
    date_from: date | None = None
    date_to: date | None = None
    tag: str = ""
    payment_method: str = ""
    delivery_method: str = ""
    sku: str = ""
    q: str = ""
    sort: str = DEFAULT_SORT

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> OrderFilter:
        """Parse query parameters (a QueryDict or dict); FilterError names the bad parameter."""

        def text(name: str) -> str:
            return str(params.get(name) or "").strip()

        tab = text("tab") or TAB_ALL
        if tab not in TABS:
            raise FilterError(f"tab: 不明なタブ {tab!r} です")
        sort = text("sort") or DEFAULT_SORT
        if sort not in SORTS:
            raise FilterError(f"sort: 並び順 {sort!r} は使えません ({', '.join(SORTS)})")
        shop: int | None = None
        if text("shop"):
            try:
                shop = int(text("shop"))
            except ValueError:
                raise FilterError(f"shop: ショップID {text('shop')!r} は数値ではありません") from None
        return cls(
            tab=tab,
            shop=shop,
            mall=text("mall"),
            date_from=_date(params, "date_from"),
            date_to=_date(params, "date_to"),
            tag=text("tag"),
            payment_method=text("payment_method"),
            delivery_method=text("delivery_method"),
            sku=text("sku"),
            q=text("q"),
            sort=sort,
        )

    def without_tab(self) -> OrderFilter:
        """The same filter over every tab (for the tab counts)."""
        return replace(self, tab=TAB_ALL)


def _date(params: Mapping[str, Any], name: str) -> date | None:
    value = str(params.get(name) or "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"{name}: 日付 {value!r} は YYYY-MM-DD で指定してください") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise FilterError(f"{name}: 日付 {value} は {FIRST_DAY.year}年から{LAST_DAY.year}年の間で指定してください")
    return day


def _jst_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=JST)


def filtered(f: OrderFilter) -> QuerySet[Order]:
    """The orders the filter selects (tab included), unordered."""
    qs = Order.objects.all()
    qs = _tab(qs, f.tab)
    if f.shop is not None:
        qs = qs.filter(shop_id=f.shop)
    if f.mall:
        qs = qs.filter(shop__mall=f.mall)
    if f.date_from:
        qs = qs.filter(ordered_at__gte=_jst_midnight(f.date_from))
    if f.date_to:
        qs = qs.filter(ordered_at__lt=_jst_midnight(f.date_to + timedelta(days=1)))
    if f.tag:
        qs = qs.filter(id__in=OrderTag.objects.filter(code=f.tag).values("order_id"))
    if f.payment_method:
        qs = qs.filter(payment_method=f.payment_method)
    if f.delivery_method:
        qs = qs.filter(id__in=Package.objects.filter(delivery_method=f.delivery_method).values("order_id"))
    if f.sku:
        products = Product.objects.filter(code=f.sku).values("id")
        qs = qs.filter(id__in=OrderLine.objects.filter(product_id__in=products).values("order_id"))
    if f.q:
        qs = qs.filter(id__in=search.matching(f.q))
    return qs


def _tab(qs: QuerySet[Order], tab: str) -> QuerySet[Order]:
    if tab == TAB_ALL:
        return qs
    if tab == TAB_ACTION:
        return qs.filter(status__in=_OPEN, id__in=needs_action_ids())
    if tab == TAB_CUTOFF:
        return qs.filter(
            status__in=[OrderStatus.AWAITING_CHECK.value, OrderStatus.CHECKED.value],
            id__in=OrderTag.objects.filter(code="cutoff_at_risk").values("order_id"),
        )
    return qs.filter(status=tab)


def needs_action_ids() -> QuerySet[Any]:
    """Orders a person must act on: stopped at 確認待, carrying an error tag, or with a failed effect.

    Only open orders count (``_tab`` keeps the statuses that are not final): a completed order with an old
    error tag needs nobody.
    """
    stopped = Order.objects.filter(status=OrderStatus.AWAITING_CHECK.value).values("id")
    tagged = OrderTag.objects.filter(code__in=_ACTION_TAGS).values("order_id")
    failed = Effect.objects.filter(state=EffectState.FAILED.value).values("order_id")
    return stopped.union(tagged, failed)


def tab_counts(f: OrderFilter) -> dict[str, int]:
    """Orders per tab under the filter's other conditions.

    Unfiltered, the total is SQLite's page-count of the table and the big final statuses are derived from it
    (完了 = total minus the others), so a million orders cost one index range per small status instead of a
    scan of all of them; filtered, one grouped query over what the filter selects.
    """
    unfiltered = f.without_tab() == OrderFilter(sort=f.sort)
    base = filtered(f.without_tab())
    if unfiltered:
        total = Order.objects.count()
        per_status = {
            s.value: Order.objects.filter(status=s.value).count() for s in OrderStatus if s is not OrderStatus.COMPLETED
        }
        per_status[OrderStatus.COMPLETED.value] = total - sum(per_status.values())
    else:
        per_status = dict(base.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    counts = {TAB_ALL: sum(per_status.values())}
    counts.update({s.value: per_status.get(s.value, 0) for s in OrderStatus})
    counts[TAB_ACTION] = _tab(base, TAB_ACTION).count()
    counts[TAB_CUTOFF] = _tab(base, TAB_CUTOFF).count()
    return counts


@dataclass
class Page:
    """One keyset page: the rows, and cursors for the pages after and before it (None at an end)."""

    rows: list[Order]
    next_cursor: str | None
    prev_cursor: str | None
    sort: str
    size: int
    extra: dict[str, Any] = field(default_factory=dict)


def encode_cursor(value: Any, pk: int, backwards: bool = False) -> str:
    """A cursor for the row with sort value ``value`` and id ``pk``."""
    if isinstance(value, datetime):
        value = {"dt": value.isoformat()}
    raw = json.dumps([value, pk, backwards], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[Any, int, bool]:
    """The (sort value, id, backwards) of a cursor; FilterError for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk, backwards = json.loads(raw)
        if isinstance(value, dict):
            value = datetime.fromisoformat(value["dt"])
        return value, int(pk), bool(backwards)
    except (ValueError, TypeError, KeyError, json.JSONDecodeError):
        raise FilterError("cursor: ページ位置が壊れています。一覧を最初から開き直してください") from None


def cursor_for_sort(cursor: str, sort: str) -> tuple[Any, int, bool]:
    """Decode a cursor and check that it belongs to ``sort``: a forged or foreign one is a FilterError, never
    a value of the wrong type compared in SQL."""
    value, pk, backwards = decode_cursor(cursor)
    column, _ = SORTS[sort]
    if column == "total":
        fits = isinstance(value, int) and not isinstance(value, bool) and abs(value) < MAX_ID
    else:
        fits = (
            isinstance(value, datetime) and value.tzinfo is not None and FIRST_DAY.year <= value.year <= LAST_DAY.year
        )
    if not fits or not 1 <= pk <= MAX_ID:
        raise FilterError("cursor: ページ位置がこの並び順のものではありません。一覧を最初から開き直してください")
    return value, pk, backwards


def page(qs: QuerySet[Order], sort: str = DEFAULT_SORT, cursor: str | None = None, size: int = PAGE_SIZE) -> Page:
    """One page of ``qs`` in ``sort`` order, after (or, for a backwards cursor, before) the cursor's row."""
    column, descending = SORTS[sort]
    size = max(1, min(size, MAX_PAGE_SIZE))
    backwards = False
    if cursor:
        value, pk, backwards = cursor_for_sort(cursor, sort)
        # Rows strictly after (value, pk) in the list's order; backwards: strictly before, read in reverse.
        later = descending != backwards
        if later:
            qs = qs.filter(Q(**{f"{column}__lt": value}) | Q(**{column: value, "id__lt": pk}))
        else:
            qs = qs.filter(Q(**{f"{column}__gt": value}) | Q(**{column: value, "id__gt": pk}))
    reverse = descending != backwards
    order = [f"-{column}", "-id"] if reverse else [column, "id"]
    rows = list(qs.order_by(*order).select_related("shop")[: size + 1])
    return _page_of(rows, bool(cursor), backwards, sort, size)


def _page_of(rows: list[Order], had_cursor: bool, backwards: bool, sort: str, size: int) -> Page:
    """A Page from up to ``size + 1`` rows read in reading order (reversed when paging backwards)."""
    column, _ = SORTS[sort]
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    has_next = more if not backwards else had_cursor
    has_prev = had_cursor if not backwards else more
    next_cursor = encode_cursor(getattr(rows[-1], column), rows[-1].pk) if rows and has_next else None
    prev_cursor = encode_cursor(getattr(rows[0], column), rows[0].pk, backwards=True) if rows and has_prev else None
    return Page(rows=rows, next_cursor=next_cursor, prev_cursor=prev_cursor, sort=sort, size=size)


#: Term rows read per step of a search page.
SEARCH_CHUNK = 1000


def list_page(f: OrderFilter, cursor: str | None = None, size: int = PAGE_SIZE) -> Page:
    """One page of what the filter selects: the entry point of the web list, the API and the benchmark.

    A free-text search in order-date order reads its newest matches from the search-term index (which carries
    each order's date) and checks the other conditions on those orders only, chunk by chunk; otherwise the
    orders table's own indexes serve the page.
    """
    if f.q and SORTS[f.sort][0] == "ordered_at":
        return _search_page(f, cursor, size)
    return page(filtered(f), f.sort, cursor, size)


def _search_page(f: OrderFilter, cursor: str | None, size: int) -> Page:
    _, descending = SORTS[f.sort]
    size = max(1, min(size, MAX_PAGE_SIZE))
    position: tuple[Any, int] | None = None
    backwards = False
    if cursor:
        value, pk, backwards = cursor_for_sort(cursor, f.sort)
        position = (value, pk)
    reverse = descending != backwards
    others = filtered(replace(f, q=""))
    terms = search.matching_terms(f.q)
    order = ["-ordered_at", "-order_id"] if reverse else ["ordered_at", "order_id"]
    rows: list[Order] = []
    seen: set[int] = set()
    while len(rows) <= size:
        stream = terms
        if position is not None:
            value, pk = position
            if reverse:
                stream = stream.filter(Q(ordered_at__lt=value) | Q(ordered_at=value, order_id__lt=pk))
            else:
                stream = stream.filter(Q(ordered_at__gt=value) | Q(ordered_at=value, order_id__gt=pk))
        chunk = list(stream.order_by(*order).values_list("order_id", "ordered_at")[:SEARCH_CHUNK])
        if not chunk:
            break
        position = (chunk[-1][1], chunk[-1][0])
        ids = [order_id for order_id, _ in chunk if order_id not in seen]
        seen.update(ids)
        found = {o.pk: o for o in others.filter(id__in=ids).select_related("shop")}
        rows += [found[order_id] for order_id in dict.fromkeys(ids) if order_id in found]
        if len(chunk) < SEARCH_CHUNK:
            break
    return _page_of(rows[: size + 1], bool(cursor), backwards, f.sort, size)


def capped_count(qs: QuerySet[Order], cap: int = 10_000) -> tuple[int, bool]:
    """How many rows ``qs`` has, counting at most ``cap`` (and whether it reached the cap)."""
    n = qs.order_by().values("id")[: cap + 1].count()
    return min(n, cap), n > cap
