"""Qoo10 test doubles: recorded QAPI answers behind httpx.MockTransport, and a clock that never sleeps."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

from juchu.connectors.malls.qoo10 import Qoo10Connector
from juchu.connectors.malls.qoo10.client import forget_keys

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "qoo10"
SETTINGS = {
    "base_url": "https://qapi.test/GMKT.INC.Front.QAPIService/ebayjapan.qapi",
    "shop_code": "q1",
    "api_key": "API-KEY-1",
    "user_id": "teashop",
    "password": "pw",
}


def load(name: str) -> Any:
    """A recorded payload from tests/fixtures/qoo10."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


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


Answer = Callable[[dict[str, str]], httpx.Response]


class FakeQapi:
    """Answers each QAPI method from a queue or a function; records (method, fields, key header)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], str]] = []
        self.answers: dict[str, list[Answer] | Answer] = {
            "CertificationAPI.CreateCertificationKey": lambda _f: httpx.Response(200, json=load("create_key_ok.json"))
        }

    def on(self, method: str, *answers: Any) -> None:
        """Answer ``method`` with these (payload dicts, fixture names or Responses) in turn; the last repeats."""
        self.answers[method] = [_responder(a) for a in answers]

    def handler(self, request: httpx.Request) -> httpx.Response:
        method = request.url.path.rsplit("/", 1)[-1]
        fields = dict(parse_qsl(request.content.decode("utf-8"), keep_blank_values=True))
        self.requests.append((method, fields, request.headers.get("GiosisCertificationKey", "")))
        answer = self.answers.get(method)
        if answer is None:
            return httpx.Response(200, json={"ResultCode": -90001, "ResultMsg": "The API does not exist"})
        if callable(answer):
            return answer(fields)
        return (answer.pop(0) if len(answer) > 1 else answer[0])(fields)

    def calls(self, method: str) -> list[dict[str, str]]:
        """The fields of every call of ``method``."""
        return [fields for m, fields, _key in self.requests if m == method]


def _responder(answer: Any) -> Answer:
    if callable(answer) and not isinstance(answer, httpx.Response):
        return answer
    if isinstance(answer, httpx.Response):
        return lambda _f: answer
    if isinstance(answer, str):
        if answer.endswith(".html"):
            return lambda _f: httpx.Response(503, text=(FIXTURES / answer).read_text(encoding="utf-8"))
        return lambda _f: httpx.Response(200, json=load(answer))
    return lambda _f: httpx.Response(200, json=answer)


def make_connector(**settings: str) -> tuple[FakeQapi, FakeClock, Qoo10Connector]:
    """A connector on a FakeQapi with a fresh key cache and a fake clock."""
    forget_keys()
    fake, clock = FakeQapi(), FakeClock()
    connector = Qoo10Connector({**SETTINGS, **settings}, transport=httpx.MockTransport(fake.handler), clock=clock)
    return fake, clock, connector
