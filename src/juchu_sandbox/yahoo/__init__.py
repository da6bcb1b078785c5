"""The Yahoo! Shopping emulator: the Store API order and stock calls and the YConnect token endpoint at their
real paths, plus ``/_sandbox/yahoo/…``. ``Mall(seed)`` holds the state. See README.md beside this file."""

from juchu_sandbox.yahoo.api import routes
from juchu_sandbox.yahoo.control import control_routes
from juchu_sandbox.yahoo.store import YahooMall

Mall = YahooMall

__all__ = ["Mall", "YahooMall", "control_routes", "routes"]
