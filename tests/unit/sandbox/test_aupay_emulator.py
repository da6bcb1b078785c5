"""The au PAY emulator through Starlette's TestClient: auth, paths, paging, rate limit, state, control contract."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from juchu_sandbox import aupay
from juchu_sandbox.aupay.store import DEFAULT_API_KEY, DEFAULT_SHOP_ID
from juchu_sandbox.aupay.xmlio import JST

AUTH = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
XML = {**AUTH, "Content-Type": "application/xml; charset=utf-8"}
CATALOGUE = [
    {"itemId": "tea-01", "variantId": "tea-01-100g", "name": "煎茶 100g", "price": 1080},
    {"itemId": "tea-01", "variantId": "tea-01-200g", "name": "煎茶 200g", "price": 1944},
    {"itemId": "tea-03", "variantId": "tea-03", "name": "抹茶", "price": 1620},
]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 10, 0, tzinfo=JST)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def mall(clock: Clock) -> aupay.Mall:
    return aupay.Mall(seed=3, clock=clock)


@pytest.fixture
def client(mall: aupay.Mall) -> TestClient:
    app = Starlette(routes=[*aupay.routes(mall), *aupay.control_routes(mall)])
    test_client = TestClient(app)
    test_client.put("/_sandbox/aupay/catalogue", json=CATALOGUE).raise_for_status()
    return test_client


def search(client: TestClient, **params: str) -> tuple[int, ET.Element]:
    query = {
        "shopId": DEFAULT_SHOP_ID,
        "totalCount": "100",
        "startCount": "1",
        "startDate": "2026/01/05 00:00",
        "endDate": "2026/01/05 23:59",
        "dateType": "0",
        **params,
    }
    response = client.get("/wmshopapi/searchTradeInfoListProc", params=query, headers=AUTH)
    return response.status_code, ET.fromstring(response.content)


def post(client: TestClient, name: str, **fields: str) -> tuple[int, ET.Element]:
    body = "<request>" + "".join(f"<{k}>{v}</{k}>" for k, v in {"shopId": DEFAULT_SHOP_ID, **fields}.items())
    response = client.post(f"/wmshopapi/{name}", content=(body + "</request>").encode(), headers=XML)
    return response.status_code, ET.fromstring(response.content)


def code(root: ET.Element) -> str:
    return root.findtext("result/error/code") or ""


def create(client: TestClient, count: int = 1, **body: object) -> list[str]:
    answer = client.post("/_sandbox/aupay/orders", json={"count": count, "seed": 7, **body})
    answer.raise_for_status()
    return answer.json()["orderNumbers"]


def test_generated_orders_come_back_as_order_info_with_details(client: TestClient) -> None:
    numbers = create(client, 3)

    status, root = search(client)

    assert status == 200
    assert root.findtext("result/status") == "0"
    assert root.findtext("resultCount") == "3"
    infos = root.findall("orderInfo")
    assert [i.findtext("orderId") for i in infos] == numbers
    assert infos[0].findtext("orderStatus") == "新規受付"
    assert infos[0].findtext("orderDate") == "2026/01/05 10:00"
    assert infos[0].findall("detail")


def test_paging_is_one_based_and_counts_every_hit(client: TestClient) -> None:
    numbers = create(client, 5)

    _, first = search(client, totalCount="2", startCount="1")
    _, last = search(client, totalCount="2", startCount="5")

    assert first.findtext("resultCount") == "5"
    assert [i.findtext("orderId") for i in first.findall("orderInfo")] == numbers[:2]
    assert [i.findtext("orderId") for i in last.findall("orderInfo")] == numbers[4:]


def test_date_type_one_finds_orders_updated_in_the_window(client: TestClient, clock: Clock) -> None:
    (old,) = create(client)
    clock.now += timedelta(days=2)
    client.post(f"/_sandbox/aupay/orders/{old}/cancel").raise_for_status()

    _, by_order_date = search(client, startDate="2026/01/07 00:00", endDate="2026/01/07 23:59")
    _, by_update = search(client, startDate="2026/01/07 00:00", endDate="2026/01/07 23:59", dateType="1")

    assert by_order_date.findtext("resultCount") == "0"
    assert [i.findtext("orderStatus") for i in by_update.findall("orderInfo")] == ["キャンセル"]


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"startDate": "2026-01-05"}, "PRM0002"),
        ({"totalCount": "0"}, "PRM0002"),
        ({"dateType": "7"}, "PRM0002"),
        ({"startDate": "2025/11/01 00:00"}, "PRM0004"),
        ({"shopId": ""}, "PRM0003"),
    ],
)
def test_bad_search_parameters_are_refused_in_the_envelope(client: TestClient, params: dict, error: str) -> None:
    status, root = search(client, **params)

    assert (status, root.findtext("result/status"), code(root)) == (400, "1", error)


@pytest.mark.parametrize(
    ("headers", "error"),
    [({}, "PUB0001"), ({"Authorization": "Bearer wrong"}, "PUB0001"), ({"Authorization": DEFAULT_API_KEY}, "PUB0001")],
)
def test_a_missing_or_wrong_key_is_401_in_the_envelope(client: TestClient, headers: dict, error: str) -> None:
    response = client.get(
        "/wmshopapi/searchTradeInfoProc", params={"shopId": DEFAULT_SHOP_ID, "orderId": "1"}, headers=headers
    )

    assert response.status_code == 401
    assert code(ET.fromstring(response.content)) == error


def test_an_expired_key_is_refused_and_accepted_again_once_renewed(client: TestClient, clock: Clock) -> None:
    client.post("/_sandbox/aupay/credentials", json={"expired": True}).raise_for_status()
    status, root = search(client)
    assert (status, code(root)) == (401, "PUB0002")

    client.post("/_sandbox/aupay/credentials", json={"expired": False}).raise_for_status()
    assert search(client)[0] == 200

    clock.now += timedelta(days=91)
    status, root = search(client, startDate="2026/04/05 00:00", endDate="2026/04/06 00:00")
    assert (status, code(root)) == (401, "PUB0002")


def test_another_shops_id_is_refused(client: TestClient) -> None:
    status, root = search(client, shopId="99999999")

    assert (status, code(root)) == (401, "PUB0001")


def test_the_ip_allow_list_refuses_other_addresses(client: TestClient) -> None:
    client.put("/_sandbox/aupay/settings", json={"allowedIps": ["203.0.113.7"]}).raise_for_status()

    status, root = search(client)

    assert (status, code(root)) == (403, "PUB0003")


def test_the_rate_limit_answers_429_and_can_be_switched_off(client: TestClient, clock: Clock) -> None:
    statuses = [search(client)[0] for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    assert code(search(client)[1]) == "PUB0004"

    clock.now += timedelta(seconds=1)
    assert search(client)[0] == 200

    client.put("/_sandbox/aupay/settings", json={"rateLimits": False}).raise_for_status()
    assert {search(client)[0] for _ in range(20)} == {200}


def test_confirm_ship_and_the_snapshot(client: TestClient, mall: aupay.Mall) -> None:
    mall.settings["rateLimits"] = False
    (number,) = create(client, paymentMix={"クレジットカード決済": 1})

    status, root = post(client, "updateTradeInfoProc", orderId=number, shippingDate="2026/01/06", shippingCarrier="4")
    assert (status, code(root)) == (400, "ORD0002")  # not confirmed yet
    assert post(client, "updateTradeStsProc", orderId=number, orderStatus="発送待ち")[0] == 200
    assert code(post(client, "updateTradeStsProc", orderId=number, orderStatus="発送待ち")[1]) == "ORD0004"
    for _ in range(2):  # overwrites: a resend leaves the number once
        fields = {"shippingDate": "2026/01/06", "shippingCarrier": "4", "shippingNumber": "123456789012"}
        assert post(client, "updateTradeInfoProc", orderId=number, **fields)[0] == 200

    snapshot = client.get(f"/_sandbox/aupay/orders/{number}").json()
    assert (snapshot["status"], snapshot["paid"], snapshot["confirmed"], snapshot["cancelled"]) == (
        "発送済み",
        True,
        True,
        False,
    )
    assert snapshot["shipments"] == [{"carrier": "4", "trackingNumbers": ["123456789012"], "shipDate": "2026-01-06"}]
    summary = client.get("/_sandbox/aupay/summary").json()
    assert (summary["shipped"], summary["shipmentWrites"], summary["duplicateTracking"]) == (1, 2, [])
    assert client.post(f"/_sandbox/aupay/orders/{number}/cancel").status_code == 409


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"shippingDate": "2026-01-06", "shippingCarrier": "4"}, "PRM0002"),
        ({"shippingDate": "2026/01/06", "shippingCarrier": "3"}, "PRM0002"),
        ({"shippingDate": "2026/01/06", "shippingCarrier": "4", "shippingNumber": "12 34"}, "PRM0002"),
        ({"shippingCarrier": "4"}, "PRM0003"),
    ],
)
def test_shipping_info_is_checked(client: TestClient, mall: aupay.Mall, fields: dict, error: str) -> None:
    mall.settings["rateLimits"] = False
    (number,) = create(client)

    assert code(post(client, "updateTradeInfoProc", orderId=number, **fields)[1]) == error


def test_writes_need_xml(client: TestClient) -> None:
    response = client.post("/wmshopapi/cancelTradeProc", json={"orderId": "1"}, headers=AUTH)

    assert response.status_code == 400
    assert code(ET.fromstring(response.content)) == "PRM0001"


def test_cancel_restores_stock_and_a_second_cancel_is_refused(client: TestClient, mall: aupay.Mall) -> None:
    mall.settings["rateLimits"] = False
    before = client.get("/_sandbox/aupay/summary").json()["stock"]
    (number,) = create(client)
    assert client.get("/_sandbox/aupay/summary").json()["stock"] != before

    assert code(post(client, "cancelTradeProc", orderId=number, cancelReason="9")[1]) == "PRM0002"
    assert post(client, "cancelTradeProc", orderId=number, cancelReason="3")[0] == 200
    assert code(post(client, "cancelTradeProc", orderId=number, cancelReason="3")[1]) == "ORD0005"
    assert client.get("/_sandbox/aupay/summary").json()["stock"] == before
    assert client.get(f"/_sandbox/aupay/orders/{number}").json()["cancelled"] is True


def test_update_stock_answers_per_item(client: TestClient, mall: aupay.Mall) -> None:
    body = (
        f"<request><shopId>{DEFAULT_SHOP_ID}</shopId>"
        "<stockUpdateItem><itemCode>tea-01</itemCode><stockSegment>2</stockSegment>"
        "<itemManagementId>tea-01-200g</itemManagementId><stockCount>7</stockCount></stockUpdateItem>"
        "<stockUpdateItem><itemCode>tea-03</itemCode><stockSegment>1</stockSegment><stockCount>9</stockCount>"
        "</stockUpdateItem>"
        "<stockUpdateItem><itemCode>tea-01</itemCode><stockSegment>1</stockSegment><stockCount>1</stockCount>"
        "</stockUpdateItem>"
        "<stockUpdateItem><itemCode>nope</itemCode><stockSegment>1</stockSegment><stockCount>1</stockCount>"
        "</stockUpdateItem>"
        "<stockUpdateItem><itemCode>tea-03</itemCode><stockSegment>1</stockSegment><stockCount>-1</stockCount>"
        "</stockUpdateItem></request>"
    )

    response = client.post("/wmshopapi/updateStock", content=body.encode(), headers=XML)

    results = ET.fromstring(response.content).findall("updateResult")
    assert [(r.findtext("status"), r.findtext("error/code")) for r in results] == [
        ("0", ""),
        ("0", ""),
        ("1", "STK0002"),
        ("1", "STK0001"),
        ("1", "STK0003"),
    ]
    summary = client.get("/_sandbox/aupay/summary").json()
    assert (summary["stock"]["tea-01:tea-01-200g"], summary["stock"]["tea-03"], summary["stockWrites"]) == (7, 9, 2)


def test_unpaid_orders_are_listed_and_paying_moves_them_on(client: TestClient, mall: aupay.Mall) -> None:
    mall.settings["rateLimits"] = False
    (bank,) = create(client, paymentMix={"銀行振込": 1})
    (card,) = create(client, paymentMix={"クレジットカード決済": 1})
    post(client, "updateTradeStsProc", orderId=bank, orderStatus="発送前入金待ち")

    assert client.get("/_sandbox/aupay/orders", params={"state": "unpaid"}).json() == {"orderNumbers": [bank]}
    paid = client.post(f"/_sandbox/aupay/orders/{bank}/pay").json()
    assert (paid["status"], paid["paid"], paid["order"]["paymentStatus"]) == ("発送待ち", True, "入金済み")
    assert client.post(f"/_sandbox/aupay/orders/{card}/pay").status_code == 409
    assert client.post("/_sandbox/aupay/orders/nope/pay").status_code == 404


def test_a_change_edits_the_order_and_can_hold_it(client: TestClient, mall: aupay.Mall) -> None:
    (number,) = create(client, paymentMix={"クレジットカード決済": 1})
    before = client.get(f"/_sandbox/aupay/orders/{number}").json()["order"]

    changed = client.post(f"/_sandbox/aupay/orders/{number}/change", json={"quantity": 4, "hold": True}).json()

    line = changed["order"]["detail"][0]
    assert (line["unit"], changed["status"]) == (4, "保留")
    assert (
        changed["order"]["totalPrice"] == before["totalPrice"] + (4 - before["detail"][0]["unit"]) * line["itemPrice"]
    )


def test_order_overrides_and_the_call_log(client: TestClient) -> None:
    (number,) = create(client, order={"orderDate": "garbled", "settlementName": "代金引換"})
    search(client)

    order = client.get(f"/_sandbox/aupay/orders/{number}").json()["order"]
    assert (order["orderDate"], order["paymentStatus"]) == ("garbled", "入金不要")
    calls = client.get("/_sandbox/aupay/calls", params={"path": "/wmshopapi/"}).json()["calls"]
    assert [(c["method"], c["path"], c["status"]) for c in calls] == [
        ("GET", "/wmshopapi/searchTradeInfoListProc", 200)
    ]


def test_search_stocks_answers_each_named_item_with_its_own_or_its_variants_counts(
    client: TestClient, mall: aupay.Mall
) -> None:
    mall.settings["rateLimits"] = False
    changed = client.put("/_sandbox/aupay/stock", json={"tea-01:tea-01-200g": 5, "tea-03": 12})
    query = {"shopId": DEFAULT_SHOP_ID, "itemCode": "tea-03,tea-01,nope", "totalCount": "100"}

    response = client.get("/wmshopapi/searchStocks", params=query, headers=AUTH)

    assert changed.status_code == 200 and changed.json()["stock"]["tea-03"] == 12
    root = ET.fromstring(response.content)
    assert (response.status_code, root.findtext("result/status"), root.findtext("searchResult/maxCount")) == (
        200,
        "0",
        "2",
    )
    stocks = root.findall("searchResult/resultStocks")
    assert [(s.findtext("itemCode"), s.findtext("stockSegment"), s.findtext("stockCount")) for s in stocks] == [
        ("tea-01", "2", None),
        ("tea-03", "1", "12"),
    ]
    choices = stocks[0].findall("choicesStocks")
    assert [(c.findtext("itemManagementId"), c.findtext("choicesStockCount")) for c in choices] == [
        ("tea-01-100g", "1000"),
        ("tea-01-200g", "5"),
    ]
    # paged like the order search; every item when no itemCode is named; more than 100 codes are refused
    second = client.get("/wmshopapi/searchStocks", params={**query, "totalCount": "1", "startCount": "2"}, headers=AUTH)
    assert [s.findtext("itemCode") for s in ET.fromstring(second.content).findall("searchResult/resultStocks")] == [
        "tea-03"
    ]
    every = client.get("/wmshopapi/searchStocks", params={"shopId": DEFAULT_SHOP_ID, "totalCount": "10"}, headers=AUTH)
    assert ET.fromstring(every.content).findtext("searchResult/maxCount") == "2"
    many = ",".join(f"i{n}" for n in range(101))
    too_many = client.get("/wmshopapi/searchStocks", params={**query, "itemCode": many}, headers=AUTH)
    assert (too_many.status_code, code(ET.fromstring(too_many.content))) == (400, "PRM0005")
    no_key = client.get("/wmshopapi/searchStocks", params=query)
    assert no_key.status_code == 401
    # a hand change is not one of the shop's API stock writes
    assert client.get("/_sandbox/aupay/summary").json()["stockWrites"] == 0


def test_the_stock_control_changes_nothing_when_a_key_or_count_is_wrong(client: TestClient) -> None:
    unknown = client.put("/_sandbox/aupay/stock", json={"tea-03": 1, "tea-01": 2})
    bad = client.put("/_sandbox/aupay/stock", json={"tea-03": -1})

    assert (unknown.status_code, bad.status_code) == (404, 400)
    assert client.get("/_sandbox/aupay/summary").json()["stock"]["tea-03"] == 1000
