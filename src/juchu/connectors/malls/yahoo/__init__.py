"""Yahoo! Shopping (Yahoo!ショッピング): registers the ``yahoo`` mall connector.

``StockLevel.sku`` for Yahoo is ``"itemcode:subcode"`` (ItemId and SubCode of the order line), or a bare
``"itemcode"`` for an item without variants.
"""

from juchu.connectors import registry
from juchu.connectors.malls.yahoo.connector import YahooConnector
from juchu.connectors.malls.yahoo.mapping import MappingError

__all__ = ["CREDENTIAL_KEYS", "MULTILINE_CREDENTIAL_KEYS", "MappingError", "YahooConnector"]

#: The credentials the shop settings form offers for a Yahoo store.
CREDENTIAL_KEYS: tuple[str, ...] = (
    "seller_id",
    "client_id",
    "client_secret",
    "refresh_token",
    "public_key",
    "public_key_version",
    "token_url",
)
#: Credentials entered as several lines (the PEM public key issued with the store's public-key auth).
MULTILINE_CREDENTIAL_KEYS: tuple[str, ...] = ("public_key",)

registry.register_mall("yahoo", lambda settings: YahooConnector(settings))
