"""What the two condition-rule editors share (カスタムタグ, 自動ルール): the rule's form with its condition rows,
the preview of the recent orders the rule in the editor matches, and the problem that keeps a stored rule from
running. The views of each editor say only what differs: the model, the form, how it is saved and previewed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django import forms
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from juchu.domain.errors import RuleError
from juchu.domain.rules import Condition
from juchu.shops.models import Shop
from juchu.web.forms_settings_rules import ConditionFormSet, condition_initial, field_help
from juchu.web.settings_services import Preview

#: The prefix of the condition rows (the editor's script and the tests name their inputs id_cond-…).
CONDITION_PREFIX = "cond"
PREVIEW_TEMPLATE = "juchu/settings/_rule_preview.html"

#: Stores the valid rule (its form applied, not yet saved) with its conditions and answers the request.
Save = Callable[[HttpRequest, Any, list[Condition]], HttpResponse]
#: The recent orders (of the shop, if one is chosen) that the rule in the valid condition rows matches.
Find = Callable[[Any, list[Condition], int | None], Preview]


def rule_problem(row: models.Model, compile_row: Callable[[Any], object]) -> str:
    """Why a stored rule cannot run (its compiler's message), or "" when it can."""
    try:
        compile_row(row)
    except RuleError as exc:
        return str(exc)
    return ""


def edit_rule(
    request: HttpRequest, row: models.Model, form_class: type[forms.ModelForm], template: str, save: Save
) -> HttpResponse:
    """The editor of ``row`` (a new one when it has no pk); a valid POST is handed to ``save``."""
    if request.method == "POST":
        form = form_class(request.POST, instance=row)
        conditions = ConditionFormSet(request.POST, prefix=CONDITION_PREFIX)
        if form.is_valid() and conditions.is_valid():
            return save(request, form.save(commit=False), conditions.conditions())
    else:
        form = form_class(instance=row)
        conditions = ConditionFormSet(initial=condition_initial(row) if row.pk else None, prefix=CONDITION_PREFIX)
    return render(request, template, {"form": form, "conditions": conditions, "rule": row, "fields_help": field_help()})


def show_preview(
    request: HttpRequest, form_class: type[forms.ModelForm], find: Find, shown: Sequence[str] = ()
) -> HttpResponse:
    """プレビュー (htmx): the recent orders the rule in the editor matches, without saving anything.

    Only the condition rows must be valid; ``find`` makes do with what of the form is (the editor shows the
    other errors on save). ``shown`` names the form's values the preview shows besides its result.
    """
    conditions = ConditionFormSet(request.POST, prefix=CONDITION_PREFIX)
    form = form_class(request.POST)
    form.is_valid()
    context: dict[str, Any] = {"conditions": conditions}
    context.update({name: form.cleaned_data.get(name) for name in shown})
    if conditions.is_valid():
        shop = form.cleaned_data.get("shop")
        try:
            result = find(form, conditions.conditions(), shop.pk if shop else None)
        except RuleError as exc:
            context["error"] = str(exc)
        else:
            names = dict(Shop.objects.values_list("pk", "name"))
            context.update(result=result, rows=[(order, names.get(order.shop_id, "")) for order in result.matches])
    return render(request, PREVIEW_TEMPLATE, context)
