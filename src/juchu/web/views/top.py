"""The top page (ホーム): cutoffs, orders at risk, counts, stuck orders, connector health, oversold orders."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from juchu.orders import overview
from juchu.web.auth import viewer_required
from juchu.web.views.metrics import top_card
from juchu.web.views.order_list import tab_labels


@viewer_required
def top_page(request: HttpRequest) -> HttpResponse:
    """The top page; it refreshes itself every 30 seconds."""
    now = timezone.now()
    counts = overview.status_counts()
    return render(
        request,
        "juchu/top.html",
        {
            "now": now,
            "cutoffs": overview.cutoffs(now),
            "tabs": [(tab, name, counts[tab]) for tab, name in tab_labels()],
            "stuck": overview.stuck(now),
            "shops": overview.shop_health(timezone.localdate(now)),
            "oversold": overview.oversold(),
            "delivery": top_card(),
        },
    )
