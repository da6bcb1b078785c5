"""The ``advance`` decision (pipeline.md §2): given an order snapshot, the shop's policy and ``now``,
return the next status, the tags to attach and clear, the effects, the next ``due_at`` and one
sentence saying why the order is where it is."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from juchu.domain.checks import CheckContext, evaluate_system_tags
from juchu.domain.effects import EffectKind
from juchu.domain.merging import merge_wait
from juchu.domain.model import OrderSnapshot, OrderType, PaymentKind, TagSource
from juchu.domain.rules import Rule, RuleHit, evaluate_rules
from juchu.domain.status import OrderStatus, PackageStatus, check_transition
from juchu.domain.tags import COMPUTED_TAGS, SYSTEM_TAGS, TagKind
from juchu.domain.timefmt import jst_hm

S = OrderStatus
_BEFORE_SHIPPING = frozenset({S.NEW, S.AWAITING_CHECK, S.CHECKED, S.AWAITING_SHIPMENT})


#: The 出荷待ち explanation when the request goes to the warehouse's API.
SEND_REQUEST = "出荷依頼を送信します"
#: The 出荷待ち explanation at the own warehouse, whose requests wait for an operator's batch (出荷指示).
AWAIT_BATCH = "自社出荷の出荷指示 (ファイル › 自社出荷) を待っています"
#: Both: a split order (分割出荷, decision 0010) with packages for an API and for the own warehouse.
SEND_AND_AWAIT_BATCH = "出荷依頼を送信し、自社出荷の出荷指示 (ファイル › 自社出荷) を待っています"


@dataclass(frozen=True, slots=True)
class PipelineContext:
    """The inputs of a decision other than the order itself."""

    checks: CheckContext
    rules: tuple[Rule, ...] = ()
    #: When a stopped order should be looked at again anyway (the next cutoff or JST midnight), so that
    #: time-dependent warnings such as cutoff_at_risk appear and clear on time.
    review_at: datetime | None = None
    #: The own warehouses (自社出荷, decision 0008): their requests wait for an operator's batch, not an API.
    own_warehouses: frozenset[int] = frozenset()

    @property
    def now(self) -> datetime:
        """The decision's clock."""
        return self.checks.now


@dataclass(frozen=True, slots=True)
class Transition:
    """One status move with its reason, for the order's timeline."""

    source: OrderStatus
    target: OrderStatus
    reason: str


@dataclass(frozen=True, slots=True)
class Decision:
    """What to write for one order."""

    status: OrderStatus
    explanation: str
    transitions: tuple[Transition, ...] = ()
    #: Tags to attach or refresh: code -> (source, reason).
    set_tags: Mapping[str, tuple[TagSource, str]] = field(default_factory=dict)
    clear_tags: frozenset[str] = frozenset()
    effects: tuple[EffectKind, ...] = ()
    #: Packages that get a new (pending) shipment request.
    request_packages: tuple[int, ...] = ()
    release_allocation: bool = False
    #: The order is ready to ship but for stock: the caller allocates, then calls :func:`after_allocation`.
    needs_allocation: bool = False
    #: A tag restricts the shipping instruction (出荷指示を制限する): submit must not send.
    shipping_restricted: bool = False
    due_at: datetime | None = None

    @property
    def changed(self) -> bool:
        """Whether the decision moves the order or touches its tags or effects."""
        return bool(self.transitions or self.set_tags or self.clear_tags or self.effects)


@dataclass
class _Work:
    """The decision being built; mutable only inside this module."""

    order: OrderSnapshot
    ctx: PipelineContext
    status: OrderStatus
    tags: dict[str, tuple[TagSource, str]]
    transitions: list[Transition] = field(default_factory=list)
    set_tags: dict[str, tuple[TagSource, str]] = field(default_factory=dict)
    clear_tags: set[str] = field(default_factory=set)
    effects: list[EffectKind] = field(default_factory=list)
    request_packages: tuple[int, ...] = ()
    release_allocation: bool = False
    restrict_hits: list[str] = field(default_factory=list)

    def move(self, target: OrderStatus, reason: str) -> None:
        check_transition(self.status, target)
        self.transitions.append(Transition(self.status, target, reason))
        self.status = target

    def done(self, explanation: str, due_at: datetime | None = None, **extra: object) -> Decision:
        return Decision(
            status=self.status,
            explanation=f"{self.status.label_ja}: {explanation}",
            transitions=tuple(self.transitions),
            set_tags=dict(self.set_tags),
            clear_tags=frozenset(self.clear_tags),
            effects=tuple(self.effects),
            request_packages=self.request_packages,
            release_allocation=self.release_allocation,
            shipping_restricted=bool(self.restrict_hits),
            due_at=due_at,
            **extra,  # type: ignore[arg-type]
        )


def decide(order: OrderSnapshot, ctx: PipelineContext) -> Decision:
    """Decide what happens to ``order`` now. Pure: the same inputs give the same decision."""
    work = _Work(order, ctx, order.status, {t.code: (t.source, t.reason) for t in order.tags})
    if order.status.is_final:
        return work.done("これ以上の処理はありません")
    if order.status is S.AWAITING_SHIPMENT and _at_a_warehouse(order):
        # Derived, not stored: once a warehouse holds a package (and every other has its request), the order is
        # the warehouse's: no edit, no simple cancel. A split order's other parts still go out (SENDABLE).
        at = sum(1 for p in order.packages if p.shipment_status not in _NOT_AT_WAREHOUSE)
        reason = "倉庫が全送付先の出荷依頼を受け付けました"
        if at < len(order.packages):
            reason = f"倉庫が出荷依頼を受け付けました (送付先 {at}/{len(order.packages)})"
        work.move(S.SHIPPING, reason)
        _note_mall_side_changes(work)
        return _decide_shipping(work)
    if order.mall_cancelled and order.status in _BEFORE_SHIPPING:
        if any(p.shipment_status is PackageStatus.SHIPPED for p in order.packages):
            # 分割出荷: a part shipped before the order came back to 確認待: the rest waits for the operator.
            _note_mall_side_changes(work)
            return work.done(
                "モールでキャンセルされましたが、出荷済の送付先があります。残りの送付先は出荷しません"
                " (出荷済の分はモールで返品・返金の対応をしてください)"
            )
        else:
            work.release_allocation = order.allocated
            if any(p.shipment_status in HELD_BY_WAREHOUSE for p in order.packages):
                work.effects.append(EffectKind.WITHDRAWAL)  # 分割出荷: a part at its warehouse is withdrawn
            work.move(S.CANCELLED, "モールでキャンセルされました")
            return work.done("モールでキャンセルされました")
    if order.status is S.NEW:
        grace_until = order.ordered_at + ctx.checks.policy.grace_period
        if order.order_type is OrderType.NORMAL and ctx.now < grace_until:
            return work.done(f"キャンセル猶予中 ({jst_hm(grace_until)} まで)", due_at=grace_until)
    if order.status in _BEFORE_SHIPPING:
        return _decide_before_shipping(work)
    _note_mall_side_changes(work)
    if order.status in (S.SHIPPING, S.PARTIALLY_SHIPPED):
        return _decide_shipping(work)
    return _decide_shipped(work)


#: Computed tags an operator may not override: the order cannot ship without the fact they ask for.
NOT_OVERRIDABLE: frozenset[str] = frozenset({"unmapped_item", "unknown_delivery_method"})


def awaiting_note(order: OrderSnapshot, ctx: PipelineContext) -> str:
    """What happens next at 出荷待ち: the requests go to the warehouse's API, or wait for the own warehouse's batch.

    Looks at the packages not yet at a warehouse, each at its own warehouse (分割出荷) or else the order's.
    """
    waiting = {
        p.warehouse_id if p.warehouse_id is not None else order.warehouse_id
        for p in order.packages
        if p.shipment_status in (PackageStatus.PENDING, PackageStatus.REQUESTED)
    }
    own = {w for w in waiting if w in ctx.own_warehouses}
    if not own:
        return SEND_REQUEST
    return AWAIT_BATCH if own == waiting else SEND_AND_AWAIT_BATCH


def after_allocation(
    decision: Decision, order: OrderSnapshot, allocated: bool, shortage: str, request_note: str = SEND_REQUEST
) -> Decision:
    """Finish a decision that needed stock: allocated → 出荷待ち with requests; short → 引当待ち.

    ``request_note`` says what happens next at 出荷待ち (:func:`awaiting_note`).
    """
    if not decision.needs_allocation:
        raise ValueError("after_allocation called for a decision that did not need allocation")
    if not allocated:
        return replace(decision, needs_allocation=False, explanation=f"{S.CHECKED.label_ja}: {shortage}")
    transitions = (*decision.transitions, Transition(S.CHECKED, S.AWAITING_SHIPMENT, "入金確認・引当完了"))
    check_transition(S.CHECKED, S.AWAITING_SHIPMENT)
    pending = tuple(p.id for p in order.packages if p.shipment_status is PackageStatus.PENDING)
    waiting = merge_wait(order)  # 同梱: the box goes out with the primary once every merged order is ready
    return replace(
        decision,
        status=S.AWAITING_SHIPMENT,
        transitions=transitions,
        request_packages=pending,
        needs_allocation=False,
        explanation=f"{S.AWAITING_SHIPMENT.label_ja}: {waiting or request_note}",
        shipping_restricted=decision.shipping_restricted or (waiting is not None and order.merge_primary),
        due_at=None,
    )


def _evaluate(work: _Work) -> tuple[list[str], list[str], tuple[RuleHit, ...]]:
    """Recompute the computed system tags and the rules; return (stop-at-check, stop-at-checked) reasons."""
    order = work.order if work.order.status is work.status else replace(work.order, status=work.status)
    found = evaluate_system_tags(order, work.ctx.checks)
    for code in COMPUTED_TAGS:
        if code in found and code not in order.removed_tags:
            if work.tags.get(code) != (TagSource.SYSTEM, found[code]):
                work.set_tags[code] = (TagSource.SYSTEM, found[code])
            work.tags[code] = (TagSource.SYSTEM, found[code])
        elif code in work.tags:
            work.clear_tags.add(code)
            del work.tags[code]
    hits = evaluate_rules(work.ctx.rules, order)
    hit_codes = set()
    for hit in hits:
        hit_codes.add(hit.tag_code)
        if work.tags.get(hit.tag_code) is None:
            work.set_tags[hit.tag_code] = (TagSource.RULE, hit.reason)
            work.tags[hit.tag_code] = (TagSource.RULE, hit.reason)
    stop_check: list[str] = []
    stop_checked: list[str] = []
    for code, (_source, reason) in sorted(work.tags.items()):
        definition = SYSTEM_TAGS.get(code)
        if definition is not None and definition.kind is TagKind.ERROR and definition.stops_at is S.AWAITING_CHECK:
            stop_check.append(reason or definition.label_ja)
    for code, (source, reason) in sorted(work.tags.items()):
        if source is TagSource.OPERATOR:
            stop_check.append(reason or code)
    for hit in hits:
        if hit.stop_at is S.AWAITING_CHECK:
            stop_check.append(hit.reason)
        elif hit.stop_at is S.CHECKED:
            stop_checked.append(hit.reason)
    work.restrict_hits = [h.reason for h in hits if h.restrict_shipping or h.stop_at is S.AWAITING_SHIPMENT]
    if "merge_candidate" in work.tags and work.ctx.checks.policy.stop_merge_candidates:
        # The shop merges routinely: a person decides (merge, or remove the tag) before the order ships.
        stop_check.append(work.tags["merge_candidate"][1])
    return stop_check, stop_checked, hits


def _enter_checked(work: _Work, reason: str) -> None:
    work.move(S.CHECKED, reason)
    policy = work.ctx.checks.policy
    if policy.confirm_at_mall and not work.order.mall_confirmed:
        work.effects.append(EffectKind.MALL_CONFIRM)
    if policy.thanks_mail and not work.order.thanks_mail_queued:
        work.effects.append(EffectKind.THANKS_MAIL)


def _payment_settled(order: OrderSnapshot, work: _Work) -> bool:
    kind = work.ctx.checks.policy.payment_methods.get(order.payment_method)
    return kind is PaymentKind.COD or order.payment_state.settled


def _decide_before_shipping(work: _Work) -> Decision:
    order, ctx = work.order, work.ctx
    stop_check, stop_checked, _hits = _evaluate(work)
    review = ctx.review_at
    if stop_check:
        if work.status is not S.AWAITING_CHECK:
            work.move(S.AWAITING_CHECK, "; ".join(stop_check))
        return work.done("; ".join(stop_check), due_at=review)
    if work.status in (S.NEW, S.AWAITING_CHECK):
        _enter_checked(work, "チェック完了" if work.status is S.NEW else "確認待の原因が解消しました")
    if stop_checked:
        if work.status is S.AWAITING_SHIPMENT:
            work.move(S.CHECKED, "; ".join(stop_checked))
        return work.done("; ".join(stop_checked), due_at=review)
    if work.status is S.AWAITING_SHIPMENT:
        if work.restrict_hits:
            return work.done("出荷指示を制限中 (" + "; ".join(work.restrict_hits) + ")", due_at=review)
        waiting = merge_wait(order)
        if waiting is not None:  # 同梱: only the primary sends, once every merged order is ready
            return _merge_hold(work, waiting)
        return work.done(awaiting_note(order, work.ctx))
    if not _payment_settled(order, work):
        return work.done("入金待ち", due_at=review)
    if not order.allocated:
        return work.done("引当待ち", due_at=review, needs_allocation=True)
    work.move(S.AWAITING_SHIPMENT, "入金確認・引当完了")
    work.request_packages = tuple(p.id for p in order.packages if p.shipment_status is PackageStatus.PENDING)
    waiting = merge_wait(order)
    if waiting is not None:
        return _merge_hold(work, waiting)
    return work.done(awaiting_note(order, work.ctx))


def _merge_hold(work: _Work, waiting: str) -> Decision:
    """A merged order at 出荷待ち: the primary holds its request until the box is ready; the others only say
    so (they send nothing, and must not look restricted to the primary)."""
    if work.order.merge_primary:
        work.restrict_hits.append(waiting)
    return work.done(waiting)


_NOT_AT_WAREHOUSE = (PackageStatus.PENDING, PackageStatus.REQUESTED)
#: A package a warehouse holds and may still ship: cancelling its order means asking for a withdrawal.
HELD_BY_WAREHOUSE = (PackageStatus.ACCEPTED, PackageStatus.WITHDRAWAL_REQUESTED)


def _at_a_warehouse(order: OrderSnapshot) -> bool:
    """A warehouse accepted a package's request (which may since have shipped or been refused), and every other
    package has its request: all of them for an ordinary order, one part of a split order (分割出荷)."""
    if not order.packages or any(p.shipment_status is PackageStatus.PENDING for p in order.packages):
        return False
    return any(p.shipment_status not in _NOT_AT_WAREHOUSE for p in order.packages)


def _note_mall_side_changes(work: _Work) -> None:
    """A cancel or change at the mall after the request went out: tag it; in shipping, ask to withdraw."""
    order = work.order
    if order.mall_cancelled and "mall_cancelled" not in work.tags and "mall_cancelled" not in order.removed_tags:
        shipping = work.status is S.SHIPPING
        reason = "モールでキャンセルされました" + ("。出荷取下げを依頼します" if shipping else " (出荷後)")
        work.set_tags["mall_cancelled"] = (TagSource.SYSTEM, reason)
        work.tags["mall_cancelled"] = (TagSource.SYSTEM, reason)
        if shipping:
            work.effects.append(EffectKind.WITHDRAWAL)
    if order.mall_changed and "mall_changed" not in work.tags and "mall_changed" not in order.removed_tags:
        reason = "出荷依頼の送信後にモールで注文が変更されました。内容を確認してください"
        work.set_tags["mall_changed"] = (TagSource.SYSTEM, reason)
        work.tags["mall_changed"] = (TagSource.SYSTEM, reason)


def _decide_shipping(work: _Work) -> Decision:
    order = work.order
    statuses = [p.shipment_status for p in order.packages]
    # Only 出荷作業中 may be cancelled by a confirmed withdrawal (§1); a shipped package cannot be withdrawn.
    if work.status is S.SHIPPING and statuses and all(s is PackageStatus.WITHDRAWN for s in statuses):
        work.release_allocation = order.allocated
        work.move(S.CANCELLED, "出荷取下げが確定しました")
        return work.done("出荷取下げが確定しました")
    unshippable = [p.id for p in order.packages if p.shipment_status is PackageStatus.UNSHIPPABLE]
    if unshippable:
        work.move(S.AWAITING_CHECK, "倉庫が出荷不可を報告しました")
        return work.done("倉庫が出荷不可を報告しました。キャンセルするか再依頼してください")
    shipped = sum(1 for s in statuses if s is PackageStatus.SHIPPED)
    if statuses and shipped == len(statuses):
        work.move(S.SHIPPED, "全送付先が出荷されました")
        return _decide_shipped(work)
    if shipped and work.status is S.SHIPPING:
        work.move(S.PARTIALLY_SHIPPED, f"{shipped}/{len(statuses)} 送付先が出荷されました")
    if shipped:
        return work.done(f"{shipped}/{len(statuses)} 送付先が出荷済、残りの出荷を待っています")
    if any(s is PackageStatus.WITHDRAWAL_REQUESTED for s in statuses):
        return work.done("出荷取下げの結果を待っています")
    if any(s is PackageStatus.REQUESTED for s in statuses):  # 分割出荷: a part not yet at its warehouse
        return work.done(f"一部の送付先を倉庫で出荷作業中です。残りの送付先: {awaiting_note(order, work.ctx)}")
    return work.done("倉庫で出荷作業中です。出荷実績を待っています")


def _decide_shipped(work: _Work) -> Decision:
    if work.order.mall_reports_done:
        work.move(S.COMPLETED, "モールへ出荷実績を反映しました")
        return work.done("モールへ出荷実績を反映しました")
    if "mall_report_error" in work.tags:
        return work.done("モールが出荷実績を受け付けませんでした。修正して再送してください")
    return work.done("モールへの出荷実績反映を待っています")
