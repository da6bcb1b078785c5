"""Mail templates render in a sandbox: only the order's plain values, no settings, no method calls."""

from __future__ import annotations

import pytest

from juchu.mail.models import MailTemplate
from juchu.mail.rendering import MailTemplateError, example_context, render, render_preview
from juchu.mail.services import save_template
from juchu.orders.models import Order
from tests.integration.conftest import mall_order


@pytest.mark.parametrize(
    ("body", "says"),
    [
        pytest.param("{{ settings.SECRET_KEY }}", "'settings' is undefined", id="settings"),
        pytest.param("{{ order.number.upper() }}", "使えない操作", id="str-method"),
        pytest.param("{{ order.items() }}", "使えない操作", id="dict-method"),
        pytest.param("{{ lines.append(1) }}", "使えない操作", id="mutation"),
        pytest.param("{{ ''.__class__.__mro__ }}", "使えない操作", id="dunder"),
        pytest.param("{{ order.number.__class__.__subclasses__() }}", "使えない操作", id="subclasses"),
        pytest.param("{{ cycler.__init__.__globals__ }}", "使えない操作", id="globals"),
        pytest.param("{{ cycler }}", "'cycler' is undefined", id="no-default-globals"),
        pytest.param("{{ order.nosuch }}", "使えない変数", id="unknown-field"),
        pytest.param("ok\n{% for x in lines %}", "本文 2行目", id="syntax"),
        pytest.param("{{ 1 // 0 }}", "値を処理できません", id="division"),
        pytest.param("{% for i in range(10**7) %}{% endfor %}", "range の合計が上限", id="huge-range"),
        pytest.param(
            "{% for i in range(9000) %}{% for j in range(9000) %}{% endfor %}{% endfor %}",
            "range の合計が上限",
            id="nested-ranges",
        ),
    ],
)
def test_a_template_reaching_outside_its_data_fails_with_a_clear_message(body: str, says: str) -> None:
    with pytest.raises(MailTemplateError, match=r".") as raised:
        render("{{ order.number }}", body, example_context())
    assert says in str(raised.value)
    assert " at 0x" not in str(raised.value)  # no memory addresses in what an operator reads


def test_the_variables_render_as_documented() -> None:
    mail = render(
        "{{ shop.name }} {{ order.number }}",
        "{% for l in lines %}{{ l.name }}:{{ l.subtotal|yen }}{% endfor %} {{ shipment.parcels[0].tracking_url }}",
        example_context(),
    )
    assert mail.subject == "テスト店 123456-20261126-0000000001"
    assert mail.body == (
        "テスト商品:2,400円 https://trackings.post.japanpost.jp/services/srv/search/direct?reqCodeNo1=123456789012"
    )


def test_a_bad_template_is_not_saved(world, clock) -> None:
    with pytest.raises(MailTemplateError, match="settings"):
        save_template(world["shop"], "thanks_mail", "件名", "{{ settings.DEBUG }}", "admin", clock.now)
    assert not MailTemplate.objects.exists()
    saved = save_template(
        world["shop"], "thanks_mail", "{{ order.number }} 受付", "{{ order.buyer_name }} 様", "admin", clock.now
    )
    assert saved.updated_by == "admin"


def test_preview_renders_a_real_order_with_the_saved_or_draft_template(world, clock) -> None:
    from juchu.orders.importing import import_orders

    import_orders(world["shop"], [mall_order("P-1", clock.now, quantity=3)], clock.now)
    order = Order.objects.get()
    subject, body = render_preview(world["shop"], "thanks_mail", order)
    assert subject == "【デモ店】ご注文ありがとうございます (注文番号 P-1)"
    assert "テスト商品\n    1,200円 × 3 = 3,600円" in body
    subject, body = render_preview(world["shop"], "shipping_mail", order, "{{ shipment.carrier_name }}", "x")
    assert subject == "日本郵便 楽天倉庫出荷" and body == "x"
