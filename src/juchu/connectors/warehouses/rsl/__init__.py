"""RSL (楽天スーパーロジスティクス): the warehouse connector and the CSV exchange for shops that work by file."""

from juchu.connectors import registry
from juchu.connectors.warehouses.rsl.connector import RslConnector

registry.register_warehouse("rsl", lambda settings: RslConnector(settings))

__all__ = ["RslConnector"]
