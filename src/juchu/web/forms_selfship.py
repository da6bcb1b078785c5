"""Forms of own-warehouse shipping (自社出荷): the warehouse to issue for, the tracking upload, the slip settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from juchu.connectors.registry import SELFSHIP
from juchu.fulfillment.models import Warehouse
from juchu.fulfillment.selfship_settings import CARRIER_LABELS, SlipSettings, format_services, parse_services
from juchu.fulfillment.slips import Carrier, Cool, Service
from juchu.web.forms_files import CsvFileField


def own_warehouses() -> Any:
    """The own warehouses (connector ``selfship``), by code."""
    return Warehouse.objects.filter(connector=SELFSHIP).order_by("code")


class IssueForm(forms.Form):
    """出荷指示: the own warehouse whose due requests are issued."""

    warehouse = forms.ModelChoiceField(label=_("自社倉庫"), queryset=own_warehouses(), empty_label=None)


class TrackingUploadForm(forms.Form):
    """The carrier's issued-slip file (発行済データ) for one own warehouse."""

    warehouse = forms.ModelChoiceField(label=_("自社倉庫"), queryset=own_warehouses(), empty_label=None)
    carrier = forms.ChoiceField(
        label=_("送り状ソフト"),
        choices=[("", _("倉庫の設定どおり"))] + [(c.value, label) for c, label in CARRIER_LABELS.items()],
        required=False,
    )
    file = CsvFileField(
        label=_("発行済データ (CSV)"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = own_warehouses()

    def clean_carrier(self) -> Carrier | None:
        """The chosen carrier, or None for the warehouse's."""
        value = self.cleaned_data.get("carrier")
        return Carrier(value) if value else None


class OwnWarehouseCreateForm(forms.ModelForm):
    """A new own warehouse: code and name; it ships on weekdays except public holidays until changed."""

    class Meta:
        model = Warehouse
        fields = ["code", "name"]
        labels = {"code": _("倉庫コード"), "name": _("倉庫名")}
        help_texts = {"code": _("半角英数字とハイフン (例: own-tokyo)")}

    def save(self, commit: bool = True) -> Warehouse:
        """The warehouse as an own warehouse with the own-warehouse calendar (平日のみ・祝日休み)."""
        wh = super().save(commit=False)
        wh.connector, wh.every_day, wh.observe_holidays = SELFSHIP, False, True
        if commit:
            wh.save()
        return wh


_DIGITS = {"pattern": "[0-9-]*", "inputmode": "numeric"}


class SlipSettingsForm(forms.Form):
    """The own warehouse's slip settings (SlipSettings), edited on the warehouse's settings page."""

    carrier = forms.ChoiceField(
        label=_("配送会社 (送り状ソフト)"), choices=[(c.value, lbl) for c, lbl in CARRIER_LABELS.items()]
    )
    sender_name = forms.CharField(label=_("ご依頼主名"), max_length=60, required=False)
    sender_name_from_shop = forms.BooleanField(
        label=_("ご依頼主名・納品書の発行者名に受注のショップ名を使う"), required=False
    )
    sender_postal_code = forms.CharField(label=_("ご依頼主 郵便番号"), max_length=10, required=False)
    sender_address = forms.CharField(label=_("ご依頼主 住所"), max_length=100, required=False)
    sender_address2 = forms.CharField(label=_("ご依頼主 建物名"), max_length=60, required=False)
    sender_phone = forms.CharField(label=_("ご依頼主 電話番号"), max_length=20, required=False)
    b2_customer_code = forms.CharField(
        label=_("B2 請求先顧客コード"), max_length=16, required=False, widget=forms.TextInput(attrs=_DIGITS)
    )
    b2_class_code = forms.CharField(label=_("B2 請求先分類コード"), max_length=3, required=False)
    b2_freight_number = forms.CharField(label=_("B2 運賃管理番号"), max_length=2, required=False, initial="01")
    b2_mail_code = forms.ChoiceField(
        label=_("B2 メール便の送り状種類"),
        choices=[("7", _("7 ネコポス")), ("A", _("A クロネコゆうパケット")), ("3", _("3 クロネコゆうメール (DM便)"))],
        required=False,
    )
    sagawa_customer_code = forms.CharField(label=_("e飛伝 お客様コード"), max_length=12, required=False)
    yupri_label_type = forms.CharField(label=_("ゆうプリR 送り状種別"), max_length=20, required=False)
    default_service = forms.ChoiceField(
        label=_("下の一覧にない配送方法の送り状"), choices=[(s.value, s.label_ja) for s in Service]
    )
    services = forms.CharField(
        label=_("配送方法ごとの送り状"),
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": _("YUPACK = 宅配便\nNEKOPOS = メール便\nCOOL = 宅配便 冷蔵")}
        ),
        help_text=_(
            "1行に1つ「配送方法コード = 宅配便/コンパクト/メール便 [常温/冷蔵/冷凍]」。"
            "配送方法コードはショップ設定の配送方法の対応 (倉庫側コード) です"
        ),
    )

    @classmethod
    def for_settings(cls, settings: SlipSettings, **kwargs: Any) -> SlipSettingsForm:
        """The form filled from stored settings."""
        initial = {name: getattr(settings, name) for name in cls.base_fields if hasattr(settings, name)}
        initial["carrier"] = settings.carrier.value
        initial["default_service"] = settings.default_service.value
        initial["services"] = format_services(settings.services)
        return cls(initial=initial, **kwargs)

    def clean_services(self) -> dict[str, tuple[Service, Cool]]:
        """The typed mapping, parsed."""
        try:
            return parse_services(self.cleaned_data.get("services", ""))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_b2_customer_code(self) -> str:
        """Digits only (hyphens dropped), at most 12."""
        value = self.cleaned_data.get("b2_customer_code", "").replace("-", "").strip()
        if value and not (value.isascii() and value.isdigit() and len(value) <= 12):
            raise forms.ValidationError(_("半角数字12桁までで入力してください (ハイフンは省いて構いません)"))
        return value

    def settings(self) -> SlipSettings:
        """The settings the valid form describes."""
        data = dict(self.cleaned_data)
        data["carrier"] = Carrier(data["carrier"])
        data["default_service"] = Service(data["default_service"])
        data["b2_mail_code"] = data.get("b2_mail_code") or "7"
        return SlipSettings(**data)
