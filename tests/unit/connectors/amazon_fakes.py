"""Amazon test doubles: a recorded-payload SP-API + LWA behind httpx.MockTransport, and a clock that never sleeps."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx

from juchu.connectors.malls.amazon import AmazonConnector
from juchu.connectors.malls.amazon.client import forget_tokens
from juchu.connectors.malls.amazon.connector import forget_details

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "amazon"
SETTINGS = {
    "base_url": "https://sp.test",
    "lwa_url": "https://lwa.test/auth/o2/token",
    "shop_code": "s1",
    "client_id": "amzn1.application-oa2-client.test",
    "client_secret": "secret",
    "refresh_token": "Atzr|test",
    "seller_id": "A2SELLER",
}
ORDERS = "/orders/v0/orders"


def load(name: str) -> Any:
    """A recorded JSON payload from tests/fixtures/amazon."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def raw_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def listed_orders() -> dict[str, dict[str, Any]]:
    """The orders of both recorded getOrders pages, by id."""
    found = {}
    for page in ("getorders_page1.json", "getorders_page2.json"):
        for order in load(page)["payload"]["Orders"]:
            found[order["AmazonOrderId"]] = order
    return found


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


Handler = Callable[[httpx.Request], httpx.Response | None]


class FakeSpApi:
    """LWA and SP-API from recorded payloads; every order gets the recorded items, address and buyer info.

    ``override`` maps ``(method, path)`` to a handler whose non-None answer wins (for faults); every request is
    kept in ``requests``; confirmShipment stores packages per ``packageReferenceId`` like Amazon does.
    """

    def __init__(self) -> None:
        self.orders = listed_orders()
        self.pages = [load("getorders_page1.json"), load("getorders_page2.json")]
        self.items: dict[str, list[dict[str, Any]]] = {}
        self.addresses: dict[str, dict[str, Any]] = {}
        self.packages: dict[str, dict[str, dict[str, Any]]] = {}
        self.fba = load("fba_summaries.json")
        self.requests: list[httpx.Request] = []
        self.override: dict[tuple[str, str], Handler] = {}
        self.tokens_issued = 0
        self.valid_tokens: set[str] = set()

    def items_of(self, number: str) -> list[dict[str, Any]]:
        if number not in self.items:
            self.items[number] = copy.deepcopy(load("orderitems.json")["payload"]["OrderItems"])
        return self.items[number]

    def calls(self, path_part: str, method: str = "") -> list[httpx.Request]:
        return [r for r in self.requests if path_part in r.url.path and (not method or r.method == method)]

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = unquote(request.url.path)
        special = self.override.get((request.method, path))
        if special is not None:
            answer = special(request)
            if answer is not None:
                return answer
        if request.url.host == "lwa.test":
            form = dict(parse_qsl(request.content.decode()))
            assert form["grant_type"] == "refresh_token" and form["refresh_token"] == SETTINGS["refresh_token"]
            self.tokens_issued += 1
            body = load("lwa_token.json") | {"access_token": f"Atza|token-{self.tokens_issued}"}
            self.valid_tokens.add(body["access_token"])
            return httpx.Response(200, json=body)
        if request.headers.get("x-amz-access-token") not in self.valid_tokens:
            return httpx.Response(403, json=load("error_unauthorized.json"))
        return self._route(request, path)

    def _route(self, request: httpx.Request, path: str) -> httpx.Response:
        params = dict(request.url.params)
        if path == ORDERS:
            page = self.pages[1] if params.get("NextToken") else self.pages[0]
            return httpx.Response(200, json=page)
        if path.startswith(ORDERS + "/"):
            number, _, rest = path[len(ORDERS) + 1 :].partition("/")
            if number not in self.orders:
                return httpx.Response(404, json=load("error_not_found.json"))
            if rest == "":
                return httpx.Response(200, json={"payload": self.orders[number]})
            if rest == "orderItems":
                return httpx.Response(
                    200, json={"payload": {"AmazonOrderId": number, "OrderItems": self.items_of(number)}}
                )
            if rest == "address":
                address = self.addresses.get(number, load("address.json")["payload"]["ShippingAddress"])
                return httpx.Response(200, json={"payload": {"AmazonOrderId": number, "ShippingAddress": address}})
            if rest == "buyerInfo":
                return httpx.Response(200, json=load("buyerinfo.json") | {"AmazonOrderId": number})
            if rest == "shipmentConfirmation":
                body = json.loads(request.content)
                package = body["packageDetail"]
                self.packages.setdefault(number, {})[package["packageReferenceId"]] = package
                self.orders[number]["OrderStatus"] = "Shipped"
                return httpx.Response(204)
        if path == "/fba/inventory/v1/summaries":
            return httpx.Response(200, json=self.fba)
        if path.startswith("/listings/2021-08-01/items/"):
            sku = path.rsplit("/", 1)[1]
            return httpx.Response(200, json=load("listings_accepted.json") | {"sku": sku})
        return httpx.Response(404, json=load("error_not_found.json"))

    def connector(self, **settings: str) -> tuple[AmazonConnector, FakeClock]:
        """A connector on this fake with a fresh token and order cache and a fake clock."""
        forget_tokens()
        forget_details()
        clock = FakeClock()
        return AmazonConnector(
            {**SETTINGS, **settings}, transport=httpx.MockTransport(self.handler), clock=clock
        ), clock


def status(code: int, name: str = "", content: bytes | None = None) -> Handler:
    """A handler answering ``code`` with a recorded body (JSON fixture ``name`` or raw ``content``)."""

    def answer(_request: httpx.Request) -> httpx.Response:
        if content is not None:
            return httpx.Response(code, content=content)
        return httpx.Response(code, json=load(name)) if name else httpx.Response(code)

    return answer
