"""``/_sandbox/aupay/…``: the common control contract (docs/sandbox.md) for the au PAY emulator."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from juchu_sandbox.aupay.store import OPEN, SETTLED, UNPAID, ControlError, Mall

BASE = "/_sandbox/aupay"


def _tracking(order: dict[str, Any]) -> list[str]:
    return [n for n in order["shippingNumber"].split(",") if n]


def snapshot(mall: Mall, number: str) -> dict[str, Any]:
    """What the mall holds for one order, in the common shape plus the raw orderInfo."""
    with mall.lock:
        order = mall.orders.get(number)
        if order is None:
            raise ControlError(404, f"no order {number}")
        shipments = []
        if order["shippingDate"]:
            shipments.append(
                {
                    "carrier": order["shippingCarrier"],
                    "trackingNumbers": _tracking(order),
                    "shipDate": order["shippingDate"].replace("/", "-"),
                }
            )
        return {
            "orderNumber": number,
            "status": order["orderStatus"],
            "paid": order["paymentStatus"] in SETTLED,
            "cancelled": order["orderStatus"] == "キャンセル",
            "confirmed": order["orderStatus"] not in ("新規受付", "キャンセル"),
            "shipments": shipments,
            "order": copy.deepcopy(order),
        }


def pay(mall: Mall, number: str) -> dict[str, Any]:
    """The buyer pays (bank, konbini) or the 後払い check passes."""
    with mall.lock:
        order = _open(mall, number)
        if order["paymentStatus"] not in UNPAID:
            raise ControlError(409, f"order {number} is {order['paymentStatus']}, not awaiting payment")
        mall.set_paid(order)
        return snapshot(mall, number)


def buyer_cancel(mall: Mall, number: str) -> dict[str, Any]:
    """au PAY (on the buyer's request) cancels an unshipped order."""
    with mall.lock:
        mall.cancel(_open(mall, number))
        return snapshot(mall, number)


def change(mall: Mall, number: str, body: Any) -> dict[str, Any]:
    """Edit an unshipped order in Wow!manager: ``quantity`` (+ ``orderDetailId``), ``address``, ``hold``."""
    if not isinstance(body, dict):
        raise ControlError(400, "the change is a JSON object")
    with mall.lock:
        order = _open(mall, number)
        if "quantity" in body or not ({"address", "hold"} & set(body)):
            quantity = body.get("quantity")
            wanted = body.get("orderDetailId")
            line = next((d for d in order["detail"] if wanted in (None, d["orderDetailId"])), None)
            if line is None:
                raise ControlError(404, f"no orderDetailId {wanted} in {number}")
            quantity = line["unit"] + 1 if quantity is None else quantity
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
                raise ControlError(400, "quantity must be a positive integer")
            mall.adjust_stock(order, +1)
            delta = (quantity - line["unit"]) * line["itemPrice"]
            line["unit"] = quantity
            mall.adjust_stock(order, -1)
            order["totalPrice"] += delta
            order["requestPrice"] += delta
        if "address" in body:
            if not isinstance(body["address"], dict):
                raise ControlError(400, "address is an object of sender* keys")
            order.update({k: str(v) for k, v in body["address"].items() if k.startswith("sender")})
        if body.get("hold"):
            order["orderStatus"] = "保留"
        mall.touch(order)
        return snapshot(mall, number)


def _open(mall: Mall, number: str) -> dict[str, Any]:
    order = mall.orders.get(number)
    if order is None:
        raise ControlError(404, f"no order {number}")
    if order["orderStatus"] not in OPEN:
        raise ControlError(409, f"order {number} is {order['orderStatus']}")
    return order


def summary(mall: Mall) -> dict[str, Any]:
    """Counts, doubled tracking numbers and the stock by ``itemCode[:itemManagementId]``."""
    with mall.lock:
        orders = mall.orders.values()
        return {
            "orders": len(mall.orders),
            "shipped": sum(1 for o in orders if o["shippingDate"]),
            "duplicateTracking": [o["orderId"] for o in orders if len(_tracking(o)) != len(set(_tracking(o)))],
            "shipmentWrites": mall.shipment_writes,
            "stockWrites": mall.stock_writes,
            "stock": {f"{item}:{m}" if m else item: count for (item, m), count in sorted(mall.stock.items())},
        }


def set_stock(mall: Mall, body: Any) -> dict[str, Any]:
    """``PUT stock``: quantities changed by hand at the mall; the stock as the summary shows it."""
    mall.set_stock(body)
    return {"stock": summary(mall)["stock"]}


def control_routes(mall: Mall) -> list[Route]:
    """The control API of the au PAY emulator."""

    def handler(act: Callable[[Request, Any], Any]) -> Callable[[Request], Awaitable[JSONResponse]]:
        async def endpoint(request: Request) -> JSONResponse:
            body: Any = None
            raw = await request.body()
            if raw:
                try:
                    body = await request.json()
                except ValueError:
                    return JSONResponse({"error": "the body is not JSON"}, status_code=400)
            try:
                return JSONResponse(act(request, body))
            except ControlError as exc:
                return JSONResponse({"error": exc.text}, status_code=exc.status)

        return endpoint

    def create(request: Request, body: Any) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        numbers = mall.create_orders(body.get("count", 1), body.get("seed"), body.get("paymentMix"), body.get("order"))
        return {"orderNumbers": numbers}

    def listing(request: Request, _body: Any) -> dict[str, Any]:
        state = request.query_params.get("state", "all")
        if state not in ("all", "unpaid"):
            raise ControlError(400, "state is unpaid or all")
        with mall.lock:
            numbers = [
                n
                for n, o in mall.orders.items()
                if state == "all" or (o["paymentStatus"] in UNPAID and o["orderStatus"] != "キャンセル")
            ]
        return {"orderNumbers": numbers}

    def calls(request: Request, _body: Any) -> dict[str, Any]:
        prefix = request.query_params.get("path", "")
        with mall.lock:
            return {"calls": [dict(c) for c in mall.calls if c["path"].startswith(prefix)]}

    def number(request: Request) -> str:
        return str(request.path_params["number"])

    return [
        Route(f"{BASE}/catalogue", handler(lambda r, b: {"catalogue": mall.set_catalogue(b)}), methods=["PUT"]),
        Route(f"{BASE}/settings", handler(lambda r, b: mall.set_settings(b or {})), methods=["PUT"]),
        Route(f"{BASE}/credentials", handler(lambda r, b: mall.set_credentials(b or {})), methods=["POST"]),
        Route(f"{BASE}/orders", handler(create), methods=["POST"]),
        Route(f"{BASE}/orders", handler(listing), methods=["GET"]),
        Route(f"{BASE}/orders/{{number}}", handler(lambda r, b: snapshot(mall, number(r))), methods=["GET"]),
        Route(f"{BASE}/orders/{{number}}/pay", handler(lambda r, b: pay(mall, number(r))), methods=["POST"]),
        Route(
            f"{BASE}/orders/{{number}}/cancel", handler(lambda r, b: buyer_cancel(mall, number(r))), methods=["POST"]
        ),
        Route(
            f"{BASE}/orders/{{number}}/change", handler(lambda r, b: change(mall, number(r), b or {})), methods=["POST"]
        ),
        Route(f"{BASE}/summary", handler(lambda r, b: summary(mall)), methods=["GET"]),
        Route(f"{BASE}/stock", handler(lambda r, b: set_stock(mall, b)), methods=["PUT"]),
        Route(f"{BASE}/calls", handler(calls), methods=["GET"]),
    ]
