"""au PAY Market (Wow!manager API): registers the ``aupay`` mall connector.

``StockLevel.sku`` for au PAY is ``"itemCode"`` for an item with one stock (stockSegment 1), or
``"itemCode:itemManagementId"`` for one variant of an item with per-variant stock (stockSegment 2).
"""

from juchu.connectors import registry
from juchu.connectors.malls.aupay.connector import AuPayConnector
from juchu.connectors.malls.aupay.mapping import MappingError

__all__ = ["CREDENTIAL_KEYS", "AuPayConnector", "MappingError"]

#: The credentials a shop enters: the shop ID (店舗ID) and the API key issued in Wow!manager.
CREDENTIAL_KEYS: tuple[str, ...] = ("shopId", "apiKey")

registry.register_mall("aupay", lambda settings: AuPayConnector(settings))
