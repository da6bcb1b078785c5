"""Yahoo test doubles: recorded XML payloads behind httpx.MockTransport, a token endpoint, a clock that never sleeps."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl

import httpx

from juchu.connectors.malls.yahoo import YahooConnector, demo
from juchu.connectors.malls.yahoo.client import forget_tokens

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "yahoo"
WALL = 1_772_400_000.0
SETTINGS = {
    "base_url": "https://circus.test",
    "shop_code": "y1",
    "seller_id": "snbx-juchu",
    "client_id": "cid",
    "client_secret": "csecret",
    "refresh_token": "rtoken",
    "public_key": demo.PUBLIC_KEY,
    "public_key_version": "1",
    "token_url": "https://auth.test/yconnect/v2/token",
}


def load(name: str) -> bytes:
    """A recorded payload from tests/fixtures/yahoo."""
    return (FIXTURES / name).read_bytes()


def xml(name: str, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, content=load(name), headers={"Content-Type": "text/xml; charset=UTF-8", **(headers or {})}
    )


class FakeClock:
    """Monotonic time that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


Handler = Callable[[httpx.Request], httpx.Response]


class FakeYahoo:
    """Answers by API name (the last path segment); orderInfo by OrderId from fixtures; records every request."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.routes: dict[str, Handler | list[httpx.Response]] = {}
        self.info: dict[str, str] = {}  # OrderId → fixture name
        self.tokens = 0
        self.token_answers: list[httpx.Response] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        name = request.url.path.rsplit("/", 1)[-1]
        if name == "token":
            self.tokens += 1
            if self.token_answers:
                return self.token_answers.pop(0)
            return httpx.Response(200, content=load("token_ok.json"), headers={"Content-Type": "application/json"})
        route = self.routes.get(name)
        if isinstance(route, list):
            return route.pop(0)
        if route is not None:
            return route(request)
        if name == "orderInfo":
            order_id = ET.fromstring(request.content).findtext("Target/OrderId") or ""
            if order_id in self.info:
                return xml(self.info[order_id])
            return xml("error_not_found.xml", 400)
        return xml("change_ok.xml")

    def calls(self, name: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.endswith("/" + name)]

    def bodies(self, name: str) -> list[ET.Element]:
        return [ET.fromstring(r.content) for r in self.calls(name)]

    def forms(self, name: str) -> list[dict[str, str]]:
        return [dict(parse_qsl(r.content.decode())) for r in self.calls(name)]


def connector(fake: FakeYahoo, **settings: str) -> YahooConnector:
    """A connector on ``fake`` with a fresh token cache, a test clock and a fixed wall time."""
    forget_tokens()
    return YahooConnector(
        {**SETTINGS, **settings}, transport=httpx.MockTransport(fake.handle), clock=FakeClock(), wall=lambda: WALL
    )
