"""How the demo sets up a MakeShop shop on the sandbox (read by ``juchu.runtime.demo_world.configure_mall``)."""

from __future__ import annotations

from juchu.domain.model import PaymentKind

SHOP_NAME = "デモ茶舗 MakeShop店"

#: The delivery names the sandbox generates → the warehouse's delivery method codes.
DELIVERY_METHODS: dict[str, str] = {"宅配便": "YUPACK", "メール便": "YUPACKET"}

#: Every payment name the sandbox generates → how it settles.
PAYMENT_METHODS: dict[str, PaymentKind] = {
    "クレジットカード決済": PaymentKind.CARD,
    "銀行振込": PaymentKind.PREPAID,
    "コンビニ決済": PaymentKind.PREPAID,
    "代金引換": PaymentKind.COD,
}

#: MakeShop has no confirmation step (注文確認) in its API.
CONFIRM_AT_MALL = False
#: MakeShop's 認証コード do not expire; they change only when reissued in the shop admin.
KEY_LIFETIME_DAYS: int | None = None


def sandbox_settings(sandbox_url: str) -> dict[str, object]:
    """The shop's API base URL and credentials on the sandbox (its default shop and 認証コード)."""
    return {
        "api_base_url": sandbox_url,
        "credentials": {
            "shop_id": "sandbox-shop",
            "order_token": "sandbox-order-token",
            "product_token": "sandbox-product-token",
        },
    }


def mapping_key(item_id: str, variant_id: str) -> tuple[str, str]:
    """A catalogue row → (商品コード, オプションコード): a row whose variant is the item itself has no option."""
    return item_id, "" if variant_id in ("", item_id) else variant_id
