"""設定: the index of the settings screens (administrators only)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from juchu.catalog.models import MallItemMapping, Product
from juchu.fulfillment.models import Warehouse
from juchu.orders.models import TagRule, TaskRule, UpdateTask
from juchu.shops.models import Shop
from juchu.web.auth import admin_required


@admin_required
def index(request: HttpRequest) -> HttpResponse:
    """Every settings section with how many things it holds."""
    counts = {
        "shops": Shop.objects.count(),
        "products": Product.objects.filter(is_set=False).count(),
        "sets": Product.objects.filter(is_set=True).count(),
        "mappings": MallItemMapping.objects.count(),
        "rules": TagRule.objects.count(),
        "tasks": UpdateTask.objects.count(),
        "task_rules": TaskRule.objects.count(),
        "warehouses": Warehouse.objects.count(),
        "users": get_user_model().objects.filter(is_active=True).count(),
    }
    return render(request, "juchu/settings/index.html", {"counts": counts})
