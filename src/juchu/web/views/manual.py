"""手動登録: type an order on screen; it goes through the same pipeline as an imported one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from juchu.orders import manual
from juchu.shops.models import Shop
from juchu.web.auth import operator_required


class ManualOrderForm(forms.Form):
    """The order's header, buyer and one package."""

    shop = forms.ModelChoiceField(label="ショップ", queryset=Shop.objects.filter(active=True).order_by("code"))
    mall_order_number = forms.CharField(label="受注番号 (空欄で自動採番)", max_length=64, required=False)
    buyer_name = forms.CharField(label="購入者名", max_length=200)
    buyer_kana = forms.CharField(label="購入者名 (カナ)", max_length=200, required=False)
    email = forms.EmailField(label="メールアドレス", required=False)
    phone = forms.CharField(label="電話番号", max_length=40, required=False)
    recipient_name = forms.CharField(label="送付先名", max_length=200)
    postal_code = forms.CharField(label="郵便番号", max_length=20)
    prefecture = forms.CharField(label="都道府県", max_length=20)
    city = forms.CharField(label="市区町村", max_length=200, required=False)
    address1 = forms.CharField(label="番地", max_length=300, required=False)
    address2 = forms.CharField(label="建物名", max_length=300, required=False)
    recipient_phone = forms.CharField(label="送付先電話番号", max_length=40, required=False)
    delivery_method = forms.CharField(label="配送方法", max_length=100)
    requested_date = forms.DateField(
        label="お届け希望日", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    delivery_time = forms.CharField(label="お届け時間帯", max_length=40, required=False)
    payment_method = forms.CharField(label="決済方法", max_length=100)
    paid = forms.BooleanField(label="入金済", required=False)
    postage = forms.IntegerField(label="送料", min_value=0, initial=0)
    remarks = forms.CharField(label="備考", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class LineForm(forms.Form):
    """One line: SKU code, quantity, unit price."""

    sku = forms.CharField(label="SKUコード", max_length=64)
    name = forms.CharField(label="商品名", max_length=300, required=False)
    quantity = forms.IntegerField(label="数量", min_value=1, max_value=9999, initial=1)
    unit_price = forms.IntegerField(label="単価", min_value=0, initial=0)


LineFormSet = forms.formset_factory(LineForm, extra=3, min_num=1, validate_min=True, max_num=100)


def _methods(shops: Any) -> dict[str, list[str]]:
    delivery = sorted({m.mall_method for s in shops for m in s.delivery_methods.all()})
    payment = sorted({m.mall_method for s in shops for m in s.payment_methods.all()})
    return {"delivery_methods": delivery, "payment_methods": payment}


@operator_required
def new_order(request: HttpRequest) -> HttpResponse:
    """The 手動登録 form; on success, the new order's page."""
    if request.method == "POST":
        form = ManualOrderForm(request.POST)
        lines = LineFormSet(request.POST, prefix="lines")
        if form.is_valid() and lines.is_valid():
            data = form.cleaned_data
            typed = manual.ManualOrder(
                shop_id=data["shop"].pk,
                lines=tuple(
                    manual.ManualLine(ld["sku"].strip(), ld["quantity"], ld["unit_price"], ld.get("name", ""))
                    for ld in lines.cleaned_data
                    if ld and ld.get("sku")
                ),
                **{k: v for k, v in data.items() if k != "shop" and v is not None},
            )
            try:
                order = manual.register(typed, request.user.get_username(), timezone.now())
            except manual.ManualOrderError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"受注 {order.mall_order_number} を登録しました")
                return redirect("order-detail", pk=order.pk)
    else:
        form = ManualOrderForm()
        lines = LineFormSet(prefix="lines")
    shops = Shop.objects.filter(active=True).prefetch_related("delivery_methods", "payment_methods")
    return render(request, "juchu/orders/new.html", {"form": form, "lines": lines, **_methods(shops)})
