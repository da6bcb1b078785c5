"""Rakuten RMS (楽天市場): registers the ``rakuten`` mall connector.

``StockLevel.sku`` for Rakuten is ``"manageNumber:variantId"``, or a bare ``"manageNumber"`` for an item with
one SKU whose variantId equals its manageNumber.
"""

from juchu.connectors import registry
from juchu.connectors.malls.rakuten.connector import RakutenConnector
from juchu.connectors.malls.rakuten.mapping import MappingError

__all__ = ["MappingError", "RakutenConnector"]

registry.register_mall("rakuten", lambda settings: RakutenConnector(settings))
