"""The Qoo10 QSM API (QAPI) emulator at its real paths, plus its part of the control API.

``Mall(seed)`` holds the state; ``routes(mall)`` is the QAPI; ``control_routes(mall)`` is
``/_sandbox/qoo10/...``. See README.md for every endpoint, check, error code and unverified choice.
"""

from juchu_sandbox.qoo10.api import routes
from juchu_sandbox.qoo10.control import control_routes
from juchu_sandbox.qoo10.store import Mall

__all__ = ["Mall", "control_routes", "routes"]
