"""The Amazon part of the control API (``/_sandbox/amazon/...``), following the common control contract."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from juchu_sandbox.amazon.store import Mall
from juchu_sandbox.control_contract import MallContract, contract_routes, require_object


class AmazonContract(MallContract[Mall]):
    """The contract on the Amazon store: orders by AmazonOrderId, stock by SellerSKU."""

    prefix = "/_sandbox/amazon"

    def catalogue(self) -> list[dict[str, Any]]:
        with self.mall.lock:
            return list(self.mall.catalogue)

    def set_catalogue(self, body: Any) -> list[dict[str, Any]]:
        return self.mall.set_catalogue(body)

    def settings(self) -> dict[str, Any]:
        with self.mall.lock:
            return dict(self.mall.settings)

    def update_settings(self, body: Any) -> dict[str, Any]:
        return self.mall.update_settings(body)

    def set_credentials(self, body: Any) -> dict[str, Any]:
        return self.mall.set_credentials(require_object(body, "expected {expired: true|false}"))

    def create_orders(self, body: Any) -> list[str]:
        return self.mall.create_orders(require_object(body, "expected {count, seed, paymentMix, order}"))

    def order_numbers(self, state: str) -> list[str]:
        return self.mall.numbers(state)

    def snapshot(self, number: str) -> dict[str, Any]:
        return self.mall.snapshot(number)

    def pay(self, number: str) -> dict[str, Any]:
        return self.mall.pay(number)

    def cancel(self, number: str) -> dict[str, Any]:
        return self.mall.cancel(number)

    def change(self, number: str, body: Any) -> dict[str, Any]:
        return self.mall.change(number, require_object(body, "expected {buyerRequestedCancel: true}"))

    def summary(self) -> dict[str, Any]:
        return self.mall.summary()

    def set_stock(self, body: Any) -> dict[str, Any]:
        stock: dict[str, Any] = self.mall.set_stock(body)["stock"]
        return stock


def control_routes(mall: Mall) -> list[Route]:
    """The control routes of ``mall``."""
    return contract_routes(AmazonContract(mall))
