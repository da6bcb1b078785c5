"""The RMS API at its real paths: RakutenPayOrderAPI (``/es/2.0/order/*/``) and Inventory API 2.x."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from juchu_sandbox.rakuten import inventory, orders, shipping
from juchu_sandbox.rakuten.common import InventoryError, RmsError
from juchu_sandbox.rakuten.store import RakutenMall

JSON_TYPE = "application/json;charset=utf-8"
# The gateway's answer to a bad or expired licence key (body shape unverified; see README.md).
AUTH_ERROR = {"Results": {"errorCode": "ES01-01", "message": "Un-Authorised"}}
BAD_REQUEST = {"Results": {"errorCode": "ES04-01", "message": "Bad Request"}}
INVENTORY_AUTH_ERROR = {"errors": [{"code": "GE0011", "message": "Unauthorized (invalid or expired licenseKey)."}]}

ORDER_OPERATIONS: dict[str, Callable[[RakutenMall, dict[str, Any]], tuple[int, dict[str, Any]]]] = {
    "searchOrder": orders.search_order,
    "getOrder": orders.get_order,
    "confirmOrder": orders.confirm_order,
    "updateOrderShipping": shipping.update_order_shipping,
    "updateOrderShippingAsync": shipping.update_order_shipping_async,
    "getResultUpdateOrderShippingAsync": shipping.get_result_async,
    "cancelOrder": orders.cancel_order,
}


def json_response(body: Any, status: int) -> Response:
    if body is None:
        return Response(status_code=status)
    return Response(
        json.dumps(body, ensure_ascii=False).encode("utf-8"),
        status_code=status,
        media_type=JSON_TYPE,
    )


def _order_endpoint(
    mall: RakutenMall,
    operation: Callable[[RakutenMall, dict[str, Any]], tuple[int, dict[str, Any]]],
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        raw = await request.body()
        status: int
        body: Any
        if not mall.check_auth(request.headers.get("authorization")):
            status, body = 401, AUTH_ERROR
        else:
            try:
                data = json.loads(raw or b"{}")
            except ValueError:
                data = None
            if not isinstance(data, dict):
                status, body = 400, BAD_REQUEST
            else:
                try:
                    status, body = operation(mall, data)
                except RmsError as exc:
                    status, body = exc.status, exc.body()
        mall.record_call(request.method, request.url.path, raw, status)
        return json_response(body, status)

    return endpoint


def _inventory_endpoint(
    mall: RakutenMall,
    handler: Callable[[Request, Any], tuple[int, Any]],
    with_body: bool,
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        raw = await request.body()
        status: int
        body: Any
        if not mall.check_auth(request.headers.get("authorization")):
            status, body = 401, INVENTORY_AUTH_ERROR
        else:
            data: Any = None
            bad = False
            if with_body:
                try:
                    data = json.loads(raw or b"null")
                except ValueError:
                    bad = True
            if bad:
                status, body = (
                    400,
                    {
                        "errors": [
                            {
                                "code": "IE0002",
                                "message": "request body is not valid JSON.",
                            }
                        ]
                    },
                )
            else:
                try:
                    status, body = handler(request, data)
                except InventoryError as exc:
                    status, body = exc.status, exc.body()
        mall.record_call(request.method, request.url.path, raw, status)
        return json_response(body, status)

    return endpoint


def routes(mall: RakutenMall) -> list[Route]:
    """Order API under ``/es/2.0/order/<name>/`` (POST) and Inventory API under ``/es/2.0`` and ``/es/2.1``."""
    out = [
        Route(f"/es/2.0/order/{name}/", _order_endpoint(mall, op), methods=["POST"])
        for name, op in ORDER_OPERATIONS.items()
    ]

    def one(request: Request, data: Any) -> tuple[int, Any]:
        manage, variant = (
            request.path_params["manageNumber"],
            request.path_params["variantId"],
        )
        if request.method == "GET":
            return inventory.get_one(mall, manage, variant)
        if request.method == "PUT":
            return inventory.put_one(mall, manage, variant, data)
        return inventory.delete_one(mall, manage, variant)

    def rng(request: Request, _data: Any) -> tuple[int, Any]:
        params = request.query_params
        return inventory.bulk_get_range(mall, params.get("minQuantity"), params.get("maxQuantity"))

    for version in ("2.0", "2.1"):
        base = f"/es/{version}/inventories"
        out += [
            Route(
                f"{base}/manage-numbers/{{manageNumber}}/variants/{{variantId}}",
                _inventory_endpoint(mall, one, with_body=True),
                methods=["GET", "PUT", "DELETE"],
            ),
            Route(
                f"{base}/bulk-get",
                _inventory_endpoint(mall, lambda _r, d: inventory.bulk_get(mall, d), with_body=True),
                methods=["POST"],
            ),
            Route(
                f"{base}/bulk-get/range",
                _inventory_endpoint(mall, rng, with_body=False),
                methods=["GET"],
            ),
            Route(
                f"{base}/bulk-upsert",
                _inventory_endpoint(mall, lambda _r, d: inventory.bulk_upsert(mall, d), with_body=True),
                methods=["POST"],
            ),
        ]
    return out
