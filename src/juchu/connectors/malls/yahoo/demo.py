"""How the demo sets up a Yahoo! Shopping store on the sandbox (read by juchu.runtime.demo_world).

The sandbox store is snbx-juchu (Yahoo's test seller ids start with snbx-). Its public key belongs to
the fixed key pair whose private half the emulator holds; it signs nothing real.
"""

from __future__ import annotations

from juchu.domain.model import PaymentKind

SHOP_NAME = "デモ茶舗 Yahoo!ショッピング店"
SELLER_ID = "snbx-juchu"
#: The sandbox store's public key (version 1), as Yahoo's store tools would issue it.
PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAopn7RFIMoh0dzU4AnrVa
0FZhhBZNwcLSbpmya2iWhI6Mo5y9wTKMZ4GdXhcAIW23YjsJHLJXo8h5bZeAA83z
7hGNwAy2zqVqbU8Q57NyFaS36aJ7h/Gm3ewZQl/M729V5xCCww7hIXg1lQjEGt0r
bzNlfFqkRmMcU1muyU49ymWImymXQXWwSQUIltuM4s3xrpAcnZnyjUPJZd4nvHDW
Ia0aO6NfxKyZeSb1fURTwwOnp6wRq+FvZjdIKql4zOcNW+Wnqt8KrluZ2LDwG0Ld
Y039gYlBjBg916WogSnHTb+wMJmMNJ2N9MnSMPXizs6tnylVonvajsYdZmSHwPVQ
HwIDAQAB
-----END PUBLIC KEY-----"""

#: ShipMethodName values the emulator generates → warehouse delivery methods.
DELIVERY_METHODS = {"宅配便": "YUPACK", "メール便": "YUPACKET"}
#: PayMethodName values the emulator generates → how each settles.
PAYMENT_METHODS = {
    "クレジットカード決済": PaymentKind.CARD,
    "PayPay残高等支払い": PaymentKind.CARD,
    "銀行振込": PaymentKind.PREPAID,
    "コンビニ決済": PaymentKind.PREPAID,
    "商品代引": PaymentKind.COD,
}
#: Juchu marks a new order seen at Yahoo (IsSeen) when it confirms it.
CONFIRM_AT_MALL = True
#: The YConnect refresh token's lifetime (unverified; docs/malls/yahoo.md).
KEY_LIFETIME_DAYS: int | None = 28


def sandbox_settings(sandbox_url: str) -> dict[str, object]:
    """The shop's API base URL and credentials on the sandbox at sandbox_url."""
    return {
        "api_base_url": sandbox_url,
        "credentials": {
            "seller_id": SELLER_ID,
            "client_id": "sandbox-yahoo-client",
            "client_secret": "sandbox-yahoo-secret",
            "refresh_token": "sandbox-yahoo-refresh",
            "public_key": PUBLIC_KEY,
            "public_key_version": "1",
            "token_url": f"{sandbox_url.rstrip('/')}/yconnect/v2/token",
        },
    }


def mapping_key(item_id: str, variant_id: str) -> tuple[str, str]:
    """(ItemId, SubCode) of a catalogue row: a variant equal to its item (or empty) is an item without SubCode."""
    return item_id, "" if variant_id in ("", item_id) else variant_id
