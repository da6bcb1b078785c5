"""The MakeShop part of the control API (``/_sandbox/makeshop/...``): the common control contract."""

from __future__ import annotations

from collections import Counter
from typing import Any
from xml.etree import ElementTree as ET

from starlette.requests import Request
from starlette.routing import Route

from juchu_sandbox.control_contract import (
    BodyRules,
    ControlError,
    MallContract,
    contract_routes,
    endpoint,
    require_object,
)
from juchu_sandbox.makeshop import common as c
from juchu_sandbox.makeshop.generator import recompute_totals
from juchu_sandbox.makeshop.render import order_element
from juchu_sandbox.makeshop.store import Mall

ADDRESS_FIELDS = ("name", "kana", "tel", "zip", "pref", "address1", "address2")


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


class MakeShopContract(MallContract[Mall]):
    """The contract on the MakeShop store: orders by ``ordernum``, stock by ``brand_code[:option_code]``."""

    prefix = "/_sandbox/makeshop"
    rules = BodyRules(value_error_is_400=True)

    def catalogue(self) -> list[dict[str, Any]]:
        with self.mall.lock:
            return [
                {
                    "itemId": r["itemId"],
                    "variantId": r["optionCode"] or r["itemId"],
                    "name": r["name"],
                    "price": r["price"],
                }
                for r in self.mall.catalogue
            ]

    def set_catalogue(self, body: Any) -> list[dict[str, Any]]:
        if not isinstance(body, list) or not body:
            raise ControlError(400, "the catalogue is a non-empty list of rows")
        self.mall.set_catalogue(body)
        return self.catalogue()

    def settings(self) -> dict[str, Any]:
        mall = self.mall
        with mall.lock:
            return {"rateLimits": mall.rate_limits, "ratePerSecond": mall.rate_per_second, "rateBurst": mall.rate_burst}

    def update_settings(self, body: Any) -> dict[str, Any]:
        body = require_object(body, "settings is a JSON object")
        with self.mall.lock:
            if "rateLimits" in body:
                self.mall.rate_limits = bool(body["rateLimits"])
            for key, attr in (("ratePerSecond", "rate_per_second"), ("rateBurst", "rate_burst")):
                if key in body:
                    value = body[key]
                    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                        raise ControlError(400, f"{key} is a positive number")
                    setattr(self.mall, attr, float(value))
        return self.settings()

    def set_credentials(self, body: Any) -> dict[str, Any]:
        body = require_object(body, "credentials is a JSON object")
        mall = self.mall
        with mall.lock:
            if "expired" in body:
                mall.expired = bool(body["expired"])
            for key, api in (("orderToken", "order"), ("productToken", "product")):
                if key in body:
                    mall.tokens[api] = str(body[key])
            if "shopId" in body:
                mall.shop_id = str(body["shopId"])
            return {"shopId": mall.shop_id, "expired": mall.expired}

    def create_orders(self, body: Any) -> list[str]:
        count = body.get("count", 1) if isinstance(body, dict) else None
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10_000:
            raise ControlError(400, "count is an integer from 1 to 10000")
        seed = body.get("seed", 1)
        order = body.get("order")
        if order is not None and not isinstance(order, dict):
            raise ControlError(400, "order is an object of raw order fields")
        return self.mall.create_orders(count, int(seed), body.get("paymentMix"), order)

    def order_numbers(self, state: str) -> list[str]:
        with self.mall.lock:
            return [
                n
                for n, o in self.mall.orders.items()
                if state == "all" or (not o["paid"] and not o["canceled"] and o["pay_method"] != c.COD)
            ]

    def snapshot(self, number: str) -> dict[str, Any]:
        return snapshot(self.mall, number)

    def pay(self, number: str) -> dict[str, Any]:
        return pay(self.mall, number)

    def cancel(self, number: str) -> dict[str, Any]:
        return cancel(self.mall, number)

    def change(self, number: str, body: Any) -> dict[str, Any]:
        return change(self.mall, number, require_object(body, "change is a JSON object"))

    def summary(self) -> dict[str, Any]:
        return summary(self.mall)

    def set_stock(self, body: Any) -> dict[str, Any]:
        try:
            self.mall.set_stock_by_hand(body)
        except KeyError as exc:
            raise ControlError(404, f"no product or option {exc.args[0]}") from None
        stock: dict[str, Any] = summary(self.mall)["stock"]
        return stock


def control_routes(mall: Mall) -> list[Route]:
    """``/_sandbox/makeshop/...``: catalogue, settings, orders, pay/cancel/change, snapshot, summary, calls."""
    contract = MakeShopContract(mall)

    async def no_action(request: Request) -> Any:
        raise ControlError(404, f"no action {request.path_params['action']}")

    return [
        *contract_routes(contract),
        Route(f"{contract.prefix}/orders/{{number}}/{{action}}", endpoint(no_action, contract.rules), methods=["POST"]),
    ]
