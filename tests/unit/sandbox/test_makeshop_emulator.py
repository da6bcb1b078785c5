"""The MakeShop emulator over HTTP: auth, cmd=get modes and paging, status/cancel, stock, rate limit, control."""

from __future__ import annotations

from datetime import datetime, timedelta
from xml.etree import ElementTree as ET

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.testclient import TestClient

from juchu_sandbox import faults, makeshop
from juchu_sandbox.makeshop.common import JST

ORDERS = "/api/orderinfo/index.html"
PRODUCTS = "/api/productinfo/index.html"
AUTH = {"shopid": "sandbox-shop", "token": "sandbox-order-token"}
PRODUCT_AUTH = {"cmd": "stock", "shopid": "sandbox-shop", "token": "sandbox-product-token"}
CATALOGUE = [
    {"itemId": "tea-01", "variantId": "tea-01-100g", "name": "煎茶 100g", "price": 1080},
    {"itemId": "tea-03", "variantId": "tea-03", "name": "抹茶", "price": 1620},
]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 15, 12, 0, 0, tzinfo=JST)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def world() -> tuple[TestClient, makeshop.Mall, Clock]:
    clock = Clock()
    mall = makeshop.Mall(seed=1, clock=clock)
    plan = faults.FaultPlan(seed=1)
    routes = [*faults.control_routes(plan), *makeshop.control_routes(mall), *makeshop.routes(mall)]
    app = Starlette(routes=routes, middleware=[Middleware(faults.FaultMiddleware, plan=plan)])
    client = TestClient(app)
    client.put("/_sandbox/makeshop/catalogue", json=CATALOGUE).raise_for_status()
    return client, mall, clock


def _get(client: TestClient, **params: str) -> ET.Element:
    answer = client.get(ORDERS, params={"cmd": "get", **AUTH, **params})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/xml")
    return ET.fromstring(answer.content)


def _create(client: TestClient, count: int = 1, **body: object) -> list[str]:
    answer = client.post("/_sandbox/makeshop/orders", json={"count": count, "seed": 5, **body})
    answer.raise_for_status()
    return answer.json()["orderNumbers"]


def _error(root: ET.Element) -> tuple[str, str]:
    assert root.tag == "error"
    return root.findtext("code") or "", root.findtext("message") or ""


# ---- auth --------------------------------------------------------------------------------------------


def test_a_wrong_token_or_shop_id_is_answered_e001_with_http_200(world) -> None:
    client, _mall, _clock = world

    wrong_token = _get(client, token="nope")
    wrong_shop = _get(client, shopid="other")

    assert _error(wrong_token)[0] == _error(wrong_shop)[0] == "E001"


def test_each_api_takes_only_its_own_auth_code(world) -> None:
    client, _mall, _clock = world
    body = b"<stockupdate><item><brand_code>tea-03</brand_code><option_code /><stock>1</stock></item></stockupdate>"

    with_order_token = client.post(PRODUCTS, params={**PRODUCT_AUTH, "token": "sandbox-order-token"}, content=body)
    with_product_token = _get(client, token="sandbox-product-token")

    assert _error(ET.fromstring(with_order_token.content))[0] == "E001"
    assert _error(with_product_token)[0] == "E001"


def test_expired_credentials_are_refused_until_restored(world) -> None:
    client, _mall, _clock = world

    client.post("/_sandbox/makeshop/credentials", json={"expired": True}).raise_for_status()
    refused = _get(client, ordernum="1")
    client.post("/_sandbox/makeshop/credentials", json={"expired": False}).raise_for_status()

    assert _error(refused)[0] == "E001"
    assert _get(client, ordernum="1").findtext("result") == "OK"


# ---- cmd=get -----------------------------------------------------------------------------------------


def test_period_query_pages_by_limit_in_date_order(world) -> None:
    client, _mall, _clock = world
    numbers = _create(client, 5)

    first = _get(client, start="20260315000000", end="20260315235959", limit="2", page="1")
    last = _get(client, start="20260315000000", end="20260315235959", limit="2", page="3")

    assert (first.findtext("total"), first.findtext("count"), last.findtext("count")) == ("5", "2", "1")
    assert [o.findtext("ordernum") for o in first.findall("order")] == numbers[:2]
    assert [o.findtext("ordernum") for o in last.findall("order")] == numbers[4:]


def test_modify_date_query_finds_an_old_order_changed_later_and_canceled_filters(world) -> None:
    client, _mall, clock = world
    [number] = _create(client)
    clock.now += timedelta(days=2)
    client.post(f"/_sandbox/makeshop/orders/{number}/cancel").raise_for_status()

    by_order_date = _get(client, start="20260317000000", end="20260317235959")
    by_modify_date = _get(client, datetype="modify", start="20260317000000", end="20260317235959")
    not_cancelled = _get(client, datetype="modify", start="20260317000000", canceled="0")

    assert by_order_date.findtext("total") == "0"
    [order] = by_modify_date.findall("order")
    assert (order.findtext("ordernum"), order.findtext("canceled")) == (number, "1")
    assert order.findtext("cancel_date") == "2026-03-17 12:00:00"
    assert not_cancelled.findtext("total") == "0"


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-03-15"},
        {"end": "20260315000000"},
        {"start": "20260101000000", "end": "20260315000000"},
        {"start": "20260316000000", "end": "20260315000000"},
        {"limit": "500"},
        {"datetype": "ship"},
    ],
)
def test_bad_period_or_paging_parameters_are_e002(world, params: dict[str, str]) -> None:
    client, _mall, _clock = world

    assert _error(_get(client, **params))[0] == "E002"


def test_since_last_fetch_mode_hands_each_order_out_once_per_token(world) -> None:
    client, _mall, clock = world
    first_numbers = _create(client, 2)

    first = _get(client)
    clock.now += timedelta(minutes=1)
    second_numbers = _create(client, 1)
    second = _get(client)
    third = _get(client)

    assert [o.findtext("ordernum") for o in first.findall("order")] == first_numbers
    assert [o.findtext("ordernum") for o in second.findall("order")] == second_numbers
    assert third.findtext("total") == "0"


def test_by_order_number_returns_the_known_ones_and_refuses_more_than_50(world) -> None:
    client, _mall, _clock = world
    numbers = _create(client, 2)

    found = _get(client, ordernum=f"{numbers[1]},unknown,{numbers[0]}")
    too_many = _get(client, ordernum=",".join(str(i) for i in range(51)))

    assert [o.findtext("ordernum") for o in found.findall("order")] == [numbers[1], numbers[0]]
    assert _error(too_many)[0] == "E010"


# ---- cmd=status / cmd=cancel -------------------------------------------------------------------------


def _status(client: TestClient, number: str, **params: str) -> ET.Element:
    query = {"cmd": "status", **AUTH, "ordernum": number, "deliveryid": "1", "status": "2", **params}
    return ET.fromstring(client.get(ORDERS, params=query).content)


def test_status_overwrites_carrier_tracking_and_date_so_a_resend_doubles_nothing(world) -> None:
    client, _mall, _clock = world
    [number] = _create(client)

    for _ in range(2):
        answer = _status(client, number, company="3", slipno="111122223333", ship_date="20260316")
        assert answer.findtext("result") == "OK"

    snap = client.get(f"/_sandbox/makeshop/orders/{number}").json()
    assert snap["status"] == "発送済"
    assert snap["shipments"] == [
        {"deliveryId": "1", "carrier": "日本郵便", "trackingNumbers": ["111122223333"], "shipDate": "2026-03-16"}
    ]
    summary = client.get("/_sandbox/makeshop/summary").json()
    assert (summary["shipped"], summary["duplicateTracking"], summary["shipmentWrites"]) == (1, [], 2)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"deliveryid": "2"}, "E006"),
        ({"status": "5"}, "E002"),
        ({"company": "1001"}, "E002"),
        ({"slipno": "12 34"}, "E002"),
        ({"ship_date": "2026-03-16"}, "E002"),
    ],
)
def test_status_checks_its_parameters(world, params: dict[str, str], code: str) -> None:
    client, _mall, _clock = world
    [number] = _create(client)

    assert _error(_status(client, number, **params))[0] == code


def test_status_of_an_unknown_or_cancelled_order_is_refused(world) -> None:
    client, _mall, _clock = world
    [number] = _create(client)
    client.post(f"/_sandbox/makeshop/orders/{number}/cancel").raise_for_status()

    assert _error(_status(client, "unknown"))[0] == "E003"
    assert _error(_status(client, number))[0] == "E004"


def test_cancel_restores_stock_then_is_e005_and_a_shipped_order_is_e004(world) -> None:
    client, mall, _clock = world
    open_order, shipped = _create(client, 2, paymentMix={"card": 1})
    _status(client, shipped, slipno="1")
    before = client.get("/_sandbox/makeshop/summary").json()["stock"]

    first = client.get(ORDERS, params={"cmd": "cancel", **AUTH, "ordernum": open_order})
    again = client.get(ORDERS, params={"cmd": "cancel", **AUTH, "ordernum": open_order})
    refused = client.get(ORDERS, params={"cmd": "cancel", **AUTH, "ordernum": shipped})

    assert ET.fromstring(first.content).findtext("canceled") == "1"
    assert _error(ET.fromstring(again.content))[0] == "E005"
    assert _error(ET.fromstring(refused.content))[0] == "E004"
    after = client.get("/_sandbox/makeshop/summary").json()["stock"]
    returned = sum(int(i["quantity"]) for i in mall.orders[open_order]["deliveries"][0]["items"])
    assert sum(after.values()) - sum(before.values()) == returned


# ---- stock -------------------------------------------------------------------------------------------


def test_stock_update_answers_per_item_and_sets_absolute_quantities(world) -> None:
    client, _mall, _clock = world
    body = (
        b"<stockupdate>"
        b"<item><brand_code>tea-01</brand_code><option_code>tea-01-100g</option_code><stock>95</stock></item>"
        b"<item><brand_code>tea-99</brand_code><option_code /><stock>1</stock></item>"
        b"<item><brand_code>tea-01</brand_code><option_code /><stock>1</stock></item>"
        b"<item><brand_code>tea-03</brand_code><option_code /><stock>-1</stock></item>"
        b"<item><brand_code>tea-03</brand_code><option_code /><stock>40</stock></item>"
        b"</stockupdate>"
    )

    answer = ET.fromstring(client.post(PRODUCTS, params=PRODUCT_AUTH, content=body).content)

    assert [(i.findtext("result"), i.findtext("code")) for i in answer.findall("item")] == [
        ("OK", ""),
        ("NG", "E101"),
        ("NG", "E102"),
        ("NG", "E103"),
        ("OK", ""),
    ]
    summary = client.get("/_sandbox/makeshop/summary").json()
    assert (summary["stock"]["tea-01:tea-01-100g"], summary["stock"]["tea-03"], summary["stockWrites"]) == (95, 40, 2)


def test_stock_update_refuses_more_than_100_items_and_a_body_that_is_not_xml(world) -> None:
    client, _mall, _clock = world
    item = "<item><brand_code>tea-03</brand_code><option_code /><stock>1</stock></item>"

    too_many = client.post(PRODUCTS, params=PRODUCT_AUTH, content=f"<stockupdate>{item * 101}</stockupdate>".encode())
    not_xml = client.post(PRODUCTS, params=PRODUCT_AUTH, content=b"tea-03,1")

    assert _error(ET.fromstring(too_many.content))[0] == "E010"
    assert _error(ET.fromstring(not_xml.content))[0] == "E002"


def test_stock_read_answers_each_known_product_and_option_and_shows_a_hand_change(world) -> None:
    client, _mall, _clock = world
    client.put(
        "/_sandbox/makeshop/catalogue",
        json=[*CATALOGUE, {"itemId": "tea-01", "variantId": "tea-01-200g", "name": "煎茶 200g", "price": 1944}],
    )
    changed = client.put("/_sandbox/makeshop/stock", json={"tea-01:tea-01-200g": 7, "tea-03": 3})

    answer = client.get(PRODUCTS, params={**PRODUCT_AUTH, "brand_code": "tea-03,tea-99,tea-01"})

    assert changed.status_code == 200 and changed.json()["stock"]["tea-03"] == 3
    root = ET.fromstring(answer.content)
    assert (answer.status_code, root.tag, root.findtext("result")) == (200, "productinfo", "OK")
    assert [
        (i.findtext("brand_code"), i.findtext("option_code"), i.findtext("stock")) for i in root.findall("item")
    ] == [
        ("tea-03", "", "3"),
        ("tea-01", "tea-01-100g", "10000"),
        ("tea-01", "tea-01-200g", "7"),
    ]
    none = client.get(PRODUCTS, params=PRODUCT_AUTH)
    many = client.get(PRODUCTS, params={**PRODUCT_AUTH, "brand_code": ",".join(f"p{i}" for i in range(101))})
    order_token = client.get(PRODUCTS, params={**PRODUCT_AUTH, "token": "sandbox-order-token", "brand_code": "tea-03"})
    assert _error(ET.fromstring(none.content))[0] == "E002"
    assert _error(ET.fromstring(many.content))[0] == "E010"
    assert _error(ET.fromstring(order_token.content))[0] == "E001"
    # a hand change is not one of the shop's API stock writes
    assert client.get("/_sandbox/makeshop/summary").json()["stockWrites"] == 0


def test_the_stock_control_changes_nothing_when_a_key_or_quantity_is_wrong(world) -> None:
    client, _mall, _clock = world
    unknown = client.put("/_sandbox/makeshop/stock", json={"tea-03": 1, "tea-01": 2})
    bad = client.put("/_sandbox/makeshop/stock", json={"tea-03": 100_000})

    assert (unknown.status_code, bad.status_code) == (404, 400)
    assert client.get("/_sandbox/makeshop/summary").json()["stock"]["tea-03"] == 10_000


# ---- rate limit --------------------------------------------------------------------------------------


def test_more_than_the_burst_is_answered_429_e009_until_switched_off(world) -> None:
    client, _mall, _clock = world

    codes = [client.get(ORDERS, params={"cmd": "get", **AUTH, "ordernum": "1"}).status_code for _ in range(12)]
    limited = client.get(ORDERS, params={"cmd": "get", **AUTH, "ordernum": "1"})
    client.put("/_sandbox/makeshop/settings", json={"rateLimits": False}).raise_for_status()
    after = [client.get(ORDERS, params={"cmd": "get", **AUTH, "ordernum": "1"}).status_code for _ in range(20)]

    assert codes[:10] == [200] * 10 and 429 in codes
    assert limited.status_code == 429 and _error(ET.fromstring(limited.content))[0] == "E009"
    assert set(after) == {200}


# ---- control contract --------------------------------------------------------------------------------


def test_generated_orders_follow_the_payment_mix_and_take_stock(world) -> None:
    client, _mall, _clock = world
    before = client.get("/_sandbox/makeshop/summary").json()["stock"]

    numbers = _create(client, 40)
    unpaid = client.get("/_sandbox/makeshop/orders", params={"state": "unpaid"}).json()["orderNumbers"]
    orders = [client.get(f"/_sandbox/makeshop/orders/{n}").json() for n in numbers]
    methods = {ET.fromstring(o["order"]).findtext("pay_method") for o in orders}
    delivery = {ET.fromstring(o["order"]).findtext("deliveries/delivery/deli_method") for o in orders}

    assert methods == {"クレジットカード決済", "銀行振込", "コンビニ決済", "代金引換"}
    assert delivery <= {"宅配便", "メール便"}
    assert set(unpaid) == {
        o["orderNumber"]
        for o in orders
        if ET.fromstring(o["order"]).findtext("pay_method") in ("銀行振込", "コンビニ決済")
    }
    assert all(o["paid"] for o in orders if ET.fromstring(o["order"]).findtext("pay_method") == "クレジットカード決済")
    after = client.get("/_sandbox/makeshop/summary").json()["stock"]
    assert sum(before.values()) > sum(after.values())


def test_pay_change_and_cancel_move_the_order_and_its_modify_date(world) -> None:
    client, _mall, clock = world
    [number] = _create(client, paymentMix={"bank": 1})

    clock.now += timedelta(minutes=1)
    paid = client.post(f"/_sandbox/makeshop/orders/{number}/pay").json()
    again = client.post(f"/_sandbox/makeshop/orders/{number}/pay")
    clock.now += timedelta(minutes=1)
    changed = client.post(f"/_sandbox/makeshop/orders/{number}/change", json={"quantity": 7}).json()
    cancelled = client.post(f"/_sandbox/makeshop/orders/{number}/cancel").json()
    twice = client.post(f"/_sandbox/makeshop/orders/{number}/cancel")

    assert paid["paid"] and again.status_code == 409
    order = ET.fromstring(changed["order"])
    assert order.findtext("deliveries/delivery/items/item/quantity") == "7"
    assert order.findtext("modify_date") == "2026-03-15 12:02:00"
    assert (cancelled["cancelled"], cancelled["status"]) == (True, "キャンセル")
    assert twice.status_code == 409
    assert client.post("/_sandbox/makeshop/orders/nope/pay").status_code == 404


def test_settings_calls_and_catalogue_views(world) -> None:
    client, _mall, _clock = world
    _get(client, ordernum="1")

    settings = client.put("/_sandbox/makeshop/settings", json={"rateLimits": False}).json()
    calls = client.get("/_sandbox/makeshop/calls", params={"path": ORDERS}).json()["calls"]
    catalogue = client.get("/_sandbox/makeshop/catalogue").json()["catalogue"]

    assert settings["rateLimits"] is False
    assert [(c["cmd"], c["status"]) for c in calls] == [("get", 200)]
    assert "sandbox-order-token" not in calls[0]["body"]
    assert catalogue == CATALOGUE


def test_truncated_faults_apply_the_write_and_lose_the_answer(world) -> None:
    client, _mall, _clock = world
    [number] = _create(client)
    client.post("/_sandbox/faults", json={"path": ORDERS, "kinds": ["truncated"], "count": 1}).raise_for_status()

    answer = client.get(ORDERS, params={"cmd": "status", **AUTH, "ordernum": number, "deliveryid": "1", "status": "2"})

    with pytest.raises(ET.ParseError):
        ET.fromstring(answer.content)
    assert client.get(f"/_sandbox/makeshop/orders/{number}").json()["status"] == "発送済"
