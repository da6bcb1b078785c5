"""The update-task editor (更新タスク) and the automatic-rule editor (自動ルール).

An action row is checked with the domain's own rules, so the editor refuses exactly what a run could not
do, and puts each message on the input it is about; the summary names the action row.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from juchu.domain.update_tasks import (
    MALL_WRITABLE,
    MAX_ACTIONS,
    MEMO_MODES,
    SPECS,
    ActionKind,
    TaskAction,
    UpdateTask,
    action_problems,
    action_title,
    task_problems,
)
from juchu.fulfillment.models import Warehouse
from juchu.orders.task_models import TaskRule
from juchu.orders.task_models import UpdateTask as UpdateTaskRow
from juchu.web.forms_settings_rules import ConditionRuleForm

KIND_CHOICES = [("", "---")] + [(k.value, f"[{s.target.label_ja}] {s.label_ja}") for k, s in SPECS.items()]
#: Each parameter input of a row and the kinds that use it (the editor shows only those of the chosen kind).
PARAM_KINDS: dict[str, tuple[str, ...]] = {
    name: tuple(kind.value for kind, spec in SPECS.items() if name in {p.name for p in spec.params})
    for name in ("method", "time", "amount", "sku", "quantity", "text", "mode", "warehouse", "code", "hold")
}
MALL_KINDS = " ".join(sorted(kind.value for kind in MALL_WRITABLE))
NO_MALL_KINDS = " ".join(kind.value for kind in ActionKind if kind not in MALL_WRITABLE)


class TaskForm(forms.ModelForm):
    """A task's name and description."""

    class Meta:
        model = UpdateTaskRow
        fields = ["name", "description"]
        labels = {"name": _("タスク名"), "description": _("説明")}
        help_texts = {"name": _("例: 北海道・沖縄は送料+500円")}
        widgets = {
            "name": forms.TextInput(attrs={"size": 40}),
            "description": forms.TextInput(attrs={"size": 80}),
        }


def _label(name: str) -> str:
    return next(p.label_ja for spec in SPECS.values() for p in spec.params if p.name == name)


class ActionForm(forms.Form):
    """One action row: its kind, the parameters of that kind, and the モールへ反映 flag (a blank row is ignored)."""

    kind = forms.ChoiceField(label=_("種類"), choices=KIND_CHOICES, required=False)
    method = forms.CharField(label=_label("method"), required=False, max_length=100)
    time = forms.CharField(label=_label("time"), required=False, max_length=40)
    amount = forms.CharField(label=_label("amount"), required=False, max_length=20)
    sku = forms.CharField(label=_label("sku"), required=False, max_length=64)
    quantity = forms.CharField(label=_label("quantity"), required=False, max_length=10)
    text = forms.CharField(label=_label("text"), required=False, max_length=1000)
    mode = forms.ChoiceField(label=_label("mode"), choices=MEMO_MODES, required=False)
    warehouse = forms.ChoiceField(label=_label("warehouse"), required=False)
    code = forms.CharField(label=_label("code"), required=False, max_length=64)
    hold = forms.BooleanField(label=_label("hold"), required=False)
    mall_write = forms.BooleanField(label=_("モールへ反映"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        warehouses = list(Warehouse.objects.order_by("code").values_list("code", "name"))
        self.fields["warehouse"].choices = [("", "---")] + [(c, f"{n} ({c})") for c, n in warehouses]
        self.fields["kind"].widget.attrs["data-action-kind"] = ""
        self.fields["amount"].widget.attrs.update(inputmode="numeric", size="8")
        self.fields["quantity"].widget.attrs.update(inputmode="numeric", size="4")
        self.fields["code"].widget.attrs["list"] = "tag-codes"
        if not MALL_WRITABLE:
            self.fields["mall_write"].disabled = True

    def _blank(self, data: dict[str, Any]) -> bool:
        return not data.get("kind") and not any(
            str(data.get(name) or "").strip() for name in PARAM_KINDS if name not in ("mode", "hold")
        )

    def clean(self) -> dict[str, Any]:
        """The row as the domain checks it; each problem lands on the input it is about."""
        data = super().clean()
        if self._blank(data):
            return data
        if not data.get("kind"):
            self.add_error("kind", _("種類を選んでください"))
            return data
        for name, message in action_problems(self._action(data)).items():
            self.add_error(name if name in self.fields else None, message)
        return data

    def _action(self, data: dict[str, Any]) -> TaskAction:
        kind = ActionKind(data["kind"])
        names = {p.name for p in SPECS[kind].params}
        params = {
            name: ("true" if data.get(name) else "false") if name == "hold" else str(data.get(name) or "").strip()
            for name in names
        }
        return TaskAction(kind, tuple(sorted(params.items())), bool(data.get("mall_write")))

    def action(self) -> TaskAction | None:
        """The row's action, or None for a blank or deleted row."""
        data = getattr(self, "cleaned_data", {})
        if not data or data.get("DELETE") or self._blank(data):
            return None
        return self._action(data)

    def param_cells(self) -> list[tuple[forms.BoundField, str, bool]]:
        """(input, the kinds that use it, shown now) for the row's parameter inputs."""
        kind = self["kind"].value() or ""
        return [(self[name], " ".join(kinds), not kind or kind in kinds) for name, kinds in PARAM_KINDS.items()]

    def mall_supported(self) -> bool:
        """Whether the row's kind can be written back to the mall."""
        return (self["kind"].value() or "") in MALL_KINDS.split()


class BaseActionFormSet(forms.BaseFormSet):
    """A task's action rows in their order (順); at most 30, at least one."""

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        """The order and delete inputs, labelled in the user's language."""
        super().add_fields(form, index)
        form.fields["ORDER"].label = _("順")
        form.fields["ORDER"].widget.attrs.update({"data-action-order": "", "style": "width:4em"})
        form.fields["DELETE"].label = _("削除")
        form.fields["DELETE"].widget.attrs["data-action-delete"] = ""

    def clean(self) -> None:
        """The task's count of actions, as the domain counts it."""
        if any(self.errors):
            return
        actions = self.actions()
        problems = [p for p in task_problems(UpdateTask(0, "-", tuple(actions))) if not p.startswith("アクション ")]
        if problems:
            raise ValidationError(problems)

    def actions(self) -> list[TaskAction]:
        """The actions of the valid, non-blank rows, in their order (順)."""
        found = (form.action() for form in self.ordered_forms)
        return [a for a in found if a is not None]

    def row_errors(self) -> list[str]:
        """Every row's errors, each naming its row: アクション 2 (送料を加算): …"""
        messages = []
        for number, form in enumerate(self.forms, 1):
            kind = form["kind"].value() or ""
            known = kind in {k.value for k in ActionKind}
            title = (
                action_title(number, TaskAction(ActionKind(kind)))
                if known
                else _("アクション %(number)s") % {"number": number}
            )
            for errors in form.errors.values():
                messages.extend(f"{title}: {e}" for e in errors)
        return messages


ActionFormSet = forms.formset_factory(
    ActionForm, formset=BaseActionFormSet, extra=0, can_delete=True, can_order=True, max_num=MAX_ACTIONS * 4
)


def action_initial(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A stored task's actions as the formset's initial rows."""
    rows = []
    for order, item in enumerate(actions, 1):
        params = dict(item.get("params") or {})
        row: dict[str, Any] = {"kind": item.get("kind", ""), "mall_write": bool(item.get("mall_write")), "ORDER": order}
        row.update({k: v for k, v in params.items() if k != "hold"})
        row["hold"] = str(params.get("hold", "")).lower() == "true"
        rows.append(row)
    return rows


class TaskRuleForm(ConditionRuleForm):
    """An automatic rule's name, scope, match mode, task and switches."""

    task = forms.ModelChoiceField(label=_("実行する更新タスク"), queryset=UpdateTaskRow.objects.order_by("name"))

    class Meta:
        model = TaskRule
        fields = ["name", "shop", "task", "match", "enabled", "position"]
        labels = {"name": _("ルール名"), "enabled": _("有効"), "position": _("並び順")}
        help_texts = {"position": _("小さい順に実行します")}
