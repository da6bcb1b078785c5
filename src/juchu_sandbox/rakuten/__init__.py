"""The Rakuten RMS emulator: RakutenPayOrderAPI and Inventory API 2.x at their real paths, plus its control API.

``RakutenMall(seed)`` holds the state; ``routes(mall)`` is the RMS API; ``control_routes(mall)`` is
``/_sandbox/rakuten/...``. See ``juchu_sandbox/README.md``.
"""

from juchu_sandbox.rakuten.api import routes
from juchu_sandbox.rakuten.control import control_routes
from juchu_sandbox.rakuten.store import RakutenMall

__all__ = ["RakutenMall", "control_routes", "routes"]
