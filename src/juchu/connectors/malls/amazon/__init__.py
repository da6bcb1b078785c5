"""Amazon SP-API (Amazon.co.jp): registers the ``amazon`` mall connector.

``StockLevel.sku`` for Amazon is the SellerSKU: a mapping's ``mall_item_id`` with no variant (SellerSKU is the
one key of an Amazon listing).
"""

from juchu.connectors import registry
from juchu.connectors.malls.amazon.connector import AmazonConnector
from juchu.connectors.malls.amazon.mapping import MappingError

__all__ = ["CREDENTIAL_KEYS", "AmazonConnector", "MappingError"]

#: The credential inputs of the shop settings form (LWA app credentials, the seller's refresh token and id).
CREDENTIAL_KEYS: tuple[str, ...] = ("client_id", "client_secret", "refresh_token", "seller_id")

registry.register_mall("amazon", lambda settings: AmazonConnector(settings))
