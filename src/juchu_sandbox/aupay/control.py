"""``/_sandbox/aupay/…``: the common control contract (docs/sandbox.md) for the au PAY emulator."""

from __future__ import annotations

import copy
from typing import Any

from starlette.routing import Route

from juchu_sandbox.aupay.store import OPEN, SETTLED, UNPAID, Mall
from juchu_sandbox.control_contract import BodyRules, ControlError, MallContract, contract_routes


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


class AuPayContract(MallContract[Mall]):
    """The contract on the au PAY store: orders by orderId, stock by ``itemCode[:itemManagementId]``.

    Every route reads the body (a bad one is a 400 anywhere); no body reads as ``None``, which settings,
    credentials, orders and change take as ``{}``.
    """

    prefix = "/_sandbox/aupay"
    rules = BodyRules(not_json="the body is not JSON", blank_is_empty=False, empty_is_none=True, read_every_body=True)

    def set_catalogue(self, body: Any) -> list[dict[str, Any]]:
        return self.mall.set_catalogue(body)

    def update_settings(self, body: Any) -> dict[str, Any]:
        return self.mall.set_settings(body or {})

    def set_credentials(self, body: Any) -> dict[str, Any]:
        return self.mall.set_credentials(body or {})

    def create_orders(self, body: Any) -> list[str]:
        wanted = body if isinstance(body, dict) else {}
        count, seed = wanted.get("count", 1), wanted.get("seed")
        return self.mall.create_orders(count, seed, wanted.get("paymentMix"), wanted.get("order"))

    def order_numbers(self, state: str) -> list[str]:
        with self.mall.lock:
            return [
                n
                for n, o in self.mall.orders.items()
                if state == "all" or (o["paymentStatus"] in UNPAID and o["orderStatus"] != "キャンセル")
            ]

    def snapshot(self, number: str) -> dict[str, Any]:
        return snapshot(self.mall, number)

    def pay(self, number: str) -> dict[str, Any]:
        return pay(self.mall, number)

    def cancel(self, number: str) -> dict[str, Any]:
        return buyer_cancel(self.mall, number)

    def change(self, number: str, body: Any) -> dict[str, Any]:
        return change(self.mall, number, body or {})

    def summary(self) -> dict[str, Any]:
        return summary(self.mall)

    def set_stock(self, body: Any) -> dict[str, Any]:
        """Quantities changed by hand at the mall; the stock as the summary shows it."""
        self.mall.set_stock(body)
        stock: dict[str, Any] = summary(self.mall)["stock"]
        return stock


def control_routes(mall: Mall) -> list[Route]:
    """The control API of the au PAY emulator."""
    return contract_routes(AuPayContract(mall))
