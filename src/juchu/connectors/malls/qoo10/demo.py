"""How the demo sets up a Qoo10 shop on the sandbox (read by ``juchu.runtime.demo_world.configure_mall``)."""

from __future__ import annotations

from juchu.domain.model import PaymentKind

SHOP_NAME = "デモ茶舗 Qoo10店"
#: The sandbox's QAPI root (``/GMKT.INC.Front.QAPIService/ebayjapan.qapi``, as at api.qoo10.jp).
API_PATH = "/GMKT.INC.Front.QAPIService/ebayjapan.qapi"
#: The demo seller's credentials the sandbox accepts.
SANDBOX_CREDENTIALS = {"api_key": "sandbox-qoo10-api-key", "user_id": "sandbox-qoo10-seller", "password": "sandbox-pw"}

#: The ``ShippingWay`` names the sandbox generates → warehouse delivery methods.
DELIVERY_METHODS = {"宅配便": "YUPACK", "メール便": "YUPACKET"}
#: Every ``PaymentMethod`` the sandbox generates. Qoo10 settles atone 後払い with the shop itself, so the
#: order arrives paid (配送要請); コンビニ and 銀行振込 (Pay-easy) wait for the buyer (status 1).
PAYMENT_METHODS = {
    "クレジットカード": PaymentKind.CARD,
    "PayPay": PaymentKind.CARD,
    "atone 翌月後払い": PaymentKind.CARD,
    "コンビニ決済": PaymentKind.PREPAID,
    "銀行振込": PaymentKind.PREPAID,
}
#: Juchu confirms each order at Qoo10 (SetSellerCheckYN_V2, 発注確認).
CONFIRM_AT_MALL = True
#: The QSM API key does not expire by date (the seller auth key made from it does, and is renewed itself).
KEY_LIFETIME_DAYS: int | None = None


def sandbox_settings(sandbox_url: str) -> dict[str, object]:
    """The shop's API root and credentials on the sandbox at ``sandbox_url``."""
    return {"api_base_url": sandbox_url.rstrip("/") + API_PATH, "credentials": dict(SANDBOX_CREDENTIALS)}


def mapping_key(item_id: str, variant_id: str) -> tuple[str, str]:
    """A catalogue row → (sellerItemCode, optionCode): a variant equal to its item is an item without options."""
    return item_id, "" if variant_id in ("", item_id) else variant_id
