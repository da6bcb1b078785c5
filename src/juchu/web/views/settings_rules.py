"""設定 › カスタムタグルール: list, editor, and a preview of the recent orders a rule would tag."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from juchu.domain.rules import Condition, Match, Rule
from juchu.orders.context import rule_from_row
from juchu.orders.models import TagRule
from juchu.web import settings_services as services
from juchu.web.auth import admin_required
from juchu.web.forms_settings_rules import STOP_CHOICES, RuleForm, domain_rule
from juchu.web.views.rule_editor import edit_rule, rule_problem, show_preview


@admin_required
def rule_list(request: HttpRequest) -> HttpResponse:
    """Every rule in evaluation order, with what it does and whether it can run."""
    stops = dict(STOP_CHOICES)
    rows = [
        (row, stops.get(row.stop_at, row.stop_at), rule_problem(row, rule_from_row))
        for row in TagRule.objects.select_related("shop").order_by("position", "id")
    ]
    return render(request, "juchu/settings/rules.html", {"rows": rows})


@admin_required
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create or edit a rule with its condition rows; saving makes the orders it concerns due now."""
    row = get_object_or_404(TagRule, pk=pk) if pk else TagRule()
    return edit_rule(request, row, RuleForm, "juchu/settings/rule_form.html", _save)


def _save(request: HttpRequest, saved: TagRule, conditions: list[Condition]) -> HttpResponse:
    woken = services.save_rule(saved, conditions, timezone.now())
    messages.success(request, f"ルール「{saved.name}」を保存しました (受注 {woken} 件を再判定します)")
    return redirect("settings-rule", pk=saved.pk)


@admin_required
@require_POST
def rule_preview(request: HttpRequest) -> HttpResponse:
    """プレビュー (htmx): the recent orders the rule in the editor would tag, without saving anything."""
    return show_preview(request, RuleForm, _find)


def _find(form: RuleForm, conditions: list[Condition], shop_id: int | None) -> services.Preview:
    return services.preview_rule(_preview_rule(form, conditions), shop_id)


def _preview_rule(form: RuleForm, conditions: list[Condition]) -> Rule:
    """The rule to preview: the form's values where they are valid, defaults elsewhere."""
    data = form.cleaned_data
    if "tag_code" in data and "tag_label" in data and "match" in data:
        return domain_rule(form, conditions)
    return Rule(
        id=0,
        tag_code=data.get("tag_code") or "preview",
        tag_label=data.get("tag_label") or "",
        conditions=tuple(conditions),
        match=Match(data.get("match") or Match.ALL.value),
    )


@admin_required
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a rule; tags it already attached stay on their orders until an operator removes them."""
    row = get_object_or_404(TagRule, pk=pk)
    services.delete_rule(row, timezone.now())
    messages.success(request, f"ルール「{row.name}」を削除しました")
    return redirect("settings-rules")
