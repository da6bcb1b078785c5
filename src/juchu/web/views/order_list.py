"""受注一覧: tabs with live counts, filters, sort and keyset pages."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation

from juchu.domain.status import OrderStatus
from juchu.domain.tags import SYSTEM_TAGS, TagKind
from juchu.orders import queries
from juchu.orders.models import OrderTag, Package, TagRule
from juchu.shops.models import Mall, Shop
from juchu.web.auth import viewer_required


def tab_labels() -> list[tuple[str, str]]:
    """(tab, label) in the active language, in the order the tabs show."""
    english = (translation.get_language() or "ja").startswith("en")
    labels = []
    for tab in queries.TABS:
        if tab in queries.TAB_LABELS:
            ja, en = queries.TAB_LABELS[tab]
            labels.append((tab, en if english else ja))
        else:
            status = OrderStatus(tab)
            labels.append((tab, status.label_en if english else status.label_ja))
    return labels


def tag_labels() -> dict[str, tuple[str, str]]:
    """Every tag code → (label, css kind: error / warning / custom)."""
    labels = {code: (t.label_ja, "error" if t.kind is TagKind.ERROR else "warning") for code, t in SYSTEM_TAGS.items()}
    for code, label in TagRule.objects.values_list("tag_code", "tag_label"):
        labels.setdefault(code, (label, "custom"))
    return labels


def _decorate(rows: list[Any]) -> None:
    """Attach tags and the first package's recipient and delivery to each row (two queries per page)."""
    ids = [r.pk for r in rows]
    tags: dict[int, list[str]] = defaultdict(list)
    for order_id, code in OrderTag.objects.filter(order_id__in=ids).values_list("order_id", "code"):
        tags[order_id].append(code)
    packages: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for order_id, name, pref, method in Package.objects.filter(order_id__in=ids).values_list(
        "order_id", "recipient_name", "prefecture", "delivery_method"
    ):
        packages[order_id].append((name, pref, method))
    labels = tag_labels()
    for row in rows:
        row.tag_list = [(code, *labels.get(code, (code, "custom"))) for code in sorted(tags[row.pk])]
        row.package_list = packages[row.pk]


def _list_context(request: HttpRequest) -> dict[str, Any]:
    error = ""
    try:
        f = queries.OrderFilter.from_params(request.GET)
    except queries.FilterError as exc:
        error, f = str(exc), queries.OrderFilter()
    try:
        result = queries.list_page(f, request.GET.get("cursor") or None)
    except queries.FilterError as exc:
        error = str(exc)
        result = queries.list_page(f)
    _decorate(result.rows)
    return {
        "filter": f,
        "page": result,
        "error": error,
        "tabs": tab_labels(),
        "shops": Shop.objects.order_by("code"),
        "malls": Mall.choices,
        "tags": sorted(tag_labels().items(), key=lambda kv: kv[1][0]),
        "sorts": [
            ("-ordered_at", "注文日時 (新しい順)"),
            ("ordered_at", "注文日時 (古い順)"),
            ("-total", "合計金額 (高い順)"),
            ("total", "合計金額 (低い順)"),
            ("-status_changed_at", "ステータス変更 (新しい順)"),
        ],
    }


@viewer_required
def order_list(request: HttpRequest) -> HttpResponse:
    """The order list; htmx requests get only the table."""
    context = _list_context(request)
    template = "juchu/orders/_table.html" if request.headers.get("HX-Request") else "juchu/orders/list.html"
    return render(request, template, context, status=400 if context["error"] else 200)


@viewer_required
def tab_counts_fragment(request: HttpRequest) -> HttpResponse:
    """The tab bar with its live counts (refreshed by htmx every few seconds)."""
    try:
        f = queries.OrderFilter.from_params(request.GET)
    except queries.FilterError:
        f = queries.OrderFilter()
    return render(
        request, "juchu/orders/_tabs.html", {"filter": f, "tabs": tab_labels(), "counts": queries.tab_counts(f)}
    )
