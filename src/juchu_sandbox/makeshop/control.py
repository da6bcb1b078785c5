"""The MakeShop part of the control API (``/_sandbox/makeshop/...``): the common control contract."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any
from xml.etree import ElementTree as ET

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from juchu_sandbox.makeshop import common as c
from juchu_sandbox.makeshop.generator import recompute_totals
from juchu_sandbox.makeshop.render import order_element
from juchu_sandbox.makeshop.store import Mall

PREFIX = "/_sandbox/makeshop"
ADDRESS_FIELDS = ("name", "kana", "tel", "zip", "pref", "address1", "address2")


class ControlError(Exception):
    """A control request the emulator refuses (400/404/409)."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


def snapshot(mall: Mall, number: str) -> dict[str, Any]:
    """The common snapshot of one order: status label, flags, shipments and the raw XML."""
    with mall.lock:
        order = _order(mall, number)
        delivery_status = min(d["status"] for d in order["deliveries"])
        return {
            "orderNumber": number,
            "status": "キャンセル" if order["canceled"] else c.DELIVERY_STATUS_NAMES[delivery_status],
            "paid": order["paid"],
            "cancelled": order["canceled"],
            "confirmed": False,
            "shipments": [
                {
                    "deliveryId": d["deliveryid"],
                    "carrier": c.CARRIERS.get(d["company"], d["company"]),
                    "trackingNumbers": list(d["slips"]),
                    "shipDate": d["ship_date"],
                }
                for d in order["deliveries"]
                if d["status"] == c.SHIPPED
            ],
            "order": ET.tostring(order_element(order), encoding="unicode"),
        }


def summary(mall: Mall) -> dict[str, Any]:
    """Counts, doubled tracking numbers and the stock keyed as Juchu pushes it."""
    with mall.lock:
        orders = list(mall.orders.values())
        doubled = [
            o["ordernum"] for o in orders if any(n > 1 for d in o["deliveries"] for n in Counter(d["slips"]).values())
        ]
        return {
            "orders": len(orders),
            "shipped": sum(1 for o in orders if any(d["status"] == c.SHIPPED for d in o["deliveries"])),
            "duplicateTracking": doubled,
            "shipmentWrites": mall.shipment_writes,
            "stockWrites": mall.stock_writes,
            "stock": {
                f"{code}:{option}" if option else code: qty for (code, option), qty in sorted(mall.stock.items())
            },
        }


def _order(mall: Mall, number: str) -> dict[str, Any]:
    order = mall.orders.get(number)
    if order is None:
        raise ControlError(404, f"no order {number}")
    return order


def pay(mall: Mall, number: str) -> dict[str, Any]:
    """The buyer pays (bank transfer / konbini), or the COD amount is collected."""
    with mall.lock:
        order = _order(mall, number)
        if order["canceled"] or order["paid"]:
            raise ControlError(409, f"order {number} is {'cancelled' if order['canceled'] else 'already paid'}")
        order["paid"] = True
        order["pay_date"] = order["modify_date"] = mall.now()
        return snapshot(mall, number)


def cancel(mall: Mall, number: str) -> dict[str, Any]:
    """The buyer or the shop's admin cancels: 409 once shipped or already cancelled."""
    with mall.lock:
        _order(mall, number)
        try:
            mall.cancel(number)
        except c.ApiError as exc:
            raise ControlError(409, exc.message) from None
        return snapshot(mall, number)


def change(mall: Mall, number: str, body: dict[str, Any]) -> dict[str, Any]:
    """The order is edited in the shop's admin: ``{"quantity": n, "line": i}`` and/or ``{"address": {...}}``."""
    with mall.lock:
        order = _order(mall, number)
        delivery = order["deliveries"][0]
        if order["canceled"] or delivery["status"] == c.SHIPPED:
            raise ControlError(409, f"order {number} is cancelled or shipped; it cannot change")
        if "quantity" in body or "address" not in body:
            line = body.get("line", 0)
            if not isinstance(line, int) or not 0 <= line < len(delivery["items"]):
                raise ControlError(404, f"no line {line} in {number}")
            item = delivery["items"][line]
            quantity = body.get("quantity", int(item["quantity"]) + 1)
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
                raise ControlError(400, "quantity must be a positive integer")
            mall.adjust_stock(item["brand_code"], item["option_code"], int(item["quantity"]) - quantity)
            item["quantity"] = quantity
            recompute_totals(order)
        if "address" in body:
            address = body["address"]
            if not isinstance(address, dict) or set(address) - set(ADDRESS_FIELDS):
                raise ControlError(400, f"address is an object of {', '.join(ADDRESS_FIELDS)}")
            delivery.update({k: str(v) for k, v in address.items()})
        order["modify_date"] = mall.now()
        return snapshot(mall, number)


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
            return JSONResponse(await handler(request))
        except ControlError as exc:
            return JSONResponse({"error": exc.text}, status_code=exc.status)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)

    return endpoint


def control_routes(mall: Mall) -> list[Route]:
    """``/_sandbox/makeshop/...``: catalogue, settings, orders, pay/cancel/change, snapshot, summary, calls."""

    async def catalogue(request: Request) -> Any:
        if request.method == "PUT":
            rows = await _json(request)
            if not isinstance(rows, list) or not rows:
                raise ControlError(400, "the catalogue is a non-empty list of rows")
            mall.set_catalogue(rows)
        with mall.lock:
            rows = [
                {
                    "itemId": r["itemId"],
                    "variantId": r["optionCode"] or r["itemId"],
                    "name": r["name"],
                    "price": r["price"],
                }
                for r in mall.catalogue
            ]
        return {"catalogue": rows}

    async def settings(request: Request) -> Any:
        if request.method == "PUT":
            body = await _json(request)
            if not isinstance(body, dict):
                raise ControlError(400, "settings is a JSON object")
            with mall.lock:
                if "rateLimits" in body:
                    mall.rate_limits = bool(body["rateLimits"])
                for key, attr in (("ratePerSecond", "rate_per_second"), ("rateBurst", "rate_burst")):
                    if key in body:
                        value = body[key]
                        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                            raise ControlError(400, f"{key} is a positive number")
                        setattr(mall, attr, float(value))
        with mall.lock:
            return {"rateLimits": mall.rate_limits, "ratePerSecond": mall.rate_per_second, "rateBurst": mall.rate_burst}

    async def orders(request: Request) -> Any:
        if request.method == "GET":
            state = request.query_params.get("state", "all")
            if state not in ("all", "unpaid"):
                raise ControlError(400, "state is unpaid or all")
            with mall.lock:
                return {
                    "orderNumbers": [
                        n
                        for n, o in mall.orders.items()
                        if state == "all" or (not o["paid"] and not o["canceled"] and o["pay_method"] != c.COD)
                    ]
                }
        body = await _json(request)
        count = body.get("count", 1) if isinstance(body, dict) else None
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10_000:
            raise ControlError(400, "count is an integer from 1 to 10000")
        seed = body.get("seed", 1)
        order = body.get("order")
        if order is not None and not isinstance(order, dict):
            raise ControlError(400, "order is an object of raw order fields")
        return {"orderNumbers": mall.create_orders(count, int(seed), body.get("paymentMix"), order)}

    async def one(request: Request) -> Any:
        return snapshot(mall, request.path_params["number"])

    async def action(request: Request) -> Any:
        number, verb = request.path_params["number"], request.path_params["action"]
        if verb == "pay":
            return pay(mall, number)
        if verb == "cancel":
            return cancel(mall, number)
        if verb == "change":
            body = await _json(request)
            if not isinstance(body, dict):
                raise ControlError(400, "change is a JSON object")
            return change(mall, number, body)
        raise ControlError(404, f"no action {verb}")

    async def summary_view(request: Request) -> Any:
        return summary(mall)

    async def stock(request: Request) -> Any:
        try:
            mall.set_stock_by_hand(await _json(request))
        except KeyError as exc:
            raise ControlError(404, f"no product or option {exc.args[0]}") from None
        return {"stock": summary(mall)["stock"]}

    async def calls(request: Request) -> Any:
        prefix = request.query_params.get("path", "")
        with mall.lock:
            return {"calls": [call for call in mall.calls if call["path"].startswith(prefix)]}

    async def credentials(request: Request) -> Any:
        body = await _json(request)
        if not isinstance(body, dict):
            raise ControlError(400, "credentials is a JSON object")
        with mall.lock:
            if "expired" in body:
                mall.expired = bool(body["expired"])
            for key, api in (("orderToken", "order"), ("productToken", "product")):
                if key in body:
                    mall.tokens[api] = str(body[key])
            if "shopId" in body:
                mall.shop_id = str(body["shopId"])
            return {"shopId": mall.shop_id, "expired": mall.expired}

    return [
        Route(f"{PREFIX}/catalogue", _guard(catalogue), methods=["GET", "PUT"]),
        Route(f"{PREFIX}/settings", _guard(settings), methods=["GET", "PUT"]),
        Route(f"{PREFIX}/orders", _guard(orders), methods=["GET", "POST"]),
        Route(f"{PREFIX}/orders/{{number}}", _guard(one), methods=["GET"]),
        Route(f"{PREFIX}/orders/{{number}}/{{action}}", _guard(action), methods=["POST"]),
        Route(f"{PREFIX}/summary", _guard(summary_view), methods=["GET"]),
        Route(f"{PREFIX}/stock", _guard(stock), methods=["PUT"]),
        Route(f"{PREFIX}/calls", _guard(calls), methods=["GET"]),
        Route(f"{PREFIX}/credentials", _guard(credentials), methods=["POST"]),
    ]
