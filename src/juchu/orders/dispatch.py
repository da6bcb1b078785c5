"""Dispatchers of the outbox: mall confirmations, shipping reports, mall cancels and withdrawals.

Each takes a batch of due effect rows (claimed in a short transaction), makes one bulk call where the
port has one, and records each answer: done, failed for good (tag + visible error) or retried with backoff.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F

from juchu.connectors import registry
from juchu.connectors.base import ConnectorError, ItemResult, Outcome, ReportLine, ShipmentReport
from juchu.domain.effects import EffectKind, EffectState, retry_delay_seconds
from juchu.domain.model import TagSource
from juchu.domain.status import PackageStatus
from juchu.fulfillment.models import RequestState, Shipment, ShipmentRequest
from juchu.orders import writes
from juchu.orders.locking import lock_orders
from juchu.orders.models import Effect, Order, OrderEvent, OrderTag
from juchu.orders.models import Package as PackageRow
from juchu.shops.models import Shop

log = logging.getLogger("juchu.dispatch")
#: Whole-call error codes that say the connection, not the item, is wrong.
CONNECTION_CODES = frozenset({"AUTH", "CONFIG", "FORBIDDEN", "RATE_LIMIT"})
BATCH = 100


@dataclass(frozen=True, slots=True)
class DispatchResult:
    """What one dispatch batch did."""

    done: int = 0
    failed: int = 0
    retried: int = 0


def claim(kinds: list[EffectKind], now: datetime, limit: int = BATCH, shop_id: int | None = None) -> list[Effect]:
    """Take due pending effects of these kinds (of one shop, if given); not handed out again until the claim expires."""
    with transaction.atomic():
        query = Effect.objects.filter(
            state=EffectState.PENDING.value, kind__in=[k.value for k in kinds], next_attempt_at__lte=now
        )
        if shop_id is not None:
            query = query.filter(order__shop_id=shop_id)
        if connection.features.has_select_for_update_skip_locked:
            query = query.select_for_update(skip_locked=True, of=("self",))
        effects = list(query.order_by("next_attempt_at", "id")[:limit])
        if effects:
            Effect.objects.filter(id__in=[e.pk for e in effects]).update(
                next_attempt_at=now + timedelta(seconds=settings.JUCHU_CLAIM_SECONDS), attempts=F("attempts") + 1
            )
            for effect in effects:
                effect.attempts += 1
        return effects


def record(
    effect: Effect,
    answer: ItemResult,
    now: datetime,
    events: list[OrderEvent],
    on_done: Callable[[Effect], None] | None = None,
    on_failed: Callable[[Effect, str], None] | None = None,
) -> str:
    """Store one answer on its effect row; returns the new state."""
    label = EffectKind(effect.kind).label_ja
    if answer.outcome is Outcome.ACCEPTED:
        changed = Effect.objects.filter(pk=effect.pk, state=EffectState.PENDING.value).update(
            state=EffectState.DONE.value, done_at=now, last_error="", result=dict(answer.data)
        )
        if changed:
            events.append(
                writes.event(effect.order_id, now, "effect_done", f"{label}: 完了", detail={"effect": effect.key})
            )
            if on_done:
                on_done(effect)
        return EffectState.DONE.value
    message = f"{answer.code} {answer.message}".strip()
    if answer.outcome is Outcome.REJECTED:
        # Only a pending row: a late answer from a worker whose claim expired must not undo another's success.
        failed = Effect.objects.filter(pk=effect.pk, state=EffectState.PENDING.value).update(
            state=EffectState.FAILED.value, last_error=message
        )
        if not failed:
            return _state_of(effect)
        events.append(
            writes.event(
                effect.order_id,
                now,
                "effect_failed",
                f"{label}: 失敗 {message}",
                detail={"effect": effect.key},
            )
        )
        if on_failed:
            on_failed(effect, message)
        return EffectState.FAILED.value
    Effect.objects.filter(pk=effect.pk, state=EffectState.PENDING.value).update(
        next_attempt_at=now + timedelta(seconds=retry_delay_seconds(effect.attempts, *_retry_backoff())),
        last_error=message,
    )
    return EffectState.PENDING.value


def _state_of(effect: Effect) -> str:
    return Effect.objects.filter(pk=effect.pk).values_list("state", flat=True).get()


def tally(states: list[str]) -> DispatchResult:
    """Count the new states of a batch of effects."""
    return DispatchResult(states.count("done"), states.count("failed"), states.count("pending"))


def _mall(shop: Shop):
    return registry.mall_connector(shop.connector, shop.connector_settings())


def dispatch_mall_effects(now: datetime, shop_id: int | None = None) -> DispatchResult:
    """Send one batch of mall confirmations, shipping reports and mall cancels (of one shop, if given)."""
    effects = claim([EffectKind.MALL_CONFIRM, EffectKind.MALL_REPORT, EffectKind.MALL_CANCEL], now, shop_id=shop_id)
    if not effects:
        return DispatchResult()
    orders = {o.pk: o for o in Order.objects.filter(id__in={e.order_id for e in effects}).select_related("shop")}
    by_shop: dict[int, list[Effect]] = defaultdict(list)
    for effect in effects:
        by_shop[orders[effect.order_id].shop_id].append(effect)
    answers: dict[int, ItemResult] = {}
    unconfirmed = _confirmations_elsewhere(effects)
    for effects_of_shop in by_shop.values():
        shop = orders[effects_of_shop[0].order_id].shop
        answers.update(_call_mall(shop, effects_of_shop, orders, unconfirmed))
    states = []
    with transaction.atomic():
        lock_orders(e.order_id for e in effects)  # orders before effects: see juchu.orders.locking
        events: list[OrderEvent] = []
        for effect in effects:
            states.append(
                record(
                    effect,
                    answers[effect.pk],
                    now,
                    events,
                    on_done=lambda e: _mall_effect_done(e, now, events),
                    on_failed=lambda e, m: _mall_effect_failed(e, m, now, events),
                )
            )
        OrderEvent.objects.bulk_create(events)
    confirmed = [
        e
        for e, state in zip(effects, states, strict=True)
        if state == EffectState.DONE.value and e.kind == EffectKind.MALL_CONFIRM.value
    ]
    if confirmed:
        _read_back(confirmed, orders, now)
    return tally(states)


def _read_back(effects: list[Effect], orders: dict[int, Order], now: datetime) -> None:
    """A confirmation moves the order at the mall (Rakuten 100 → 200/300): read those orders back at once
    instead of waiting for the next sync, so a paid order goes on to its shipment request in seconds."""
    from juchu.orders.importing import import_orders

    by_shop: dict[int, list[Order]] = defaultdict(list)
    for effect in effects:
        by_shop[orders[effect.order_id].shop_id].append(orders[effect.order_id])
    for shop_orders in by_shop.values():
        shop = shop_orders[0].shop
        try:
            connector = _mall(shop)
            if connector is None:
                continue
            fetched = connector.fetch_orders([o.mall_order_number for o in shop_orders])
        except (ConnectorError, registry.UnknownConnector) as exc:
            # The error's code only: a mall's message may quote the buyer.
            code = getattr(exc, "code", "") or exc.__class__.__name__
            log.info("read-back after confirm for shop %s failed (the next sync catches up): %s", shop.code, code)
            continue
        import_orders(shop, fetched.orders, now)


def _confirmations_elsewhere(effects: list[Effect]) -> set[int]:
    """Orders of these shipping reports whose mall confirmation is still pending outside this batch.

    A mall refuses a shipping report for an order it has not confirmed (Rakuten: not yet 発送待ち) — for good.
    The embedded runner always confirms long before the warehouse ships; with several workers the
    confirmation may still be claimed by another (or a killed) worker, so the report waits for it.
    """
    reports = {e.order_id for e in effects if e.kind == EffectKind.MALL_REPORT.value}
    if not reports:
        return set()
    pending = Effect.objects.filter(
        order_id__in=reports, kind=EffectKind.MALL_CONFIRM.value, state=EffectState.PENDING.value
    ).exclude(id__in=[e.pk for e in effects])
    return set(pending.values_list("order_id", flat=True))


def _call_mall(
    shop: Shop, effects: list[Effect], orders: dict[int, Order], unconfirmed: set[int] | frozenset[int] = frozenset()
) -> dict[int, ItemResult]:
    try:
        connector = _mall(shop)
    except registry.UnknownConnector as exc:
        return {e.pk: ItemResult(e.key, Outcome.RETRY, "CONNECTOR", str(exc)) for e in effects}
    if connector is None:  # orders by hand or CSV: there is no mall to tell
        return {e.pk: ItemResult(e.key, Outcome.ACCEPTED, data={"note": "モール接続なし"}) for e in effects}
    answers: dict[int, ItemResult] = {}
    try:
        confirms = [e for e in effects if e.kind == EffectKind.MALL_CONFIRM.value]
        if confirms:
            by_number = {orders[e.order_id].mall_order_number: e for e in confirms}
            for answer in connector.confirm(list(by_number)):
                if answer.key in by_number:
                    answers[by_number[answer.key].pk] = answer
        # A confirmation that is to be retried holds its order's report back too (see _confirmations_elsewhere).
        unconfirmed = set(unconfirmed) | {
            e.order_id for e in confirms if e.pk not in answers or answers[e.pk].outcome is Outcome.RETRY
        }
        reports = []
        for effect in (e for e in effects if e.kind == EffectKind.MALL_REPORT.value):
            if effect.order_id in unconfirmed:
                answers[effect.pk] = ItemResult(effect.key, Outcome.RETRY, "WAIT_CONFIRM", "注文確認の完了待ち")
            else:
                reports.append(effect)
        if reports:
            batch = _reports(reports, orders)
            by_key = {r.key: e for r, e in batch}
            for answer in connector.report_shipments([r for r, _e in batch]):
                if answer.key in by_key:
                    answers[by_key[answer.key].pk] = answer
        for effect in (e for e in effects if e.kind == EffectKind.MALL_CANCEL.value):
            answers[effect.pk] = connector.cancel(
                orders[effect.order_id].mall_order_number,
                str(effect.result.get("reason", "")) or "shop_cancel",
            )
    except ConnectorError as exc:
        # A broken connection (expired key, missing setting, function not enabled) is not the mall refusing
        # the item: it is retried with backoff until the shop fixes it, so nothing is lost meanwhile.
        connection_problem = exc.retryable or exc.code in CONNECTION_CODES
        outcome = Outcome.RETRY if connection_problem else Outcome.REJECTED
        for effect in effects:
            answers.setdefault(effect.pk, ItemResult(effect.key, outcome, exc.code, str(exc)))
    for effect in effects:
        answers.setdefault(effect.pk, ItemResult(effect.key, Outcome.RETRY, "NO_ANSWER", "モールから回答がありません"))
    return answers


def _reports(effects: list[Effect], orders: dict[int, Order]) -> list[tuple[ShipmentReport, Effect]]:
    shipments = {
        s.pk: s
        for s in Shipment.objects.filter(id__in=[e.item_id for e in effects])
        .select_related("package", "package__split_from")
        .prefetch_related("parcels", "package__lines", "package__split_parts", "package__split_from__split_parts")
    }
    batch = []
    for effect in effects:
        shipment = shipments[effect.item_id]
        part, lines = _split_part(shipment.package)
        batch.append(
            (
                ShipmentReport(
                    key=effect.key,
                    mall_order_number=orders[effect.order_id].mall_order_number,
                    mall_package_id=shipment.package.mall_package_id,
                    carrier_code=shipment.carrier_code,
                    shipped_on=shipment.shipped_on,
                    tracking_numbers=tuple(p.tracking_number for p in shipment.parcels.all()),
                    part=part,
                    lines=lines,
                ),
                effect,
            )
        )
    return batch


def _split_part(package: PackageRow) -> tuple[int, tuple[ReportLine, ...]]:
    """分割出荷: which part of its mall package a package is, with the lines it carries; (1, ()) when not split."""
    origin = package.split_from or package
    family = [origin.pk, *(p.pk for p in sorted(origin.split_parts.all(), key=lambda p: p.seq))]
    if len(family) == 1:
        return 1, ()
    lines = tuple(ReportLine(x.mall_item_id, x.mall_variant_id, x.quantity) for x in package.lines.all())
    return family.index(package.pk) + 1, lines


def _mall_effect_done(effect: Effect, now: datetime, events: list[OrderEvent]) -> None:
    if effect.kind == EffectKind.MALL_CONFIRM.value:
        Order.objects.filter(pk=effect.order_id).update(mall_confirmed=True)
    elif effect.kind == EffectKind.MALL_REPORT.value:
        if (
            OrderTag.objects.filter(order_id=effect.order_id, code="mall_report_error").exists()
            and not Effect.objects.filter(
                order_id=effect.order_id, kind=EffectKind.MALL_REPORT.value, state=EffectState.FAILED.value
            ).exists()
        ):
            events.extend(
                writes.clear_tags_many({effect.order_id: ["mall_report_error"]}, now, "出荷実績を反映しました")
            )
        Order.objects.filter(pk=effect.order_id).update(due_at=now)


def _mall_effect_failed(effect: Effect, message: str, now: datetime, events: list[OrderEvent]) -> None:
    if effect.kind == EffectKind.MALL_REPORT.value:
        reason = f"出荷実績反映エラー: {message}"
        events.extend(writes.set_tags(effect.order_id, {"mall_report_error": (TagSource.SYSTEM, reason)}, now))


def dispatch_withdrawals(now: datetime, shop_id: int | None = None) -> DispatchResult:
    """Ask warehouses to withdraw accepted requests of cancelled orders (出荷取下げ), of one shop if given."""
    effects = claim([EffectKind.WITHDRAWAL], now, shop_id=shop_id)
    if not effects:
        return DispatchResult()
    answers: dict[int, list[tuple[ShipmentRequest, ItemResult]]] = {}
    for effect in effects:
        query = ShipmentRequest.objects.filter(order_id=effect.order_id, state=RequestState.ACCEPTED).select_related(
            "warehouse"
        )
        if effect.item_id:
            query = query.filter(package_id=effect.item_id)
        results = []
        for request in query:
            try:
                connector = registry.warehouse_connector(
                    request.warehouse.connector, request.warehouse.connector_settings()
                )
                answer = (
                    connector.withdraw(request.request_id, "cancel")
                    if connector
                    else ItemResult(request.request_id, Outcome.ACCEPTED)
                )
            except ConnectorError as exc:
                answer = ItemResult(request.request_id, Outcome.RETRY, exc.code, str(exc))
            results.append((request, answer))
        answers[effect.pk] = results
    states = []
    with transaction.atomic():
        lock_orders(e.order_id for e in effects)  # orders before requests and effects: see juchu.orders.locking
        events: list[OrderEvent] = []
        for effect in effects:
            results = answers[effect.pk]
            retry = [a for _r, a in results if a.outcome is Outcome.RETRY]
            refused = [a for _r, a in results if a.outcome is Outcome.REJECTED]
            for request, answer in results:
                if answer.outcome is Outcome.ACCEPTED:
                    ShipmentRequest.objects.filter(pk=request.pk).update(state=RequestState.WITHDRAWN, answered_at=now)
                    PackageRow.objects.filter(id=request.package_id).exclude(
                        shipment_status=PackageStatus.SHIPPED.value
                    ).update(shipment_status=PackageStatus.WITHDRAWN.value)
            if retry:
                summary = ItemResult(effect.key, Outcome.RETRY, retry[0].code, retry[0].message)
            elif refused:
                summary = ItemResult(effect.key, Outcome.REJECTED, refused[0].code, refused[0].message)
                reason = f"出荷取下げ不可: {refused[0].message or refused[0].code}。注文はそのまま出荷されます"
                events.extend(writes.set_tags(effect.order_id, {"withdrawal_refused": (TagSource.SYSTEM, reason)}, now))
            else:
                summary = ItemResult(effect.key, Outcome.ACCEPTED)
            states.append(record(effect, summary, now, events))
            Order.objects.filter(pk=effect.order_id).update(due_at=now)
        OrderEvent.objects.bulk_create(events)
    return tally(states)


def _retry_backoff() -> tuple[float, float]:
    """JUCHU_RETRY_BASE_SECONDS and JUCHU_RETRY_MAX_SECONDS: the first retry's delay and the longest one."""
    return settings.JUCHU_RETRY_BASE_SECONDS, settings.JUCHU_RETRY_MAX_SECONDS
