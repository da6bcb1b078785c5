"""The Amazon part of the control API (``/_sandbox/amazon/...``), following the common control contract."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from juchu_sandbox.amazon.store import ControlError, Mall

PREFIX = "/_sandbox/amazon"


async def _json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise ControlError(400, "the body is not valid JSON") from None


def _guard(handler: Callable[[Request], Awaitable[Any]]) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            result = await handler(request)
        except ControlError as exc:
            return JSONResponse({"error": exc.text}, status_code=exc.status)
        return result if isinstance(result, Response) else JSONResponse(result)

    return endpoint


def control_routes(mall: Mall) -> list[Route]:
    """The control routes of ``mall``."""

    async def catalogue(request: Request) -> Any:
        if request.method == "PUT":
            return {"catalogue": mall.set_catalogue(await _json(request))}
        with mall.lock:
            return {"catalogue": list(mall.catalogue)}

    async def settings(request: Request) -> Any:
        if request.method == "PUT":
            return mall.update_settings(await _json(request))
        with mall.lock:
            return dict(mall.settings)

    async def credentials(request: Request) -> Any:
        body = await _json(request)
        if not isinstance(body, dict):
            raise ControlError(400, "expected {expired: true|false}")
        return mall.set_credentials(body)

    async def orders(request: Request) -> Any:
        if request.method == "GET":
            state = request.query_params.get("state", "all")
            if state not in ("all", "unpaid"):
                raise ControlError(400, "state is unpaid or all")
            return {"orderNumbers": mall.numbers(state)}
        body = await _json(request)
        if not isinstance(body, dict):
            raise ControlError(400, "expected {count, seed, paymentMix, order}")
        return {"orderNumbers": mall.create_orders(body)}

    async def order(request: Request) -> Any:
        return mall.snapshot(request.path_params["number"])

    def action(name: str) -> Callable[[Request], Awaitable[Any]]:
        async def run(request: Request) -> Any:
            number = request.path_params["number"]
            if name == "pay":
                return mall.pay(number)
            if name == "cancel":
                return mall.cancel(number)
            body = await _json(request)
            if not isinstance(body, dict):
                raise ControlError(400, "expected {buyerRequestedCancel: true}")
            return mall.change(number, body)

        return run

    async def summary(request: Request) -> Any:
        return mall.summary()

    async def stock(request: Request) -> Any:
        return mall.set_stock(await _json(request))

    async def calls(request: Request) -> Any:
        path = request.query_params.get("path", "")
        with mall.lock:
            return {"calls": [c for c in mall.calls if c["path"].startswith(path)]}

    return [
        Route(f"{PREFIX}/catalogue", _guard(catalogue), methods=["GET", "PUT"]),
        Route(f"{PREFIX}/settings", _guard(settings), methods=["GET", "PUT"]),
        Route(f"{PREFIX}/credentials", _guard(credentials), methods=["POST"]),
        Route(f"{PREFIX}/orders", _guard(orders), methods=["GET", "POST"]),
        Route(f"{PREFIX}/orders/{{number}}", _guard(order), methods=["GET"]),
        *(
            Route(f"{PREFIX}/orders/{{number}}/{name}", _guard(action(name)), methods=["POST"])
            for name in ("pay", "cancel", "change")
        ),
        Route(f"{PREFIX}/summary", _guard(summary), methods=["GET"]),
        Route(f"{PREFIX}/stock", _guard(stock), methods=["PUT"]),
        Route(f"{PREFIX}/calls", _guard(calls), methods=["GET"]),
    ]
