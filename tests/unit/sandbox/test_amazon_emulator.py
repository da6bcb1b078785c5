"""The Amazon SP-API emulator through Starlette's TestClient: LWA, auth, paths, paging, limits, state, control."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from juchu_sandbox.amazon import Mall, control_routes, routes
from juchu_sandbox.amazon.store import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID

MKT = "A1VC38T7YXB528"
CATALOGUE = [
    {"itemId": "tea-01", "variantId": "tea-01-100g", "name": "煎茶 100g", "price": 1080},
    {"itemId": "tea-03", "variantId": "", "name": "抹茶", "price": 1620},
    {"itemId": "fba-1", "variantId": "", "name": "FBA 煎茶", "price": 500, "fba": True, "quantity": 40},
]
FORM = {
    "grant_type": "refresh_token",
    "refresh_token": REFRESH_TOKEN,
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
}


@pytest.fixture
def mall() -> Mall:
    return Mall(seed=5)


@pytest.fixture
def client(mall: Mall) -> TestClient:
    app = Starlette(routes=[*control_routes(mall), *routes(mall)])
    test = TestClient(app)
    assert test.put("/_sandbox/amazon/catalogue", json=CATALOGUE).status_code == 200
    return test


def _token(client: TestClient) -> dict[str, str]:
    answer = client.post("/auth/o2/token", data=FORM)
    assert answer.status_code == 200
    return {"x-amz-access-token": answer.json()["access_token"]}


def _since(minutes: int = 10) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _orders(client: TestClient, auth: dict[str, str], **params: str) -> dict:
    answer = client.get("/orders/v0/orders", params={"MarketplaceIds": MKT, **params}, headers=auth)
    assert answer.status_code == 200, answer.text
    return answer.json()["payload"]


def _create(client: TestClient, count: int = 1, **body: object) -> list[str]:
    answer = client.post("/_sandbox/amazon/orders", json={"count": count, "seed": 9, **body})
    assert answer.status_code == 200, answer.text
    return answer.json()["orderNumbers"]


def test_lwa_issues_a_token_and_refuses_bad_clients_and_grants(client: TestClient) -> None:
    ok = client.post("/auth/o2/token", data=FORM).json()
    bad_client = client.post("/auth/o2/token", data=FORM | {"client_secret": "x"})
    bad_grant = client.post("/auth/o2/token", data=FORM | {"refresh_token": "Atzr|other"})
    bad_type = client.post("/auth/o2/token", data=FORM | {"grant_type": "client_credentials"})

    assert ok["token_type"] == "bearer" and ok["expires_in"] == 3600 and ok["access_token"].startswith("Atza|")
    assert (bad_client.status_code, bad_client.json()["error"]) == (401, "invalid_client")
    assert (bad_grant.status_code, bad_grant.json()["error"]) == (400, "invalid_grant")
    assert (bad_type.status_code, bad_type.json()["error"]) == (400, "unsupported_grant_type")


def test_calls_without_a_valid_token_are_refused_with_the_errors_envelope(client: TestClient) -> None:
    missing = client.get("/orders/v0/orders", params={"MarketplaceIds": MKT, "LastUpdatedAfter": _since()})
    unknown = client.get("/orders/v0/orders", headers={"x-amz-access-token": "Atza|forged"})

    assert missing.status_code == 403 and unknown.status_code == 403
    assert missing.json() == {
        "errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied.", "details": ""}]
    }


def test_expired_credentials_revoke_tokens_and_refuse_the_refresh_until_restored(client: TestClient) -> None:
    auth = _token(client)
    client.post("/_sandbox/amazon/credentials", json={"expired": True})

    refused = client.get(
        "/orders/v0/orders", params={"MarketplaceIds": MKT, "LastUpdatedAfter": _since()}, headers=auth
    )
    grant = client.post("/auth/o2/token", data=FORM)
    client.post("/_sandbox/amazon/credentials", json={"expired": False})

    assert refused.status_code == 403
    assert (grant.status_code, grant.json()["error"]) == (400, "invalid_grant")
    assert _orders(client, _token(client), LastUpdatedAfter=_since())["Orders"] == []


def test_an_expired_access_token_says_so(client: TestClient, mall: Mall) -> None:
    auth = _token(client)
    mall.tokens[auth["x-amz-access-token"]] = 0.0

    answer = client.get("/orders/v0/orders/503-0000000-0000000", headers=auth)

    assert answer.status_code == 403
    assert answer.json()["errors"][0] == {
        "code": "Unauthorized",
        "message": "The access token you provided has expired.",
        "details": "",
    }


def test_get_orders_checks_its_parameters(client: TestClient) -> None:
    auth = _token(client)
    late = (datetime.now(UTC) - timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    cases = [
        {"LastUpdatedAfter": _since()},
        {"MarketplaceIds": MKT},
        {"MarketplaceIds": MKT, "LastUpdatedAfter": _since(), "CreatedAfter": _since()},
        {"MarketplaceIds": MKT, "LastUpdatedAfter": "yesterday"},
        {"MarketplaceIds": MKT, "LastUpdatedAfter": _since(), "LastUpdatedBefore": late},
        {"MarketplaceIds": MKT, "LastUpdatedAfter": _since(), "MaxResultsPerPage": "101"},
        {"MarketplaceIds": MKT, "LastUpdatedAfter": _since(), "OrderStatuses": "Lost"},
        {"MarketplaceIds": MKT, "LastUpdatedAfter": _since(), "FulfillmentChannels": "XYZ"},
        {"MarketplaceIds": "ATVPDKIKX0DER", "LastUpdatedAfter": _since()},
        {"MarketplaceIds": MKT, "NextToken": "bogus"},
    ]
    for params in cases:
        answer = client.get("/orders/v0/orders", params=params, headers=auth)
        assert answer.status_code == 400, params
        assert answer.json()["errors"][0]["code"] == "InvalidInput"


def test_get_orders_pages_with_next_token_and_filters_channel_and_status(client: TestClient) -> None:
    auth = _token(client)
    mfn = _create(client, 5, paymentMix={"Other": 1})
    afn = _create(client, 1, order={"FulfillmentChannel": "AFN"})
    pending = _create(client, 1, paymentMix={"CVS": 1})

    first = _orders(
        client,
        auth,
        LastUpdatedAfter=_since(),
        FulfillmentChannels="MFN",
        OrderStatuses="Unshipped",
        MaxResultsPerPage="3",
    )
    second = _orders(client, auth, NextToken=first["NextToken"])
    everything = _orders(client, auth, CreatedAfter=_since())

    found = [o["AmazonOrderId"] for o in first["Orders"] + second["Orders"]]
    assert sorted(found) == sorted(mfn)
    assert "NextToken" not in second
    assert {o["AmazonOrderId"] for o in everything["Orders"]} == set(mfn + afn + pending)
    assert set(first["Orders"][0]["ShippingAddress"]) == {"City", "StateOrRegion", "PostalCode", "CountryCode"}


def test_an_order_is_read_through_items_address_and_buyer_info(client: TestClient, mall: Mall) -> None:
    auth = _token(client)
    client.put("/_sandbox/amazon/settings", json={"orderItemsPageSize": 1})
    (number,) = _create(client, 1)
    first_item = mall.orders[number]["items"][0]
    mall.orders[number]["items"] = [first_item, {**first_item, "OrderItemId": "99999999999999"}]
    base = f"/orders/v0/orders/{number}"

    order = client.get(base, headers=auth).json()["payload"]
    page1 = client.get(f"{base}/orderItems", headers=auth).json()["payload"]
    page2 = client.get(f"{base}/orderItems", params={"NextToken": page1["NextToken"]}, headers=auth).json()["payload"]
    address = client.get(f"{base}/address", headers=auth).json()["payload"]["ShippingAddress"]
    buyer = client.get(f"{base}/buyerInfo", headers=auth).json()["payload"]

    assert order["AmazonOrderId"] == number and order["FulfillmentChannel"] == "MFN"
    assert len(page1["OrderItems"]) == 1 and len(page2["OrderItems"]) == 1
    assert address["CountryCode"] == "JP" and address["Name"] and address["PostalCode"][3] == "-"
    assert buyer["BuyerEmail"].endswith("@marketplace.amazon.co.jp")
    assert client.get("/orders/v0/orders/12345", headers=auth).status_code == 400
    assert client.get("/orders/v0/orders/503-0000000-0000000", headers=auth).json()["errors"][0]["code"] == "NotFound"


def test_get_orders_is_throttled_after_its_burst_unless_rate_limits_are_off(client: TestClient) -> None:
    auth = _token(client)
    params = {"MarketplaceIds": MKT, "LastUpdatedAfter": _since()}

    answers = [client.get("/orders/v0/orders", params=params, headers=auth) for _ in range(21)]
    client.put("/_sandbox/amazon/settings", json={"rateLimits": False})
    after = [client.get("/orders/v0/orders", params=params, headers=auth).status_code for _ in range(25)]

    assert [a.status_code for a in answers] == [200] * 20 + [429]
    assert answers[-1].json()["errors"][0]["code"] == "QuotaExceeded"
    assert answers[0].headers["x-amzn-RateLimit-Limit"] == "0.0167"
    assert set(after) == {200}


def _confirm(client: TestClient, auth: dict[str, str], number: str, ref: str = "1", **package: object) -> int:
    items = client.get(f"/orders/v0/orders/{number}/orderItems", headers=auth).json()["payload"]["OrderItems"]
    detail = {
        "packageReferenceId": ref,
        "carrierCode": "Japan Post",
        "trackingNumber": "112233445566",
        "shipDate": "2026-03-03T03:00:00Z",
        "orderItems": [{"orderItemId": i["OrderItemId"], "quantity": i["QuantityOrdered"]} for i in items],
    } | package
    body = {"marketplaceId": MKT, "packageDetail": detail}
    return client.post(f"/orders/v0/orders/{number}/shipmentConfirmation", json=body, headers=auth).status_code


def test_confirm_shipment_ships_the_order_and_the_same_reference_edits_it(client: TestClient) -> None:
    auth = _token(client)
    (number,) = _create(client, 1, paymentMix={"Other": 1})

    first = _confirm(client, auth, number)
    again = _confirm(client, auth, number, trackingNumber="998877")
    more = _confirm(client, auth, number, ref="2")
    snapshot = client.get(f"/_sandbox/amazon/orders/{number}").json()
    summary = client.get("/_sandbox/amazon/summary").json()

    assert (first, again, more) == (204, 204, 400)
    assert snapshot["status"] == "Shipped"
    ordered = [
        {"orderItemId": i["OrderItemId"], "sellerSku": i["SellerSKU"], "quantity": i["QuantityOrdered"]}
        for i in snapshot["order"]["items"]
    ]
    assert snapshot["shipments"] == [
        {
            "packageReferenceId": "1",
            "carrier": "Japan Post",
            "trackingNumbers": ["998877"],
            "shipDate": "2026-03-03",
            "items": ordered,
        }
    ]
    assert (summary["shipped"], summary["shipmentWrites"], summary["duplicateTracking"]) == (1, 2, [])


def test_a_split_shipment_is_one_package_per_reference_each_with_its_items_and_tracking_number(
    client: TestClient, mall: Mall
) -> None:
    auth = _token(client)
    (number,) = _create(client, 1, paymentMix={"Other": 1})
    first = mall.orders[number]["items"][0]
    mall.orders[number]["items"] = [
        {**first, "OrderItemId": "11111111111111", "SellerSKU": "tea-01-100g", "QuantityOrdered": 2},
        {**first, "OrderItemId": "22222222222222", "SellerSKU": "tea-03", "QuantityOrdered": 1},
    ]

    part1 = _confirm(client, auth, number, orderItems=[{"orderItemId": "11111111111111", "quantity": 2}])
    halfway = client.get(f"/_sandbox/amazon/orders/{number}").json()["status"]
    matcha = [{"orderItemId": "22222222222222", "quantity": 1}]
    part2 = _confirm(client, auth, number, ref="2", trackingNumber="223344", orderItems=matcha)
    again = _confirm(client, auth, number, ref="2", trackingNumber="998877", orderItems=matcha)
    snapshot = client.get(f"/_sandbox/amazon/orders/{number}").json()
    summary = client.get("/_sandbox/amazon/summary").json()

    assert (part1, part2, again) == (204, 204, 204)
    assert (halfway, snapshot["status"]) == ("PartiallyShipped", "Shipped")
    assert [(s["packageReferenceId"], s["trackingNumbers"], s["items"]) for s in snapshot["shipments"]] == [
        ("1", ["112233445566"], [{"orderItemId": "11111111111111", "sellerSku": "tea-01-100g", "quantity": 2}]),
        ("2", ["998877"], [{"orderItemId": "22222222222222", "sellerSku": "tea-03", "quantity": 1}]),
    ]
    assert [i["QuantityShipped"] for i in snapshot["order"]["items"]] == [2, 1]
    counts = (summary["shipped"], summary["packages"], summary["shipmentWrites"], summary["duplicateTracking"])
    assert counts == (1, 2, 3, [])


def test_packages_are_listed_in_reference_number_order(client: TestClient, mall: Mall) -> None:
    auth = _token(client)
    (number,) = _create(client, 1, paymentMix={"Other": 1})
    first = mall.orders[number]["items"][0]
    mall.orders[number]["items"] = [{**first, "QuantityOrdered": 10}]
    one = [{"orderItemId": first["OrderItemId"], "quantity": 1}]

    sent = [
        _confirm(client, auth, number, ref=ref, trackingNumber=f"7{ref}", orderItems=one) for ref in ("10", "2", "1")
    ]

    shipments = client.get(f"/_sandbox/amazon/orders/{number}").json()["shipments"]
    assert sent == [204, 204, 204]
    assert [s["packageReferenceId"] for s in shipments] == ["1", "2", "10"]


@pytest.mark.parametrize(
    "package",
    [
        {"carrierCode": "Kuroneko"},
        {"carrierCode": "Other"},
        {"trackingNumber": ""},
        {"packageReferenceId": "abc"},
        {"shipDate": "03/03/2026"},
        {"orderItems": []},
        {"orderItems": [{"orderItemId": "1", "quantity": 1}]},
    ],
)
def test_confirm_shipment_refuses_bad_package_details(client: TestClient, package: dict) -> None:
    auth = _token(client)
    (number,) = _create(client, 1, paymentMix={"Other": 1})

    assert _confirm(client, auth, number, **package) == 400
    assert client.get(f"/_sandbox/amazon/orders/{number}").json()["shipments"] == []


def test_confirm_shipment_refuses_fba_pending_and_cancelled_orders(client: TestClient) -> None:
    auth = _token(client)
    (afn,) = _create(client, 1, paymentMix={"Other": 1}, order={"FulfillmentChannel": "AFN"})
    (pending,) = _create(client, 1, paymentMix={"CVS": 1})
    (cancelled,) = _create(client, 1, paymentMix={"Other": 1})
    client.post(f"/_sandbox/amazon/orders/{cancelled}/cancel")

    assert [_confirm(client, auth, n) for n in (afn, pending, cancelled)] == [400, 400, 400]


def test_listings_patch_sets_the_seller_fulfilled_quantity_and_refuses_fba_and_unknown_skus(client: TestClient) -> None:
    auth = _token(client)
    body = {
        "productType": "PRODUCT",
        "patches": [
            {
                "op": "replace",
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 7}],
            }
        ],
    }
    url = f"/listings/2021-08-01/items/{SELLER_ID}"
    params = {"marketplaceIds": MKT}

    ok = client.patch(f"{url}/tea-03", params=params, json=body, headers=auth)
    fba = client.patch(f"{url}/fba-1", params=params, json=body, headers=auth)
    unknown = client.patch(f"{url}/nope", params=params, json=body, headers=auth)
    other_seller = client.patch("/listings/2021-08-01/items/A9OTHER/tea-03", params=params, json=body, headers=auth)
    no_type = client.patch(f"{url}/tea-03", params=params, json={"patches": body["patches"]}, headers=auth)
    summary = client.get("/_sandbox/amazon/summary").json()

    assert (ok.status_code, ok.json()["status"]) == (200, "ACCEPTED")
    assert (fba.status_code, fba.json()["status"]) == (200, "INVALID")
    assert (unknown.status_code, other_seller.status_code, no_type.status_code) == (404, 403, 400)
    assert summary["stock"] == {"tea-01-100g": 100, "tea-03": 7, "fba-1": 40}
    assert summary["stockWrites"] == 1


def test_fba_inventory_summaries_list_the_fba_skus_only(client: TestClient) -> None:
    auth = _token(client)
    client.put("/_sandbox/amazon/settings", json={"rateLimits": False})  # 2/s, burst 2
    params = {"granularityType": "Marketplace", "granularityId": MKT, "marketplaceIds": MKT}

    everything = client.get("/fba/inventory/v1/summaries", params=params, headers=auth).json()
    named = client.get(
        "/fba/inventory/v1/summaries", params=params | {"sellerSkus": "tea-03,fba-1"}, headers=auth
    ).json()
    bad = client.get("/fba/inventory/v1/summaries", params={"granularityType": "Marketplace"}, headers=auth)

    assert [s["sellerSku"] for s in everything["payload"]["inventorySummaries"]] == ["fba-1"]
    assert [(s["sellerSku"], s["totalQuantity"]) for s in named["payload"]["inventorySummaries"]] == [("fba-1", 40)]
    assert bad.status_code == 400


def test_the_control_api_pays_cancels_and_changes_orders_and_reports_them(client: TestClient) -> None:
    (konbini,) = _create(client, 1, paymentMix={"CVS": 1})
    (card,) = _create(client, 1, paymentMix={"Other": 1})
    unpaid = client.get("/_sandbox/amazon/orders", params={"state": "unpaid"}).json()["orderNumbers"]

    paid = client.post(f"/_sandbox/amazon/orders/{konbini}/pay").json()
    twice = client.post(f"/_sandbox/amazon/orders/{konbini}/pay")
    changed = client.post(f"/_sandbox/amazon/orders/{card}/change", json={"buyerRequestedCancel": True}).json()
    cancelled = client.post(f"/_sandbox/amazon/orders/{card}/cancel").json()
    again = client.post(f"/_sandbox/amazon/orders/{card}/cancel")
    missing = client.post("/_sandbox/amazon/orders/503-0000000-0000000/pay")

    assert unpaid == [konbini]
    assert (paid["status"], paid["paid"], paid["confirmed"]) == ("Unshipped", True, False)
    assert twice.status_code == 409 and again.status_code == 409 and missing.status_code == 404
    assert changed["order"]["items"][0]["BuyerRequestedCancel"]["IsBuyerRequestedCancel"] == "true"
    assert (cancelled["status"], cancelled["cancelled"]) == ("Canceled", True)
    calls = client.get("/_sandbox/amazon/calls", params={"path": "/orders"}).json()["calls"]
    assert calls == []


def test_generated_orders_take_stock_and_the_calls_are_logged(client: TestClient) -> None:
    auth = _token(client)
    numbers = _create(client, 10)
    client.get(f"/orders/v0/orders/{numbers[0]}", headers=auth)

    summary = client.get("/_sandbox/amazon/summary").json()
    calls = client.get("/_sandbox/amazon/calls", params={"path": "/orders"}).json()["calls"]

    assert summary["orders"] == 10
    assert summary["stock"]["tea-01-100g"] + summary["stock"]["tea-03"] < 200
    assert summary["stock"]["fba-1"] == 40
    assert [(c["method"], c["path"], c["status"]) for c in calls] == [("GET", f"/orders/v0/orders/{numbers[0]}", 200)]
    assert all(n.startswith("503-") and len(n) == 19 for n in numbers)


def test_get_listing_shows_the_fulfillment_availability_a_hand_change_and_refuses_unknown_skus(
    client: TestClient, mall: Mall
) -> None:
    auth = _token(client)
    url = f"/listings/2021-08-01/items/{SELLER_ID}"
    wanted = {"marketplaceIds": MKT, "includedData": "summaries,fulfillmentAvailability"}
    burst = [client.get(f"{url}/tea-03", params=wanted, headers=auth).status_code for _ in range(6)]
    client.put("/_sandbox/amazon/settings", json={"rateLimits": False})

    changed = client.put("/_sandbox/amazon/stock", json={"tea-03": 7})
    own = client.get(f"{url}/tea-03", params=wanted, headers=auth)
    fba = client.get(f"{url}/fba-1", params=wanted, headers=auth)
    plain = client.get(f"{url}/tea-03", params={"marketplaceIds": MKT}, headers=auth)
    unknown = client.get(f"{url}/nope", params=wanted, headers=auth)
    bad_data = client.get(f"{url}/tea-03", params={"marketplaceIds": MKT, "includedData": "everything"}, headers=auth)
    no_market = client.get(f"{url}/tea-03", headers=auth)
    other_seller = client.get("/listings/2021-08-01/items/A9OTHER/tea-03", params=wanted, headers=auth)
    no_token = client.get(f"{url}/tea-03", params=wanted)

    assert burst == [200] * 5 + [429]  # getListingsItem: 5/s, burst 5
    assert changed.status_code == 200 and changed.json()["stock"]["tea-03"] == 7
    assert own.status_code == 200
    assert own.json()["fulfillmentAvailability"] == [{"fulfillmentChannelCode": "DEFAULT", "quantity": 7}]
    assert own.json()["summaries"][0]["marketplaceId"] == MKT
    assert fba.json()["fulfillmentAvailability"] == [{"fulfillmentChannelCode": "AMAZON_JP", "quantity": 40}]
    assert "fulfillmentAvailability" not in plain.json() and "summaries" in plain.json()
    assert (unknown.status_code, unknown.json()["errors"][0]["code"]) == (404, "NOT_FOUND")
    assert bad_data.status_code == 400 and no_market.status_code == 400
    assert other_seller.status_code == 403 and no_token.status_code == 403
    assert own.headers["x-amzn-RateLimit-Limit"] == "5.0"
    # a hand change is not one of Juchu's stock writes
    assert client.get("/_sandbox/amazon/summary").json()["stockWrites"] == 0


def test_the_stock_control_refuses_unknown_skus_and_bad_quantities_changing_nothing(client: TestClient) -> None:
    unknown = client.put("/_sandbox/amazon/stock", json={"tea-03": 3, "nope": 1})
    negative = client.put("/_sandbox/amazon/stock", json={"tea-03": -1})
    not_object = client.put("/_sandbox/amazon/stock", json=[1])
    fba = client.put("/_sandbox/amazon/stock", json={"fba-1": 12})

    assert (unknown.status_code, negative.status_code, not_object.status_code) == (404, 400, 400)
    stock = client.get("/_sandbox/amazon/summary").json()["stock"]
    assert stock["tea-03"] == 100 and stock["fba-1"] == 12 and fba.status_code == 200
