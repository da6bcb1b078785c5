"""The Store API at its real paths (``/ShoppingWebService/V1/*``) and the YConnect token endpoint.

Checks in the order the gateway applies them (sandbox choice, README): the per-URL rate (429), the Bearer
access token (401 + ``WWW-Authenticate``), the public-key signature on order APIs (403 +
``X-SWS-Authorize-Status``), then the request itself (400 ``<Error>``).
"""

from __future__ import annotations

import base64
import binascii
import json
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from contextlib import suppress
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from juchu_sandbox.yahoo import orders
from juchu_sandbox.yahoo.keys import check_signature
from juchu_sandbox.yahoo.store import YahooMall
from juchu_sandbox.yahoo.xmlio import XML_TYPE, ApiError, bad_request, parse_req, to_bytes

BASE = "/ShoppingWebService/V1"
XML_BODY_TYPES = ("application/xml", "text/xml", "application/x-www-form-urlencoded")

OrderOperation = Callable[[YahooMall, ET.Element], ET.Element]
FormOperation = Callable[[YahooMall, dict[str, str]], ET.Element]

ORDER_APIS: dict[str, OrderOperation] = {
    "orderList": orders.order_list,
    "orderInfo": orders.order_info_answer,
    "orderStatusChange": orders.order_status_change,
    "orderShipStatusChange": orders.order_ship_status_change,
}
STOCK_APIS: dict[str, FormOperation] = {"setStock": orders.set_stock, "getStock": orders.get_stock}


def _gate(mall: YahooMall, request: Request, *, signed: bool) -> dict[str, str]:
    """Rate, token and signature checks; the headers to add to a successful answer."""
    path = request.url.path
    if mall.throttled(path):
        raise ApiError(429, "ws-00429", "Too Many Requests: 1 request per second per URL", {"Retry-After": "1"})
    problem = mall.token_problem(request.headers.get("authorization"))
    if problem:
        raise ApiError(401, "px-04102", "Invalid or expired access token", {"WWW-Authenticate": problem})
    if not signed or not mall.signature_required:
        return {}
    reason = check_signature(
        request.headers.get("x-sws-signature"),
        request.headers.get("x-sws-signature-version"),
        mall.seller_id,
        mall.now().timestamp(),
    )
    if reason:
        raise ApiError(
            403, "px-04103", f"Public key authentication failed: {reason}", {"X-SWS-Authorize-Status": "unauthorized"}
        )
    return {"X-SWS-Authorize-Status": "authorized"}


def _xml_response(root: ET.Element, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(to_bytes(root), status_code=status, media_type=XML_TYPE, headers=headers)


def _order_endpoint(mall: YahooMall, operation: OrderOperation) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        raw = await request.body()
        try:
            headers = _gate(mall, request, signed=True)
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type not in XML_BODY_TYPES:
                raise bad_request(f"Content-Type {content_type or '(none)'} is not supported; send XML")
            response = _xml_response(operation(mall, parse_req(raw)), headers=headers)
        except ApiError as exc:
            response = Response(exc.body(), status_code=exc.status, media_type=XML_TYPE, headers=exc.headers)
        mall.record_call(request.method, request.url.path, raw, response.status_code)
        return response

    return endpoint


def _stock_endpoint(mall: YahooMall, operation: FormOperation) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        raw = await request.body()
        try:
            headers = _gate(mall, request, signed=False)
            try:
                form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
            except UnicodeDecodeError:
                raise bad_request("The form is not UTF-8") from None
            response = _xml_response(operation(mall, form), headers=headers)
        except ApiError as exc:
            response = Response(exc.body(), status_code=exc.status, media_type=XML_TYPE, headers=exc.headers)
        mall.record_call(request.method, request.url.path, raw, response.status_code)
        return response

    return endpoint


def _token_endpoint(mall: YahooMall) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        raw = await request.body()
        form = dict(parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True))
        client_id = client_secret = ""
        header = request.headers.get("authorization", "")
        if header.startswith("Basic "):
            with suppress(binascii.Error, UnicodeDecodeError):
                client_id, _, client_secret = base64.b64decode(header[6:], validate=True).decode().partition(":")
        else:  # client_secret_post
            client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        status, body = mall.issue_token(
            client_id, client_secret, form.get("grant_type", ""), form.get("refresh_token", "")
        )
        mall.record_call(request.method, request.url.path, b"grant_type=" + form.get("grant_type", "").encode(), status)
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="yconnect"'
        return Response(json.dumps(body).encode(), status_code=status, media_type="application/json", headers=headers)

    return endpoint


def routes(mall: YahooMall) -> list[Route]:
    """The order and stock APIs under ``/ShoppingWebService/V1/`` and ``/yconnect/v2/token`` (all POST)."""
    out = [Route(f"{BASE}/{name}", _order_endpoint(mall, op), methods=["POST"]) for name, op in ORDER_APIS.items()]
    out += [Route(f"{BASE}/{name}", _stock_endpoint(mall, op), methods=["POST"]) for name, op in STOCK_APIS.items()]
    out.append(Route("/yconnect/v2/token", _token_endpoint(mall), methods=["POST"]))
    return out


__all__ = ["routes"]
