"""How the demo sets up an Amazon shop on the sandbox (read by ``juchu.runtime.demo_world.configure_mall``)."""

from __future__ import annotations

from juchu.domain.model import PaymentKind

SHOP_NAME = "デモ茶舗 Amazon店"

#: The sandbox's LWA app and seller (juchu_sandbox/amazon/README.md).
SANDBOX_CREDENTIALS = {
    "client_id": "amzn1.application-oa2-client.sandbox",
    "client_secret": "sandbox-client-secret",
    "refresh_token": "Atzr|sandbox-refresh-token",
    "seller_id": "A1SANDBOXSELLER",
}

#: ``ShipmentServiceLevelCategory`` → warehouse delivery method (FreeEconomy = メール便).
DELIVERY_METHODS = {
    "Standard": "YUPACK",
    "Expedited": "YUPACK",
    "NextDay": "YUPACK",
    "SameDay": "YUPACK",
    "Scheduled": "YUPACK",
    "FreeEconomy": "YUPACKET",
}

#: ``PaymentMethod`` → how it settles: Other (card, gift card, points) is authorised at once; CVS is
#: prepaid at a konbini (the order stays Pending, and is not imported, until paid); COD is 代金引換.
PAYMENT_METHODS = {
    "Other": PaymentKind.CARD,
    "CVS": PaymentKind.PREPAID,
    "COD": PaymentKind.COD,
}

CONFIRM_AT_MALL = False
#: LWA refresh tokens do not expire (they end when the seller revokes the app).
KEY_LIFETIME_DAYS: int | None = None


def sandbox_settings(sandbox_url: str) -> dict[str, object]:
    """The shop's API root and credentials on the sandbox; LWA is served by the sandbox too."""
    base = sandbox_url.rstrip("/")
    return {"api_base_url": base, "credentials": {**SANDBOX_CREDENTIALS, "lwa_url": f"{base}/auth/o2/token"}}


def mapping_key(item_id: str, variant_id: str) -> tuple[str, str]:
    """A catalogue row → (SellerSKU, ""): the variant id is the SKU, or the item id when there is none."""
    return (variant_id or item_id, "")
