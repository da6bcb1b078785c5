"""The RSL (楽天スーパーロジスティクス) emulator: the protocol of ``rsl-protocol.md``, served at ``/rsl/v1``.

``RslWarehouse`` holds the state; ``routes(warehouse)`` serves the API and ``control_routes(warehouse)`` its
part of ``/_sandbox/``. See ``juchu_sandbox/README.md`` (section RSL) for the choices made.
"""

from juchu_sandbox.rsl.api import routes
from juchu_sandbox.rsl.control import control_routes
from juchu_sandbox.rsl.records import (
    CARRIER_CODE,
    CARRIER_NAME,
    DEFAULT_API_KEY,
    DEFAULT_MERCHANT,
    JST,
    RslError,
)
from juchu_sandbox.rsl.warehouse import RslWarehouse

__all__ = [
    "CARRIER_CODE",
    "CARRIER_NAME",
    "DEFAULT_API_KEY",
    "DEFAULT_MERCHANT",
    "JST",
    "RslError",
    "RslWarehouse",
    "control_routes",
    "routes",
]
