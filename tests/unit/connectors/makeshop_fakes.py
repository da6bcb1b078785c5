"""MakeShop test doubles: a recorded-payload MakeShop behind httpx.MockTransport and a clock that never sleeps."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree as ET

import httpx

from juchu.connectors.malls.makeshop import MakeShopConnector

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "makeshop"
SETTINGS = {
    "base_url": "https://makeshop.test",
    "shop_code": "s1",
    "shop_id": "teashop",
    "order_token": "ORDER-TOKEN",
    "product_token": "PRODUCT-TOKEN",
}
XML = {"content-type": "text/xml; charset=UTF-8"}


def load(name: str) -> bytes:
    """A recorded payload from tests/fixtures/makeshop."""
    return (FIXTURES / name).read_bytes()


def xml_response(name_or_body: str | bytes, status: int = 200) -> httpx.Response:
    """A response with a fixture file (by name) or the given XML bytes."""
    body = load(name_or_body) if isinstance(name_or_body, str) else name_or_body
    return httpx.Response(status, content=body, headers=XML)


def recorded_orders(name: str = "get_orders.xml") -> list[ET.Element]:
    """The ``<order>`` nodes of a recorded ``cmd=get`` answer."""
    return ET.fromstring(load(name)).findall("order")


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


Handler = Callable[[dict[str, str], bytes], httpx.Response]


class FakeMakeShop:
    """Serves ``cmd=get`` from stored orders (paged), applies ``cmd=status`` overwrites, records every request.

    ``routes[cmd]`` replaces the built-in answer of one command (a list of handlers is used one per call).
    """

    def __init__(self, orders: list[ET.Element] | None = None) -> None:
        self.orders: dict[str, ET.Element] = {
            o.findtext("ordernum") or "": copy.deepcopy(o)
            for o in (orders if orders is not None else recorded_orders())
        }
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.routes: dict[str, Handler | list[Handler]] = {}
        self.unknown_products: set[str] = set()

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def connector(self, **settings: str) -> MakeShopConnector:
        return MakeShopConnector({**SETTINGS, **settings}, transport=self.transport(), clock=FakeClock())

    def calls(self, cmd: str) -> list[dict[str, str]]:
        """The query parameters of every request of ``cmd``."""
        return [params for c, params, _ in self.requests if c == cmd]

    def handle(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        cmd = params.get("cmd", "")
        self.requests.append((cmd, params, request.content))
        route = self.routes.get(cmd)
        if isinstance(route, list):
            route = route.pop(0) if route else None
        if route is not None:
            return route(params, request.content)
        if request.url.path == "/api/productinfo/index.html":
            return self._stock(request.content)
        return {"get": self._get, "status": self._status, "cancel": self._cancel}[cmd](params)

    def _get(self, params: dict[str, str]) -> httpx.Response:
        if params.get("ordernum"):
            found = [self.orders[n] for n in params["ordernum"].split(",") if n in self.orders]
        else:
            found = sorted(self.orders.values(), key=lambda o: (o.findtext("modify_date"), o.findtext("ordernum")))
        page, limit = int(params.get("page", "1")), int(params.get("limit", "100"))
        root = ET.Element("orderinfo")
        for tag, value in (("result", "OK"), ("total", len(found)), ("page", page), ("limit", limit)):
            ET.SubElement(root, tag).text = str(value)
        root.extend(copy.deepcopy(found[(page - 1) * limit : page * limit]))
        return xml_response(ET.tostring(root, encoding="UTF-8"))

    def _status(self, params: dict[str, str]) -> httpx.Response:
        order = self.orders[params["ordernum"]]
        delivery = next(d for d in order.iter("delivery") if d.findtext("deliveryid") == params["deliveryid"])
        delivery.find("status").text = params["status"]  # type: ignore[union-attr]
        if "slipno" in params:
            slips = delivery.find("slips")
            assert slips is not None
            slips.clear()
            for slip in params["slipno"].split(","):
                ET.SubElement(slips, "slipno").text = slip
        return xml_response("status_ok.xml")

    def _cancel(self, params: dict[str, str]) -> httpx.Response:
        order = self.orders[params["ordernum"]]
        if order.findtext("canceled") == "1":
            return xml_response("error_already_cancelled.xml")
        order.find("canceled").text = "1"  # type: ignore[union-attr]
        return xml_response("cancel_ok.xml")

    def _stock(self, body: bytes) -> httpx.Response:
        root = ET.Element("productinfo")
        ET.SubElement(root, "result").text = "OK"
        for item in ET.fromstring(body).findall("item"):
            answer = ET.SubElement(root, "item")
            code = item.findtext("brand_code") or ""
            ok = code not in self.unknown_products
            for tag, value in (
                ("brand_code", code),
                ("option_code", item.findtext("option_code") or ""),
                ("result", "OK" if ok else "NG"),
                ("code", "" if ok else "E101"),
                ("message", "" if ok else f"商品 {code} は存在しません"),
            ):
                ET.SubElement(answer, tag).text = value
        return xml_response(ET.tostring(root, encoding="UTF-8"))
