"""設定 › 自動ルール: rules that run an update task when an order leaves 新規受付, and their preview."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from juchu.domain.rules import Condition, Match
from juchu.domain.task_rules import TaskRule as DomainTaskRule
from juchu.domain.task_rules import preview_task_rule
from juchu.orders import update_tasks as services
from juchu.orders.task_models import TaskRule
from juchu.orders.task_rule_runs import task_rule_from_row
from juchu.web.auth import admin_required
from juchu.web.forms_update_tasks import TaskRuleForm
from juchu.web.settings_services import PREVIEW_ORDERS, Preview, recent_snapshots
from juchu.web.views.rule_editor import edit_rule, rule_problem, show_preview


@admin_required
def task_rule_list(request: HttpRequest) -> HttpResponse:
    """Every automatic rule in run order, with its task and whether it can run."""
    rows = [
        (row, rule_problem(row, task_rule_from_row))
        for row in TaskRule.objects.select_related("shop", "task").order_by("position", "id")
    ]
    return render(request, "juchu/settings/task_rules.html", {"rows": rows})


@admin_required
def task_rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create or edit an automatic rule with its condition rows (the custom-tag rule language)."""
    row = get_object_or_404(TaskRule, pk=pk) if pk else TaskRule()
    return edit_rule(request, row, TaskRuleForm, "juchu/settings/task_rule_form.html", _save)


def _save(request: HttpRequest, row: TaskRule, conditions: list[Condition]) -> HttpResponse:
    saved = services.save_task_rule(row, conditions)
    messages.success(request, f"自動ルール「{saved.name}」を保存しました")
    return redirect("settings-task-rule", pk=saved.pk)


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
    return show_preview(request, TaskRuleForm, _find, shown=("task",))


def _find(form: TaskRuleForm, conditions: list[Condition], shop_id: int | None) -> Preview:
    orders = recent_snapshots(shop_id, PREVIEW_ORDERS)
    return Preview(len(orders), preview_task_rule(_preview_rule(form, conditions), orders))


@admin_required
@require_POST
def task_rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a rule; what its task already changed stays, and so does the record of its runs' events."""
    row = get_object_or_404(TaskRule, pk=pk)
    row.delete()
    messages.success(request, f"自動ルール「{row.name}」を削除しました")
    return redirect("settings-task-rules")
