"""``/_sandbox/qoo10/...``: the common control contract (docs/sandbox.md) for the Qoo10 emulator.

Order numbers here are cart numbers (``packNo``), as Juchu knows its Qoo10 orders.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from juchu_sandbox.qoo10.generator import create_carts
from juchu_sandbox.qoo10.methods import cancel_line, get_by_order_no
from juchu_sandbox.qoo10.store import CANCELLED_CLAIMS, STATUS_LABELS, Mall

PREFIX = "/_sandbox/qoo10"


class ControlError(Exception):
    """A control request the mall refuses (400/404/409)."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


def _lines(mall: Mall, number: str) -> list[dict[str, Any]]:
    if not number.isdigit() or int(number) not in mall.packs:
        raise ControlError(404, f"no cart {number}")
    return [mall.lines[n] for n in mall.packs[int(number)]]


def snapshot(mall: Mall, number: str) -> dict[str, Any]:
    """The contract's view of one cart."""
    with mall.lock:
        lines = _lines(mall, number)
        live = [ln for ln in lines if ln["claim"] not in CANCELLED_CLAIMS]
        shown = live or lines
        lowest = min(ln["status"] for ln in shown)
        shipments: dict[tuple[str, str], list[str]] = {}
        for line in lines:
            if line["tracking"]:
                day = line["shippingDate"].date().isoformat() if line["shippingDate"] else ""
                shipments.setdefault((line["carrier"], day), [])
                if line["tracking"] not in shipments[(line["carrier"], day)]:
                    shipments[(line["carrier"], day)].append(line["tracking"])
        claims = sorted({ln["claim"] for ln in lines if ln["claim"]})
        return {
            "orderNumber": number,
            "status": STATUS_LABELS[lowest] + "".join(f" claim({c})" for c in claims),
            "paid": all(ln["paymentDate"] is not None for ln in shown),
            "cancelled": not live,
            "confirmed": bool(live) and lowest >= 3,
            "shipments": [
                {"carrier": carrier, "trackingNumbers": numbers, "shipDate": day}
                for (carrier, day), numbers in shipments.items()
            ],
            "order": {
                "packNo": int(number),
                "rows": [get_by_order_no(mall, {"OrderNo": str(ln["row"]["orderNo"])})[0] for ln in lines],
            },
        }


def pay(mall: Mall, number: str) -> dict[str, Any]:
    """The buyer pays a cart awaiting payment (status 1 → 2, or 3 when the seller already checked it)."""
    with mall.lock:
        waiting = [ln for ln in _lines(mall, number) if ln["claim"] not in CANCELLED_CLAIMS and ln["status"] == 1]
        if not waiting:
            raise ControlError(409, f"cart {number} is not awaiting payment")
        for line in waiting:
            line["paymentDate"] = mall.now()
            line["status"] = 3 if line["sellerChecked"] else 2
        return snapshot(mall, number)


def buyer_cancel(mall: Mall, number: str) -> dict[str, Any]:
    """The buyer cancels the whole cart (claim 3 キャンセル完了); 409 once a line has shipped."""
    with mall.lock:
        lines = _lines(mall, number)
        live = [ln for ln in lines if ln["claim"] not in CANCELLED_CLAIMS]
        if not live or any(ln["status"] >= 4 for ln in live):
            raise ControlError(409, f"cart {number} is shipped or cancelled; the buyer cannot cancel")
        for line in live:
            cancel_line(mall, line, "購入者キャンセル: 注文間違い")
        return snapshot(mall, number)


def change(mall: Mall, number: str, body: dict[str, Any]) -> dict[str, Any]:
    """The buyer asks to cancel (claim 1 キャンセル要請): ``{"orderNo": n}`` for one line, else every line."""
    with mall.lock:
        lines = [ln for ln in _lines(mall, number) if ln["claim"] is None]
        wanted = body.get("orderNo")
        if wanted is not None:
            lines = [ln for ln in lines if ln["row"]["orderNo"] == wanted]
            if not lines:
                raise ControlError(404, f"no open line {wanted} in cart {number}")
        if not lines or any(ln["status"] >= 4 for ln in lines):
            raise ControlError(409, f"cart {number} has no line a buyer can ask to cancel")
        for line in lines:
            line["claim"], line["requestDate"], line["reason"] = 1, mall.now(), "購入者キャンセル要請"
        return snapshot(mall, number)


def summary(mall: Mall) -> dict[str, Any]:
    """Counts, shipped carts, tracking numbers recorded twice on a line, writes and stock."""
    with mall.lock:
        shipped = sum(1 for nos in mall.packs.values() if any(mall.lines[n]["tracking"] for n in nos))
        # SetSendingInfo overwrites: a line holds one TrackingNo, so a number twice means it was written
        # twice into that one field (e.g. appended with a comma).
        doubled = sorted(
            {
                str(line["row"]["packNo"])
                for line in mall.lines.values()
                if len(numbers := [t for t in line["tracking"].split(",") if t]) != len(set(numbers))
            }
        )
        return {
            "orders": len(mall.packs),
            "shipped": shipped,
            "duplicateTracking": doubled,
            "shipmentWrites": mall.shipment_writes,
            "stockWrites": mall.stock_writes,
            "stock": mall.stock(),
        }


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
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return result if isinstance(result, Response) else JSONResponse(result)

    return endpoint


def control_routes(mall: Mall) -> list[Route]:
    """The contract's routes under ``/_sandbox/qoo10``."""

    async def catalogue(request: Request) -> Any:
        if request.method == "PUT":
            return {"catalogue": mall.set_catalogue(await _json(request))}
        return {"catalogue": mall.catalogue()}

    async def settings(request: Request) -> Any:
        body = await _json(request)
        if not isinstance(body, dict):
            raise ControlError(400, "expected an object of settings")
        with mall.lock:
            for key, value in body.items():
                if key not in mall.settings:
                    raise ControlError(400, f"unknown setting {key}; known: {', '.join(mall.settings)}")
                if key == "rateLimits" and not isinstance(value, bool):
                    raise ControlError(400, "rateLimits is true or false")
                if key != "rateLimits" and (
                    isinstance(value, bool) or not isinstance(value, int | float) or value <= 0
                ):
                    raise ControlError(400, f"{key} is a positive number")
                mall.settings[key] = value
            return dict(mall.settings)

    async def orders(request: Request) -> Any:
        if request.method == "GET":
            state = request.query_params.get("state", "all")
            if state not in ("all", "unpaid"):
                raise ControlError(400, "state is unpaid or all")
            with mall.lock:
                numbers = [
                    str(pack)
                    for pack, nos in mall.packs.items()
                    if state == "all"
                    or any(mall.lines[n]["status"] == 1 and mall.lines[n]["claim"] not in CANCELLED_CLAIMS for n in nos)
                ]
            return {"orderNumbers": numbers}
        body = await _json(request)
        if not isinstance(body, dict):
            raise ControlError(400, "expected {count, seed, paymentMix, order}")
        overrides = body.get("order")
        if overrides is not None and not isinstance(overrides, dict):
            raise ControlError(400, "order is an object of row fields applied to every line of one cart")
        count = 1 if overrides is not None and "count" not in body else body.get("count", 1)
        packs = create_carts(mall, count, body.get("seed"), body.get("paymentMix"), overrides)
        return JSONResponse({"orderNumbers": [str(p) for p in packs]}, status_code=201)

    def action(name: str) -> Callable[[Request], Awaitable[Any]]:
        async def run(request: Request) -> Any:
            number = request.path_params["number"]
            if name == "snapshot":
                return snapshot(mall, number)
            if name == "pay":
                return pay(mall, number)
            if name == "cancel":
                return buyer_cancel(mall, number)
            body = await _json(request)
            if not isinstance(body, dict):
                raise ControlError(400, "expected {} or {orderNo}")
            return change(mall, number, body)

        return run

    async def summary_view(request: Request) -> Any:
        return summary(mall)

    async def stock(request: Request) -> Any:
        try:
            return {"stock": mall.set_stock(await _json(request))}
        except KeyError as exc:
            raise ControlError(404, f"no item or option {exc.args[0]}") from None

    async def calls(request: Request) -> Any:
        path = request.query_params.get("path", "")
        with mall.lock:
            return {"calls": [copy.deepcopy(c) for c in mall.calls if c["path"].startswith(path)]}

    async def credentials(request: Request) -> Any:
        body = await _json(request)
        if not isinstance(body, dict):
            raise ControlError(400, "expected {expired, api_key, user_id, password}")
        with mall.lock:
            for key in ("api_key", "user_id", "password"):
                if key in body:
                    mall.credentials[key] = str(body[key])
            if "expired" in body:
                mall.expired = bool(body["expired"])
                if mall.expired:
                    mall.keys.clear()
            return {"expired": mall.expired, "user_id": mall.credentials["user_id"], "keys": len(mall.keys)}

    return [
        Route(f"{PREFIX}/catalogue", _guard(catalogue), methods=["GET", "PUT"]),
        Route(f"{PREFIX}/settings", _guard(settings), methods=["PUT"]),
        Route(f"{PREFIX}/orders", _guard(orders), methods=["GET", "POST"]),
        Route(f"{PREFIX}/orders/{{number}}", _guard(action("snapshot")), methods=["GET"]),
        Route(f"{PREFIX}/orders/{{number}}/pay", _guard(action("pay")), methods=["POST"]),
        Route(f"{PREFIX}/orders/{{number}}/cancel", _guard(action("cancel")), methods=["POST"]),
        Route(f"{PREFIX}/orders/{{number}}/change", _guard(action("change")), methods=["POST"]),
        Route(f"{PREFIX}/summary", _guard(summary_view), methods=["GET"]),
        Route(f"{PREFIX}/stock", _guard(stock), methods=["PUT"]),
        Route(f"{PREFIX}/calls", _guard(calls), methods=["GET"]),
        Route(f"{PREFIX}/credentials", _guard(credentials), methods=["POST"]),
    ]
