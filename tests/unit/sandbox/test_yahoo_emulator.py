"""The Yahoo emulator through Starlette's TestClient: token, signature, rate limit, order and stock APIs, control."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from starlette.applications import Starlette
from starlette.testclient import TestClient

from juchu.connectors.malls.yahoo import demo
from juchu_sandbox import yahoo
from juchu_sandbox.yahoo.store import JST

V1 = "/ShoppingWebService/V1"
CATALOGUE = [
    {"itemId": "tea-01", "variantId": "tea-01-100g", "name": "煎茶 100g", "price": 1080},
    {"itemId": "tea-03", "variantId": "tea-03", "name": "抹茶", "price": 1620},
]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 12, 0, tzinfo=JST)
        self.mono = 100.0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def world() -> tuple[yahoo.Mall, TestClient, Clock]:
    clock = Clock()
    mall = yahoo.Mall(seed=5, clock=clock, monotonic=lambda: clock.mono)
    client = TestClient(Starlette(routes=[*yahoo.routes(mall), *yahoo.control_routes(mall)]))
    client.put("/_sandbox/yahoo/catalogue", json=CATALOGUE).raise_for_status()
    return mall, client, clock


def _token(client: TestClient) -> str:
    basic = base64.b64encode(b"sandbox-yahoo-client:sandbox-yahoo-secret").decode()
    answer = client.post(
        "/yconnect/v2/token",
        data={"grant_type": "refresh_token", "refresh_token": "sandbox-yahoo-refresh"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def _headers(
    client: TestClient, clock: Clock, *, seller: str = "snbx-juchu", at: float | None = None
) -> dict[str, str]:
    key = load_pem_public_key(demo.PUBLIC_KEY.encode())
    stamp = int(at if at is not None else clock.now.timestamp())
    sealed = key.encrypt(f"{seller}:{stamp}".encode(), padding.PKCS1v15())  # type: ignore[union-attr]
    return {
        "Authorization": f"Bearer {_token(client)}",
        "X-sws-signature": base64.b64encode(sealed).decode(),
        "X-sws-signature-version": "1",
        "Content-Type": "application/xml",
    }


def _info_body(number: str) -> str:
    return f"<Req><Target><OrderId>{number}</OrderId></Target><SellerId>snbx-juchu</SellerId></Req>"


def test_order_info_answers_with_the_order_and_says_the_signature_was_authorized(world) -> None:
    _mall, client, clock = world
    (number,) = client.post("/_sandbox/yahoo/orders", json={"count": 1, "seed": 1}).json()["orderNumbers"]

    answer = client.post(f"{V1}/orderInfo", content=_info_body(number), headers=_headers(client, clock))

    assert answer.status_code == 200
    assert answer.headers["x-sws-authorize-status"] == "authorized"
    assert f"<OrderId>{number}</OrderId>" in answer.text and "<IsSeen>false</IsSeen>" in answer.text


def test_missing_or_expired_tokens_are_refused_with_www_authenticate(world) -> None:
    mall, client, clock = world
    headers = _headers(client, clock)
    mall.set_settings({"tokenLifetimeSeconds": 60})
    short = _headers(client, clock)

    clock.now += timedelta(seconds=61)
    clock.mono += 5
    expired = client.post(f"{V1}/orderInfo", content=_info_body("x"), headers=short)
    clock.mono += 5
    missing = client.post(f"{V1}/orderInfo", content=_info_body("x"), headers={"Content-Type": "application/xml"})

    assert expired.status_code == 401 and "expired" in expired.headers["www-authenticate"]
    assert "<Code>px-04102</Code>" in expired.text
    assert missing.status_code == 401 and "invalid_request" in missing.headers["www-authenticate"]
    assert headers["Authorization"] != short["Authorization"]


@pytest.mark.parametrize("case", ["stale", "other seller", "no signature"])
def test_a_bad_signature_is_refused_with_403(world, case: str) -> None:
    _mall, client, clock = world
    if case == "stale":
        headers = _headers(client, clock, at=clock.now.timestamp() - 601)
    elif case == "other seller":
        headers = _headers(client, clock, seller="snbx-other")
    else:
        headers = {**_headers(client, clock)}
        del headers["X-sws-signature"]

    answer = client.post(f"{V1}/orderInfo", content=_info_body("x"), headers=headers)

    assert answer.status_code == 403
    assert answer.headers["x-sws-authorize-status"] == "unauthorized"
    assert "<Code>px-04103</Code>" in answer.text


def test_the_refresh_token_is_refused_while_the_credentials_are_expired(world) -> None:
    _mall, client, _clock = world
    client.post("/_sandbox/yahoo/credentials", json={"expired": True}).raise_for_status()
    basic = base64.b64encode(b"sandbox-yahoo-client:sandbox-yahoo-secret").decode()

    answer = client.post(
        "/yconnect/v2/token",
        data={"grant_type": "refresh_token", "refresh_token": "sandbox-yahoo-refresh"},
        headers={"Authorization": f"Basic {basic}"},
    )

    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_grant")
    client.post("/_sandbox/yahoo/credentials", json={"expired": False}).raise_for_status()
    assert _token(client)


def test_a_second_call_to_the_same_url_within_a_second_is_throttled(world) -> None:
    mall, client, clock = world
    headers = _headers(client, clock)

    first = client.post(f"{V1}/orderInfo", content=_info_body("x"), headers=headers)
    second = client.post(f"{V1}/orderInfo", content=_info_body("x"), headers=headers)
    other_url = client.post(
        f"{V1}/setStock",
        data={"seller_id": "snbx-juchu", "item_code": "tea-03", "quantity": "1"},
        headers={"Authorization": headers["Authorization"]},
    )
    clock.mono += 1
    mall.set_settings({"rateLimits": False})
    third = client.post(f"{V1}/orderInfo", content=_info_body("x"), headers=headers)
    fourth = client.post(f"{V1}/orderInfo", content=_info_body("x"), headers=headers)

    assert (first.status_code, second.status_code, other_url.status_code) == (400, 429, 200)
    assert "<Code>ws-00429</Code>" in second.text and second.headers["retry-after"] == "1"
    assert (third.status_code, fourth.status_code) == (400, 400)  # od20001: unknown order, not throttled


def test_order_list_pages_and_filters_by_order_time(world) -> None:
    mall, client, clock = world
    mall.set_settings({"rateLimits": False})
    numbers = client.post("/_sandbox/yahoo/orders", json={"count": 3, "seed": 2}).json()["orderNumbers"]
    body = (
        "<Req><Search><Result>2</Result><Start>{start}</Start><Sort>+order_time</Sort><Condition>"
        "<OrderTimeFrom>20260302000000</OrderTimeFrom><OrderTimeTo>20260302235959</OrderTimeTo></Condition>"
        "<Field>OrderId,OrderStatus,IsSeen</Field></Search><SellerId>snbx-juchu</SellerId></Req>"
    )
    headers = _headers(client, clock)

    page1 = client.post(f"{V1}/orderList", content=body.format(start=1), headers=headers)
    page2 = client.post(f"{V1}/orderList", content=body.format(start=3), headers=headers)
    bad = client.post(f"{V1}/orderList", content=body.format(start=1).replace("OrderStatus", "Nope"), headers=headers)

    assert "<TotalCount>3</TotalCount>" in page1.text
    assert [n in page1.text for n in numbers] == [True, True, False]
    assert numbers[2] in page2.text and "<OrderTime>" not in page2.text
    assert bad.status_code == 400 and "<Code>px-04001</Code>" in bad.text


def test_confirm_ship_and_the_summary_show_what_the_shop_wrote(world) -> None:
    mall, client, clock = world
    mall.set_settings({"rateLimits": False})
    (number,) = client.post(
        "/_sandbox/yahoo/orders", json={"count": 1, "seed": 3, "paymentMix": {"クレジットカード決済": 1}}
    ).json()["orderNumbers"]
    headers = _headers(client, clock)
    target = f"<Target><OrderId>{number}</OrderId><IsPointFix>true</IsPointFix></Target>"
    seen = client.post(
        f"{V1}/orderStatusChange",
        content=f"<Req>{target}<Order><OrderStatus>2</OrderStatus></Order><SellerId>snbx-juchu</SellerId></Req>",
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    ship = (
        f"<Req>{target}<Order><Ship><ShipStatus>3</ShipStatus><ShipCompanyCode>1003</ShipCompanyCode>"
        "<ShipInvoiceNumber1>123456789012</ShipInvoiceNumber1><ShipDate>20260302</ShipDate></Ship></Order>"
        "<SellerId>snbx-juchu</SellerId></Req>"
    )
    shipped = [client.post(f"{V1}/orderShipStatusChange", content=ship, headers=headers) for _ in range(2)]
    yamato = client.post(
        f"{V1}/orderShipStatusChange",
        content=ship.replace("1003", "1001").replace("123456789012", "AB12"),
        headers=headers,
    )

    assert seen.status_code == 200 and [s.status_code for s in shipped] == [200, 200]
    assert yamato.status_code == 400 and "<Code>od20004</Code>" in yamato.text
    snapshot = client.get(f"/_sandbox/yahoo/orders/{number}").json()
    assert (snapshot["confirmed"], snapshot["paid"], snapshot["cancelled"]) == (True, True, False)
    assert snapshot["shipments"] == [{"carrier": "1003", "trackingNumbers": ["123456789012"], "shipDate": "2026-03-02"}]
    summary = client.get("/_sandbox/yahoo/summary").json()
    assert (summary["shipped"], summary["shipmentWrites"], summary["duplicateTracking"]) == (1, 2, [])
    cancel = client.post(f"/_sandbox/yahoo/orders/{number}/cancel")
    assert cancel.status_code == 409


def test_pay_cancel_and_change_follow_the_control_contract(world) -> None:
    _mall, client, _clock = world
    numbers = client.post("/_sandbox/yahoo/orders", json={"count": 2, "seed": 4, "paymentMix": {"銀行振込": 1}}).json()[
        "orderNumbers"
    ]
    stock_before = client.get("/_sandbox/yahoo/summary").json()["stock"]

    assert client.get("/_sandbox/yahoo/orders", params={"state": "unpaid"}).json()["orderNumbers"] == numbers
    paid = client.post(f"/_sandbox/yahoo/orders/{numbers[0]}/pay").json()
    cancelled = client.post(f"/_sandbox/yahoo/orders/{numbers[1]}/cancel").json()
    changed = client.post(f"/_sandbox/yahoo/orders/{numbers[0]}/change", json={"quantity": 5})

    assert (paid["paid"], paid["shipStatus"]) == (True, 1)
    assert cancelled["cancelled"] is True
    assert changed.status_code == 200 and "<Quantity>5</Quantity>" in changed.json()["order"]
    assert client.post(f"/_sandbox/yahoo/orders/{numbers[0]}/pay").status_code == 409
    assert client.post("/_sandbox/yahoo/orders/nope/pay").status_code == 404
    assert client.get("/_sandbox/yahoo/orders", params={"state": "unpaid"}).json()["orderNumbers"] == []
    assert client.get("/_sandbox/yahoo/summary").json()["stock"] != stock_before


def test_set_stock_answers_per_item_and_one_unknown_item_is_an_error(world) -> None:
    mall, client, _clock = world
    mall.set_settings({"rateLimits": False})
    auth = {"Authorization": f"Bearer {_token(client)}"}

    many = client.post(
        f"{V1}/setStock",
        data={"seller_id": "snbx-juchu", "item_code": "tea-01:tea-01-100g,tea-99,tea-03", "quantity": "7,1,0"},
        headers=auth,
    )
    one = client.post(
        f"{V1}/setStock", data={"seller_id": "snbx-juchu", "item_code": "tea-99", "quantity": "1"}, headers=auth
    )

    assert many.status_code == 200 and "<ErrorCode>st-01001</ErrorCode>" in many.text
    assert one.status_code == 400 and "<Code>st-01001</Code>" in one.text
    summary = client.get("/_sandbox/yahoo/summary").json()
    assert summary["stock"] == {"tea-01:tea-01-100g": 7, "tea-03": 0}
    assert summary["stockWrites"] == 2
    calls = client.get("/_sandbox/yahoo/calls", params={"path": f"{V1}/setStock"}).json()["calls"]
    assert [c["status"] for c in calls] == [200, 400]
