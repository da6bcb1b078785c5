"""au PAY test doubles: recorded Wow!manager answers behind httpx.MockTransport and a clock that never sleeps."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import httpx

from juchu.connectors.malls.aupay import AuPayConnector

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "aupay"
SETTINGS = {"base_url": "https://wowma.test", "shop_code": "s1", "shopId": "52000123", "apiKey": "KEY-123"}


def load(name: str) -> bytes:
    """A recorded answer from tests/fixtures/aupay."""
    return (FIXTURES / name).read_bytes()


def answer(name: str, status: int = 200) -> httpx.Response:
    """A recorded answer as an HTTP response."""
    kind = "text/html" if name.endswith(".html") else "application/xml; charset=utf-8"
    return httpx.Response(status, content=load(name), headers={"Content-Type": kind})


def with_status(name: str, order_status: str, **fields: str) -> bytes:
    """A recorded searchTradeInfoProc answer with its orderStatus (and other orderInfo keys) replaced."""
    root = ET.fromstring(load(name))
    info = root.find("orderInfo")
    assert info is not None
    for key, value in {"orderStatus": order_status, **fields}.items():
        element = info.find(key)
        assert element is not None, key
        element.text = value
    return ET.tostring(root, encoding="utf-8")


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


class FakeWowma:
    """Answers each endpoint from a queue of responses (the last one repeats); records every request."""

    def __init__(self) -> None:
        self.queues: dict[str, list[httpx.Response | Handler]] = {}
        self.requests: list[httpx.Request] = []

    def on(self, endpoint: str, *answers: httpx.Response | Handler) -> None:
        self.queues[endpoint] = list(answers)

    def sent(self, endpoint: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.endswith("/" + endpoint)]

    def bodies(self, endpoint: str) -> list[ET.Element]:
        return [ET.fromstring(r.content) for r in self.sent(endpoint)]

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        name = request.url.path.rsplit("/", 1)[-1]
        queue = self.queues.get(name)
        if not queue:
            return httpx.Response(404, content=b"not found")
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        return item(request) if callable(item) else item

    def connector(self, **settings: str) -> tuple[AuPayConnector, FakeClock]:
        clock = FakeClock()
        return AuPayConnector({**SETTINGS, **settings}, transport=httpx.MockTransport(self.handle), clock=clock), clock
