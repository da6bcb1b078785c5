"""Forms of the settings screens: shops, method mappings, catalogue, warehouses and users.

The rule editor's forms live in :mod:`juchu.web.forms_settings_rules`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from juchu.catalog.models import MallItemMapping, Product, SetComponent
from juchu.domain.model import PaymentKind
from juchu.fulfillment.models import Warehouse, WarehouseClosure
from juchu.shops.models import DeliveryMethodMapping, PaymentMethodMapping, Shop
from juchu.web.auth import Role
from juchu.web.settings_services import credential_names, mask_secret, multiline_credentials, validate_new_password
from juchu.web.templatetags.juchu import label as enum_label

CREDENTIAL_PREFIX = "cred__"
CLEAR_PREFIX = "clear__"

PAYMENT_KIND_LABELS = {
    PaymentKind.PREPAID: _("前払い (入金を待つ)"),
    PaymentKind.CARD: _("カード・楽天ペイ (オーソリで決済済み)"),
    PaymentKind.COD: _("代金引換 (前払い不要)"),
    PaymentKind.DEFERRED: _("後払い (承認で決済済み)"),
}


class ShopForm(forms.ModelForm):
    """A shop's connection, grace period, thresholds and mail switches; credentials are write-only."""

    grace_minutes = forms.IntegerField(
        label=_("猶予時間 (分)"),
        required=False,
        min_value=0,
        max_value=7 * 24 * 60,
        help_text=_("購入者がキャンセルできる時間。空欄: モールの既定値 (楽天 30分、他 0分)"),
    )
    api_base_url = forms.URLField(label=_("API ベース URL"), required=False, assume_scheme="https")
    new_credential_name = forms.CharField(label=_("追加するキー名"), required=False, max_length=60)
    new_credential_value = forms.CharField(
        label=_("追加するキーの値"), required=False, widget=forms.PasswordInput(render_value=False)
    )

    class Meta:
        model = Shop
        fields = [
            "code",
            "name",
            "mall",
            "active",
            "warehouse",
            "split_warehouse",
            "quantity_threshold",
            "confirm_at_mall",
            "thanks_mail",
            "shipping_mail",
            "cancel_mail",
            "stop_merge_candidates",
            "mail_from",
            "connector",
            "api_base_url",
            "key_expires_on",
        ]
        labels = {
            "code": _("ショップコード"),
            "name": _("ショップ名"),
            "mall": _("モール"),
            "active": _("有効"),
            "warehouse": _("出荷倉庫"),
            "split_warehouse": _("分割出荷先の倉庫"),
            "quantity_threshold": _("数量異常のしきい値"),
            "confirm_at_mall": _("モールで注文確認する"),
            "thanks_mail": _("サンクスメールを送る"),
            "shipping_mail": _("出荷メールを送る"),
            "cancel_mail": _("キャンセルメールを送る"),
            "stop_merge_candidates": _("同梱候補を確認待で止める"),
            "mail_from": _("メール送信元"),
            "connector": _("コネクタ"),
            "api_base_url": _("API ベース URL"),
            "key_expires_on": _("APIキーの有効期限"),
        }
        help_texts = {
            "quantity_threshold": _("1明細の数量がこれを超えると確認待にします"),
            "stop_merge_candidates": _("同梱候補の受注を確認待で止める (オフ: タグで知らせるだけ)"),
            "split_warehouse": _(
                "出荷倉庫で揃わない注文を、この倉庫から全部、または明細ごとに分けて出荷します。"
                "モールの在庫数は両方の倉庫の合計になります。空欄: 出荷倉庫で揃うまで引当待ち"
            ),
            "connector": _("rakuten, yahoo, amazon, aupay, qoo10, makeshop。空欄: 手動・CSV のみ"),
        }
        widgets = {"key_expires_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        shop: Shop = self.instance
        if shop.pk:
            # The code names the shop in URLs, connectors and CSV files: fixed once created.
            self.fields["code"].disabled = True
            self.fields["mall"].disabled = True
            if shop.grace_period_seconds is not None:
                self.initial["grace_minutes"] = shop.grace_period_seconds // 60
        self.credential_rows: list[tuple[str, str, str]] = []
        multiline = multiline_credentials(shop.mall)
        for name in credential_names(shop):
            key = f"{CREDENTIAL_PREFIX}{name}"
            # A stored value is never rendered back, in a text area either.
            widget: forms.Widget = (
                forms.Textarea(attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false"})
                if name in multiline
                else forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})
            )
            self.fields[key] = forms.CharField(label=name, required=False, widget=widget, strip=name not in multiline)
            stored = shop.credentials.get(name) if shop.pk else None
            if stored:
                self.fields[f"{CLEAR_PREFIX}{name}"] = forms.BooleanField(label=_("削除"), required=False)
            self.credential_rows.append((name, key, mask_secret(stored)))

    def credential_fields(self) -> list[tuple[str, Any, Any, str]]:
        """(name, input, clear checkbox or None, masked stored value) for the template."""
        rows = []
        for name, key, masked in self.credential_rows:
            clear = self[f"{CLEAR_PREFIX}{name}"] if f"{CLEAR_PREFIX}{name}" in self.fields else None
            rows.append((name, self[key], clear, masked))
        return rows

    def clean(self) -> dict[str, Any]:
        """Check that a new credential has both a name and a value, and that the two warehouses differ."""
        data = super().clean()
        if data.get("split_warehouse") is not None and data.get("split_warehouse") == data.get("warehouse"):
            self.add_error("split_warehouse", _("出荷倉庫とは別の倉庫を選んでください"))
        name, value = data.get("new_credential_name", "").strip(), data.get("new_credential_value", "")
        if bool(name) != bool(value):
            self.add_error("new_credential_name", _("キー名と値の両方を入力してください"))
        return data

    def entered_credentials(self) -> dict[str, str]:
        """The credentials typed in this submission (empty inputs are left out: they keep the stored value)."""
        entered = {
            key.removeprefix(CREDENTIAL_PREFIX): value
            for key, value in self.cleaned_data.items()
            if key.startswith(CREDENTIAL_PREFIX) and value
        }
        name = self.cleaned_data.get("new_credential_name", "").strip()
        if name and self.cleaned_data.get("new_credential_value"):
            entered[name] = self.cleaned_data["new_credential_value"]
        return entered

    def cleared_credentials(self) -> list[str]:
        """The credential names ticked for removal."""
        return [k.removeprefix(CLEAR_PREFIX) for k, v in self.cleaned_data.items() if k.startswith(CLEAR_PREFIX) and v]

    def save(self, commit: bool = True) -> Shop:
        """The shop with the grace period applied; the caller saves it (with credentials) through the service."""
        shop = super().save(commit=False)
        minutes = self.cleaned_data.get("grace_minutes")
        shop.grace_period_seconds = None if minutes is None else minutes * 60
        return shop


class DeliveryMappingForm(forms.ModelForm):
    """One delivery method mapping: the mall's name → the warehouse's code."""

    class Meta:
        model = DeliveryMethodMapping
        fields = ["mall_method", "warehouse_method"]
        labels = {"mall_method": _("モールの配送方法"), "warehouse_method": _("倉庫の配送方法コード")}

    def __init__(self, *args: Any, shop: Shop, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.shop = shop

    def clean_mall_method(self) -> str:
        """The name, unless the shop maps it already."""
        name = self.cleaned_data["mall_method"].strip()
        if DeliveryMethodMapping.objects.filter(shop=self.instance.shop, mall_method=name).exists():
            raise ValidationError(_("「%(name)s」はすでに登録されています") % {"name": name})
        return name


class PaymentMappingForm(forms.ModelForm):
    """One payment method mapping: the mall's name → how it settles."""

    kind = forms.ChoiceField(label=_("決済の種類"), choices=[(k.value, v) for k, v in PAYMENT_KIND_LABELS.items()])

    class Meta:
        model = PaymentMethodMapping
        fields = ["mall_method", "kind"]
        labels = {"mall_method": _("モールの決済方法")}

    def __init__(self, *args: Any, shop: Shop, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.shop = shop

    def clean_mall_method(self) -> str:
        """The name, unless the shop maps it already."""
        name = self.cleaned_data["mall_method"].strip()
        if PaymentMethodMapping.objects.filter(shop=self.instance.shop, mall_method=name).exists():
            raise ValidationError(_("「%(name)s」はすでに登録されています") % {"name": name})
        return name


class ProductForm(forms.ModelForm):
    """A SKU or set product."""

    class Meta:
        model = Product
        fields = ["code", "name", "is_set", "price"]
        labels = {"code": _("SKU"), "name": _("商品名"), "is_set": _("セット商品"), "price": _("価格 (円)")}


class SetComponentForm(forms.ModelForm):
    """One component row of a set product."""

    component = forms.ModelChoiceField(
        label=_("構成SKU"), queryset=Product.objects.filter(is_set=False).order_by("code"), to_field_name="code"
    )

    class Meta:
        model = SetComponent
        fields = ["component", "quantity"]
        labels = {"quantity": _("数量")}


SetComponentFormSet = forms.inlineformset_factory(
    Product,
    SetComponent,
    form=SetComponentForm,
    fk_name="set_product",
    extra=2,
    can_delete=True,
    min_num=0,
)


class MappingForm(forms.ModelForm):
    """A mall item (+ variant) of one shop → a SKU or set product."""

    product = forms.ModelChoiceField(
        label=_("SKU / セット"), queryset=Product.objects.order_by("code"), to_field_name="code", widget=forms.TextInput
    )

    class Meta:
        model = MallItemMapping
        fields = ["shop", "mall_item_id", "mall_variant_id", "product", "sync_stock", "safety_stock"]
        labels = {
            "shop": _("ショップ"),
            "mall_item_id": _("モール商品番号"),
            "mall_variant_id": _("バリエーション (SKU番号など)"),
            "sync_stock": _("在庫を連動する"),
            "safety_stock": _("安全在庫"),
        }
        error_messages = {"product": {"invalid_choice": _("その SKU は登録されていません")}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].error_messages["invalid_choice"] = _("その SKU は登録されていません")
        self.fields["mall_variant_id"].required = False


CALENDARS = {
    "every_day": (_("毎日出荷 (RSL など)"), True, False),
    "weekdays": (_("平日のみ・祝日休み (自社出荷)"), False, True),
    "weekdays_holidays": (_("平日のみ・祝日も出荷"), False, False),
    "every_day_but_holidays": (_("土日も出荷・祝日休み"), True, True),
}


class WarehouseForm(forms.ModelForm):
    """A warehouse's name, same-day cutoff and shipping calendar."""

    calendar = forms.ChoiceField(label=_("出荷カレンダー"), choices=[(k, v[0]) for k, v in CALENDARS.items()])

    class Meta:
        model = Warehouse
        fields = ["name", "cutoff"]
        labels = {"name": _("倉庫名"), "cutoff": _("締め時間")}
        help_texts = {"cutoff": _("この時刻までに出荷依頼が届けば当日出荷 (JST)")}
        widgets = {"cutoff": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        wh: Warehouse = self.instance
        for key, (_label, every_day, holidays) in CALENDARS.items():
            if (wh.every_day, wh.observe_holidays) == (every_day, holidays):
                self.initial["calendar"] = key

    def save(self, commit: bool = True) -> Warehouse:
        """The warehouse with the calendar choice applied."""
        wh = super().save(commit=False)
        _label, wh.every_day, wh.observe_holidays = CALENDARS[self.cleaned_data["calendar"]]
        if commit:
            wh.save()
        return wh


class ClosureForm(forms.ModelForm):
    """A day the warehouse is closed, or open against its calendar."""

    class Meta:
        model = WarehouseClosure
        fields = ["date", "is_open", "note"]
        labels = {"date": _("日付"), "is_open": _("臨時出荷日 (休みの日に出荷する)"), "note": _("メモ")}
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}


#: The roles, each named in the language active when the choice is rendered.
ROLE_CHOICES = [(r.code, lazy(enum_label, str)(r)) for r in sorted(Role, reverse=True)]


class PasswordPairMixin(forms.Form):
    """Two password inputs, checked against each other and the site's password validators."""

    password1 = forms.CharField(label=_("パスワード"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("パスワード (確認)"), widget=forms.PasswordInput, strip=False)

    def password_user(self) -> Any:
        """The user the password is for (for the similarity check)."""
        return None

    def clean(self) -> dict[str, Any]:
        """Both inputs equal and the password acceptable."""
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("パスワードが一致しません"))
        elif first:
            try:
                validate_new_password(first, self.password_user())
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class UserCreateForm(PasswordPairMixin):
    """A new user with a role."""

    username = forms.CharField(label=_("ユーザー名"), max_length=150)
    email = forms.EmailField(label=_("メールアドレス"), required=False)
    role = forms.ChoiceField(label=_("権限"), choices=ROLE_CHOICES, initial=Role.OPERATOR.code)
    field_order = ["username", "email", "role", "password1", "password2"]

    def clean_username(self) -> str:
        """A name nobody has."""
        name = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username=name).exists():
            raise ValidationError(_("ユーザー名「%(name)s」は使われています") % {"name": name})
        return name

    def password_user(self) -> Any:
        """An unsaved user with the entered name and e-mail."""
        return get_user_model()(username=self.data.get("username", ""), email=self.data.get("email", ""))


class RoleForm(forms.Form):
    """A user's new role."""

    role = forms.ChoiceField(label=_("権限"), choices=ROLE_CHOICES)


class PasswordResetForm(PasswordPairMixin):
    """A new password for an existing user."""

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def password_user(self) -> Any:
        """The user whose password is reset."""
        return self.user
