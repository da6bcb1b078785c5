"""The au PAY Market emulator: the Wow!manager API under ``/wmshopapi/`` plus ``/_sandbox/aupay/…``.

``Mall(seed)`` holds the state; ``routes(mall)`` is the API; ``control_routes(mall)`` the control contract.
See README.md in this package for every endpoint, check, error code and unverified choice.
"""

from juchu_sandbox.aupay.api import routes
from juchu_sandbox.aupay.control import control_routes
from juchu_sandbox.aupay.store import Mall

__all__ = ["Mall", "control_routes", "routes"]
