"""What an operator does to an order: hold, release a tag, confirm by hand, edit, cancel, re-request.

Each action re-reads the order under lock, checks that it is still allowed, writes the change and its
event, and then lets the order be decided again at once. A stale copy is refused (StaleOrder).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from django.db import transaction
from django.db.models import Q

from juchu.domain.effects import EffectKind
from juchu.domain.errors import DomainError
from juchu.domain.model import TagSource
from juchu.domain.pipeline import HELD_BY_WAREHOUSE, NOT_OVERRIDABLE
from juchu.domain.status import CANCELLABLE_AT_ONCE, EDITABLE, OrderStatus, PackageStatus
from juchu.domain.tags import SYSTEM_TAGS
from juchu.orders import merge_actions, search, splitting, writes
from juchu.orders.advance import advance_orders
from juchu.orders.models import Order, OrderEvent, OrderTag, RemovedTag
from juchu.orders.models import Package as PackageRow


class ActionRefused(DomainError):
    """The action is not possible for this order now; the message says why."""


def _locked(order_id: int, version: int | None) -> Order:
    order = Order.objects.select_for_update().select_related("shop").get(pk=order_id)
    if version is not None and order.version != version:
        from juchu.domain.errors import StaleOrder

        raise StaleOrder(order_id, version)
    return order


def hold(order_id: int, tag_code: str, reason: str, actor: str, now: datetime, version: int | None = None) -> None:
    """Stop an order at 確認待 with an operator's tag (停止)."""
    with transaction.atomic():
        order = _locked(order_id, version)
        if OrderStatus(order.status) not in EDITABLE:
            raise ActionRefused(f"{OrderStatus(order.status).label_ja} の注文は停止できません")
        events = writes.set_tags(order.pk, {tag_code: (TagSource.OPERATOR, reason or tag_code)}, now, actor)
        RemovedTag.objects.filter(order=order, code=tag_code).delete()
        writes.bump_version(order, now, due_at=now)
        OrderEvent.objects.bulk_create(events)
    advance_orders([order_id], now)


def release_tag(
    order_id: int, code: str, actor: str, now: datetime, reason: str = "", version: int | None = None
) -> None:
    """Remove a tag; checks and rules never attach it to this order again."""
    with transaction.atomic():
        order = _locked(order_id, version)
        if code in NOT_OVERRIDABLE and OrderTag.objects.filter(order=order, code=code).exists():
            raise ActionRefused(
                f"「{SYSTEM_TAGS[code].label_ja}」は原因を解消すると自動で外れます (手動では外せません)"
            )
        deleted, _ = OrderTag.objects.filter(order=order, code=code).delete()
        if not deleted:
            raise ActionRefused(f"タグ {code} はこの注文に付いていません")
        RemovedTag.objects.update_or_create(order=order, code=code, defaults={"removed_by": actor, "removed_at": now})
        writes.bump_version(order, now, due_at=now)
        OrderEvent.objects.create(
            **_fields(
                writes.event(
                    order.pk,
                    now,
                    "tag_removed",
                    reason or f"タグ {code} を外しました",
                    actor=actor,
                    detail={"tag": code},
                )
            )
        )
    advance_orders([order_id], now)


def confirm_by_hand(order_id: int, actor: str, now: datetime, reason: str, version: int | None = None) -> None:
    """Confirm a 確認待 order by hand: its stopping tags are overridden (reason logged)."""
    if not reason.strip():
        raise ActionRefused("手動確認には理由を入力してください")
    with transaction.atomic():
        order = _locked(order_id, version)
        if order.status != OrderStatus.AWAITING_CHECK.value:
            raise ActionRefused("手動確認できるのは確認待の注文だけです")
        tags = list(OrderTag.objects.filter(order=order))
        blocking = [t.code for t in tags if t.code in NOT_OVERRIDABLE]
        if blocking:
            raise ActionRefused("次の原因を解消してください: " + "、".join(SYSTEM_TAGS[c].label_ja for c in blocking))
        stopping = [
            t.code
            for t in tags
            if (t.code in SYSTEM_TAGS and SYSTEM_TAGS[t.code].stops_at is not None)
            or t.source in (TagSource.OPERATOR.value, TagSource.RULE.value)
        ]
        OrderTag.objects.filter(order=order, code__in=stopping).delete()
        for code in stopping:
            RemovedTag.objects.update_or_create(
                order=order, code=code, defaults={"removed_by": actor, "removed_at": now}
            )
        writes.bump_version(order, now, due_at=now)
        OrderEvent.objects.create(
            **_fields(
                writes.event(order.pk, now, "confirmed_by_hand", reason, actor=actor, detail={"overridden": stopping})
            )
        )
    advance_orders([order_id], now)


def cancel_order(
    order_id: int,
    actor: str,
    now: datetime,
    reason: str,
    *,
    cancel_at_mall: bool = False,
    mall_reason: str = "",
    version: int | None = None,
) -> str:
    """Cancel an order: at once before shipping, by withdrawal in 出荷作業中. Returns what happened."""
    with transaction.atomic():
        order = _locked(order_id, version)
        status = OrderStatus(order.status)
        events: list[OrderEvent] = []
        if status in CANCELLABLE_AT_ONCE:
            # 分割出荷: back at 確認待 (a part refused), another part may be at its warehouse or shipped.
            parts = set(order.packages.values_list("shipment_status", flat=True))
            if PackageStatus.SHIPPED.value in parts:
                raise ActionRefused(
                    "出荷済の送付先があるためキャンセルできません (出荷済の分はモールで返品・返金してください)"
                )
            held = parts & {p.value for p in HELD_BY_WAREHOUSE}
            # 同梱: out of its merge first, so that a new primary's request is made before this one is dropped.
            events += merge_actions.detach([order.pk], now, "キャンセルされたため", actor)
            events += writes.drop_unsent_requests([order.pk], now)
            events += writes.release_allocations([order.pk], now)
            order.refresh_from_db(fields=["version", "allocated"])
            events.append(
                writes.move(
                    order,
                    OrderStatus.CANCELLED,
                    now,
                    reason or "オペレーターがキャンセルしました",
                    actor=actor,
                    due_at=None,
                    explanation="キャンセル: オペレーターがキャンセルしました",
                )
            )
            effects = [(order.pk, EffectKind.WITHDRAWAL, None)] if held else []  # withdraw the part held
            if order.shop.cancel_mail:
                effects.append((order.pk, EffectKind.CANCEL_MAIL, None))
            if cancel_at_mall:
                effects.append((order.pk, EffectKind.MALL_CANCEL, None))
            writes.add_effects(effects, now)
            if cancel_at_mall and mall_reason:
                from juchu.orders.models import Effect

                Effect.objects.filter(order=order, kind=EffectKind.MALL_CANCEL.value).update(
                    result={"reason": mall_reason}
                )
            outcome = "cancelled"
        elif status is OrderStatus.SHIPPING:
            writes.add_effects([(order.pk, EffectKind.WITHDRAWAL, None)], now)
            # 分割出荷: a part that has not gone to its warehouse yet is simply not sent.
            events += [writes.event_of(row) for row in splitting.withdraw_unsent([order.pk], now)]
            events.append(
                writes.event(
                    order.pk,
                    now,
                    "cancel_requested",
                    f"{reason or 'キャンセル'}: 倉庫に出荷取下げを依頼します",
                    actor=actor,
                )
            )
            writes.bump_version(order, now, explanation="出荷作業中: 出荷取下げの結果を待っています")
            outcome = "withdrawal_requested"
        else:
            raise ActionRefused(f"{status.label_ja} の注文はキャンセルできません")
        OrderEvent.objects.bulk_create(events)
    return outcome


def re_request(order_id: int, actor: str, now: datetime, version: int | None = None) -> None:
    """Send a new shipment request (new request id) after 出荷不可 or a rejected request."""
    with transaction.atomic():
        order = _locked(order_id, version)
        if order.status != OrderStatus.AWAITING_CHECK.value:
            raise ActionRefused("再依頼できるのは確認待の注文だけです")
        PackageRow.objects.filter(order=order, shipment_status=PackageStatus.UNSHIPPABLE.value).update(
            shipment_status=PackageStatus.PENDING.value
        )
        codes = ["unshippable", "shipment_request_error"]
        events = writes.clear_tags_many({order.pk: codes}, now, "再依頼します", actor)
        writes.bump_version(order, now, due_at=now)
        events.append(writes.event(order.pk, now, "re_request", "出荷を再依頼します", actor=actor))
        OrderEvent.objects.bulk_create(events)
    advance_orders([order_id], now)


EDITABLE_PACKAGE_FIELDS = (
    "recipient_name",
    "phone",
    "postal_code",
    "prefecture",
    "city",
    "address1",
    "address2",
    "delivery_method",
    "requested_date",
    "delivery_time",
)


def edit_package(
    order_id: int,
    package_id: int,
    changes: Mapping[str, str | date | None],
    actor: str,
    now: datetime,
    version: int | None = None,
) -> None:
    """Edit a package's address or delivery before shipping; every change goes to the timeline."""
    unknown = set(changes) - set(EDITABLE_PACKAGE_FIELDS)
    if unknown:
        raise ActionRefused(f"変更できない項目です: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        order = _locked(order_id, version)
        _require_editable(order)
        package = PackageRow.objects.get(pk=package_id, order=order)
        diff = {
            name: [str(getattr(package, name)), str(value)]
            for name, value in changes.items()
            if getattr(package, name) != value
        }
        if not diff:
            return
        for name, value in changes.items():
            setattr(package, name, value)
        package.save(update_fields=list(changes))
        # 分割出荷: the parts of a split package are one destination; they change together (and are joined next).
        origin = package.split_from_id or package.pk
        PackageRow.objects.filter(Q(pk=origin) | Q(split_from_id=origin)).exclude(pk=package.pk).update(**changes)
        search.reindex([order.pk])
        events = _back_to_checked(order, now, actor)
        writes.bump_version(order, now, due_at=now)
        events.append(
            writes.event(
                order.pk,
                now,
                "edited",
                f"送付先{package.seq} を変更しました",
                actor=actor,
                detail={"changes": diff},
            )
        )
        OrderEvent.objects.bulk_create(events)
    advance_orders([order_id], now)


def edit_line_quantity(
    order_id: int, line_id: int, quantity: int, actor: str, now: datetime, version: int | None = None
) -> None:
    """Change a line's quantity before shipping (allocation is redone)."""
    if quantity < 1:
        raise ActionRefused("数量は1以上にしてください")
    from juchu.orders.models import OrderLine

    with transaction.atomic():
        order = _locked(order_id, version)
        _require_editable(order)
        line = OrderLine.objects.get(pk=line_id, order=order)
        if line.quantity == quantity:
            return
        old = line.quantity
        events = writes.release_allocations([order.pk], now)
        order.refresh_from_db(fields=["version", "allocated"])
        line.quantity = quantity
        line.save(update_fields=["quantity"])
        events += _back_to_checked(order, now, actor)
        writes.bump_version(order, now, due_at=now)
        events.append(
            writes.event(
                order.pk,
                now,
                "edited",
                f"明細 {line.mall_item_id} の数量を {old} → {quantity} に変更",
                actor=actor,
                detail={"line": line.pk, "quantity": [old, quantity]},
            )
        )
        OrderEvent.objects.bulk_create(events)
    advance_orders([order_id], now)


def _require_editable(order: Order) -> None:
    if OrderStatus(order.status) not in EDITABLE:
        raise ActionRefused(f"{OrderStatus(order.status).label_ja} の注文は編集できません")
    held = splitting.held_packages(order.pk)  # 分割出荷: a part at its warehouse while another was refused
    if held:
        raise ActionRefused(splitting.held_message(held))


def _back_to_checked(order: Order, now: datetime, actor: str) -> list[OrderEvent]:
    """An order waiting for its request goes back to 確認済 so the edit is checked and requested anew."""
    if order.status != OrderStatus.AWAITING_SHIPMENT.value:
        return []
    events = writes.drop_unsent_requests([order.pk], now)
    events += writes.release_allocations([order.pk], now)
    order.refresh_from_db(fields=["version", "allocated"])
    events.append(writes.move(order, OrderStatus.CHECKED, now, "編集のため再判定します", actor=actor))
    return events


def _fields(event: OrderEvent) -> dict[str, object]:
    return {f.name: getattr(event, f.name) for f in OrderEvent._meta.concrete_fields if f.name != "id"}


def retry_failed_effects(order_id: int, actor: str, now: datetime, version: int | None = None) -> int:
    """Send an order's refused effects again (e.g. a shipping report after fixing it at the mall)."""
    from juchu.domain.effects import EffectState
    from juchu.orders.models import Effect

    with transaction.atomic():
        order = _locked(order_id, version)
        failed = list(Effect.objects.filter(order=order, state=EffectState.FAILED.value).values_list("id", "kind"))
        if not failed:
            raise ActionRefused("再送する失敗済みの処理はありません")
        Effect.objects.filter(id__in=[f[0] for f in failed]).update(
            state=EffectState.PENDING.value, next_attempt_at=now, attempts=0
        )
        writes.bump_version(order, now)
        kinds = "、".join(sorted({EffectKind(k).label_ja for _i, k in failed}))
        OrderEvent.objects.create(
            **_fields(writes.event(order.pk, now, "effects_retried", f"再送します: {kinds}", actor=actor))
        )
    return len(failed)
