"""The Qoo10 emulator through Starlette's TestClient: auth key, both call styles, searches, writes, control."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from juchu_sandbox.qoo10 import Mall, control_routes, routes

BASE = "/GMKT.INC.Front.QAPIService/ebayjapan.qapi"
CATALOGUE = [
    {"itemId": "tea-01", "variantId": "tea-01-100g", "name": "煎茶 100g", "price": 1080},
    {"itemId": "tea-01", "variantId": "tea-01-200g", "name": "煎茶 200g", "price": 1944},
    {"itemId": "tea-03", "variantId": "tea-03", "name": "抹茶", "price": 1620},
]


@pytest.fixture
def world():
    mall = Mall(seed=3)
    client = TestClient(Starlette(routes=[*routes(mall), *control_routes(mall)]))
    client.put("/_sandbox/qoo10/catalogue", json=CATALOGUE).raise_for_status()
    client.put("/_sandbox/qoo10/settings", json={"rateLimits": False}).raise_for_status()
    return mall, client


def _key(client) -> str:
    answer = client.post(
        f"{BASE}/CertificationAPI.CreateCertificationKey",
        headers={"GiosisCertificationKey": "sandbox-qoo10-api-key", "QAPIVersion": "1.0"},
        data={"user_id": "sandbox-qoo10-seller", "pwd": "sandbox-pw", "returnType": "json"},
    ).json()
    assert answer["ResultCode"] == 0
    return answer["ResultObject"]


def _call(client, key: str, method: str, **fields: str) -> dict:
    response = client.post(
        f"{BASE}/{method}", headers={"GiosisCertificationKey": key}, data={**fields, "returnType": "json"}
    )
    assert response.status_code == 200
    return response.json()


def _today_window() -> dict[str, str]:
    from datetime import datetime, timedelta, timezone

    now = datetime.now(timezone(timedelta(hours=9)))
    return {
        "search_Sdate": (now - timedelta(hours=1)).strftime("%Y%m%d%H%M%S"),
        "search_Edate": (now + timedelta(minutes=1)).strftime("%Y%m%d%H%M%S"),
    }


def test_a_wrong_api_key_or_password_gets_no_seller_key(world):
    _mall, client = world
    wrong_key = client.post(
        f"{BASE}/CertificationAPI.CreateCertificationKey",
        headers={"GiosisCertificationKey": "x"},
        data={"user_id": "sandbox-qoo10-seller", "pwd": "sandbox-pw"},
    ).json()
    wrong_pwd = client.post(
        f"{BASE}/CertificationAPI.CreateCertificationKey",
        headers={"GiosisCertificationKey": "sandbox-qoo10-api-key"},
        data={"user_id": "sandbox-qoo10-seller", "pwd": "no"},
    ).json()

    assert (wrong_key["ResultCode"], wrong_pwd["ResultCode"]) == (-90002, -10001)


def test_calls_without_a_valid_key_are_refused_and_stale_keys_answer_expired(world):
    mall, client = world
    assert _call(client, "", "ShippingBasic.GetShippingInfo_v2", **_today_window())["ResultCode"] == -10000
    key = _key(client)
    mall.keys[key] = 0.0
    assert _call(client, key, "ShippingBasic.GetShippingInfo_v2", **_today_window())["ResultCode"] == -90004


def test_the_query_style_with_key_and_method_parameters_works_too(world):
    _mall, client = world
    key = _key(client)
    answer = client.get(
        BASE,
        params={
            "v": "1.0",
            "method": "ShippingBasic.GetShippingInfo_v2",
            "key": key,
            "returnType": "json",
            **_today_window(),
        },
    ).json()
    assert (answer["ResultCode"], answer["ResultObject"]) == (0, [])
    assert client.get(BASE, params={"method": "Nope.Nothing", "key": key}).json()["ResultCode"] == -90001


def test_generated_carts_are_listed_by_order_date_until_cancelled_and_claims_list_the_cancellation(world):
    _mall, client = world
    numbers = client.post("/_sandbox/qoo10/orders", json={"count": 5, "seed": 1}).json()["orderNumbers"]
    key = _key(client)

    rows = _call(
        client, key, "ShippingBasic.GetShippingInfo_v2", ShippingStat="", search_condition="1", **_today_window()
    )
    assert {str(r["packNo"]) for r in rows["ResultObject"]} == set(numbers)
    assert all(r["receiverMobile"].startswith("+81-") for r in rows["ResultObject"])

    client.post(f"/_sandbox/qoo10/orders/{numbers[0]}/cancel").raise_for_status()
    rows = _call(
        client, key, "ShippingBasic.GetShippingInfo_v2", ShippingStat="", search_condition="1", **_today_window()
    )
    claims = _call(client, key, "ShippingBasic.GetClaimInfo_V3", search_condition="2", **_today_window())
    assert numbers[0] not in {str(r["packNo"]) for r in rows["ResultObject"]}
    assert {(str(r["packNo"]), r["claimStatus"]) for r in claims["ResultObject"]} == {(numbers[0], "3")}
    assert client.get(f"/_sandbox/qoo10/orders/{numbers[0]}").json()["cancelled"] is True


def test_searches_check_dates_and_the_ninety_day_limit_and_cap_their_rows(world):
    _mall, client = world
    key = _key(client)
    client.put("/_sandbox/qoo10/settings", json={"rowCap": 2}).raise_for_status()
    client.post("/_sandbox/qoo10/orders", json={"count": 4, "seed": 2, "paymentMix": {"クレジットカード": 1}})

    bad = _call(client, key, "ShippingBasic.GetShippingInfo_v2", search_Sdate="2025-01-01", search_Edate="20250102")
    long = _call(client, key, "ShippingBasic.GetShippingInfo_v2", search_Sdate="20250101", search_Edate="20250501")
    capped = _call(client, key, "ShippingBasic.GetShippingInfo_v2", **_today_window())

    assert (bad["ResultCode"], long["ResultCode"], len(capped["ResultObject"])) == (-10001, -10002, 2)


def test_seller_check_payment_and_shipping_move_the_status_and_a_resend_overwrites(world):
    mall, client = world
    (number,) = client.post(
        "/_sandbox/qoo10/orders", json={"count": 1, "seed": 4, "paymentMix": {"コンビニ決済": 1}}
    ).json()["orderNumbers"]
    assert client.get("/_sandbox/qoo10/orders", params={"state": "unpaid"}).json()["orderNumbers"] == [number]
    key = _key(client)
    order_nos = [str(n) for n in mall.packs[int(number)]]
    order_no = order_nos[0]

    assert (
        _call(client, key, "ShippingBasic.SetSendingInfo", OrderNo=order_no, ShippingCorp="JapanPost", TrackingNo="1")[
            "ResultCode"
        ]
        == -10004
    )
    assert {_call(client, key, "ShippingBasic.SetSellerCheckYN_V2", OrderNo=n)["ResultCode"] for n in order_nos} == {0}
    client.post(f"/_sandbox/qoo10/orders/{number}/pay").raise_for_status()
    assert client.post(f"/_sandbox/qoo10/orders/{number}/pay").status_code == 409
    assert client.get(f"/_sandbox/qoo10/orders/{number}").json()["confirmed"] is True
    assert _call(client, key, "ShippingBasic.SetSellerCheckYN_V2", OrderNo=order_no)["ResultCode"] == -10004

    for _ in range(2):
        sent = _call(
            client,
            key,
            "ShippingBasic.SetSendingInfo",
            OrderNo=order_no,
            ShippingCorp="JapanPost",
            TrackingNo="600000000014",
        )
        assert sent["ResultCode"] == 0
    assert (
        _call(client, key, "ShippingBasic.SetSendingInfo", OrderNo=order_no, ShippingCorp="Kuroneko", TrackingNo="1")[
            "ResultCode"
        ]
        == -10005
    )

    snapshot = client.get(f"/_sandbox/qoo10/orders/{number}").json()
    assert [s["trackingNumbers"] for s in snapshot["shipments"]] == [["600000000014"]]
    assert client.post(f"/_sandbox/qoo10/orders/{number}/cancel").status_code == 409
    summary = client.get("/_sandbox/qoo10/summary").json()
    assert (summary["shipped"], summary["duplicateTracking"], summary["shipmentWrites"]) == (1, [], 2)


def test_each_line_of_a_cart_keeps_its_own_tracking_number_so_a_split_cart_shows_both_parcels(world):
    mall, client = world
    client.post("/_sandbox/qoo10/orders", json={"count": 10, "seed": 6, "paymentMix": {"クレジットカード": 1}})
    number, order_nos = next((str(p), [str(n) for n in nos]) for p, nos in mall.packs.items() if len(nos) >= 2)
    key = _key(client)

    for order_no, tracking in ((order_nos[0], "600000000014"), (order_nos[1], "600000000022")):
        sent = _call(
            client, key, "ShippingBasic.SetSendingInfo", OrderNo=order_no, ShippingCorp="JapanPost", TrackingNo=tracking
        )
        assert sent["ResultCode"] == 0

    snapshot = client.get(f"/_sandbox/qoo10/orders/{number}").json()
    held = {str(row["orderNo"]): row["trackingNo"] for row in snapshot["order"]["rows"]}
    assert {n: held[n] for n in order_nos[:2]} == {order_nos[0]: "600000000014", order_nos[1]: "600000000022"}
    assert [s["trackingNumbers"] for s in snapshot["shipments"]] == [["600000000014", "600000000022"]]
    assert client.get("/_sandbox/qoo10/summary").json()["duplicateTracking"] == []


def test_stock_goes_down_with_orders_and_is_set_by_option_name_and_value_or_seller_code(world):
    _mall, client = world
    client.post("/_sandbox/qoo10/orders", json={"count": 3, "seed": 5})
    key = _key(client)
    assert min(client.get("/_sandbox/qoo10/summary").json()["stock"].values()) < 1000

    options = _call(client, key, "ItemsLookup.GetGoodsInventoryInfo", SellerCode="tea-01")["ResultObject"]
    option = next(o for o in options if o["OptionCode"] == "tea-01-200g")
    ok = _call(
        client,
        key,
        "ItemsOptions.UpdateInventoryQtyUnit",
        ItemCode=option["ItemCode"],
        SellerCode="tea-01",
        OptionName=option["OptionName"],
        OptionValue=option["OptionValue"],
        OptionCode="tea-01-200g",
        Qty="7",
    )
    wrong = _call(
        client,
        key,
        "ItemsOptions.UpdateInventoryQtyUnit",
        ItemCode=option["ItemCode"],
        SellerCode="tea-01",
        OptionName=option["OptionName"],
        OptionValue="別物",
        OptionCode="tea-01-200g",
        Qty="7",
    )
    bare = _call(client, key, "ItemsOrder.SetGoodsPriceQty", SellerCode="tea-03", ItemQty="40")
    missing = _call(client, key, "ItemsOrder.SetGoodsPriceQty", SellerCode="tea-99", ItemQty="1")

    assert [a["ResultCode"] for a in (ok, wrong, bare, missing)] == [0, -10101, 0, -10001]
    stock = client.get("/_sandbox/qoo10/summary").json()["stock"]
    assert (stock["tea-01:tea-01-200g"], stock["tea-03"]) == (7, 40)


def test_the_rate_limit_answers_429_when_on(world):
    _mall, client = world
    client.put("/_sandbox/qoo10/settings", json={"rateLimits": True, "ratePerSecond": 1, "burst": 2}).raise_for_status()
    statuses = [client.get(BASE, params={"method": "Nope"}).status_code for _ in range(4)]
    assert statuses[:2] == [200, 200] and 429 in statuses[2:]


def test_expired_credentials_refuse_keys_until_restored(world):
    _mall, client = world
    key = _key(client)
    client.post("/_sandbox/qoo10/credentials", json={"expired": True}).raise_for_status()
    assert _call(client, key, "ShippingBasic.GetShippingInfo_v2", **_today_window())["ResultCode"] == -10000
    refused = client.post(
        f"{BASE}/CertificationAPI.CreateCertificationKey",
        headers={"GiosisCertificationKey": "sandbox-qoo10-api-key"},
        data={"user_id": "sandbox-qoo10-seller", "pwd": "sandbox-pw"},
    ).json()
    assert refused["ResultCode"] == -90002
    client.post("/_sandbox/qoo10/credentials", json={"expired": False}).raise_for_status()
    assert _call(client, _key(client), "ShippingBasic.GetShippingInfo_v2", **_today_window())["ResultCode"] == 0


def test_a_cancellation_request_shows_as_claim_one_and_unknown_carts_are_404(world):
    _mall, client = world
    (number,) = client.post("/_sandbox/qoo10/orders", json={"count": 1, "seed": 6}).json()["orderNumbers"]
    snapshot = client.post(f"/_sandbox/qoo10/orders/{number}/change").json()
    assert "claim(1)" in snapshot["status"] and snapshot["cancelled"] is False
    assert client.get("/_sandbox/qoo10/orders/42").status_code == 404
    assert client.post("/_sandbox/qoo10/orders", json={"count": 1, "paymentMix": {"代金引換": 1}}).status_code == 400


def test_a_hand_change_reads_back_through_the_inventory_and_the_item_details(world):
    _mall, client = world
    changed = client.put("/_sandbox/qoo10/stock", json={"tea-01:tea-01-100g": 11, "tea-03": 4})
    key = _key(client)

    options = _call(client, key, "ItemsLookup.GetGoodsInventoryInfo", SellerCode="tea-01")["ResultObject"]
    plain_options = _call(client, key, "ItemsLookup.GetGoodsInventoryInfo", SellerCode="tea-03")
    detail = _call(client, key, "ItemsLookup.GetItemDetailInfo", SellerCode="tea-03")
    with_options = _call(client, key, "ItemsLookup.GetItemDetailInfo", SellerCode="tea-01")
    by_item_code = _call(client, key, "ItemsLookup.GetItemDetailInfo", ItemCode=detail["ResultObject"][0]["ItemCode"])
    missing = _call(client, key, "ItemsLookup.GetItemDetailInfo", SellerCode="tea-99")

    assert changed.status_code == 200 and changed.json()["stock"]["tea-03"] == 4
    assert {o["OptionCode"]: o["Qty"] for o in options} == {"tea-01-100g": 11, "tea-01-200g": 1000}
    assert plain_options["ResultObject"] == []
    (item,) = detail["ResultObject"]
    assert (item["SellerCode"], item["ItemQty"], item["ItemTitle"]) == ("tea-03", 4, "抹茶")
    assert with_options["ResultObject"][0]["ItemQty"] == 0  # its stock lives on the options
    assert by_item_code["ResultObject"][0]["SellerCode"] == "tea-03"
    assert missing["ResultCode"] == -10001
    # a hand change is not one of the seller's API stock writes
    assert client.get("/_sandbox/qoo10/summary").json()["stockWrites"] == 0


def test_the_stock_control_changes_nothing_when_a_key_or_quantity_is_wrong(world):
    _mall, client = world
    unknown = client.put("/_sandbox/qoo10/stock", json={"tea-03": 1, "tea-01": 2})
    bad = client.put("/_sandbox/qoo10/stock", json={"tea-03": -1})

    assert (unknown.status_code, bad.status_code) == (404, 400)
    assert client.get("/_sandbox/qoo10/summary").json()["stock"]["tea-03"] == 1000
