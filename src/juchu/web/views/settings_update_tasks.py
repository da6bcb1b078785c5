"""設定 › 更新タスク: the list of tasks and the task editor (administrators only)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from juchu.domain.errors import DomainError
from juchu.domain.update_tasks import MAX_ACTIONS, SPECS, ActionKind, task_problems
from juchu.orders import update_tasks as services
from juchu.orders.models import TagRule
from juchu.orders.task_models import UpdateTask
from juchu.web.auth import admin_required
from juchu.web.forms_update_tasks import (
    MALL_KINDS,
    NO_MALL_KINDS,
    ActionFormSet,
    TaskForm,
    action_initial,
)


def _describe(item: dict[str, Any]) -> str:
    """One stored action in a few words, e.g. 送料を加算 (amount=500)."""
    try:
        label = ActionKind(item.get("kind", "")).label_ja
    except ValueError:
        label = str(item.get("kind"))
    params = ", ".join(f"{v}" for k, v in sorted(dict(item.get("params") or {}).items()) if v not in ("", "false"))
    return f"{label} ({params})" if params else label


@admin_required
def task_list(request: HttpRequest) -> HttpResponse:
    """Every task with its actions in short and the rules that run it."""
    rows = []
    for row in UpdateTask.objects.prefetch_related("rules").order_by("name", "id"):
        try:
            problems = task_problems(services.task_from_row(row))
        except DomainError as exc:
            problems = [str(exc)]
        rows.append((row, [_describe(a) for a in row.actions], list(row.rules.all()), "; ".join(problems)))
    return render(request, "juchu/settings/update_tasks.html", {"rows": rows})


def _editor(request: HttpRequest, row: UpdateTask, form: TaskForm, actions: Any) -> HttpResponse:
    tag_codes = sorted(set(TagRule.objects.values_list("tag_code", flat=True)))
    return render(
        request,
        "juchu/settings/update_task_form.html",
        {
            "task": row,
            "form": form,
            "actions": actions,
            "max_actions": MAX_ACTIONS,
            "mall_kinds": MALL_KINDS,
            "no_mall_kinds": NO_MALL_KINDS,
            "kinds": [(k.value, s.label_ja, s.target.label_ja) for k, s in SPECS.items()],
            "tag_codes": tag_codes,
        },
    )


@admin_required
def task_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create or edit a task with its action rows (add, remove, reorder); errors name the action row."""
    row = get_object_or_404(UpdateTask, pk=pk) if pk else UpdateTask()
    if request.method == "POST":
        form = TaskForm(request.POST, instance=row)
        actions = ActionFormSet(request.POST, prefix="actions")
        if form.is_valid() and actions.is_valid():
            saved = form.save(commit=False)
            try:
                services.save_task(saved, actions.actions())
            except DomainError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, f"更新タスク「{saved.name}」を保存しました")
                return redirect("settings-task", pk=saved.pk)
    else:
        form = TaskForm(instance=row)
        initial = action_initial(row.actions) if pk else None
        actions = ActionFormSet(initial=initial, prefix="actions")
        if not pk:
            actions.extra = 1
    return _editor(request, row, form, actions)


@admin_required
@require_POST
def task_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a task no automatic rule names (what it already changed stays in the timeline)."""
    row = get_object_or_404(UpdateTask, pk=pk)
    try:
        services.delete_task(row)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("settings-task", pk=pk)
    messages.success(request, f"更新タスク「{row.name}」を削除しました")
    return redirect("settings-tasks")
