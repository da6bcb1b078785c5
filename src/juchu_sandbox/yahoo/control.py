"""``/_sandbox/yahoo/…``: the common control contract (docs/sandbox.md, "Other malls") for the Yahoo store."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from juchu_sandbox.control_contract import BodyRules, ControlError, MallContract, contract_routes, require_object
from juchu_sandbox.yahoo.orders import MAX_QUANTITY
from juchu_sandbox.yahoo.store import YahooMall

NOT_AN_OBJECT = "the body is a JSON object"


class YahooContract(MallContract[YahooMall]):
    """The contract on the Yahoo store: orders by OrderId, stock by ``item[:subcode]``."""

    prefix = "/_sandbox/yahoo"
    rules = BodyRules(not_json="the body is not JSON", blank_is_empty=False)

    def set_catalogue(self, body: Any) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.mall.set_catalogue(body)["catalogue"]
        return rows

    def settings(self) -> dict[str, Any]:
        return self.mall.settings()

    def update_settings(self, body: Any) -> dict[str, Any]:
        return self.mall.set_settings(require_object(body, NOT_AN_OBJECT))

    def set_credentials(self, body: Any) -> dict[str, Any]:
        return self.mall.set_credentials(require_object(body, NOT_AN_OBJECT))

    def create_orders(self, body: Any) -> list[str]:
        numbers: list[str] = self.mall.create_orders(require_object(body, NOT_AN_OBJECT))["orderNumbers"]
        return numbers

    def order_numbers(self, state: str) -> list[str]:
        numbers: list[str] = self.mall.list_numbers(state)["orderNumbers"]
        return numbers

    def snapshot(self, number: str) -> dict[str, Any]:
        return self.mall.snapshot(number)

    def pay(self, number: str) -> dict[str, Any]:
        return self.mall.pay(number)

    def cancel(self, number: str) -> dict[str, Any]:
        return self.mall.buyer_cancel(number)

    def change(self, number: str, body: Any) -> dict[str, Any]:
        return self.mall.change(number, require_object(body, NOT_AN_OBJECT))

    def summary(self) -> dict[str, Any]:
        return self.mall.summary()

    def set_stock(self, body: Any) -> dict[str, Any]:
        """The store changes quantities by hand: ``{"item[:subcode]": n}``, all or nothing; not a stock write."""
        body = require_object(body, NOT_AN_OBJECT)
        if not body:
            raise ControlError(400, "expected {item or item:subcode: quantity, …}")
        for key, quantity in body.items():
            if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 <= quantity <= MAX_QUANTITY:
                raise ControlError(400, f"{key}: the quantity is an integer from 0 to {MAX_QUANTITY}")
        with self.mall.lock:
            unknown = [key for key in body if key not in self.mall.stock]
            if unknown:
                raise ControlError(404, f"no item {', '.join(unknown)}")
            self.mall.stock.update(body)
            return dict(self.mall.stock)


def control_routes(mall: YahooMall) -> list[Route]:
    """Catalogue, settings, orders (create, list, pay, cancel, change, snapshot), summary, stock, calls, credentials."""
    return contract_routes(YahooContract(mall))
