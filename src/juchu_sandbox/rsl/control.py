"""The RSL part of the sandbox control API (``/_sandbox/rsl/…``): no auth, no rate limit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from juchu_sandbox.rsl.api import error, read_json
from juchu_sandbox.rsl.records import RslError
from juchu_sandbox.rsl.warehouse import RslWarehouse

BASE = "/_sandbox/rsl"

Handler = Callable[[Request], Awaitable[Any]]


def _json(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            return JSONResponse(await handler(request))
        except RslError as exc:
            return error(exc.status, exc.code, exc.message)

    return endpoint


async def _object(request: Request) -> dict[str, Any]:
    body = await read_json(request)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise RslError(400, "BAD_REQUEST", "the body must be an object")
    return body


def _reason(body: dict[str, Any]) -> str | None:
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise RslError(400, "E005", "reason must be a string")
    return reason


def control_routes(warehouse: RslWarehouse) -> list[Route]:
    """The control routes, to mount at the root of the sandbox app."""

    async def put_stock(request: Request) -> Any:
        return warehouse.set_stock(await _object(request))

    async def get_stock(request: Request) -> Any:
        return warehouse.stock()

    async def ship(request: Request) -> Any:
        return warehouse.ship_now(request.path_params["request_id"])

    async def refuse(request: Request) -> Any:
        return warehouse.refuse(request.path_params["request_id"], _reason(await _object(request)))

    async def start_picking(request: Request) -> Any:
        return warehouse.start_picking(request.path_params["request_id"])

    async def get_settings(request: Request) -> Any:
        return warehouse.update_settings({})

    async def put_settings(request: Request) -> Any:
        return warehouse.update_settings(await _object(request))

    async def requests(request: Request) -> Any:
        return {"requests": warehouse.received(request.query_params.get("requestId"))}

    async def shipments(request: Request) -> Any:
        return {"shipments": warehouse.shipments()}

    async def summary(request: Request) -> Any:
        return warehouse.summary()

    async def arrive(request: Request) -> Any:
        return warehouse.arrive_now(request.path_params["plan_id"])

    async def reset(request: Request) -> Any:
        warehouse.reset()
        return {"status": "reset"}

    def route(path: str, handler: Handler, method: str) -> Route:
        return Route(f"{BASE}{path}", _json(handler), methods=[method])

    return [
        route("/stock", put_stock, "PUT"),
        route("/stock", get_stock, "GET"),
        route("/requests", requests, "GET"),
        route("/requests/{request_id}/ship", ship, "POST"),
        route("/requests/{request_id}/refuse", refuse, "POST"),
        route("/requests/{request_id}/start-picking", start_picking, "POST"),
        route("/shipments", shipments, "GET"),
        route("/settings", get_settings, "GET"),
        route("/settings", put_settings, "PUT"),
        route("/summary", summary, "GET"),
        route("/inbound-plans/{plan_id}/arrive", arrive, "POST"),
        route("/reset", reset, "POST"),
    ]
