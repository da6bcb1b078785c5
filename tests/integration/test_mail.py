"""Mails to buyers through a real SMTP server started by the test (aiosmtpd): right content, once each."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from juchu.domain.effects import EffectKind, EffectState
from juchu.mail.models import MailTemplate, OutgoingMail
from juchu.mail.sending import MAX_ATTEMPTS, retry_mail, send_due_mails
from juchu.mail.services import save_smtp
from juchu.orders.models import Effect, Order, OrderEvent
from juchu.runtime.models import Lease
from juchu.runtime.sweeps import run_all
from tests.integration.conftest import Clock, mall_order
from tests.integration.smtp_server import SmtpServer

MASKED = "0a1b2c3d4e5f60718293a4b5c6d7e8f9s1@pc.fw.rakuten.ne.jp"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer("shop-user", "s3cret").start()
    yield server
    server.stop()


@pytest.fixture
def shop_with_smtp(world, smtp, clock):
    shop = world["shop"]
    shop.mail_from = "shop@example.jp"
    shop.save(update_fields=["mail_from"])
    save_smtp(
        shop,
        host="127.0.0.1",
        port=smtp.port,
        security="none",
        username="shop-user",
        password="s3cret",
        now=clock.now,
    )
    return shop


def header(message, name: str) -> str:
    # Django folds long headers onto a continuation line; the reader's unfolding leaves a leading space.
    return str(message[name]).strip()


def subject(message) -> str:
    return header(message, "Subject")


def sweep(clock: Clock, **delta: float) -> None:
    run_all(clock.advance(**delta))
    errors = {lease.stage: lease.last_error for lease in Lease.objects.exclude(last_error="")}
    assert not errors, errors


def place_and_confirm(fakes, clock: Clock, number: str, **fields) -> Order:
    """A buyer orders; after the grace period the order is confirmed (確認済) and the thanks mail is due."""
    mall, _warehouse = fakes
    order = mall_order(number, clock.now, **fields)
    mall.put(order.__class__(**{**{f: getattr(order, f) for f in order.__slots__}, "email": MASKED}), clock.now)
    sweep(clock, seconds=1)
    sweep(clock, minutes=31)
    return Order.objects.get(mall_order_number=number)


def test_thanks_and_shipping_mails_go_through_the_shops_smtp_once_each(fakes, shop_with_smtp, smtp, clock) -> None:
    # given an order with a requested delivery date, confirmed after the grace period
    _mall, warehouse = fakes
    order = place_and_confirm(fakes, clock, "M-1", quantity=2, requested=clock.now.date() + timedelta(days=3))
    # then exactly one thanks mail went out through the shop's SMTP server, logged in, to the masked address
    assert len(smtp.inbox.messages) == 1
    assert smtp.inbox.logins == ["shop-user"]
    assert smtp.inbox.recipients == [[MASKED]]
    thanks = smtp.inbox.messages[0]
    assert subject(thanks) == "【デモ店】ご注文ありがとうございます (注文番号 M-1)"
    assert thanks["From"] == "shop@example.jp"
    body = smtp.inbox.body(0)
    assert "山田 太郎M-1 様" in body
    assert "テスト商品\n    1,200円 × 2 = 2,400円" in body
    assert "お支払い合計: 2,400円" in body
    assert "お届け希望日: 2026年11月29日" in body
    row = OutgoingMail.objects.get(order=order, kind="thanks_mail")
    assert header(thanks, "Message-ID") == row.message_id and row.sent_at == clock.now and row.attempts == 1
    assert row.transport == f"smtp 127.0.0.1:{smtp.port}"

    # when the warehouse ships it
    for request in warehouse.accepted_requests():
        warehouse.ship(request.request_id, trackings=2)
    sweep(clock, seconds=5)
    sweep(clock, seconds=5)
    # then one shipping mail with the carrier, both tracking numbers and their tracking pages
    assert len(smtp.inbox.messages) == 2
    shipping = smtp.inbox.messages[1]
    assert subject(shipping) == "【デモ店】商品を発送しました (注文番号 M-1)"
    body = smtp.inbox.body(1)
    assert "配送業者: 日本郵便 楽天倉庫出荷" in body
    trackings = [p.tracking_number for s in order.packages.get().shipment.parcels.all() for p in [s]]
    assert len(trackings) == 2
    for number in trackings:
        assert f"お問い合わせ番号: {number}" in body
        assert f"https://trackings.post.japanpost.jp/services/srv/search/direct?reqCodeNo1={number}" in body

    # when every sweep runs again, nothing is sent twice
    sweep(clock, minutes=10)
    sweep(clock, minutes=10)
    assert len(smtp.inbox.messages) == 2
    assert OutgoingMail.objects.filter(order=order).count() == 2


def test_a_refused_mail_is_retried_as_the_same_message_and_the_failure_shows_on_the_order(
    fakes, shop_with_smtp, smtp, clock
) -> None:
    # given a server that refuses the next two deliveries for now
    smtp.inbox.refusals = ["451 4.3.0 Temporary failure", "421 4.7.0 Try again later"]
    order = place_and_confirm(fakes, clock, "M-2")
    effect = Effect.objects.get(order=order, kind=EffectKind.THANKS_MAIL.value)
    row = OutgoingMail.objects.get(effect=effect)
    # then nothing was delivered; the failure is on the mail, the effect and the order's timeline
    assert smtp.inbox.messages == []
    assert effect.state == EffectState.PENDING.value
    assert "451" in effect.last_error and "451" in row.last_error and row.sent_at is None
    events = list(OrderEvent.objects.filter(order=order, kind="mail_retry").values_list("reason", flat=True))
    assert len(events) == 1 and "サンクスメール: 送信失敗 (1 回目)" in events[0] and "451" in events[0]

    # when the shop edits its template meanwhile, the retry still sends the very message first rendered
    MailTemplate.objects.create(
        shop=order.shop, kind="thanks_mail", subject="変更後", body="変更後の本文", updated_at=clock.now
    )
    sweep(clock, seconds=6)  # the second refusal
    assert smtp.inbox.messages == []
    sweep(clock, seconds=11)
    assert len(smtp.inbox.messages) == 1
    delivered = smtp.inbox.messages[0]
    assert header(delivered, "Message-ID") == row.message_id
    assert subject(delivered) == row.subject != "変更後"
    row.refresh_from_db()
    effect.refresh_from_db()
    assert row.attempts == 3 and row.last_error == "" and row.sent_at is not None
    assert effect.state == EffectState.DONE.value
    # ... and later passes deliver nothing more
    sweep(clock, minutes=30)
    assert len(smtp.inbox.messages) == 1


def test_a_permanently_refused_address_fails_once_and_can_be_requeued(fakes, shop_with_smtp, smtp, clock) -> None:
    smtp.inbox.refusals = ["550 5.1.1 No such user"]
    order = place_and_confirm(fakes, clock, "M-3")
    effect = Effect.objects.get(order=order, kind=EffectKind.THANKS_MAIL.value)
    assert effect.state == EffectState.FAILED.value and "550" in effect.last_error
    failed = OrderEvent.objects.get(order=order, kind="effect_failed")
    assert "サンクスメール: 失敗" in failed.reason and "550" in failed.reason
    sweep(clock, minutes=30)
    assert smtp.inbox.messages == []
    # when an operator queues it again, the same message goes out once
    assert retry_mail(effect.pk, clock.now, "operator") is True
    assert retry_mail(effect.pk, clock.now, "operator") is False  # already queued
    sweep(clock, seconds=1)
    assert len(smtp.inbox.messages) == 1
    assert header(smtp.inbox.messages[0], "Message-ID") == OutgoingMail.objects.get(effect=effect).message_id


def test_a_wrong_password_is_retried_until_the_attempts_run_out(fakes, world, smtp, clock) -> None:
    save_smtp(world["shop"], host="127.0.0.1", port=smtp.port, security="none", username="shop-user",
              password="wrong", now=clock.now)  # fmt: skip
    order = place_and_confirm(fakes, clock, "M-4")
    effect = Effect.objects.get(order=order, kind=EffectKind.THANKS_MAIL.value)
    assert effect.state == EffectState.PENDING.value and "SMTP認証に失敗しました" in effect.last_error
    for _ in range(MAX_ATTEMPTS):
        send_due_mails(clock.advance(minutes=11))
    effect.refresh_from_db()
    assert effect.state == EffectState.FAILED.value and effect.attempts == MAX_ATTEMPTS
    assert "再送を止めました" in effect.last_error
    assert smtp.inbox.messages == []
    assert OrderEvent.objects.filter(order=order, kind="mail_retry").count() == MAX_ATTEMPTS - 1


def test_a_template_that_reaches_for_settings_fails_the_mail_with_a_clear_reason(
    fakes, shop_with_smtp, smtp, clock
) -> None:
    # given a template saved behind the checks' back that tries to read the settings
    MailTemplate.objects.create(
        shop=shop_with_smtp,
        kind="thanks_mail",
        subject="{{ order.number }}",
        body="{{ settings.SECRET_KEY }}",
        updated_at=clock.now,
    )
    order = place_and_confirm(fakes, clock, "M-5")
    effect = Effect.objects.get(order=order, kind=EffectKind.THANKS_MAIL.value)
    # then no mail is rendered or sent, and the order says why
    assert effect.state == EffectState.FAILED.value
    assert "メールテンプレートの誤り" in effect.last_error and "'settings' is undefined" in effect.last_error
    assert not OutgoingMail.objects.filter(effect=effect).exists()
    assert smtp.inbox.messages == []
    assert OrderEvent.objects.filter(order=order, kind="effect_failed", reason__contains="settings").exists()


def test_without_smtp_settings_mails_are_kept_as_files_and_rows(fakes, world, clock, settings, tmp_path) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    order = place_and_confirm(fakes, clock, "M-6")
    row = OutgoingMail.objects.get(order=order)
    assert row.sent_at is not None and row.transport == "filebased"
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and row.message_id in files[0].read_text()
