"""The MakeShop emulator: the legacy order API and the product API's stock update at their real paths.

``Mall(seed)`` holds the state; ``routes(mall)`` is the API; ``control_routes(mall)`` is
``/_sandbox/makeshop/...``. Every choice made where MakeShop's documentation is silent is in README.md.
"""

from juchu_sandbox.makeshop.api import routes
from juchu_sandbox.makeshop.control import control_routes
from juchu_sandbox.makeshop.store import Mall

__all__ = ["Mall", "control_routes", "routes"]
