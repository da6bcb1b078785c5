"""The emulated Amazon APIs at their real paths: LWA ``/auth/o2/token`` and SP-API Orders v0, FBA Inventory,
Listings Items. Every SP-API call checks ``x-amz-access-token`` and its operation's token bucket first."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from juchu_sandbox.amazon import operations
from juchu_sandbox.amazon.store import RATE_LIMITS, Mall

Handler = Callable[[Request, Any], operations.Answer]


def _respond(status: int, body: Any, operation: str = "") -> Response:
    headers = {"x-amzn-RequestId": uuid.uuid4().hex}
    if operation:
        headers["x-amzn-RateLimit-Limit"] = str(RATE_LIMITS[operation][0])
    if body is None:
        return Response(status_code=status, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


def routes(mall: Mall) -> list[Route]:
    """The API routes of ``mall``."""

    def sp_api(operation: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            problem = mall.token_problem(request.headers.get("x-amz-access-token"))
            if problem is not None:
                status, body = operations.error(403, "Unauthorized", problem)
            elif not mall.take(operation):
                status, body = operations.error(
                    429, "QuotaExceeded", "You exceeded your quota for the requested resource."
                )
            else:
                parsed: Any = None
                if raw.strip():
                    try:
                        parsed = json.loads(raw)
                    except ValueError:
                        parsed = ValueError
                if parsed is ValueError:
                    status, body = operations.invalid("The request body is not valid JSON.")
                else:
                    status, body = handler(request, parsed)
            mall.record_call(request.method, request.url.path, raw, status)
            return _respond(status, body, operation)

        return endpoint

    async def token(request: Request) -> Response:
        raw = await request.body()
        form = dict(parse_qsl(raw.decode("utf-8", errors="replace")))
        status, body = mall.exchange(form)
        mall.record_call(request.method, request.url.path, b"grant_type=" + form.get("grant_type", "").encode(), status)
        return JSONResponse(body, status_code=status)

    def number(request: Request) -> str:
        return str(request.path_params["order_id"])

    orders = "/orders/v0/orders"
    return [
        Route("/auth/o2/token", token, methods=["POST"]),
        Route(
            orders,
            sp_api("getOrders", lambda r, _b: operations.get_orders(mall, dict(r.query_params))),
            methods=["GET"],
        ),
        Route(
            f"{orders}/{{order_id}}",
            sp_api("getOrder", lambda r, _b: operations.get_order(mall, number(r))),
            methods=["GET"],
        ),
        Route(
            f"{orders}/{{order_id}}/orderItems",
            sp_api(
                "getOrderItems",
                lambda r, _b: operations.get_order_items(mall, number(r), r.query_params.get("NextToken")),
            ),
            methods=["GET"],
        ),
        Route(
            f"{orders}/{{order_id}}/address",
            sp_api("getOrderAddress", lambda r, _b: operations.get_order_address(mall, number(r))),
            methods=["GET"],
        ),
        Route(
            f"{orders}/{{order_id}}/buyerInfo",
            sp_api("getOrderBuyerInfo", lambda r, _b: operations.get_order_buyer_info(mall, number(r))),
            methods=["GET"],
        ),
        Route(
            f"{orders}/{{order_id}}/shipmentConfirmation",
            sp_api("confirmShipment", lambda r, b: operations.confirm_shipment(mall, number(r), b)),
            methods=["POST"],
        ),
        Route(
            "/fba/inventory/v1/summaries",
            sp_api("getInventorySummaries", lambda r, _b: operations.fba_summaries(mall, dict(r.query_params))),
            methods=["GET"],
        ),
        Route(
            "/listings/2021-08-01/items/{seller_id}/{sku:path}",
            sp_api(
                "patchListingsItem",
                lambda r, b: operations.patch_listing(
                    mall, r.path_params["seller_id"], r.path_params["sku"], dict(r.query_params), b
                ),
            ),
            methods=["PATCH"],
        ),
        Route(
            "/listings/2021-08-01/items/{seller_id}/{sku:path}",
            sp_api(
                "getListingsItem",
                lambda r, _b: operations.get_listing(
                    mall, r.path_params["seller_id"], r.path_params["sku"], dict(r.query_params)
                ),
            ),
            methods=["GET"],
        ),
    ]
