"""Rakuten test doubles: a recorded-payload RMS behind httpx.MockTransport and a clock that never sleeps."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from juchu.connectors.malls.rakuten import RakutenConnector

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rakuten"
SETTINGS = {
    "base_url": "https://rms.test",
    "shop_code": "s1",
    "serviceSecret": "SP999_secret",
    "licenseKey": "SL999_key",
}


def load(name: str) -> Any:
    """A recorded payload from tests/fixtures/rakuten."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def order_fixture(name: str) -> dict[str, Any]:
    """The single OrderModel of a getOrder fixture."""
    return load(name)["OrderModelList"][0]


class FakeClock:
    """Monotonic time that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


Handler = Callable[[dict[str, Any]], httpx.Response]


class FakeRms:
    """Serves getOrder from stored orders, applies shipping updates, records every request."""

    def __init__(self) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.routes: dict[str, Handler] = {}
        self.async_ready_after = 1  # polls before an async result is there
        self._async: dict[str, list[dict[str, Any]]] = {}
        self._polls: dict[str, int] = {}
        self._detail_ids = 88000500

    def add(self, *orders: dict[str, Any]) -> None:
        for order in orders:
            self.orders[order["orderNumber"]] = copy.deepcopy(order)

    def bodies(self, endpoint: str) -> list[dict[str, Any]]:
        return [body for path, body in self.requests if path.endswith(endpoint)]

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else {}
        path = request.url.path
        self.requests.append((path, body))
        name = path.rstrip("/").rsplit("/", 1)[-1]
        if name in self.routes:
            return self.routes[name](body)
        if name == "getOrder":
            return self._get_order(body)
        if name == "updateOrderShipping":
            return httpx.Response(200, json={"MessageModelList": self._ship(body)})
        if name == "updateOrderShippingAsync":
            request_id = f"req-{len(self._async) + 1}"
            self._async[request_id] = [
                {"orderNumber": o["orderNumber"], "MessageModelList": self._ship(o)}
                for o in body["OrderShippingModelList"]
            ]
            return httpx.Response(200, json={**load("shipping_async_accepted.json"), "requestId": request_id})
        if name == "getResultUpdateOrderShippingAsync":
            request_id = body["requestId"]
            self._polls[request_id] = self._polls.get(request_id, 0) + 1
            ready = self._polls[request_id] >= self.async_ready_after
            return httpx.Response(200, json={"ResultShippingModelList": self._async[request_id] if ready else []})
        if name == "confirmOrder":
            return httpx.Response(200, json=load("confirm_ok.json"))
        if name == "cancelOrder":
            return httpx.Response(200, json=load("cancel_ok.json"))
        if name == "bulk-upsert":
            return httpx.Response(204)
        return httpx.Response(404, json={"MessageModelList": [{"messageType": "ERROR", "messageCode": "NOT_ROUTED"}]})

    def _get_order(self, body: dict[str, Any]) -> httpx.Response:
        found = [copy.deepcopy(self.orders[n]) for n in body["orderNumberList"] if n in self.orders]
        messages = [
            {
                "messageType": "INFO",
                "messageCode": "ORDER_EXT_API_GET_ORDER_INFO_101",
                "message": f"受注情報取得に成功しました。(取得件数{len(found)}件)",
            }
        ]
        messages += [
            {
                "messageType": "INFO",
                "messageCode": "ORDER_EXT_API_GET_ORDER_INFO_102",
                "message": "受注情報が取得できませんでした。",
                "orderNumber": n,
            }
            for n in body["orderNumberList"]
            if n not in self.orders
        ]
        return httpx.Response(200, json={"MessageModelList": messages, "OrderModelList": found, "version": 9})

    def _ship(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        order = self.orders[body["orderNumber"]]
        packages = {p["basketId"]: p for p in order["PackageModelList"]}
        messages = []
        for i, basket in enumerate(body["BasketidModelList"], 1):
            for model in basket["ShippingModelList"]:
                self._detail_ids += 1
                packages[basket["basketId"]]["ShippingModelList"].append(
                    {**model, "shippingDetailId": self._detail_ids, "deliveryCompanyName": ""}
                )
                messages.append(
                    {
                        "messageType": "INFO",
                        "messageCode": "ORDER_EXT_API_UPDATE_ORDERSHIPPING_INFO_101",
                        "message": "発送情報の追加設定が完了しました。",
                        "dataNumber": i,
                        "shippingDetailId": self._detail_ids,
                    }
                )
        return messages


def make_connector(rms: FakeRms | None = None, **settings: str) -> tuple[FakeRms, FakeClock, RakutenConnector]:
    """A connector talking to a fake RMS with a fake clock (settings override SETTINGS)."""
    rms = rms or FakeRms()
    clock = FakeClock()
    connector = RakutenConnector(SETTINGS | settings, transport=httpx.MockTransport(rms.handle), clock=clock)
    return rms, clock, connector


def answering(*responses: httpx.Response | Exception) -> Callable[[dict[str, Any]], httpx.Response]:
    """A route handler giving these responses in turn (the last one again when they run out)."""
    queue = list(responses)

    def handler(body: dict[str, Any]) -> httpx.Response:
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return item

    return handler
