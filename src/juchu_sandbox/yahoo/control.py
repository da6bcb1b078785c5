"""``/_sandbox/yahoo/…``: the common control contract (docs/sandbox.md, "Other malls") for the Yahoo store."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from juchu_sandbox.yahoo.orders import MAX_QUANTITY
from juchu_sandbox.yahoo.store import ControlError, YahooMall

BASE = "/_sandbox/yahoo"


async def _json(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise ControlError(400, "the body is not JSON") from None


async def _object(request: Request) -> dict[str, Any]:
    body = await _json(request)
    if not isinstance(body, dict):
        raise ControlError(400, "the body is a JSON object")
    return body


def _handler(action: Callable[[Request], Awaitable[Any]]) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def endpoint(request: Request) -> JSONResponse:
        try:
            return JSONResponse(await action(request))
        except ControlError as exc:
            return JSONResponse({"error": exc.text}, status_code=exc.status)

    return endpoint


def control_routes(mall: YahooMall) -> list[Route]:
    """Catalogue, settings, orders (create, list, pay, cancel, change, snapshot), summary, stock, calls, credentials."""

    async def catalogue(request: Request) -> Any:
        return mall.set_catalogue(await _json(request))

    async def settings(request: Request) -> Any:
        if request.method == "GET":
            return mall.settings()
        return mall.set_settings(await _object(request))

    async def orders(request: Request) -> Any:
        if request.method == "GET":
            return mall.list_numbers(request.query_params.get("state", "all"))
        return mall.create_orders(await _object(request))

    async def one(request: Request) -> Any:
        return mall.snapshot(request.path_params["number"])

    async def pay(request: Request) -> Any:
        return mall.pay(request.path_params["number"])

    async def cancel(request: Request) -> Any:
        return mall.buyer_cancel(request.path_params["number"])

    async def change(request: Request) -> Any:
        return mall.change(request.path_params["number"], await _object(request))

    async def summary(request: Request) -> Any:
        return mall.summary()

    async def stock(request: Request) -> Any:
        """The store changes quantities by hand: ``{"item[:subcode]": n}``, all or nothing; not a stock write."""
        body = await _object(request)
        if not body:
            raise ControlError(400, "expected {item or item:subcode: quantity, …}")
        for key, quantity in body.items():
            if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 <= quantity <= MAX_QUANTITY:
                raise ControlError(400, f"{key}: the quantity is an integer from 0 to {MAX_QUANTITY}")
        with mall.lock:
            unknown = [key for key in body if key not in mall.stock]
            if unknown:
                raise ControlError(404, f"no item {', '.join(unknown)}")
            mall.stock.update(body)
            return {"stock": dict(mall.stock)}

    async def calls(request: Request) -> Any:
        return mall.call_log(request.query_params.get("path", ""))

    async def credentials(request: Request) -> Any:
        return mall.set_credentials(await _object(request))

    return [
        Route(f"{BASE}/catalogue", _handler(catalogue), methods=["PUT"]),
        Route(f"{BASE}/settings", _handler(settings), methods=["GET", "PUT"]),
        Route(f"{BASE}/orders", _handler(orders), methods=["GET", "POST"]),
        Route(f"{BASE}/orders/{{number}}", _handler(one), methods=["GET"]),
        Route(f"{BASE}/orders/{{number}}/pay", _handler(pay), methods=["POST"]),
        Route(f"{BASE}/orders/{{number}}/cancel", _handler(cancel), methods=["POST"]),
        Route(f"{BASE}/orders/{{number}}/change", _handler(change), methods=["POST"]),
        Route(f"{BASE}/summary", _handler(summary), methods=["GET"]),
        Route(f"{BASE}/stock", _handler(stock), methods=["PUT"]),
        Route(f"{BASE}/calls", _handler(calls), methods=["GET"]),
        Route(f"{BASE}/credentials", _handler(credentials), methods=["POST"]),
    ]
