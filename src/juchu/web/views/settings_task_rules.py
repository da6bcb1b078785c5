"""設定 › 自動ルール: rules that run an update task when an order leaves 新規受付, and their preview."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from juchu.domain.errors import RuleError
from juchu.domain.rules import Condition, Match
from juchu.domain.task_rules import TaskRule as DomainTaskRule
from juchu.domain.task_rules import preview_task_rule
from juchu.orders import update_tasks as services
from juchu.orders.task_models import TaskRule
from juchu.orders.task_rule_runs import task_rule_from_row
from juchu.shops.models import Shop
from juchu.web.auth import admin_required
from juchu.web.forms_settings_rules import ConditionFormSet, condition_initial, field_help
from juchu.web.forms_update_tasks import TaskRuleForm
from juchu.web.settings_services import PREVIEW_ORDERS, recent_snapshots


@admin_required
def task_rule_list(request: HttpRequest) -> HttpResponse:
    """Every automatic rule in run order, with its task and whether it can run."""
    rows = []
    for row in TaskRule.objects.select_related("shop", "task").order_by("position", "id"):
        try:
            task_rule_from_row(row)
            problem = ""
        except RuleError as exc:
            problem = str(exc)
        rows.append((row, problem))
    return render(request, "juchu/settings/task_rules.html", {"rows": rows})


@admin_required
def task_rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create or edit an automatic rule with its condition rows (the custom-tag rule language)."""
    row = get_object_or_404(TaskRule, pk=pk) if pk else TaskRule()
    if request.method == "POST":
        form = TaskRuleForm(request.POST, instance=row)
        conditions = ConditionFormSet(request.POST, prefix="cond")
        if form.is_valid() and conditions.is_valid():
            saved = services.save_task_rule(form.save(commit=False), conditions.conditions())
            messages.success(request, f"自動ルール「{saved.name}」を保存しました")
            return redirect("settings-task-rule", pk=saved.pk)
    else:
        form = TaskRuleForm(instance=row)
        conditions = ConditionFormSet(initial=condition_initial(row) if pk else None, prefix="cond")
    return render(
        request,
        "juchu/settings/task_rule_form.html",
        {"form": form, "conditions": conditions, "rule": row, "fields_help": field_help()},
    )


def _preview_rule(form: TaskRuleForm, conditions: list[Condition]) -> DomainTaskRule:
    data = form.cleaned_data
    task = data.get("task")
    return DomainTaskRule(
        id=0,
        name=data.get("name") or "プレビュー",
        task_id=task.pk if task else 0,
        conditions=tuple(conditions),
        match=Match(data.get("match") or Match.ALL.value),
    )


@admin_required
@require_POST
def task_rule_preview(request: HttpRequest) -> HttpResponse:
    """プレビュー (htmx): the recent orders the rule in the editor matches, without saving anything."""
    conditions = ConditionFormSet(request.POST, prefix="cond")
    form = TaskRuleForm(request.POST)
    form.is_valid()  # only the scope, task and match mode matter here; the editor shows the other errors on save
    context: dict = {"conditions": conditions, "task": form.cleaned_data.get("task")}
    if conditions.is_valid():
        shop = form.cleaned_data.get("shop")
        orders = recent_snapshots(shop.pk if shop else None, PREVIEW_ORDERS)
        try:
            matches = preview_task_rule(_preview_rule(form, conditions.conditions()), orders)
        except RuleError as exc:
            context["error"] = str(exc)
        else:
            names = dict(Shop.objects.values_list("pk", "name"))
            context.update(
                result={"looked_at": len(orders), "matches": matches},
                rows=[(order, names.get(order.shop_id, "")) for order in matches],
            )
    return render(request, "juchu/settings/_task_rule_preview.html", context)


@admin_required
@require_POST
def task_rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a rule; what its task already changed stays, and so does the record of its runs' events."""
    row = get_object_or_404(TaskRule, pk=pk)
    row.delete()
    messages.success(request, f"自動ルール「{row.name}」を削除しました")
    return redirect("settings-task-rules")
