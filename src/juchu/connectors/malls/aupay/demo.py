"""How the demo sets up an au PAY Market shop on the sandbox (read by ``juchu.runtime.demo_world``)."""

from __future__ import annotations

from juchu.domain.model import PaymentKind

SHOP_NAME = "デモ茶舗 au PAY マーケット店"
#: The sandbox's shop and key (juchu_sandbox/aupay: DEFAULT_SHOP_ID, DEFAULT_API_KEY).
SANDBOX_SHOP_ID = "52000123"
SANDBOX_API_KEY = "sandbox-aupay-api-key"

#: ``deliveryName`` as the sandbox generates it → the warehouse's method code.
DELIVERY_METHODS: dict[str, str] = {"宅配便": "YUPACK", "メール便": "YUPACKET"}
#: ``settlementName`` as the sandbox generates it → how it settles.
PAYMENT_METHODS: dict[str, PaymentKind] = {
    "クレジットカード決済": PaymentKind.CARD,
    "au PAY（auかんたん決済）": PaymentKind.CARD,
    "銀行振込": PaymentKind.PREPAID,
    "コンビニ決済": PaymentKind.PREPAID,
    "代金引換": PaymentKind.COD,
    "後払い決済": PaymentKind.DEFERRED,
}
#: au PAY has a confirmation step: 新規受付 → 発送待ち (updateTradeStsProc).
CONFIRM_AT_MALL = True
#: The Wow!manager API key expires 90 days after it is issued.
KEY_LIFETIME_DAYS: int | None = 90


def sandbox_settings(sandbox_url: str) -> dict[str, object]:
    """The shop's API root and credentials on the sandbox."""
    return {
        "api_base_url": sandbox_url.rstrip("/"),
        "credentials": {"shopId": SANDBOX_SHOP_ID, "apiKey": SANDBOX_API_KEY},
    }


def mapping_key(item_id: str, variant_id: str) -> tuple[str, str]:
    """A catalogue row → (itemCode, itemManagementId): no variant id when the item has a single stock."""
    return item_id, ("" if not variant_id or variant_id == item_id else variant_id)
