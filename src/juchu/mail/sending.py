"""The ``mail`` sweep: render each mail effect once into an OutgoingMail row, then send it.

The row is written (with its Message-ID) before sending, so a retry sends the very same message. Sending
goes through Django's mail backend chosen by ``JUCHU_EMAIL_BACKEND`` (files in the data directory by
default). Per-shop templates and SMTP settings come with the mail issue; these texts are the defaults.
"""

from __future__ import annotations

import logging
from datetime import datetime
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction

from juchu.connectors.base import ItemResult, Outcome
from juchu.domain.effects import EffectKind
from juchu.fulfillment.models import Shipment
from juchu.mail.models import OutgoingMail
from juchu.orders.dispatch import DispatchResult, claim, record, tally
from juchu.orders.models import Effect, Order, OrderEvent

log = logging.getLogger("juchu.mail")

_SUBJECTS = {
    EffectKind.THANKS_MAIL: "【{shop}】ご注文ありがとうございます (注文番号 {number})",
    EffectKind.SHIPPING_MAIL: "【{shop}】商品を発送しました (注文番号 {number})",
    EffectKind.CANCEL_MAIL: "【{shop}】ご注文のキャンセルについて (注文番号 {number})",
}


def _body(kind: EffectKind, order: Order, shipment: Shipment | None) -> str:
    lines = "\n".join(
        f"  {line.name or line.mall_item_id} × {line.quantity}  {line.unit_price:,}円" for line in order.lines.all()
    )
    head = f"{order.buyer_name} 様\n\n{order.shop.name} です。\n"
    if kind is EffectKind.THANKS_MAIL:
        text = "このたびはご注文いただき、ありがとうございます。以下の内容でご注文を承りました。\n"
    elif kind is EffectKind.SHIPPING_MAIL and shipment is not None:
        trackings = "\n".join(f"  お問い合わせ番号: {p.tracking_number}" for p in shipment.parcels.all())
        text = (
            f"ご注文の商品を {shipment.shipped_on:%Y年%m月%d日} に発送しました。\n"
            f"配送業者: {shipment.carrier_name or shipment.carrier_code}\n{trackings}\n"
        )
    else:
        text = "ご注文はキャンセルとなりました。\n"
    return (
        f"{head}\n{text}\n注文番号: {order.mall_order_number}\n{lines}\n合計: {order.total:,}円\n\n{order.shop.name}\n"
    )


def send_due_mails(now: datetime, shop_id: int | None = None) -> DispatchResult:
    """Render and send one batch of due mail effects (of one shop, if given)."""
    effects = claim([EffectKind.THANKS_MAIL, EffectKind.SHIPPING_MAIL, EffectKind.CANCEL_MAIL], now, shop_id=shop_id)
    states = []
    for effect in effects:
        answer = _send_one(effect, now)
        with transaction.atomic():
            events: list[OrderEvent] = []
            states.append(record(effect, answer, now, events))
            OrderEvent.objects.bulk_create(events)
    return tally(states)


def _render(effect: Effect, now: datetime) -> OutgoingMail | ItemResult:
    order = Order.objects.select_related("shop").get(pk=effect.order_id)
    if not order.email:
        return ItemResult(effect.key, Outcome.REJECTED, "NO_ADDRESS", "購入者のメールアドレスがありません")
    kind = EffectKind(effect.kind)
    shipment = Shipment.objects.filter(pk=effect.item_id).first() if kind is EffectKind.SHIPPING_MAIL else None
    mail, _created = OutgoingMail.objects.get_or_create(
        effect=effect,
        defaults={
            "order": order,
            "kind": kind.value,
            "to": order.email,
            "from_address": order.shop.mail_from or settings.DEFAULT_FROM_EMAIL,
            "subject": _SUBJECTS[kind].format(shop=order.shop.name, number=order.mall_order_number),
            "body": _body(kind, order, shipment),
            "message_id": make_msgid(idstring=effect.key.replace(":", "."), domain="juchu.local"),
            "created_at": now,
        },
    )
    return mail


def _send_one(effect: Effect, now: datetime) -> ItemResult:
    rendered = _render(effect, now)
    if isinstance(rendered, ItemResult):
        return rendered
    if rendered.sent_at is not None:
        return ItemResult(effect.key, Outcome.ACCEPTED, data={"message_id": rendered.message_id})
    message = EmailMessage(
        rendered.subject,
        rendered.body,
        rendered.from_address,
        [rendered.to],
        headers={"Message-ID": rendered.message_id},
    )
    try:
        message.send(fail_silently=False)
    except Exception as exc:
        log.warning("mail %s failed: %s", rendered.message_id, exc.__class__.__name__)
        return ItemResult(effect.key, Outcome.RETRY, "SEND", f"送信に失敗しました: {exc.__class__.__name__}")
    OutgoingMail.objects.filter(pk=rendered.pk).update(sent_at=now)
    return ItemResult(effect.key, Outcome.ACCEPTED, data={"message_id": rendered.message_id})
