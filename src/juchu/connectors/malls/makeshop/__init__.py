"""MakeShop: registers the ``makeshop`` mall connector.

``StockLevel.sku`` for MakeShop is ``"brand_code:option_code"`` (商品コード + オプションコード), or a bare
``"brand_code"`` for a product without options — as :class:`~juchu.connectors.base.MallLine` gives them.
"""

from juchu.connectors import registry
from juchu.connectors.malls.makeshop.connector import MakeShopConnector
from juchu.connectors.malls.makeshop.mapping import MappingError

#: The credentials the shop settings form offers: ショップID, 注文/商品データ連携の認証コード.
CREDENTIAL_KEYS: tuple[str, ...] = ("shop_id", "order_token", "product_token")

__all__ = ["CREDENTIAL_KEYS", "MakeShopConnector", "MappingError"]

registry.register_mall("makeshop", lambda settings: MakeShopConnector(settings))
