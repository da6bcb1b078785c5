"""Forms of the file screens (ファイル): uploads, export choices and the RSL exchange."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from juchu.fulfillment.models import Warehouse
from juchu.shops.models import Shop

#: A bigger upload is refused before it is read: 100,000 order rows are about 25 MB.
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
ENCODING_CHOICES = [("cp932", _("Shift_JIS (CP932・Excel向け)")), ("utf-8", _("UTF-8 (BOM付き)"))]


class CsvFileField(forms.FileField):
    """A CSV file of at most :data:`MAX_UPLOAD_BYTES`; cleans to the file's bytes."""

    def clean(self, data: Any, initial: Any = None) -> bytes:
        """The uploaded bytes; an empty or oversized file is an error."""
        upload = super().clean(data, initial)
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("ファイルが大きすぎます (上限 %(megabytes)s MB)") % {"megabytes": MAX_UPLOAD_BYTES // 1024 // 1024}
            )
        return upload.read()


class OrderUploadForm(forms.Form):
    """受注CSV取込: the shop the orders belong to and the file."""

    shop = forms.ModelChoiceField(label=_("ショップ"), queryset=Shop.objects.order_by("code"), empty_label=None)
    file = CsvFileField(label=_("受注CSV"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))


class OrderCommitForm(forms.Form):
    """取り込む: the shop and the token of the file kept since the preview."""

    shop = forms.ModelChoiceField(queryset=Shop.objects.all(), widget=forms.HiddenInput)
    token = forms.CharField(max_length=40, widget=forms.HiddenInput)


class CatalogUploadForm(forms.Form):
    """A mapping, product or stock CSV to apply."""

    file = CsvFileField(label=_("CSVファイル"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))


class ExportForm(forms.Form):
    """The choices of an export: encoding, and the shop, warehouse or dates where the kind takes them."""

    encoding = forms.ChoiceField(label=_("文字コード"), choices=ENCODING_CHOICES, initial="cp932", required=False)
    shop = forms.ModelChoiceField(
        label=_("ショップ"), queryset=Shop.objects.order_by("code"), required=False, empty_label=_("すべて")
    )
    warehouse = forms.ModelChoiceField(
        label=_("倉庫"), queryset=Warehouse.objects.order_by("code"), required=False, empty_label=_("すべて")
    )
    since = forms.DateField(label=_("出荷日 (から)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("出荷日 (まで)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, shop_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if shop_required:
            self.fields["shop"].required = True
            self.fields["shop"].empty_label = None

    def clean_encoding(self) -> str:
        """CP932 unless UTF-8 was chosen."""
        return self.cleaned_data.get("encoding") or "cp932"

    def clean(self) -> dict[str, Any]:
        """The period must not end before it starts."""
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("終了日は開始日以降にしてください"))
        return data


class WarehouseForm(forms.Form):
    """The RSL warehouse a request file is exported for."""

    warehouse = forms.ModelChoiceField(label=_("倉庫"), queryset=Warehouse.objects.order_by("code"), empty_label=None)


class RslResultForm(forms.Form):
    """RSL's result CSV (出荷実績) for one warehouse."""

    warehouse = forms.ModelChoiceField(label=_("倉庫"), queryset=Warehouse.objects.order_by("code"), empty_label=None)
    file = CsvFileField(label=_("出荷実績CSV"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))
