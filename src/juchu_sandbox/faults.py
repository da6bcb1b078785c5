"""Fault injection for every emulated API: a seeded plan of rules and a pure ASGI middleware that applies it.

Control API: ``POST /_sandbox/faults`` adds a rule, ``GET`` lists rules (with how often each fired) and the recent
firings, ``DELETE`` clears them (and reseeds); ``DELETE /_sandbox/faults/{id}`` removes one rule. Paths under
``/_sandbox/`` never fault.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

KINDS = ("latency", "429", "500", "timeout", "malformed", "truncated", "html")
MAX_LOG = 1000
MALFORMED_BODY = b'{"MessageModelList": [{"messageType": "INFO", "messageCode" "ORDER_EXT_API_'
HTML_BODY = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>Bad Gateway</h1><p>The proxy server received an invalid response from an upstream server.</p>"
    b"</body></html>\n"
)


@dataclass
class FaultRule:
    id: int
    path: str
    rate: float
    kinds: list[str]
    latency_ms: int = 800
    timeout_seconds: float = 15.0
    count: int | None = None
    fired: int = 0
    fired_by_kind: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "rate": self.rate,
            "kinds": list(self.kinds),
            "latency_ms": self.latency_ms,
            "timeout_seconds": self.timeout_seconds,
            "count": self.count,
            "fired": self.fired,
            "firedByKind": dict(self.fired_by_kind),
        }


def _is_control(path: str) -> bool:
    return path == "/_sandbox" or path.startswith("/_sandbox/")


class FaultPlan:
    """The rules, drawn from one ``random.Random(seed)``: the same requests in the same order fault the same way."""

    def __init__(self, seed: int = 1) -> None:
        self.seed = seed
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._rules: list[FaultRule] = []
        self._next_id = 1
        self._log: list[dict[str, Any]] = []

    def add(self, spec: dict[str, Any]) -> FaultRule:
        """Add a rule from the control-API JSON; ``ValueError`` when it is not valid."""
        if not isinstance(spec, dict):
            raise ValueError("a rule is a JSON object")
        path = spec.get("path", "")
        if not isinstance(path, str):
            raise ValueError("path is a string prefix ('' = every API path)")
        rate = spec.get("rate", 1.0)
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise ValueError("rate is a number from 0 to 1")
        kinds = spec.get("kinds", ["500"])
        if isinstance(kinds, str):
            kinds = [kinds]
        if not isinstance(kinds, list) or not kinds or any(k not in KINDS for k in kinds):
            raise ValueError(f"kinds is a non-empty list of {', '.join(KINDS)}")
        latency_ms = spec.get("latency_ms", 800)
        timeout_seconds = spec.get("timeout_seconds", 15)
        count = spec.get("count")
        if not isinstance(latency_ms, int | float) or latency_ms < 0:
            raise ValueError("latency_ms is a non-negative number")
        if not isinstance(timeout_seconds, int | float) or timeout_seconds < 0:
            raise ValueError("timeout_seconds is a non-negative number")
        if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
            raise ValueError("count is a positive integer (or absent for no limit)")
        with self._lock:
            rule = FaultRule(
                id=self._next_id,
                path=path,
                rate=float(rate),
                kinds=[str(k) for k in kinds],
                latency_ms=int(latency_ms),
                timeout_seconds=float(timeout_seconds),
                count=count,
            )
            self._next_id += 1
            self._rules.append(rule)
            return rule

    def remove(self, rule_id: int) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) != before

    def clear(self) -> None:
        """Drop every rule and the log, and reseed (so a cleared plan repeats from the start)."""
        with self._lock:
            self._rules.clear()
            self._log.clear()
            self._rng = random.Random(self.seed)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "seed": self.seed,
                "rules": [r.as_dict() for r in self._rules],
                "log": list(self._log),
            }

    def decide(self, path: str) -> tuple[FaultRule, str] | None:
        """The fault for this request, if any: rules in the order added; the first that fires wins."""
        if _is_control(path):
            return None
        with self._lock:
            for rule in self._rules:
                if not path.startswith(rule.path) or (rule.count is not None and rule.fired >= rule.count):
                    continue
                if self._rng.random() < rule.rate:
                    kind = rule.kinds[0] if len(rule.kinds) == 1 else self._rng.choice(rule.kinds)
                    rule.fired += 1
                    rule.fired_by_kind[kind] = rule.fired_by_kind.get(kind, 0) + 1
                    self._log.append(
                        {
                            "time": time.time(),
                            "path": path,
                            "kind": kind,
                            "ruleId": rule.id,
                        }
                    )
                    if len(self._log) > MAX_LOG:
                        del self._log[: len(self._log) - MAX_LOG]
                    return rule, kind
            return None


def _headers(
    content_type: bytes, length: int, kind: str, extra: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-type", content_type),
        (b"content-length", str(length).encode()),
        (b"x-sandbox-fault", kind.encode()),
        *extra,
    ]


async def _answer(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes,
    kind: str,
    extra: list | None = None,
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": _headers(content_type, len(body), kind, extra or []),
        }
    )
    await send({"type": "http.response.body", "body": body})


class FaultMiddleware:
    """Pure ASGI middleware: ``Middleware(FaultMiddleware, plan=plan)``.

    latency: sleep, then the real answer. 429 (``Retry-After: 1``), 500 (JSON), timeout (sleep, then 504) and html
    (502 page) answer instead of the app: the request is not processed. malformed (200, invalid JSON) and truncated
    (the real status and body cut in half) run the app first: the request *is* processed, its answer is lost.
    """

    def __init__(self, app: ASGIApp, plan: FaultPlan) -> None:
        self.app = app
        self.plan = plan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        decision = self.plan.decide(scope.get("path", ""))
        if decision is None:
            await self.app(scope, receive, send)
            return
        rule, kind = decision
        json_type = b"application/json;charset=utf-8"
        if kind == "latency":
            await asyncio.sleep(rule.latency_ms / 1000)
            await self.app(scope, receive, send)
        elif kind == "429":
            body = json.dumps({"error": "Too Many Requests", "sandboxFault": "429"}).encode()
            await _answer(send, 429, body, json_type, kind, [(b"retry-after", b"1")])
        elif kind == "500":
            body = json.dumps({"error": "Internal Server Error", "sandboxFault": "500"}).encode()
            await _answer(send, 500, body, json_type, kind)
        elif kind == "timeout":
            await asyncio.sleep(rule.timeout_seconds)
            body = json.dumps({"error": "Gateway Timeout", "sandboxFault": "timeout"}).encode()
            await _answer(send, 504, body, json_type, kind)
        elif kind == "html":
            await _answer(send, 502, HTML_BODY, b"text/html; charset=utf-8", kind)
        else:
            status, headers, body = await _capture(self.app, scope, receive)
            if kind == "malformed":
                await _answer(send, 200, MALFORMED_BODY, json_type, kind)
            else:
                cut = body[: len(body) // 2]
                kept = [(k, v) for k, v in headers if k.lower() not in (b"content-length",)]
                await send(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": [
                            *kept,
                            (b"content-length", str(len(cut)).encode()),
                            (b"x-sandbox-fault", b"truncated"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": cut})


async def _capture(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Run the app and collect its whole answer."""
    status = 500
    headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, capture)
    return status, headers, b"".join(chunks)


def control_routes(plan: FaultPlan) -> list[Route]:
    async def faults(request: Request) -> JSONResponse:
        if request.method == "GET":
            return JSONResponse(plan.snapshot())
        if request.method == "DELETE":
            plan.clear()
            return JSONResponse({"rules": []})
        try:
            spec = json.loads(await request.body() or b"{}")
            rule = plan.add(spec)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"id": rule.id, "rule": rule.as_dict()}, status_code=201)

    async def one(request: Request) -> JSONResponse:
        try:
            rule_id = int(request.path_params["rule_id"])
        except ValueError:
            return JSONResponse({"error": "rule ids are integers"}, status_code=400)
        if not plan.remove(rule_id):
            return JSONResponse({"error": f"no rule {rule_id}"}, status_code=404)
        return JSONResponse({"removed": rule_id})

    return [
        Route("/_sandbox/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/_sandbox/faults/{rule_id}", one, methods=["DELETE"]),
    ]
