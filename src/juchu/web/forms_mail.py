"""Forms of the mail screens (メール): a template's texts, a shop's SMTP settings, the outbox filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from juchu.mail.models import MailKind, SmtpSecurity
from juchu.shops.models import Shop

#: The outbox state filter: 送信済, 失敗 (a person must act), 未送信・再送待ち.
STATE_CHOICES = [("", _("すべて")), ("sent", _("送信済")), ("failed", _("失敗")), ("pending", _("未送信・再送待ち"))]

#: How a template is written, shown above the variables (kept here: the braces would confuse Django's parser).
SYNTAX_HELP = _(
    "{{ 変数 }} で値を表示し、{% for line in lines %}…{% endfor %} で繰り返します。"
    "フィルタ upper・default・yen が使えます。メソッドの呼び出し (name.upper() など) や設定値は使えません。"
)

#: The variables a template may use (docs/mail.md), shown beside the editor.
VARIABLES: list[tuple[str, str]] = [
    ("shop.name, shop.code", _("ショップ名、ショップコード")),
    ("order.number", _("受注番号")),
    ("order.ordered_at", _("注文日時 (例: 2026年11月26日 10:00)")),
    ("order.buyer_name", _("注文者氏名")),
    ("order.payment_method", _("決済方法")),
    ("order.remarks", _("備考")),
    ("order.goods_total, order.postage", _("商品合計、送料 (整数。{{ order.postage|yen }} で 500円)")),
    ("order.coupon_used, order.points_used", _("クーポン利用額、ポイント利用額")),
    ("order.total", _("合計金額 ({{ order.total|yen }} → 3,200円)")),
    ("lines", _("明細の一覧: name, item_id, variant, quantity, unit_price, subtotal")),
    (
        "packages",
        _("送付先の一覧: recipient_name, postal_code, address, delivery_method, delivery_date, delivery_time"),
    ),
    ("delivery_date, delivery_time", _("最初の送付先のお届け希望日・時間帯 (なければ空)")),
    (
        _("shipment (出荷メールのみ)"),
        "shipped_on, carrier_code, carrier_name, parcels (tracking_number, tracking_url), recipient_name, "
        "delivery_date, delivery_time, lines",
    ),
]


class TemplateForm(forms.Form):
    """A mail's subject and body (Jinja syntax), and the order to preview them with."""

    subject = forms.CharField(label=_("件名"), max_length=300, widget=forms.TextInput(attrs={"size": 80}))
    body = forms.CharField(
        label=_("本文"), widget=forms.Textarea(attrs={"rows": 24, "cols": 90, "spellcheck": "false"})
    )
    order = forms.CharField(
        label=_("プレビューに使う受注番号"),
        max_length=64,
        required=False,
        help_text=_("空欄: このショップの最新の受注"),
        widget=forms.TextInput(attrs={"list": "recent-orders", "size": 32}),
    )


class SmtpForm(forms.Form):
    """A shop's SMTP server; the password is write-only and an empty input keeps the stored one."""

    host = forms.CharField(label=_("SMTPサーバー"), max_length=200)
    port = forms.IntegerField(label=_("ポート"), min_value=1, max_value=65535, initial=587)
    security = forms.ChoiceField(label=_("暗号化"), choices=SmtpSecurity.choices, initial=SmtpSecurity.STARTTLS.value)
    username = forms.CharField(label=_("ユーザー名 (SMTP認証)"), max_length=200, required=False)
    password = forms.CharField(
        label=_("パスワード"),
        max_length=200,
        required=False,
        help_text=_("表示されません。空欄のまま保存すると現在のパスワードを維持します"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    clear_password = forms.BooleanField(label=_("保存済みのパスワードを削除する"), required=False)

    def new_password(self) -> str | None:
        """The password to store: the typed one, "" to clear it, or None to keep the stored one."""
        if self.cleaned_data.get("password"):
            return self.cleaned_data["password"]
        return "" if self.cleaned_data.get("clear_password") else None


class OutboxFilterForm(forms.Form):
    """The outbox filters: shop, kind of mail, state."""

    shop = forms.ModelChoiceField(
        label=_("ショップ"), queryset=Shop.objects.order_by("code"), required=False, empty_label=_("すべて")
    )
    kind = forms.ChoiceField(label=_("種類"), choices=[("", _("すべて")), *MailKind.choices], required=False)
    state = forms.ChoiceField(label=_("状態"), choices=STATE_CHOICES, required=False)

    def filters(self) -> dict[str, Any]:
        """The valid filters (an invalid value is ignored rather than failing the page)."""
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v}
