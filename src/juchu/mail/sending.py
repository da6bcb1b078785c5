"""The ``mail`` sweep: render each mail effect once into an OutgoingMail row, then send it.

The row is written (with its Message-ID) before sending, so a retry sends the very same message, and a row
marked sent is never sent again. Each shop's mails go through its SMTP settings, or the Django mail backend
(``JUCHU_EMAIL_BACKEND``, files in the data directory by default). Every failed attempt is kept on the mail
row, on the effect (``last_error``) and as an order event, so it shows on the order.
"""

from __future__ import annotations

import logging
from datetime import datetime
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F

from juchu.connectors.base import ItemResult, Outcome
from juchu.domain.effects import EffectKind, EffectState
from juchu.fulfillment.models import Shipment
from juchu.logfilters import mask
from juchu.mail.models import OutgoingMail
from juchu.mail.rendering import MailTemplateError, render_for
from juchu.mail.transport import Route, describe_failure, route_for
from juchu.orders import writes
from juchu.orders.dispatch import DispatchResult, claim, record, tally
from juchu.orders.models import Effect, Order, OrderEvent

log = logging.getLogger("juchu.mail")
MAIL_KINDS = [EffectKind.THANKS_MAIL, EffectKind.SHIPPING_MAIL, EffectKind.CANCEL_MAIL]
#: After this many failed attempts (about 70 minutes of backoff) a mail fails for good and waits for a person.
MAX_ATTEMPTS = 12


def send_due_mails(now: datetime, shop_id: int | None = None) -> DispatchResult:
    """Render and send one batch of due mail effects (of one shop, if given)."""
    effects = claim(MAIL_KINDS, now, shop_id=shop_id)
    states = []
    routes: dict[int, Route] = {}
    try:
        for effect in effects:
            answer = _send_one(effect, now, routes)
            with transaction.atomic():
                events: list[OrderEvent] = []
                if answer.outcome is Outcome.RETRY:
                    if effect.attempts >= MAX_ATTEMPTS:
                        message = f"{answer.message} ({effect.attempts} 回失敗したため再送を止めました)"
                        answer = ItemResult(answer.key, Outcome.REJECTED, answer.code, message)
                    else:
                        label = EffectKind(effect.kind).label_ja
                        events.append(
                            writes.event(
                                effect.order_id,
                                now,
                                "mail_retry",
                                f"{label}: 送信失敗 ({effect.attempts} 回目)、あとで再送します: {answer.message}",
                                detail={"effect": effect.key, "code": answer.code},
                            )
                        )
                states.append(record(effect, answer, now, events))
                OrderEvent.objects.bulk_create(events)
    finally:
        for route in routes.values():
            route.connection.close()
    return tally(states)


def _render(effect: Effect, now: datetime) -> OutgoingMail | ItemResult:
    existing = OutgoingMail.objects.filter(effect=effect).first()
    if existing is not None:
        return existing
    order = Order.objects.select_related("shop").get(pk=effect.order_id)
    if not order.email:
        return ItemResult(effect.key, Outcome.REJECTED, "NO_ADDRESS", "購入者のメールアドレスがありません")
    kind = EffectKind(effect.kind)
    shipment = None
    if kind is EffectKind.SHIPPING_MAIL:
        shipment = (
            Shipment.objects.select_related("package").prefetch_related("parcels").filter(pk=effect.item_id).first()
        )
        if shipment is None:
            return ItemResult(effect.key, Outcome.REJECTED, "NO_SHIPMENT", f"出荷 {effect.item_id} がありません")
    try:
        mail = render_for(order, kind.value, shipment)
    except MailTemplateError as exc:
        return ItemResult(effect.key, Outcome.REJECTED, "TEMPLATE", f"メールテンプレートの誤り: {exc}")
    row, _created = OutgoingMail.objects.get_or_create(
        effect=effect,
        defaults={
            "order": order,
            "kind": kind.value,
            "to": order.email,
            "from_address": order.shop.mail_from or settings.DEFAULT_FROM_EMAIL,
            "subject": mail.subject,
            "body": mail.body,
            "message_id": make_msgid(idstring=effect.key.replace(":", "."), domain="juchu.local"),
            "created_at": now,
        },
    )
    return row


def _send_one(effect: Effect, now: datetime, routes: dict[int, Route]) -> ItemResult:
    rendered = _render(effect, now)
    if isinstance(rendered, ItemResult):
        return rendered
    if rendered.sent_at is not None:
        return ItemResult(effect.key, Outcome.ACCEPTED, data={"message_id": rendered.message_id})
    order = Order.objects.select_related("shop").get(pk=effect.order_id)
    route = routes.get(order.shop_id)
    if route is None:
        route = routes[order.shop_id] = route_for(order.shop)
    message = EmailMessage(
        rendered.subject,
        rendered.body,
        rendered.from_address,
        [rendered.to],
        headers={"Message-ID": rendered.message_id},
        connection=route.connection,
    )
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # any failure of the transport is recorded and retried, never raised
        permanent, code, text = describe_failure(exc)
        # The server's answer may name the buyer's address (a refused recipient): masked in the log.
        log.warning("mail %s via %s failed: %s", rendered.message_id, route.label, mask(text))
        # A failed SMTP session may be half-open: the next mail of the batch opens a fresh one.
        route.connection.close()
        OutgoingMail.objects.filter(pk=rendered.pk).update(
            attempts=F("attempts") + 1, last_attempt_at=now, last_error=text, transport=route.label
        )
        return ItemResult(effect.key, Outcome.REJECTED if permanent else Outcome.RETRY, code, text)
    OutgoingMail.objects.filter(pk=rendered.pk).update(
        sent_at=now, attempts=F("attempts") + 1, last_attempt_at=now, last_error="", transport=route.label
    )
    return ItemResult(effect.key, Outcome.ACCEPTED, data={"message_id": rendered.message_id})


def retry_mail(effect_id: int, now: datetime, actor: str) -> bool:
    """Queue a failed mail again (after the template or SMTP settings were fixed). Returns whether it was queued.

    A mail that was already rendered is resent as it was; one that failed to render is rendered anew.
    """
    with transaction.atomic():
        effect = Effect.objects.filter(pk=effect_id, kind__in=[k.value for k in MAIL_KINDS]).first()
        if effect is None or effect.state != EffectState.FAILED.value:
            return False
        Effect.objects.filter(pk=effect.pk).update(state=EffectState.PENDING.value, next_attempt_at=now, attempts=0)
        label = EffectKind(effect.kind).label_ja
        writes.insert_events([writes.event(effect.order_id, now, "mail_requeued", f"{label}: 再送します", actor=actor)])
        return True


def mails_of_order(order_id: int) -> list[OutgoingMail]:
    """The mails of one order, newest first, for the order page."""
    return list(OutgoingMail.objects.filter(order_id=order_id).select_related("effect"))
