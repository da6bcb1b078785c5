"""``/_sandbox/qoo10/...``: the common control contract (docs/sandbox.md) for the Qoo10 emulator.

Order numbers here are cart numbers (``packNo``), as Juchu knows its Qoo10 orders.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from juchu_sandbox.control_contract import BodyRules, ControlError, MallContract, contract_routes, require_object
from juchu_sandbox.qoo10.generator import create_carts
from juchu_sandbox.qoo10.methods import cancel_line, get_by_order_no
from juchu_sandbox.qoo10.store import CANCELLED_CLAIMS, STATUS_LABELS, Mall


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


class Qoo10Contract(MallContract[Mall]):
    """The contract on the Qoo10 store: orders by cart (``packNo``), stock by ``sellerItemCode[:optionCode]``."""

    prefix = "/_sandbox/qoo10"
    rules = BodyRules(value_error_is_400=True)
    created_status = 201

    def catalogue(self) -> list[dict[str, Any]]:
        return self.mall.catalogue()

    def set_catalogue(self, body: Any) -> list[dict[str, Any]]:
        return self.mall.set_catalogue(body)

    def update_settings(self, body: Any) -> dict[str, Any]:
        body = require_object(body, "expected an object of settings")
        mall = self.mall
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

    def set_credentials(self, body: Any) -> dict[str, Any]:
        body = require_object(body, "expected {expired, api_key, user_id, password}")
        mall = self.mall
        with mall.lock:
            for key in ("api_key", "user_id", "password"):
                if key in body:
                    mall.credentials[key] = str(body[key])
            if "expired" in body:
                mall.expired = bool(body["expired"])
                if mall.expired:
                    mall.keys.clear()
            return {"expired": mall.expired, "user_id": mall.credentials["user_id"], "keys": len(mall.keys)}

    def create_orders(self, body: Any) -> list[str]:
        body = require_object(body, "expected {count, seed, paymentMix, order}")
        overrides = body.get("order")
        if overrides is not None and not isinstance(overrides, dict):
            raise ControlError(400, "order is an object of row fields applied to every line of one cart")
        count = 1 if overrides is not None and "count" not in body else body.get("count", 1)
        packs = create_carts(self.mall, count, body.get("seed"), body.get("paymentMix"), overrides)
        return [str(p) for p in packs]

    def order_numbers(self, state: str) -> list[str]:
        mall = self.mall
        with mall.lock:
            return [
                str(pack)
                for pack, nos in mall.packs.items()
                if state == "all"
                or any(mall.lines[n]["status"] == 1 and mall.lines[n]["claim"] not in CANCELLED_CLAIMS for n in nos)
            ]

    def snapshot(self, number: str) -> dict[str, Any]:
        return snapshot(self.mall, number)

    def pay(self, number: str) -> dict[str, Any]:
        return pay(self.mall, number)

    def cancel(self, number: str) -> dict[str, Any]:
        return buyer_cancel(self.mall, number)

    def change(self, number: str, body: Any) -> dict[str, Any]:
        return change(self.mall, number, require_object(body, "expected {} or {orderNo}"))

    def summary(self) -> dict[str, Any]:
        return summary(self.mall)

    def set_stock(self, body: Any) -> dict[str, Any]:
        try:
            return self.mall.set_stock(body)
        except KeyError as exc:
            raise ControlError(404, f"no item or option {exc.args[0]}") from None


def control_routes(mall: Mall) -> list[Route]:
    """The contract's routes under ``/_sandbox/qoo10``."""
    return contract_routes(Qoo10Contract(mall))
