"""The catalogue of system tags (システムタグ, pipeline.md §3)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from juchu.domain.status import OrderStatus


class TagKind(StrEnum):
    """An error stops the order (or needs a person); a warning only shows."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class SystemTagDef:
    """One system tag: code, labels, kind and the status it stops the order at (None: it does not stop)."""

    code: str
    label_ja: str
    label_en: str
    kind: TagKind
    stops_at: OrderStatus | None


_E, _W = TagKind.ERROR, TagKind.WARNING
_CHECK = OrderStatus.AWAITING_CHECK

SYSTEM_TAGS: dict[str, SystemTagDef] = {
    t.code: t
    for t in (
        SystemTagDef("unmapped_item", "商品未マッピング", "Unmapped item", _E, _CHECK),
        SystemTagDef("unknown_delivery_method", "配送方法未設定", "Unknown delivery method", _E, _CHECK),
        SystemTagDef("unknown_payment_method", "決済方法未設定", "Unknown payment method", _E, _CHECK),
        SystemTagDef("address_invalid", "住所不備", "Invalid address", _E, _CHECK),
        SystemTagDef("delivery_date_unavailable", "お届け日指定不可", "Delivery date unavailable", _E, _CHECK),
        SystemTagDef("duplicate_suspected", "重複注文の疑い", "Suspected duplicate", _E, _CHECK),
        SystemTagDef("quantity_anomaly", "数量異常", "Unusual quantity", _E, _CHECK),
        SystemTagDef("payment_failed", "決済エラー", "Payment failed", _E, _CHECK),
        SystemTagDef("shipment_request_error", "出荷依頼エラー", "Shipment request error", _E, _CHECK),
        SystemTagDef("unshippable", "出荷不可", "Unshippable", _E, _CHECK),
        SystemTagDef("mall_cancelled", "モールキャンセル", "Cancelled at the mall", _E, None),
        SystemTagDef("mall_changed", "モール注文変更", "Changed at the mall", _E, None),
        SystemTagDef("mall_report_error", "出荷実績反映エラー", "Shipping report refused", _E, None),
        SystemTagDef("confirm_deadline", "注文確認期限", "Confirmation deadline", _W, None),
        SystemTagDef("remote_island", "離島", "Remote island", _W, None),
        SystemTagDef("cutoff_at_risk", "締め時間超過リスク", "Cutoff at risk", _W, None),
        SystemTagDef("merge_candidate", "同梱候補", "Merge candidate", _W, None),
        SystemTagDef("withdrawal_refused", "出荷取下げ不可", "Withdrawal refused", _W, None),
    )
}

#: Tags the checks recompute on every evaluation; the others are attached by events
#: (a rejected request, a mall cancel) and stay until an operator removes them.
COMPUTED_TAGS: frozenset[str] = frozenset(
    {
        "unmapped_item",
        "unknown_delivery_method",
        "unknown_payment_method",
        "address_invalid",
        "delivery_date_unavailable",
        "duplicate_suspected",
        "quantity_anomaly",
        "payment_failed",
        "confirm_deadline",
        "remote_island",
        "cutoff_at_risk",
        "merge_candidate",
    }
)


def is_system_tag(code: str) -> bool:
    """Whether ``code`` names a system tag (as opposed to a shop's custom tag)."""
    return code in SYSTEM_TAGS
