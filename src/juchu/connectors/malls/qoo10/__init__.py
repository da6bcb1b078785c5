"""Qoo10 (QSM API): registers the ``qoo10`` mall connector.

One Juchu order is one Qoo10 cart (``packNo``). ``StockLevel.sku`` for Qoo10 is ``sellerItemCode:optionCode``
for an option of an item, or a bare ``sellerItemCode`` for an item without options.
"""

from juchu.connectors import registry
from juchu.connectors.malls.qoo10.connector import Qoo10Connector
from juchu.connectors.malls.qoo10.mapping import MappingError

__all__ = ["CREDENTIAL_KEYS", "MappingError", "Qoo10Connector"]

#: The credentials a Qoo10 shop is set up with (QSM の API キー, ログイン ID, パスワード).
CREDENTIAL_KEYS: tuple[str, ...] = ("api_key", "user_id", "password")

registry.register_mall("qoo10", lambda settings: Qoo10Connector(settings))
