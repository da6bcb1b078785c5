"""The RSL emulator over HTTP: a Starlette app of ``routes(w)`` + ``control_routes(w)`` with an injected clock."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from juchu_sandbox.rsl import JST, RslWarehouse, control_routes, routes

AUTH = {"Authorization": "Bearer sandbox-rsl-key", "X-RSL-Merchant": "sandbox-merchant"}


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def set(self, hour: int, minute: int, second: int = 0) -> None:
        self.now = self.now.replace(hour=hour, minute=minute, second=second, microsecond=0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2025, 5, 1, 10, 0, 0, tzinfo=JST))


@pytest.fixture
def warehouse(clock: FakeClock) -> RslWarehouse:
    return RslWarehouse(ship_delay_seconds=2.0, clock=clock, rate_limit_per_second=None)


@pytest.fixture
def client(warehouse: RslWarehouse) -> TestClient:
    app = Starlette(routes=[*control_routes(warehouse), *routes(warehouse)])
    client = TestClient(app)
    client.headers.update(AUTH)
    assert client.put("/_sandbox/rsl/stock", json={"SKU-A": 10, "SKU-B": 3}).status_code == 200
    return client


def address(**overrides: Any) -> dict[str, Any]:
    base = {
        "name": "山田 太郎",
        "nameKana": "ヤマダ タロウ",
        "postalCode": "1000001",
        "prefecture": "東京都",
        "city": "千代田区",
        "address1": "千代田1-1",
        "address2": "",
        "phone": "0312345678",
    }
    return {**base, **overrides}


def shipment(request_id: str = "req-1", order: str = "100000-20250501-0000001", **overrides: Any) -> dict[str, Any]:
    base = {
        "requestId": request_id,
        "mallOrderNumber": order,
        "shopCode": "shop1",
        "deliveryMethod": "YUPACK",
        "recipient": address(),
        "sender": address(name="テスト商店"),
        "lines": [{"sku": "SKU-A", "quantity": 2, "unitPrice": 1000}],
        "amounts": {"goods": 2000, "postage": 0, "codAmount": 0},
        "giftWrapping": False,
        "noshi": None,
        "note": "ありがとうございました",
    }
    return {**base, **overrides}


def send(client: TestClient, *requests: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post("/rsl/v1/shipment-requests", json={"requests": list(requests)})
    assert response.status_code == 200, response.text
    return response.json()["results"]


def stock(client: TestClient, sku: str) -> dict[str, Any]:
    return client.get("/_sandbox/rsl/stock").json()[sku]


def feed(client: TestClient, cursor: str | None = None, limit: int = 500) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit}
    if cursor is not None:
        params["cursor"] = cursor
    response = client.get("/rsl/v1/shipment-results", params=params)
    assert response.status_code == 200, response.text
    return response.json()


# ------------------------------------------------------------------ transport


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong", "X-RSL-Merchant": "sandbox-merchant"},
        {"Authorization": "Bearer sandbox-rsl-key", "X-RSL-Merchant": "other-merchant"},
        {"Authorization": "Bearer sandbox-rsl-key"},
        {"Authorization": "Basic sandbox-rsl-key", "X-RSL-Merchant": "sandbox-merchant"},
    ],
)
def test_bad_credentials_get_401_in_the_error_shape(client: TestClient, headers: dict[str, str]) -> None:
    client.headers.clear()
    response = client.get("/rsl/v1/inventory", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"
    assert "message" in response.json()["error"]


def test_more_than_five_calls_a_second_get_429_with_retry_after(
    client: TestClient, warehouse: RslWarehouse, clock: FakeClock
) -> None:
    client.put("/_sandbox/rsl/settings", json={"rateLimitPerSecond": 5})
    statuses = [client.get("/rsl/v1/inventory").status_code for _ in range(5)]
    assert statuses == [200] * 5
    refused = client.get("/rsl/v1/inventory")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()["error"]["code"] == "RATE_LIMITED"
    for _ in range(10):  # the control API is never limited
        assert client.get("/_sandbox/rsl/summary").status_code == 200
    clock.advance(1.0)
    assert client.get("/rsl/v1/inventory").status_code == 200
    client.put("/_sandbox/rsl/settings", json={"rateLimitPerSecond": None})
    assert all(client.get("/rsl/v1/inventory").status_code == 200 for _ in range(20))


def test_the_default_warehouse_limits_at_five_per_second(clock: FakeClock) -> None:
    warehouse = RslWarehouse(clock=clock)
    assert [warehouse.check_rate("m") for _ in range(6)] == [None] * 5 + [1]
    assert warehouse.check_rate("other") is None  # per merchant


def test_malformed_bodies_are_bad_requests(client: TestClient) -> None:
    response = client.post("/rsl/v1/shipment-requests", content=b"{not json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"
    assert client.post("/rsl/v1/shipment-requests", json={"orders": []}).status_code == 400
    too_many = [shipment(f"r{i}", f"o{i}") for i in range(101)]
    response = client.post("/rsl/v1/shipment-requests", json={"requests": too_many})
    assert response.status_code == 400
    assert "100" in response.json()["error"]["message"]


# ------------------------------------------------------------------ shipment requests


def test_accepted_request_reserves_stock_and_answers_in_jst(client: TestClient) -> None:
    [answer] = send(client, shipment())
    assert answer == {
        "requestId": "req-1",
        "status": "accepted",
        "rslOrderId": "RSL20250501-000001",
        "acceptedAt": "2025-05-01T10:00:00+09:00",
        "shipByDate": "2025-05-01",
        "errorCode": None,
        "message": None,
    }
    assert stock(client, "SKU-A") == {
        "onHand": 10,
        "reserved": 2,
        "available": 8,
        "updatedAt": "2025-05-01T10:00:00+09:00",
    }


def test_one_answer_per_request_in_order(client: TestClient) -> None:
    answers = send(
        client,
        shipment("r1", "o1"),
        shipment("r2", "o2", deliveryMethod="SAGAWA"),
        shipment("r3", "o3", lines=[{"sku": "SKU-B", "quantity": 3, "unitPrice": 1}]),
    )
    assert [(a["requestId"], a["status"], a["errorCode"]) for a in answers] == [
        ("r1", "accepted", None),
        ("r2", "rejected", "E004"),
        ("r3", "accepted", None),
    ]


def test_resending_a_request_id_returns_the_first_answer_and_never_ships_twice(
    client: TestClient, clock: FakeClock
) -> None:
    [first] = send(client, shipment())
    clock.advance(0.5)
    [again] = send(client, shipment())
    [changed] = send(client, shipment(lines=[{"sku": "SKU-A", "quantity": 5, "unitPrice": 1}]))
    assert first == again == changed
    assert stock(client, "SKU-A")["reserved"] == 2
    rejected = send(client, shipment("bad", "o9", deliveryMethod="SAGAWA"))
    assert send(client, shipment("bad", "o9")) == rejected  # a rejected id stays rejected
    clock.advance(5)
    assert len(feed(client)["results"]) == 1
    received = client.get("/_sandbox/rsl/requests").json()["requests"]
    assert [(r["requestId"], r["repeat"]) for r in received] == [
        ("req-1", False),
        ("req-1", True),
        ("req-1", True),
        ("bad", False),
        ("bad", True),
    ]
    assert received[2]["request"]["lines"][0]["quantity"] == 5  # listed as received
    assert received[2]["answer"] == first
    assert received[1]["receivedAt"] == "2025-05-01T10:00:00+09:00"
    only = client.get("/_sandbox/rsl/requests", params={"requestId": "bad"}).json()["requests"]
    assert len(only) == 2


def test_the_same_request_id_twice_in_one_batch(client: TestClient) -> None:
    first, second = send(client, shipment(), shipment())
    assert first == second
    assert stock(client, "SKU-A")["reserved"] == 2


@pytest.mark.parametrize(
    ("change", "code", "named"),
    [
        ({"lines": [{"sku": "NOPE", "quantity": 1, "unitPrice": 1}]}, "E001", "NOPE"),
        ({"lines": [{"sku": "SKU-B", "quantity": 4, "unitPrice": 1}]}, "E002", "SKU-B"),
        ({"recipient": address(postalCode="100-0001")}, "E003", "recipient.postalCode"),
        ({"recipient": address(postalCode="100000")}, "E003", "recipient.postalCode"),
        ({"recipient": address(prefecture="")}, "E003", "recipient.prefecture"),
        ({"recipient": {k: v for k, v in address().items() if k != "prefecture"}}, "E003", "recipient.prefecture"),
        ({"sender": address(prefecture="東京")}, "E003", "sender.prefecture"),
        ({"recipient": address(city=None)}, "E003", "recipient.city"),
        ({"deliveryMethod": "SAGAWA"}, "E004", "SAGAWA"),
        ({"mallOrderNumber": ""}, "E005", "mallOrderNumber"),
        ({"shopCode": None}, "E005", "shopCode"),
        ({"deliveryMethod": None}, "E005", "deliveryMethod"),
        ({"deliveryDate": "2025/05/03"}, "E005", "deliveryDate"),
        ({"lines": []}, "E005", "lines"),
        ({"lines": [{"sku": "SKU-A", "quantity": 0, "unitPrice": 1}]}, "E005", "lines[0].quantity"),
        ({"lines": [{"sku": "SKU-A", "quantity": 1}]}, "E005", "lines[0].unitPrice"),
        ({"amounts": {"goods": 1, "postage": -1, "codAmount": 0}}, "E005", "amounts.postage"),
        ({"recipient": address(name=" ")}, "E005", "recipient.name"),
        ({"note": 5}, "E005", "note"),
    ],
)
def test_rejection_codes(client: TestClient, change: dict[str, Any], code: str, named: str) -> None:
    [answer] = send(client, shipment(**change))
    assert answer["status"] == "rejected"
    assert answer["errorCode"] == code
    assert named in answer["message"]
    assert answer["rslOrderId"] is None and answer["acceptedAt"] is None and answer["shipByDate"] is None
    assert stock(client, "SKU-A")["reserved"] == 0


def test_missing_request_id_is_e005(client: TestClient) -> None:
    request = shipment()
    del request["requestId"]
    answer, junk = send(client, request, "not an object")  # type: ignore[arg-type]
    assert (answer["requestId"], answer["errorCode"]) == (None, "E005")
    assert "requestId" in answer["message"]
    assert (junk["requestId"], junk["errorCode"]) == (None, "E005")
    assert client.get("/_sandbox/rsl/summary").json()["distinctRequestIds"] == 0


def test_optional_fields_may_be_left_out(client: TestClient) -> None:
    request = shipment()
    for key in ("sender", "giftWrapping", "noshi", "note"):
        del request[key]
    request["recipient"] = {k: v for k, v in address().items() if k not in ("nameKana", "address2", "phone")}
    assert send(client, request)[0]["status"] == "accepted"


def test_insufficient_stock_counts_reservations(client: TestClient) -> None:
    line = [{"sku": "SKU-B", "quantity": 2, "unitPrice": 1}]
    assert send(client, shipment("r1", "o1", lines=line))[0]["status"] == "accepted"
    [answer] = send(client, shipment("r2", "o2", lines=line))
    assert answer["errorCode"] == "E002"  # onHand 3, reserved 2, available 1
    split = [{"sku": "SKU-A", "quantity": 6, "unitPrice": 1}, {"sku": "SKU-A", "quantity": 5, "unitPrice": 1}]
    assert send(client, shipment("r3", "o3", lines=split))[0]["errorCode"] == "E002"  # lines add up


def test_duplicate_mall_order_number_while_active(client: TestClient, warehouse: RslWarehouse) -> None:
    assert send(client, shipment("r1", "o1"))[0]["status"] == "accepted"
    [dup] = send(client, shipment("r2", "o1"))
    assert dup["errorCode"] == "E006"
    assert "r1" in dup["message"]
    client.post("/_sandbox/rsl/requests/r1/refuse", json={"reason": "住所不備"})
    assert send(client, shipment("r3", "o1"))[0]["status"] == "accepted"  # the first is no longer active


def test_undeliverable_delivery_date_is_cleared(client: TestClient) -> None:
    [kept] = send(client, shipment("r1", "o1", deliveryDate="2025-05-03"))
    [cleared] = send(client, shipment("r2", "o2", deliveryDate="2025-05-01"))
    assert kept["message"] is None
    assert cleared["status"] == "accepted"
    assert "cleared" in cleared["message"]
    dates = {s["requestId"]: s["deliveryDate"] for s in client.get("/_sandbox/rsl/shipments").json()["shipments"]}
    assert dates == {"r1": "2025-05-03", "r2": None}


def test_cutoff_is_15_29_59_jst(client: TestClient, clock: FakeClock) -> None:
    clock.set(15, 29, 59)
    [same_day] = send(client, shipment("r1", "o1"))
    clock.set(15, 30, 0)
    [next_day] = send(client, shipment("r2", "o2"))
    assert (same_day["acceptedAt"], same_day["shipByDate"]) == ("2025-05-01T15:29:59+09:00", "2025-05-01")
    assert (next_day["acceptedAt"], next_day["shipByDate"]) == ("2025-05-01T15:30:00+09:00", "2025-05-02")


def test_cutoff_uses_jst_whatever_the_clock_zone(clock: FakeClock) -> None:
    from datetime import UTC

    clock.now = datetime(2025, 5, 1, 6, 29, 59, tzinfo=UTC)  # 15:29:59 JST
    warehouse = RslWarehouse(clock=clock, rate_limit_per_second=None)
    warehouse.set_stock({"SKU-A": 5})
    assert warehouse.submit([shipment()])[0]["shipByDate"] == "2025-05-01"
    clock.now = datetime(2025, 5, 1, 6, 30, 0, tzinfo=UTC)
    assert warehouse.submit([shipment("r2", "o2")])[0]["shipByDate"] == "2025-05-02"


# ------------------------------------------------------------------ shipping and the results feed


def test_ships_after_the_delay_with_cursor_paging(client: TestClient, clock: FakeClock) -> None:
    send(client, shipment("r1", "o1"), shipment("r2", "o2"), shipment("r3", "o3"))
    clock.advance(1.9)
    assert feed(client) == {"results": [], "nextCursor": "0"}
    clock.advance(0.1)
    page = feed(client, limit=2)
    assert [r["requestId"] for r in page["results"]] == ["r1", "r2"]
    first = page["results"][0]
    assert first["status"] == "shipped"
    assert first["rslOrderId"] == "RSL20250501-000001"
    assert first["shippedOn"] == "2025-05-01"
    assert (first["carrierCode"], first["carrierName"]) == ("1029", "日本郵便 楽天倉庫出荷")
    assert first["reason"] is None
    [parcel] = first["parcels"]
    assert len(parcel["trackingNumber"]) == 12 and parcel["trackingNumber"].isdigit()
    assert int(parcel["trackingNumber"][:11]) % 7 == int(parcel["trackingNumber"][11])
    assert parcel["lines"] == [{"sku": "SKU-A", "quantity": 2}]
    rest = feed(client, page["nextCursor"], limit=2)
    assert [r["requestId"] for r in rest["results"]] == ["r3"]
    empty = feed(client, rest["nextCursor"])
    assert empty == {"results": [], "nextCursor": rest["nextCursor"]}  # an empty list keeps the cursor
    trackings = {r["parcels"][0]["trackingNumber"] for r in feed(client)["results"]}
    assert len(trackings) == 3
    assert stock(client, "SKU-A") == {
        "onHand": 4,
        "reserved": 0,
        "available": 4,
        "updatedAt": "2025-05-01T10:00:02+09:00",
    }


def test_bad_cursor_and_limit(client: TestClient) -> None:
    assert client.get("/rsl/v1/shipment-results", params={"cursor": "abc"}).status_code == 400
    assert client.get("/rsl/v1/shipment-results", params={"limit": 501}).status_code == 400
    assert client.get("/rsl/v1/shipment-results", params={"limit": "x"}).status_code == 400


def test_after_cutoff_ships_on_the_next_day(client: TestClient, clock: FakeClock) -> None:
    clock.set(15, 30, 0)
    send(client, shipment())
    clock.set(23, 59, 59)
    assert feed(client)["results"] == []
    clock.advance(1)
    [result] = feed(client)["results"]
    assert result["shippedOn"] == "2025-05-02"


def test_demo_mode_ships_after_cutoff_without_waiting_for_the_day(client: TestClient, clock: FakeClock) -> None:
    client.put("/_sandbox/rsl/settings", json={"waitForShipByDate": False})
    clock.set(16, 0)
    [answer] = send(client, shipment())
    assert answer["shipByDate"] == "2025-05-02"
    clock.advance(2)
    [result] = feed(client)["results"]
    assert (result["status"], result["shippedOn"]) == ("shipped", "2025-05-01")


def test_refused_requests_become_unshippable(client: TestClient) -> None:
    send(client, shipment("r1", "o1"))
    response = client.post("/_sandbox/rsl/requests/r1/refuse", json={"reason": "商品破損のため出荷不可"})
    assert response.status_code == 200
    [result] = feed(client)["results"]
    assert (result["status"], result["reason"], result["parcels"]) == ("unshippable", "商品破損のため出荷不可", [])
    assert stock(client, "SKU-A")["reserved"] == 0 and stock(client, "SKU-A")["onHand"] == 10
    assert client.post("/_sandbox/rsl/requests/r1/refuse", json={}).status_code == 409
    assert client.post("/_sandbox/rsl/requests/r1/ship").status_code == 409


def test_refuse_rate_one_refuses_everything(client: TestClient, clock: FakeClock) -> None:
    client.put("/_sandbox/rsl/settings", json={"refuseRate": 1.0})
    send(client, shipment())
    clock.advance(3)
    [result] = feed(client)["results"]
    assert result["status"] == "unshippable"
    assert "出荷不可" in result["reason"]


def test_stock_short_at_shipping_time_is_unshippable(client: TestClient, clock: FakeClock) -> None:
    send(client, shipment(lines=[{"sku": "SKU-B", "quantity": 3, "unitPrice": 1}]))
    client.put("/_sandbox/rsl/stock", json={"SKU-B": 1})
    clock.advance(3)
    [result] = feed(client)["results"]
    assert result["status"] == "unshippable"
    assert "SKU-B" in result["reason"]


def test_ship_now_and_hold_all(client: TestClient, clock: FakeClock) -> None:
    client.put("/_sandbox/rsl/settings", json={"holdAll": True})
    send(client, shipment("r1", "o1"), shipment("r2", "o2"))
    clock.advance(60)
    assert feed(client)["results"] == []
    shipped = client.post("/_sandbox/rsl/requests/r2/ship").json()
    assert (shipped["requestId"], shipped["status"], shipped["shippedOn"]) == ("r2", "shipped", "2025-05-01")
    assert client.post("/rsl/v1/shipment-requests/r1/withdraw", json={}).json()["status"] == "withdrawn"
    assert [r["status"] for r in feed(client)["results"]] == ["shipped", "withdrawn"]


def test_lifting_the_hold_ships_from_then_on(client: TestClient, clock: FakeClock) -> None:
    client.put("/_sandbox/rsl/settings", json={"holdAll": True})
    send(client, shipment())
    clock.advance(10)
    client.put("/_sandbox/rsl/settings", json={"holdAll": False})  # the delay starts again from here
    send(client, shipment("req-2", "o2"))
    assert client.post("/rsl/v1/shipment-requests/req-1/withdraw", json={}).json()["status"] == "withdrawn"
    clock.advance(2)
    [result] = feed(client)["results"][1:]
    assert (result["requestId"], result["status"]) == ("req-2", "shipped")


def test_ship_now_ignores_the_ship_by_date(client: TestClient, clock: FakeClock) -> None:
    clock.set(16, 0)
    send(client, shipment())
    result = client.post("/_sandbox/rsl/requests/req-1/ship").json()
    assert result["shippedOn"] == "2025-05-01"
    assert feed(client)["results"] == [result]


# ------------------------------------------------------------------ withdrawal


def test_withdraw_before_picking(client: TestClient, clock: FakeClock) -> None:
    send(client, shipment())
    clock.advance(0.9)  # picking starts at half the delay (1 s)
    response = client.post("/rsl/v1/shipment-requests/req-1/withdraw", json={"reason": "顧客都合のキャンセル"})
    assert response.json() == {"status": "withdrawn", "reason": "顧客都合のキャンセル"}
    assert stock(client, "SKU-A")["reserved"] == 0
    [result] = feed(client)["results"]
    assert (result["status"], result["reason"], result["shippedOn"]) == ("withdrawn", "顧客都合のキャンセル", None)
    clock.advance(10)
    assert len(feed(client)["results"]) == 1  # never shipped
    again = client.post("/rsl/v1/shipment-requests/req-1/withdraw", json={})
    assert again.json()["status"] == "withdrawn"
    assert len(feed(client)["results"]) == 1
    assert send(client, shipment("req-2"))[0]["status"] == "accepted"  # same mall order, new requestId


def test_withdraw_after_picking_started_is_refused(client: TestClient, clock: FakeClock) -> None:
    send(client, shipment())
    clock.advance(1.0)
    response = client.post("/rsl/v1/shipment-requests/req-1/withdraw", json={"reason": "x"})
    assert response.json() == {"status": "refused", "reason": "picking started"}
    assert stock(client, "SKU-A")["reserved"] == 2
    clock.advance(1.0)
    assert feed(client)["results"][0]["status"] == "shipped"
    assert client.post("/rsl/v1/shipment-requests/req-1/withdraw", json={}).json()["status"] == "refused"


def test_start_picking_by_control(client: TestClient) -> None:
    send(client, shipment())
    picked = client.post("/_sandbox/rsl/requests/req-1/start-picking").json()
    assert picked["pickingStartedAt"] == "2025-05-01T10:00:00+09:00"
    assert client.post("/rsl/v1/shipment-requests/req-1/withdraw", json={}).json()["status"] == "refused"


def test_next_day_requests_are_not_picked_today(client: TestClient, clock: FakeClock) -> None:
    clock.set(16, 0)
    send(client, shipment())
    clock.set(23, 0)
    assert client.post("/rsl/v1/shipment-requests/req-1/withdraw", json={}).json()["status"] == "withdrawn"


def test_withdraw_unknown_or_rejected(client: TestClient) -> None:
    response = client.post("/rsl/v1/shipment-requests/nope/withdraw", json={})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    send(client, shipment(deliveryMethod="SAGAWA"))
    assert client.post("/rsl/v1/shipment-requests/req-1/withdraw", json={}).status_code == 409
    assert client.post("/_sandbox/rsl/requests/nope/ship").status_code == 404


# ------------------------------------------------------------------ inventory, items, inbound plans


def test_inventory_by_sku_and_paged(client: TestClient) -> None:
    send(client, shipment())
    body = client.get("/rsl/v1/inventory", params=[("sku", "SKU-A"), ("sku", "NOPE")]).json()
    assert body == {
        "items": [
            {"sku": "SKU-A", "onHand": 10, "reserved": 2, "available": 8, "updatedAt": "2025-05-01T10:00:00+09:00"}
        ],
        "nextPage": None,
    }
    client.put("/_sandbox/rsl/stock", json={f"BULK-{i:03d}": i for i in range(150)})
    first = client.get("/rsl/v1/inventory").json()
    assert len(first["items"]) == 100 and first["nextPage"] == 2
    second = client.get("/rsl/v1/inventory", params={"page": 2}).json()
    assert len(second["items"]) == 52 and second["nextPage"] is None
    skus = [i["sku"] for i in first["items"] + second["items"]]
    assert skus == sorted(skus) and "SKU-B" in skus


def test_items_are_usable_after_a_delay(client: TestClient, clock: FakeClock) -> None:
    response = client.put("/rsl/v1/items/NEW-1", json={"name": "新商品", "janCode": "4901234567894", "price": 500})
    assert (response.status_code, response.json()) == (202, {"status": "queued"})
    line = [{"sku": "NEW-1", "quantity": 1, "unitPrice": 500}]
    assert send(client, shipment("r1", "o1", lines=line))[0]["errorCode"] == "E001"
    clock.advance(1)
    assert send(client, shipment("r2", "o2", lines=line))[0]["errorCode"] == "E002"  # known, no stock
    assert client.get("/rsl/v1/inventory", params={"sku": "NEW-1"}).json()["items"][0]["onHand"] == 0
    bad = client.put("/rsl/v1/items/NEW-2", json={"janCode": "123"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "E005")
    assert "name" in bad.json()["error"]["message"]


def test_inbound_plan_before_13_59_arrives_next_day(client: TestClient, clock: FakeClock) -> None:
    clock.set(13, 59, 59)
    plan = {"planId": "P1", "arrivalDate": "2025-05-01", "carrier": "ヤマト", "boxes": 2, "lines": []}
    plan["lines"] = [{"sku": "SKU-B", "quantity": 7}]
    response = client.post("/rsl/v1/inbound-plans", json=plan)
    assert response.json() == {"status": "accepted", "expectedArrival": "2025-05-02"}
    assert client.post("/rsl/v1/inbound-plans", json=plan).json()["expectedArrival"] == "2025-05-02"  # idempotent
    clock.now = datetime(2025, 5, 2, 9, 59, 59, tzinfo=JST)
    assert stock(client, "SKU-B")["onHand"] == 3
    clock.advance(1)
    assert stock(client, "SKU-B") == {
        "onHand": 10,
        "reserved": 0,
        "available": 10,
        "updatedAt": "2025-05-02T10:00:00+09:00",
    }


def test_inbound_plan_after_13_59_and_later_dates(client: TestClient, clock: FakeClock) -> None:
    clock.set(14, 0, 0)
    lines = [{"sku": "SKU-A", "quantity": 1}]
    late = client.post("/rsl/v1/inbound-plans", json={"planId": "P1", "arrivalDate": "2025-05-01", "lines": lines})
    assert late.json()["expectedArrival"] == "2025-05-03"
    later = client.post("/rsl/v1/inbound-plans", json={"planId": "P2", "arrivalDate": "2025-05-09", "lines": lines})
    assert later.json()["expectedArrival"] == "2025-05-09"
    assert client.post("/_sandbox/rsl/inbound-plans/P1/arrive").json()["SKU-A"]["onHand"] == 11
    unknown = client.post(
        "/rsl/v1/inbound-plans", json={"planId": "P3", "arrivalDate": "2025-05-09", "lines": [{"sku": "X"}]}
    )
    assert unknown.status_code == 400
    unknown = client.post(
        "/rsl/v1/inbound-plans",
        json={"planId": "P3", "arrivalDate": "2025-05-09", "lines": [{"sku": "X", "quantity": 1}]},
    )
    assert unknown.json()["error"]["code"] == "E001"


# ------------------------------------------------------------------ control API


def test_settings_round_trip_and_validation(client: TestClient) -> None:
    assert client.get("/_sandbox/rsl/settings").json() == {
        "shipDelaySeconds": 2.0,
        "rateLimitPerSecond": None,
        "refuseRate": 0.0,
        "holdAll": False,
        "itemDelaySeconds": 1.0,
        "waitForShipByDate": True,
    }
    changed = client.put("/_sandbox/rsl/settings", json={"shipDelaySeconds": 0, "rateLimitPerSecond": 10}).json()
    assert (changed["shipDelaySeconds"], changed["rateLimitPerSecond"]) == (0, 10)
    bad_settings = [{"refuseRate": 2}, {"holdAll": "yes"}, {"waitForShipByDate": 1}, {"shipDelaySeconds": -1}, {"x": 1}]
    for bad in bad_settings:
        assert client.put("/_sandbox/rsl/settings", json=bad).status_code == 400
    assert client.put("/_sandbox/rsl/stock", json={"SKU-A": -1}).status_code == 400


def test_zero_delay_ships_on_the_next_read(client: TestClient) -> None:
    client.put("/_sandbox/rsl/settings", json={"shipDelaySeconds": 0})
    send(client, shipment())
    assert feed(client)["results"][0]["status"] == "shipped"


def test_summary_counts(client: TestClient, clock: FakeClock) -> None:
    send(client, shipment("r1", "o1"), shipment("r2", "o2"), shipment("r3", "o3"))
    send(client, shipment("r1", "o1"), shipment("r4", "o4", deliveryMethod="SAGAWA"))
    client.post("/rsl/v1/shipment-requests/r2/withdraw", json={})
    client.post("/_sandbox/rsl/requests/r3/refuse", json={"reason": "出荷不可"})
    send(client, shipment("r5", "o3"))  # the same mall order again once r3 is unshippable
    clock.advance(5)
    assert client.get("/_sandbox/rsl/summary").json() == {
        "requestsReceived": 6,
        "repeats": 1,
        "distinctRequestIds": 5,
        "accepted": 4,
        "rejected": 1,
        "acceptedPerRequestIdMax": 1,
        "acceptedPerMallOrderNumberMax": 2,
        "mallOrderNumbersAcceptedMoreThanOnce": ["o3#1"],
        "pending": 0,
        "shipped": 2,
        "unshippable": 1,
        "withdrawn": 1,
    }


def test_reset_forgets_everything(client: TestClient) -> None:
    client.put("/_sandbox/rsl/settings", json={"holdAll": True})
    send(client, shipment())
    assert client.post("/_sandbox/rsl/reset").json() == {"status": "reset"}
    assert client.get("/_sandbox/rsl/stock").json() == {}
    assert client.get("/_sandbox/rsl/summary").json()["requestsReceived"] == 0
    assert client.get("/_sandbox/rsl/settings").json()["holdAll"] is False


def test_requests_log_is_a_copy(warehouse: RslWarehouse) -> None:
    warehouse.set_stock({"SKU-A": 5})
    request = shipment()
    warehouse.submit([request])
    kept = copy.deepcopy(request)
    request["lines"][0]["quantity"] = 99
    assert warehouse.received()[0]["request"] == kept
