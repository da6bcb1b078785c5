"""The Amazon SP-API (JP) emulator: LWA, Orders v0, FBA Inventory and Listings Items at their real paths.

``Mall(seed)`` holds the state; ``routes(mall)`` is the API; ``control_routes(mall)`` is
``/_sandbox/amazon/...``. See ``README.md`` in this folder.
"""

from juchu_sandbox.amazon.api import routes
from juchu_sandbox.amazon.control import control_routes
from juchu_sandbox.amazon.store import Mall

__all__ = ["Mall", "control_routes", "routes"]
