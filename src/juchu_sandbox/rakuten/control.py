"""The Rakuten part of the control API (``/_sandbox/rakuten/...``): what tests and demos do to the mall.

Rakuten came first and keeps its own routes (orders listed by progress, a change confirmed, the stock and its
changes; no settings or summary), read and answered as the common control contract's are.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from juchu_sandbox.control_contract import BodyRules, ControlError, endpoint, read_body
from juchu_sandbox.rakuten.store import RakutenMall

PREFIX = "/_sandbox/rakuten"
RULES = BodyRules()


async def _json(request: Request) -> Any:
    return await read_body(request, RULES)


def control_routes(mall: RakutenMall) -> list[Route]:
    """The control routes of ``mall``."""

    async def credentials(request: Request) -> Any:
        body = await _json(request)
        if not isinstance(body, dict):
            raise ControlError(400, "expected {serviceSecret, licenseKey, expired}")
        return mall.set_credentials(body)

    async def catalogue(request: Request) -> Any:
        if request.method == "PUT":
            return {"catalogue": mall.set_catalogue(await _json(request))}
        with mall.lock:
            return {"catalogue": mall.catalogue}

    async def orders(request: Request) -> Any:
        if request.method == "GET":
            raw = request.query_params.get("progress")
            wanted = None
            if raw:
                try:
                    wanted = {int(p) for p in raw.split(",") if p.strip()}
                except ValueError:
                    raise ControlError(400, "progress is a comma-separated list of codes") from None
            return mall.list_orders(wanted)
        body = await _json(request)
        if not isinstance(body, dict):
            raise ControlError(400, "expected {count, seed, paymentMix, overrides} or {order}")
        if "order" in body:
            return JSONResponse({"orderNumbers": [mall.add_order(body["order"])]}, status_code=201)
        overrides = body.get("overrides")
        if overrides is not None and not isinstance(overrides, dict):
            raise ControlError(400, "overrides is an object merged into each OrderModel")
        numbers = mall.create_orders(
            body.get("count", 1),
            seed=body.get("seed"),
            payment_mix=body.get("paymentMix"),
            overrides=overrides,
            spread_seconds=int(body.get("spreadSeconds", 0)),
            several_senders=body.get("severalSenders"),
        )
        return JSONResponse({"orderNumbers": numbers}, status_code=201)

    async def order(request: Request) -> Any:
        return mall.snapshot(request.path_params["number"])

    def action(name: str) -> Callable[[Request], Awaitable[Any]]:
        async def run(request: Request) -> Any:
            number = request.path_params["number"]
            if name == "cancel":
                return mall.buyer_cancel(number)
            if name == "pay":
                return mall.pay(number)
            if name == "change":
                body = await _json(request)
                if not isinstance(body, dict):
                    raise ControlError(400, "expected {units, itemDetailId} and/or {sender, basketId}")
                return mall.change(number, body)
            return mall.change_confirm(number)

        return run

    async def calls(request: Request) -> Any:
        if request.method == "DELETE":
            with mall.lock:
                mall.calls.clear()
            return {"calls": []}
        path = request.query_params.get("path", "")
        with mall.lock:
            return {"calls": [c for c in mall.calls if c["path"].startswith(path)]}

    async def stock(request: Request) -> Any:
        return mall.stock_report()

    def route(path: str, act: Callable[[Request], Awaitable[Any]], *methods: str) -> Route:
        return Route(f"{PREFIX}{path}", endpoint(act, RULES), methods=list(methods))

    return [
        route("/credentials", credentials, "POST"),
        route("/catalogue", catalogue, "GET", "PUT"),
        route("/orders", orders, "GET", "POST"),
        route("/orders/{number}", order, "GET"),
        route("/orders/{number}/cancel", action("cancel"), "POST"),
        route("/orders/{number}/pay", action("pay"), "POST"),
        route("/orders/{number}/change", action("change"), "POST"),
        route("/orders/{number}/change/confirm", action("confirm"), "POST"),
        route("/calls", calls, "GET", "DELETE"),
        route("/stock", stock, "GET"),
    ]
