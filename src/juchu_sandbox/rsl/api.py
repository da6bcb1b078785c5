"""The RSL API at its real paths (``/rsl/v1/…``): bearer key + merchant header, 5 calls/second per merchant."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from juchu_sandbox.rsl.records import MAX_RESULTS_LIMIT, RslError
from juchu_sandbox.rsl.warehouse import RslWarehouse

BASE = "/rsl/v1"

Handler = Callable[[Request], Awaitable[Response]]


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


async def read_json(request: Request) -> Any:
    body = await request.body()
    try:
        return json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        raise RslError(400, "BAD_REQUEST", "the body is not valid JSON") from None


def int_param(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise RslError(400, "E005", f"{name} must be an integer") from None


def guarded(warehouse: RslWarehouse, handler: Handler) -> Handler:
    """Authenticate (401), rate-limit (429 + Retry-After), and turn :class:`RslError` into the error shape."""

    async def endpoint(request: Request) -> Response:
        authorization = request.headers.get("authorization", "")
        scheme, _, key = authorization.partition(" ")
        merchant = request.headers.get("x-rsl-merchant")
        if scheme.lower() != "bearer" or not warehouse.authenticate(key.strip(), merchant):
            return error(401, "UNAUTHORIZED", "bad API key or X-RSL-Merchant")
        assert merchant is not None
        retry_after = warehouse.check_rate(merchant)
        if retry_after is not None:
            return error(429, "RATE_LIMITED", "too many requests", headers={"Retry-After": str(retry_after)})
        try:
            return await handler(request)
        except RslError as exc:
            return error(exc.status, exc.code, exc.message)

    return endpoint


def routes(warehouse: RslWarehouse) -> list[Route]:
    """The API routes, to mount at the root of the sandbox app."""

    async def shipment_requests(request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
            raise RslError(400, "BAD_REQUEST", 'the body must be {"requests": [ShipmentRequest, …]}')
        return JSONResponse({"results": warehouse.submit(body["requests"])})

    async def shipment_results(request: Request) -> Response:
        limit = int_param(request, "limit", MAX_RESULTS_LIMIT)
        results, next_cursor = warehouse.results(request.query_params.get("cursor"), limit)
        return JSONResponse({"results": results, "nextCursor": next_cursor})

    async def withdraw(request: Request) -> Response:
        body = await read_json(request)
        if body is not None and not isinstance(body, dict):
            raise RslError(400, "BAD_REQUEST", "the body must be an object")
        reason = (body or {}).get("reason")
        if reason is not None and not isinstance(reason, str):
            raise RslError(400, "E005", "reason must be a string")
        return JSONResponse(warehouse.withdraw(request.path_params["request_id"], reason))

    async def inventory(request: Request) -> Response:
        skus = request.query_params.getlist("sku")
        return JSONResponse(warehouse.inventory(skus, int_param(request, "page", 1)))

    async def put_item(request: Request) -> Response:
        body = await read_json(request)
        return JSONResponse(warehouse.put_item(request.path_params["sku"], body), status_code=202)

    async def inbound_plans(request: Request) -> Response:
        return JSONResponse(warehouse.add_inbound_plan(await read_json(request)))

    def route(path: str, handler: Handler, method: str) -> Route:
        return Route(f"{BASE}{path}", guarded(warehouse, handler), methods=[method])

    return [
        route("/shipment-requests", shipment_requests, "POST"),
        route("/shipment-results", shipment_results, "GET"),
        route("/shipment-requests/{request_id}/withdraw", withdraw, "POST"),
        route("/inventory", inventory, "GET"),
        route("/items/{sku:path}", put_item, "PUT"),
        route("/inbound-plans", inbound_plans, "POST"),
    ]
