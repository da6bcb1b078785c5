"""The outside-world effects a decision can ask for; each is written as an outbox row first."""

from __future__ import annotations

from enum import StrEnum


class EffectKind(StrEnum):
    """What an effect does once its row is dispatched."""

    MALL_CONFIRM = "mall_confirm"
    THANKS_MAIL = "thanks_mail"
    SHIPPING_MAIL = "shipping_mail"
    CANCEL_MAIL = "cancel_mail"
    MALL_REPORT = "mall_report"
    MALL_CANCEL = "mall_cancel"
    WITHDRAWAL = "withdrawal"

    @property
    def label_ja(self) -> str:
        """The Japanese label for timelines."""
        return _LABELS[self]

    @property
    def is_mail(self) -> bool:
        """Whether the mail sweep sends it."""
        return self in (EffectKind.THANKS_MAIL, EffectKind.SHIPPING_MAIL, EffectKind.CANCEL_MAIL)


_LABELS = {
    EffectKind.MALL_CONFIRM: "注文確認 (モール)",
    EffectKind.THANKS_MAIL: "サンクスメール",
    EffectKind.SHIPPING_MAIL: "出荷メール",
    EffectKind.CANCEL_MAIL: "キャンセルメール",
    EffectKind.MALL_REPORT: "出荷実績反映",
    EffectKind.MALL_CANCEL: "キャンセル (モール)",
    EffectKind.WITHDRAWAL: "出荷取下げ依頼",
}


class EffectState(StrEnum):
    """Where an outbox row is."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"  # refused for good; a person must act
    CANCELLED = "cancelled"  # no longer needed (the order was cancelled first)


def effect_key(kind: EffectKind, order_id: int, item_id: int | None = None) -> str:
    """The idempotency key: one effect of a kind per order (or per shipment/package)."""
    return f"{kind.value}:{order_id}" if item_id is None else f"{kind.value}:{order_id}:{item_id}"


def retry_delay_seconds(attempts: int, base: float = 5, cap: float = 600) -> float:
    """Backoff after ``attempts`` failures: ``base`` seconds (5) doubling, at most ``cap`` (10 minutes)."""
    return float(min(cap, base * 2 ** max(0, attempts - 1)))
