"""Thin views."""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest, JsonResponse

from juchu.domain.status import OrderStatus
from juchu.orders.models import Order
from juchu.web.auth import viewer_required


@viewer_required
def pipeline_status(request: HttpRequest) -> JsonResponse:
    """Orders per status, for a quick look at the pipeline."""
    counts = dict(Order.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return JsonResponse({s.value: {"label": s.label_ja, "count": counts.get(s.value, 0)} for s in OrderStatus})
