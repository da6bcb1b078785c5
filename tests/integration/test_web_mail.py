"""The mail screens (メール) through Django's test client: templates with a real-order preview, SMTP settings
whose password never comes back, and the outbox with a resend of a failed mail through a real SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from juchu.domain.effects import EffectKind, EffectState
from juchu.mail.models import MailTemplate, OutgoingMail, SmtpSettings
from juchu.mail.services import save_smtp
from juchu.orders.importing import import_orders
from juchu.orders.models import Effect, OrderEvent
from juchu.runtime.sweeps import run_all
from juchu.shops.models import Shop
from juchu.web.auth import Role, create_user
from tests.integration.conftest import Clock, mall_order
from tests.integration.smtp_server import SmtpServer

PASSWORD = "Juchu-test-pass-2026"
SMTP_SECRET = "Rms-SMTP-secret-7391"


def client_for(role: Role, username: str | None = None) -> Client:
    client = Client()
    client.force_login(create_user(username or role.code, PASSWORD, role))
    return client


def page(response) -> str:
    return response.content.decode()


@pytest.fixture
def orders(world, clock):
    """Two orders of the shop, M-2 the later one."""
    import_orders(world["shop"], [mall_order("M-1", clock.now, quantity=2)], clock.now)
    import_orders(world["shop"], [mall_order("M-2", clock.advance(minutes=5), quantity=3)], clock.now)
    return world


def preview(client: Client, shop: Shop, kind: str, subject: str, body: str, order: str = ""):
    url = reverse("mail-template-preview", args=[shop.pk, kind])
    return client.post(url, {"subject": subject, "body": body, "order": order}, HTTP_HX_REQUEST="true")


# -- access ------------------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login_page(db) -> None:
    for name in ("mail-index", "mail-outbox"):
        response = Client().get(reverse(name))
        assert response.status_code == 302 and response.url.startswith("/login/?next=/mail/")


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_only_administrators_see_or_change_templates_and_smtp_settings(world, role) -> None:
    client = client_for(role)
    shop = world["shop"]
    responses = [
        client.get(reverse("mail-index")),
        client.get(reverse("mail-template", args=[shop.pk, "thanks_mail"])),
        client.post(reverse("mail-template", args=[shop.pk, "thanks_mail"]), {"subject": "x", "body": "y"}),
        client.post(reverse("mail-template-preview", args=[shop.pk, "thanks_mail"]), {"subject": "x", "body": "y"}),
        client.post(reverse("mail-template-reset", args=[shop.pk, "thanks_mail"])),
        client.get(reverse("mail-smtp", args=[shop.pk])),
        client.post(reverse("mail-smtp", args=[shop.pk]), {"host": "evil.example", "port": 25, "security": "none"}),
        client.post(reverse("mail-smtp-remove", args=[shop.pk])),
    ]
    assert [r.status_code for r in responses] == [403] * len(responses)
    assert not MailTemplate.objects.exists() and not SmtpSettings.objects.exists()
    assert client.get(reverse("mail-outbox")).status_code == 200


# -- templates ---------------------------------------------------------------------------------------------


def test_the_index_lists_the_three_mails_of_each_shop(world) -> None:
    html = page(client_for(Role.ADMIN).get(reverse("mail-index")))
    for kind, label in [
        ("thanks_mail", "サンクスメール"),
        ("shipping_mail", "出荷メール"),
        ("cancel_mail", "キャンセルメール"),
    ]:
        assert f'<tr data-kind="{kind}"><td>{label}</td>' in html
        assert reverse("mail-template", args=[world["shop"].pk, kind]) in html


def test_the_preview_renders_the_draft_with_the_latest_or_a_chosen_real_order(orders) -> None:
    client, shop = client_for(Role.ADMIN), orders["shop"]
    subject, body = (
        "{{ order.number }} {{ order.buyer_name }} 様",
        "合計 {{ order.total|yen }}\n{{ lines[0].quantity }}点",
    )
    latest = preview(client, shop, "thanks_mail", subject, body)
    assert latest.context["subject"] == "M-2 山田 太郎M-2 様"
    assert latest.context["body"] == "合計 3,600円\n3点"
    assert '<pre id="preview-body"' in page(latest) and "合計 3,600円" in page(latest)
    chosen = preview(client, shop, "thanks_mail", subject, body, order="M-1")
    assert (chosen.context["subject"], chosen.context["body"]) == ("M-1 山田 太郎M-1 様", "合計 2,400円\n2点")
    missing = preview(client, shop, "thanks_mail", subject, body, order="NOPE")
    assert "受注番号 NOPE はこのショップにありません" in page(missing)
    # a shipping mail before shipment is previewed with an example shipment of the order
    shipping = preview(client, shop, "shipping_mail", "{{ shipment.carrier_name }}", "{{ shipment.recipient_name }}")
    assert (shipping.context["subject"], shipping.context["body"]) == ("日本郵便 楽天倉庫出荷", "山田 太郎M-2")
    # nothing was saved by any preview
    assert not MailTemplate.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{{ settings.SECRET_KEY }}", "本文: 使えない変数です ('settings' is undefined)"),
        ("{{ order.buyer_name.upper() }}", "本文: 使えない操作です"),
        ("{{ order.__class__ }}", "本文: 使えない"),
        ("{% for line in lines %}{{ line.name }}", "本文 1行目: テンプレートの書き方が正しくありません"),
    ],
)
def test_a_template_touching_settings_or_methods_shows_the_error_in_the_preview_and_is_not_saved(
    orders, body: str, message: str
) -> None:
    client, shop = client_for(Role.ADMIN), orders["shop"]
    response = preview(client, shop, "thanks_mail", "{{ order.number }}", body)
    assert message in response.context["error"]
    assert 'id="preview-error"' in page(response) and "preview-body" not in page(response)
    assert SMTP_SECRET not in page(response)
    # saving it is refused with the same reason
    saved = client.post(reverse("mail-template", args=[shop.pk, "thanks_mail"]), {"subject": "件名", "body": body})
    assert saved.status_code == 200 and "保存できません" in page(saved) and message.split(" (")[0] in page(saved)
    assert not MailTemplate.objects.exists()


def test_a_good_template_is_saved_and_reset_to_the_default(orders) -> None:
    client, shop = client_for(Role.ADMIN, "kanri"), orders["shop"]
    url = reverse("mail-template", args=[shop.pk, "cancel_mail"])
    response = client.post(url, {"subject": "【{{ shop.name }}】キャンセル", "body": "{{ order.buyer_name }} 様"})
    assert response.status_code == 302
    template = MailTemplate.objects.get(shop=shop, kind="cancel_mail")
    assert (template.subject, template.body, template.updated_by) == (
        "【{{ shop.name }}】キャンセル",
        "{{ order.buyer_name }} 様",
        "kanri",
    )
    assert "ショップ独自の文面です" in page(client.get(url))
    client.post(reverse("mail-template-reset", args=[shop.pk, "cancel_mail"]))
    assert not MailTemplate.objects.exists()
    assert "初期値の文面です" in page(client.get(url))


# -- SMTP -----------------------------------------------------------------------------------------------------


def test_a_rakuten_shop_starts_from_rakutens_server_and_the_password_never_shows(world) -> None:
    client, shop = client_for(Role.ADMIN), world["shop"]
    url = reverse("mail-smtp", args=[shop.pk])
    first = page(client.get(url))
    assert 'value="sub.fw.rakuten.ne.jp"' in first and 'value="587"' in first
    # when saved with a password, the page says it is set and never shows it
    data = {"host": "sub.fw.rakuten.ne.jp", "port": 587, "security": "none", "username": "rms-id"}
    assert client.post(url, {**data, "password": SMTP_SECRET}).status_code == 302
    assert SmtpSettings.objects.get(shop=shop).password == SMTP_SECRET
    shown = page(client.get(url))
    assert SMTP_SECRET not in shown and '<span id="password-state">設定済み</span>' in shown
    # an empty password keeps the stored one; a refused form does not echo the typed one either
    client.post(url, {**data, "port": 2525, "password": ""})
    assert (SmtpSettings.objects.get(shop=shop).port, SmtpSettings.objects.get(shop=shop).password) == (
        2525,
        SMTP_SECRET,
    )
    refused = client.post(url, {**data, "port": 0, "password": "typed-NEW-secret"})
    assert refused.status_code == 200 and "typed-NEW-secret" not in page(refused) and SMTP_SECRET not in page(refused)
    assert SMTP_SECRET not in page(client.get(reverse("mail-index")))
    # clearing the password, then removing the settings
    client.post(url, {**data, "clear_password": "on"})
    assert SmtpSettings.objects.get(shop=shop).password == ""
    client.post(reverse("mail-smtp-remove", args=[shop.pk]))
    assert not SmtpSettings.objects.exists()


def test_a_shop_of_another_mall_gets_no_suggested_server(world) -> None:
    shop = Shop.objects.create(code="own", name="自社サイト", mall="manual", warehouse=world["warehouse"])
    html = page(client_for(Role.ADMIN).get(reverse("mail-smtp", args=[shop.pk])))
    assert "sub.fw.rakuten.ne.jp" not in html and 'name="host" maxlength="200" required id="id_host"' in html


# -- outbox ---------------------------------------------------------------------------------------------------


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer("shop-user", "s3cret").start()
    yield server
    server.stop()


def confirm(fakes, clock: Clock, number: str) -> None:
    """A buyer orders; after the grace period the order is confirmed and its thanks mail goes out."""
    mall, _warehouse = fakes
    mall.put(mall_order(number, clock.now), clock.now)
    run_all(clock.advance(seconds=1))
    run_all(clock.advance(minutes=31))


def test_the_outbox_lists_mails_newest_first_with_filters_and_a_failed_one_is_resent(fakes, world, smtp, clock) -> None:
    shop = world["shop"]
    shop.mail_from = "shop@example.jp"
    shop.save(update_fields=["mail_from"])
    save_smtp(shop, host="127.0.0.1", port=smtp.port, security="none", username="shop-user", password="s3cret",
              now=clock.now)  # fmt: skip
    # given one mail delivered and one refused for good (550)
    confirm(fakes, clock, "M-1")
    smtp.inbox.refusals = ["550 5.1.1 No such user"]
    confirm(fakes, clock, "M-2")
    sent = OutgoingMail.objects.get(order__mall_order_number="M-1")
    failed = OutgoingMail.objects.get(order__mall_order_number="M-2")
    assert sent.sent_at is not None and failed.sent_at is None and failed.effect.state == EffectState.FAILED.value

    viewer = client_for(Role.VIEWER)
    listed = viewer.get(reverse("mail-outbox"))
    assert [mail.pk for mail, _label, _css in listed.context["rows"]] == [failed.pk, sent.pk]
    assert '<td class="danger">失敗</td>' in page(listed) and '<td class="ok">送信済</td>' in page(listed)
    only_failed = viewer.get(reverse("mail-outbox"), {"state": "failed", "shop": shop.pk, "kind": "thanks_mail"})
    assert [mail.pk for mail, _l, _c in only_failed.context["rows"]] == [failed.pk]
    assert [m.pk for m, _l, _c in viewer.get(reverse("mail-outbox"), {"state": "sent"}).context["rows"]] == [sent.pk]
    assert viewer.get(reverse("mail-outbox"), {"kind": "cancel_mail"}).context["rows"] == []

    # the failed mail's page: headers, body, attempts and the error; a viewer has no 再送 and may not post it
    detail = page(viewer.get(reverse("mail-detail", args=[failed.pk])))
    assert f"<code>{escape(failed.message_id)}</code>" in detail and "buyerM-2@example.jp" in detail
    assert "山田 太郎M-2 様" in detail and '<dd id="mail-attempts">1' in detail and "550" in detail
    assert 'id="retry-button"' not in detail
    assert viewer.post(reverse("mail-retry", args=[failed.pk])).status_code == 403

    # when an operator resends it, the very same message goes out on the next mail pass
    operator = client_for(Role.OPERATOR, "tanaka")
    assert 'id="retry-button"' in page(operator.get(reverse("mail-detail", args=[failed.pk])))
    response = operator.post(reverse("mail-retry", args=[failed.pk]), follow=True)
    assert "再送を予約しました" in page(response)
    effect = Effect.objects.get(pk=failed.effect_id)
    assert effect.state == EffectState.PENDING.value
    assert OrderEvent.objects.filter(order=failed.order, kind="mail_requeued", actor="tanaka").count() == 1
    run_all(max(clock.advance(seconds=1), timezone.now() + timedelta(seconds=1)))  # the view queued it at wall time
    assert [str(m["Message-ID"]).strip() for m in smtp.inbox.messages] == [sent.message_id, failed.message_id]
    # and a mail that is not failed is not resent
    again = operator.post(reverse("mail-retry", args=[failed.pk]), follow=True)
    assert "再送しませんでした" in page(again)
    assert Effect.objects.get(pk=failed.effect_id).state == EffectState.DONE.value
    assert EffectKind(effect.kind) is EffectKind.THANKS_MAIL
