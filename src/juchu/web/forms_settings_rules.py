"""The custom-tag rule editor (カスタムタグ): the rule's form and its rows of conditions.

Conditions are checked with the domain's own compiler, so the editor refuses exactly what the pipeline
could not evaluate, and says so on the row's field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from juchu.domain.errors import RuleError
from juchu.domain.rules import FIELDS, Condition, Match, Operator, Rule, validate_rule
from juchu.domain.status import OrderStatus
from juchu.domain.tags import is_system_tag
from juchu.orders.models import TagRule
from juchu.shops.models import Shop
from juchu.web.templatetags.juchu import label as enum_label


def _stop_label(message: str, status: OrderStatus) -> str:
    """A stop choice's label with the status named in the language active when it is rendered."""
    return lazy(lambda: message % {"status": enum_label(status)}, str)()


STOP_CHOICES = [
    ("", _("停止しない")),
    (OrderStatus.AWAITING_CHECK.value, _stop_label(_("%(status)sで停止"), OrderStatus.AWAITING_CHECK)),
    (OrderStatus.CHECKED.value, _stop_label(_("%(status)sで停止"), OrderStatus.CHECKED)),
    (
        OrderStatus.AWAITING_SHIPMENT.value,
        _stop_label(_("%(status)sで停止 (出荷指示を制限)"), OrderStatus.AWAITING_SHIPMENT),
    ),
]
FIELD_CHOICES = [("", "---")] + [(f.name, f"{f.label_ja} ({f.name})") for f in FIELDS.values()]
OPERATOR_CHOICES = [("", "---")] + [(op.value, op.label_ja) for op in Operator]
#: What a field holds, for the reference table.
KIND_NAMES = {"text": _("文字"), "number": _("整数"), "bool": _("真偽"), "date": _("日付"), "choice": _("選択")}


def field_help() -> list[tuple[str, str, str, str]]:
    """(name, label, kind, operators) of every field, for the editor's reference table."""
    rows = []
    for f in FIELDS.values():
        ops = "、".join(op.label_ja for op in Operator if op in f.operators)
        choices = " / ".join(f"{code}={label}" for code, label in f.choices)
        kind = KIND_NAMES[f.kind.value]
        rows.append((f.name, f.label_ja, f"{kind} {choices}".strip(), ops))
    return rows


class ConditionRuleForm(forms.ModelForm):
    """What every rule with condition rows has (カスタムタグ, 自動ルール): the shops it looks at and its match mode."""

    shop = forms.ModelChoiceField(
        label=_("対象ショップ"),
        queryset=Shop.objects.order_by("code"),
        required=False,
        empty_label=_("すべてのショップ"),
    )
    match = forms.ChoiceField(
        label=_("一致条件"),
        choices=[(Match.ALL.value, _("すべての条件を満たす")), (Match.ANY.value, _("いずれかの条件を満たす"))],
        widget=forms.RadioSelect,
    )


class RuleForm(ConditionRuleForm):
    """A rule's name, tag, scope, match mode, where it stops the order, and its switches."""

    stop_at = forms.ChoiceField(label=_("停止"), choices=STOP_CHOICES, required=False)

    class Meta:
        model = TagRule
        fields = [
            "name",
            "tag_code",
            "tag_label",
            "shop",
            "match",
            "stop_at",
            "restrict_shipping",
            "enabled",
            "position",
        ]
        labels = {
            "name": _("ルール名"),
            "tag_code": _("タグコード"),
            "tag_label": _("タグ表示名"),
            "restrict_shipping": _("出荷指示を制限する"),
            "enabled": _("有効"),
            "position": _("並び順"),
        }
        help_texts = {
            "tag_code": _("半角英数・ハイフン・アンダースコア (例: gift-wrap)"),
            "position": _("小さい順に評価します"),
        }

    def clean_tag_code(self) -> str:
        """A slug that is not a system tag's code."""
        code = self.cleaned_data["tag_code"]
        if is_system_tag(code):
            raise ValidationError(
                _("「%(code)s」はシステムタグのコードです。別のコードにしてください") % {"code": code}
            )
        return code


class ConditionForm(forms.Form):
    """One condition row: field, operator, value (a blank row is ignored)."""

    field = forms.ChoiceField(label=_("項目"), choices=FIELD_CHOICES, required=False)
    op = forms.ChoiceField(label=_("演算子"), choices=OPERATOR_CHOICES, required=False)
    value = forms.CharField(label=_("値"), required=False, max_length=1000, strip=False)

    def clean(self) -> dict[str, Any]:
        """The row as the domain would compile it; errors land on the field they are about."""
        data = super().clean()
        name, op = data.get("field"), data.get("op")
        if not name and not op and not (data.get("value") or "").strip():
            return data
        if not name:
            self.add_error("field", _("項目を選んでください"))
            return data
        if not op:
            self.add_error("op", _("演算子を選んでください"))
            return data
        operator = Operator(op)
        definition = FIELDS[name]
        if operator not in definition.operators:
            allowed = "、".join(o.label_ja for o in Operator if o in definition.operators)
            self.add_error(
                "op",
                _("「%(operator)s」は%(field)sには使えません (使える演算子: %(allowed)s)")
                % {"operator": operator.label_ja, "field": definition.label_ja, "allowed": allowed},
            )
            return data
        condition = Condition(field=name, op=operator, value=data.get("value") or "")
        try:
            validate_rule(Rule(id=0, tag_code="preview", tag_label="", conditions=(condition,)))
        except RuleError as exc:
            self.add_error("value", str(exc))
        return data

    def condition(self) -> Condition | None:
        """The row's condition, or None for a blank or deleted row."""
        data = getattr(self, "cleaned_data", {})
        if not data or data.get("DELETE") or not data.get("field"):
            return None
        return Condition(field=data["field"], op=Operator(data["op"]), value=data.get("value") or "")


class BaseConditionFormSet(forms.BaseFormSet):
    """The rows of a rule; at least one condition is required."""

    def clean(self) -> None:
        """At least one row that is not blank or deleted."""
        if any(self.errors):
            return
        if not self.conditions():
            raise ValidationError(_("条件を1つ以上入力してください"))

    def conditions(self) -> list[Condition]:
        """The conditions of the valid, non-blank rows in order."""
        found = (form.condition() for form in self.forms)
        return [c for c in found if c is not None]


ConditionFormSet = forms.formset_factory(ConditionForm, formset=BaseConditionFormSet, extra=1, can_delete=True)


def condition_initial(row: TagRule) -> list[dict[str, str]]:
    """A stored rule's conditions as the formset's initial rows."""
    return [
        {"field": c.get("field", ""), "op": c.get("op", ""), "value": str(c.get("value", ""))} for c in row.conditions
    ]


def domain_rule(form: RuleForm, conditions: list[Condition], rule_id: int = 0) -> Rule:
    """The domain rule the valid forms describe (for the preview and to check it compiles)."""
    data = form.cleaned_data
    return Rule(
        id=rule_id,
        tag_code=data["tag_code"],
        tag_label=data["tag_label"],
        conditions=tuple(conditions),
        match=Match(data["match"]),
        stop_at=OrderStatus(data["stop_at"]) if data.get("stop_at") else None,
        restrict_shipping=bool(data.get("restrict_shipping")),
        enabled=True,
    )
