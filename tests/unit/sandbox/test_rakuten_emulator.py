"""The Rakuten RMS emulator over HTTP: auth, searchOrder, getOrder shape, progress, shipping, inventory, control."""

from __future__ import annotations

import base64
import re
import time
from datetime import datetime, timedelta, timezone

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.testclient import TestClient

from juchu_sandbox import faults, rakuten

JST = timezone(timedelta(hours=9))
NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=JST)
AUTH = {"Authorization": "ESA " + base64.b64encode(b"sandbox-secret:sandbox-license").decode()}
ORDER = "/es/2.0/order"


def _app() -> tuple[Starlette, rakuten.RakutenMall]:
    try:
        from juchu_sandbox.app import build
    except ImportError:  # the RSL emulator is not there yet: the Rakuten routes alone
        mall, plan = rakuten.RakutenMall(seed=1), faults.FaultPlan(seed=1)
        routes = [*faults.control_routes(plan), *rakuten.control_routes(mall), *rakuten.routes(mall)]
        return Starlette(routes=routes, middleware=[Middleware(faults.FaultMiddleware, plan=plan)]), mall
    app, world = build(seed=1)
    return app, world.rakuten


@pytest.fixture
def mall_client() -> tuple[TestClient, rakuten.RakutenMall]:
    app, mall = _app()
    mall.clock = lambda: NOW
    mall.async_delay_seconds = 0.2
    return TestClient(app), mall


@pytest.fixture
def client(mall_client: tuple[TestClient, rakuten.RakutenMall]) -> TestClient:
    return mall_client[0]


def create(client: TestClient, count: int = 1, **body: object) -> list[str]:
    response = client.post("/_sandbox/rakuten/orders", json={"count": count, **body})
    assert response.status_code == 201, response.text
    return response.json()["orderNumbers"]


def post(client: TestClient, name: str, body: dict) -> tuple[int, dict]:
    response = client.post(f"{ORDER}/{name}/", json=body, headers=AUTH)
    return response.status_code, response.json()


def search(client: TestClient, **body: object) -> tuple[int, dict]:
    base = {"dateType": 1, "startDatetime": "2026-11-01T00:00:00+0900", "endDatetime": "2026-11-30T23:59:59+0900"}
    return post(client, "searchOrder", {**base, **body})


def get_order(client: TestClient, number: str, version: int = 9) -> dict:
    status, body = post(client, "getOrder", {"orderNumberList": [number], "version": version})
    assert status == 200, body
    return body["OrderModelList"][0]


def progress(client: TestClient, number: str) -> int:
    return client.get(f"/_sandbox/rakuten/orders/{number}").json()["orderProgress"]


def ship(client: TestClient, number: str, basket_records: dict[int, list[dict]]) -> tuple[int, dict]:
    baskets = [{"basketId": b, "ShippingModelList": records} for b, records in basket_records.items()]
    return post(client, "updateOrderShipping", {"orderNumber": number, "BasketidModelList": baskets})


def record(**extra: object) -> dict:
    return {"deliveryCompany": "1001", "shippingNumber": "400000000011", "shippingDate": "2026-11-26", **extra}


# ---- auth -----------------------------------------------------------------------------------------------------------


def test_auth_missing_wrong_and_expired_key_answer_401(client: TestClient) -> None:
    body = {"orderNumberList": ["x"], "version": 9}
    assert client.post(f"{ORDER}/getOrder/", json=body).status_code == 401
    wrong = {"Authorization": "ESA " + base64.b64encode(b"sandbox-secret:other").decode()}
    response = client.post(f"{ORDER}/getOrder/", json=body, headers=wrong)
    assert response.status_code == 401
    assert response.json() == {"Results": {"errorCode": "ES01-01", "message": "Un-Authorised"}}
    assert client.post(f"{ORDER}/getOrder/", json=body, headers=AUTH).status_code == 200

    answer = client.post("/_sandbox/rakuten/credentials", json={"expired": True})
    assert answer.json()["expired"] is True
    assert client.post(f"{ORDER}/getOrder/", json=body, headers=AUTH).status_code == 401
    inv = client.get("/es/2.0/inventories/manage-numbers/tea-01/variants/tea-01-100g", headers=AUTH)
    assert inv.status_code == 401
    assert inv.json()["errors"][0]["code"] == "GE0011"

    client.post("/_sandbox/rakuten/credentials", json={"serviceSecret": "s2", "licenseKey": "k2", "expired": False})
    new = {"Authorization": "ESA " + base64.b64encode(b"s2:k2").decode()}
    assert client.post(f"{ORDER}/getOrder/", json=body, headers=new).status_code == 200
    assert client.post(f"{ORDER}/getOrder/", json=body, headers=AUTH).status_code == 401


def test_body_that_is_not_json_is_es04(client: TestClient) -> None:
    response = client.post(f"{ORDER}/getOrder/", content=b"{not json", headers=AUTH)
    assert response.status_code == 400
    assert response.json()["Results"]["errorCode"] == "ES04-01"


# ---- searchOrder -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2026-11-01T00:00:00Z", "2026-11-01T00:00:00+09:00", "2026/11/01 00:00:00"])
def test_search_rejects_other_datetime_formats(client: TestClient, value: str) -> None:
    status, body = search(client, startDatetime=value)
    assert status == 400
    assert body["MessageModelList"][0]["messageCode"] == "ORDER_EXT_API_SEARCH_ORDER_ERROR_011"
    assert body["orderNumberList"] is None and body["PaginationResponseModel"] is None


def test_search_required_fields_and_limits(client: TestClient) -> None:
    status, body = post(client, "searchOrder", {"startDatetime": "2026-11-01T00:00:00+0900"})
    assert (status, body["MessageModelList"][0]["messageCode"]) == (400, "ORDER_EXT_API_SEARCH_ORDER_ERROR_009")
    status, body = post(client, "searchOrder", {"dateType": 1, "endDatetime": "2026-11-01T00:00:00+0900"})
    assert (status, body["MessageModelList"][0]["messageCode"]) == (400, "ORDER_EXT_API_SEARCH_ORDER_ERROR_010")
    # 63 days is the widest window; one second more is refused
    ok, _ = search(client, startDatetime="2026-09-24T12:00:00+0900", endDatetime="2026-11-26T12:00:00+0900")
    assert ok == 200
    status, body = search(client, startDatetime="2026-09-24T11:59:59+0900", endDatetime="2026-11-26T12:00:00+0900")
    assert status == 400 and body["orderNumberList"] is None
    # at most 730 days back
    status, _ = search(client, startDatetime="2024-11-25T00:00:00+0900", endDatetime="2024-12-01T00:00:00+0900")
    assert status == 400
    status, _ = search(client, PaginationRequestModel={"requestRecordsAmount": 1001, "requestPage": 1})
    assert status == 400


def test_search_zero_hits_shape(client: TestClient) -> None:
    status, body = search(client)
    assert status == 200
    assert body["orderNumberList"] == []
    assert body["MessageModelList"][0]["messageCode"] == "ORDER_EXT_API_SEARCH_ORDER_INFO_102"
    assert body["PaginationResponseModel"] == {"totalRecordsAmount": None, "totalPages": None, "requestPage": None}


def test_search_pagination_sort_and_cap(mall_client: tuple[TestClient, rakuten.RakutenMall]) -> None:
    client, mall = mall_client
    numbers = create(client, 25, spreadSeconds=3600)
    by_time = sorted(numbers, key=lambda n: mall.orders[n]["orderDatetime"])
    page = {"requestRecordsAmount": 10, "requestPage": 3, "SortModelList": [{"sortColumn": 1, "sortDirection": 1}]}
    status, body = search(client, PaginationRequestModel=page)
    assert status == 200
    assert body["MessageModelList"][0]["messageCode"] == "ORDER_EXT_API_SEARCH_ORDER_INFO_101"
    assert body["PaginationResponseModel"] == {"totalRecordsAmount": 25, "totalPages": 3, "requestPage": 3}
    assert body["orderNumberList"] == by_time[20:]
    page = {"requestRecordsAmount": 5, "requestPage": 1, "SortModelList": [{"sortColumn": 1, "sortDirection": 2}]}
    _, body = search(client, PaginationRequestModel=page)
    assert body["orderNumberList"] == by_time[::-1][:5]
    # default page size 30
    _, body = search(client)
    assert len(body["orderNumberList"]) == 25
    # only the first search_cap hits are returned; the total still says how many matched
    mall.search_cap = 20
    page = {"requestRecordsAmount": 10, "requestPage": 3}
    _, body = search(client, PaginationRequestModel=page)
    assert body["PaginationResponseModel"] == {"totalRecordsAmount": 25, "totalPages": 2, "requestPage": 3}
    assert body["orderNumberList"] == []


def test_search_date_types_and_progress_filter(mall_client: tuple[TestClient, rakuten.RakutenMall]) -> None:
    client, _mall = mall_client
    card, bank = create(client, 1, paymentMix={"クレジットカード": 1}) + create(client, 1, paymentMix={"銀行振込": 1})
    _, body = search(client, dateType=2)
    assert body["orderNumberList"] == []
    post(client, "confirmOrder", {"orderNumberList": [card, bank]})
    _, body = search(client, dateType=2)
    assert sorted(body["orderNumberList"]) == sorted([card, bank])
    _, body = search(client, dateType=6)  # 決済確定日: only the card order reached 300
    assert body["orderNumberList"] == [card]
    _, body = search(client, dateType=1, orderProgressList=[200])
    assert body["orderNumberList"] == [bank]
    _, body = search(client, dateType=1, startDatetime="2026-11-26T12:00:01+0900")
    assert body["orderNumberList"] == []


# ---- getOrder -----------------------------------------------------------------------------------------------------

ORDER_KEYS_V9 = [
    "orderNumber", "orderProgress", "subStatusId", "subStatusName", "orderDatetime", "shopOrderCfmDatetime",
    "orderFixDatetime", "shippingInstDatetime", "shippingCmplRptDatetime", "cancelDueDate", "deliveryDate",
    "shippingTerm", "remarks", "giftCheckFlag", "severalSenderFlag", "equalSenderFlag", "isolatedIslandFlag",
    "rakutenMemberFlag", "carrierCode", "emailCarrierCode", "orderType", "reserveNumber", "reserveDeliveryCount",
    "cautionDisplayType", "cautionDisplayDetailType", "rakutenConfirmFlag", "goodsPrice", "postagePrice",
    "deliveryPrice", "paymentCharge", "paymentChargeTaxRate", "totalPrice", "requestPrice", "couponAllTotalPrice",
    "couponShopPrice", "couponOtherPrice", "additionalFeeOccurAmountToUser", "additionalFeeOccurAmountToShop",
    "asurakuFlag", "drugFlag", "dealFlag", "membershipType", "memo", "operator", "mailPlugSentence", "modifyFlag",
    "receiptIssueCount", "receiptIssueHistoryList", "OrdererModel", "SettlementModel", "DeliveryModel", "PointModel",
    "WrappingModel1", "WrappingModel2", "PackageModelList", "CouponModelList", "ChangeReasonModelList",
    "TaxSummaryModelList", "DueDateModelList", "deliveryCertPrgFlag", "oneDayOperationFlag",
]  # fmt: skip
PACKAGE_KEYS_V9 = [
    "basketId", "postagePrice", "postageTaxRate", "deliveryPrice", "deliveryTaxRate", "goodsPrice", "totalPrice",
    "noshi", "packageDeleteFlag", "SenderModel", "ItemModelList", "ShippingModelList", "DeliveryCvsModel",
    "defaultDeliveryCompanyCode", "dropOffFlag", "dropOffLocation",
]  # fmt: skip
SENDER_KEYS = [
    "zipCode1", "zipCode2", "prefecture", "city", "subAddress", "familyName", "firstName", "familyNameKana",
    "firstNameKana", "phoneNumber1", "phoneNumber2", "phoneNumber3", "isolatedIslandFlag",
]  # fmt: skip
ORDERER_KEYS = [*SENDER_KEYS[:-1], "emailAddress", "sex", "birthYear", "birthMonth", "birthDay"]
ITEM_KEYS = [
    "itemDetailId", "itemName", "itemId", "itemNumber", "manageNumber", "price", "units", "includePostageFlag",
    "includeTaxFlag", "includeCashOnDeliveryPostageFlag", "selectedChoice", "pointRate", "pointType", "inventoryType",
    "delvdateInfo", "restoreInventoryFlag", "dealFlag", "drugFlag", "deleteItemFlag", "taxRate", "priceTaxIncl",
    "isSingleItemShipping", "SkuModelList",
]  # fmt: skip
SETTLEMENT_KEYS = [
    "settlementMethodCode", "settlementMethod", "rpaySettlementFlag", "cardName", "cardNumber", "cardOwner", "cardYm",
    "cardPayType", "cardInstallmentDesc",
]  # fmt: skip
SHIPPING_KEYS = ["shippingDetailId", "shippingNumber", "deliveryCompany", "deliveryCompanyName", "shippingDate"]
TAX_KEYS = ["taxRate", "reqPrice", "reqPriceTax", "totalPrice", "paymentCharge", "couponPrice", "point"]


def test_get_order_v9_shape_matches_the_reference(client: TestClient) -> None:
    (number,) = create(client, 1, paymentMix={"代金引換": 1})
    status, body = post(client, "getOrder", {"orderNumberList": [number], "version": 9})
    assert status == 200
    assert list(body) == ["MessageModelList", "OrderModelList", "version"]
    assert body["version"] == 9
    assert body["MessageModelList"] == [
        {
            "messageType": "INFO",
            "messageCode": "ORDER_EXT_API_GET_ORDER_INFO_101",
            "message": "受注情報取得に成功しました。(取得件数1件)",
        }
    ]
    order = body["OrderModelList"][0]
    assert list(order) == ORDER_KEYS_V9
    assert re.fullmatch(r"360238-\d{8}-\d{8}", order["orderNumber"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0900", order["orderDatetime"])
    assert list(order["OrdererModel"]) == ORDERER_KEYS
    assert order["OrdererModel"]["emailAddress"].endswith("s1@pc.fw.rakuten.ne.jp")
    assert list(order["SettlementModel"]) == SETTLEMENT_KEYS
    assert order["SettlementModel"]["settlementMethodCode"] == 2
    assert order["SettlementModel"]["settlementMethod"] == "代金引換"
    assert list(order["DeliveryModel"]) == ["deliveryName", "deliveryClass"]
    assert order["DeliveryModel"]["deliveryName"] == "宅配便"  # 代金引換 is never メール便
    assert list(order["PointModel"]) == ["usedPoint"]
    for package in order["PackageModelList"]:
        assert list(package) == PACKAGE_KEYS_V9
        assert list(package["SenderModel"]) == SENDER_KEYS
        assert isinstance(package["SenderModel"]["zipCode1"], str) and len(package["SenderModel"]["zipCode1"]) == 3
        assert package["ShippingModelList"] == []
        assert package["deliveryPrice"] == 330
        for item in package["ItemModelList"]:
            assert list(item) == ITEM_KEYS
            assert item["manageNumber"].startswith("tea-0")
            (sku,) = item["SkuModelList"]
            assert list(sku) == ["variantId", "merchantDefinedSkuId", "skuInfo"]
            assert isinstance(sku["variantId"], str)
    for tax in order["TaxSummaryModelList"]:
        assert list(tax) == TAX_KEYS
    assert order["requestPrice"] == (
        order["totalPrice"] + order["deliveryPrice"] - order["couponAllTotalPrice"] - order["PointModel"]["usedPoint"]
    )


def test_get_order_versions_and_errors(client: TestClient) -> None:
    (number,) = create(client)
    v7 = get_order(client, number, version=7)
    assert "goodsTax" in v7 and "isTaxRecalc" in v7 and "deliveryCertPrgFlag" not in v7
    assert "dropOffFlag" not in v7["PackageModelList"][0] and "goodsTax" in v7["PackageModelList"][0]
    v8 = get_order(client, number, version=8)
    assert "goodsTax" not in v8 and "oneDayOperationFlag" in v8 and "dropOffFlag" not in v8["PackageModelList"][0]
    v10 = get_order(client, number, version=10)
    assert "socialGiftFlag" in v10 and "SocialGiftModel" in v10["PackageModelList"][0]
    assert get_order(client, number, version="9")["orderNumber"] == number  # type: ignore[arg-type]

    status, body = post(client, "getOrder", {"orderNumberList": [number, "360238-20261126-99999999"], "version": 9})
    assert status == 200 and len(body["OrderModelList"]) == 1
    missing = body["MessageModelList"][1]
    assert missing["messageCode"] == "ORDER_EXT_API_GET_ORDER_INFO_102"
    assert missing["orderNumber"] == "360238-20261126-99999999"
    assert post(client, "getOrder", {"orderNumberList": [number]})[0] == 400
    assert post(client, "getOrder", {"orderNumberList": [number], "version": 6})[0] == 400
    assert post(client, "getOrder", {"orderNumberList": [number] * 101, "version": 9})[0] == 400


# ---- progress moves -----------------------------------------------------------------------------------------------


def test_confirm_moves_card_and_cod_to_300_and_bank_to_200_until_paid(client: TestClient) -> None:
    (card,) = create(client, paymentMix={"クレジットカード": 1})
    (cod,) = create(client, paymentMix={"代金引換": 1})
    (bank,) = create(client, paymentMix={"銀行振込": 1})
    status, body = post(client, "confirmOrder", {"orderNumberList": [card, cod, bank, "nope"]})
    assert status == 200
    assert [m["messageType"] for m in body["MessageModelList"]] == ["INFO", "INFO", "INFO", "ERROR"]
    assert body["MessageModelList"][0]["messageCode"] == "ORDER_EXT_API_CONFIRM_ORDER_INFO_101"
    assert [progress(client, n) for n in (card, cod, bank)] == [300, 300, 200]
    order = get_order(client, card)
    assert order["shopOrderCfmDatetime"] == "2026-11-26T12:00:00+0900"
    assert order["orderFixDatetime"] == "2026-11-26T12:00:00+0900"
    # a second confirm is an error item, HTTP 200
    _, body = post(client, "confirmOrder", {"orderNumberList": [card]})
    assert body["MessageModelList"][0]["messageType"] == "ERROR"
    assert client.post(f"/_sandbox/rakuten/orders/{bank}/pay").json()["orderProgress"] == 300
    assert client.post(f"/_sandbox/rakuten/orders/{bank}/pay").status_code == 409


def test_cancel_order_api(mall_client: tuple[TestClient, rakuten.RakutenMall]) -> None:
    client, mall = mall_client
    client.put(
        "/_sandbox/rakuten/catalogue", json=[{"manageNumber": "a-1", "variantId": "v", "itemName": "A", "price": 100}]
    )
    row = {"manageNumber": "a-1", "variantId": "v", "mode": "ABSOLUTE", "quantity": 50}
    client.post("/es/2.0/inventories/bulk-upsert", headers=AUTH, json={"inventories": [row]})
    (number,) = create(client, paymentMix={"クレジットカード": 1})
    units = sum(i["units"] for p in mall.orders[number]["PackageModelList"] for i in p["ItemModelList"])
    assert mall.inventory[("a-1", "v")]["quantity"] == 50 - units
    post(client, "confirmOrder", {"orderNumberList": [number]})
    bad = {"orderNumber": number, "inventoryRestoreType": 1, "changeReasonDetailApply": 7}
    assert post(client, "cancelOrder", bad)[0] == 400
    status, body = post(client, "cancelOrder", {**bad, "changeReasonDetailApply": 8})
    assert status == 200
    assert body["MessageModelList"][0]["messageCode"] == "ORDER_EXT_API_CANCEL_ORDER_INFO_101"
    assert progress(client, number) == 900
    assert mall.inventory[("a-1", "v")]["quantity"] == 50
    assert get_order(client, number)["ChangeReasonModelList"][-1]["changeReasonDetail"] == 8
    assert post(client, "cancelOrder", {**bad, "changeReasonDetailApply": 8})[0] == 400  # already 900


def test_buyer_cancel_change_and_confirm(client: TestClient) -> None:
    (number,) = create(client, paymentMix={"クレジットカード": 1})
    post(client, "confirmOrder", {"orderNumberList": [number]})
    before = get_order(client, number)
    item = before["PackageModelList"][0]["ItemModelList"][0]
    changed = client.post(f"/_sandbox/rakuten/orders/{number}/change", json={"units": item["units"] + 2})
    assert changed.status_code == 200 and changed.json()["orderProgress"] == 400
    after = get_order(client, number)
    assert after["PackageModelList"][0]["ItemModelList"][0]["units"] == item["units"] + 2
    assert after["goodsPrice"] == before["goodsPrice"] + 2 * item["price"]
    assert after["modifyFlag"] == 1
    assert ship(client, number, {after["PackageModelList"][0]["basketId"]: [record()]})[0] == 400
    assert client.post(f"/_sandbox/rakuten/orders/{number}/change/confirm").json()["orderProgress"] == 300
    sender = {"sender": {"city": "大阪市北区", "prefecture": "大阪府", "zipCode1": "530", "zipCode2": "0001"}}
    client.post(f"/_sandbox/rakuten/orders/{number}/change", json=sender)
    assert get_order(client, number)["PackageModelList"][0]["SenderModel"]["city"] == "大阪市北区"
    client.post(f"/_sandbox/rakuten/orders/{number}/change/confirm")
    assert client.post(f"/_sandbox/rakuten/orders/{number}/cancel").json()["orderProgress"] == 900
    assert client.post(f"/_sandbox/rakuten/orders/{number}/cancel").status_code == 409


# ---- shipping -------------------------------------------------------------------------------------------------------


def confirmed(client: TestClient, several: bool = False) -> tuple[str, list[int]]:
    (number,) = create(client, paymentMix={"クレジットカード": 1}, severalSenders=several)
    post(client, "confirmOrder", {"orderNumberList": [number]})
    return number, [p["basketId"] for p in get_order(client, number)["PackageModelList"]]


def test_shipping_add_update_delete_and_progress_500(client: TestClient) -> None:
    number, (basket,) = confirmed(client)
    status, body = ship(client, number, {basket: [record()]})
    assert status == 200
    (msg,) = body["MessageModelList"]
    assert msg["messageCode"] == "ORDER_EXT_API_UPDATE_ORDERSHIPPING_INFO_101"
    assert msg["dataNumber"] == 1
    detail = msg["shippingDetailId"]
    assert isinstance(detail, int)
    order = get_order(client, number)
    assert order["orderProgress"] == 500
    assert order["shippingCmplRptDatetime"] == "2026-11-26T12:00:00+0900"
    (saved,) = order["PackageModelList"][0]["ShippingModelList"]
    assert list(saved) == SHIPPING_KEYS
    assert saved["deliveryCompanyName"] == "ヤマト運輸"

    status, body = ship(client, number, {basket: [{"shippingDetailId": detail, "shippingNumber": "999"}]})
    assert body["MessageModelList"][0]["messageCode"] == "ORDER_EXT_API_UPDATE_ORDERSHIPPING_INFO_102"
    (saved,) = get_order(client, number)["PackageModelList"][0]["ShippingModelList"]
    assert saved["shippingNumber"] == "999" and saved["deliveryCompany"] == "1001"  # absent keys unchanged
    ship(client, number, {basket: [{"shippingDetailId": detail, "shippingDate": ""}]})  # empty = cleared
    assert get_order(client, number)["PackageModelList"][0]["ShippingModelList"][0]["shippingDate"] is None

    status, body = ship(client, number, {basket: [{"shippingDetailId": detail, "shippingDeleteFlag": 1}]})
    assert body["MessageModelList"][0]["messageCode"] == "ORDER_EXT_API_UPDATE_ORDERSHIPPING_INFO_103"
    assert get_order(client, number)["PackageModelList"][0]["ShippingModelList"] == []
    snap = client.get(f"/_sandbox/rakuten/orders/{number}").json()
    assert snap["shippingRecords"] == []
    status, body = ship(client, number, {basket: [{"shippingDetailId": 1, "shippingNumber": "x"}]})
    assert status == 200 and body["MessageModelList"][0]["messageType"] == "ERROR"


def test_shipping_waits_for_every_basket(client: TestClient) -> None:
    number, baskets = confirmed(client, several=True)
    assert len(baskets) == 2
    ship(client, number, {baskets[0]: [record()]})
    assert progress(client, number) == 300
    ship(client, number, {baskets[1]: [record(shippingNumber="400000000022")]})
    assert progress(client, number) == 500


def test_shipping_validation_and_20_cap(client: TestClient) -> None:
    number, (basket,) = confirmed(client)
    status, body = ship(client, number, {basket: [record(), record(shippingDate="2026/11/26")]})
    assert status == 400
    (error,) = body["MessageModelList"]
    assert (error["messageCode"], error["dataNumber"]) == ("ORDER_EXT_API_UPDATE_ORDERSHIPPING_ERROR_011", 2)
    assert progress(client, number) == 300  # nothing applied
    status, body = ship(client, number, {basket: [record(deliveryCompany="ヤマト運輸")]})
    assert status == 400
    status, body = ship(client, number, {basket: [record(shippingNumber="1" * 121)]})
    assert status == 400

    status, body = ship(client, number, {basket: [record(shippingNumber=f"SN{i}") for i in range(21)]})
    assert status == 200
    kinds = [m["messageType"] for m in body["MessageModelList"]]
    assert kinds == ["INFO"] * 20 + ["ERROR"]
    assert body["MessageModelList"][20]["dataNumber"] == 21
    assert len(get_order(client, number)["PackageModelList"][0]["ShippingModelList"]) == 20

    (fresh,) = create(client)  # still 100: no shipment report yet
    basket_new = get_order(client, fresh)["PackageModelList"][0]["basketId"]
    assert ship(client, fresh, {basket_new: [record()]})[0] == 400
    client.post(f"/_sandbox/rakuten/orders/{fresh}/cancel")
    status, body = ship(client, fresh, {basket_new: [record()]})
    assert body["MessageModelList"][0]["messageCode"] == "ORDER_EXT_API_UPDATE_ORDERSHIPPING_ERROR_102"


def test_async_shipping(client: TestClient) -> None:
    first, (b1,) = confirmed(client)
    second, (b2,) = confirmed(client)
    entry = {"orderNumber": first, "BasketidModelList": [{"basketId": b1, "ShippingModelList": [record()]}]}
    assert post(client, "updateOrderShippingAsync", {"OrderShippingModelList": [entry, entry]})[0] == 400
    assert post(client, "updateOrderShippingAsync", {"OrderShippingModelList": [entry] * 101})[0] == 400
    other = {"orderNumber": second, "BasketidModelList": [{"basketId": b2, "ShippingModelList": [record()]}]}
    status, body = post(client, "updateOrderShippingAsync", {"OrderShippingModelList": [entry, other]})
    assert status == 200
    assert body["MessageModelList"][0]["messageCode"] == "ORDER_EXT_API_UPDATE_ORDERSHIPPING_ASYNC_INFO_101"
    request_id = body["requestId"]
    assert re.fullmatch(r"[0-9a-f-]{36}_\d{14}", request_id)
    _, pending = post(client, "getResultUpdateOrderShippingAsync", {"requestId": request_id})
    assert pending["ResultShippingModelList"] is None
    assert progress(client, first) == 300
    time.sleep(0.25)
    _, done = post(client, "getResultUpdateOrderShippingAsync", {"requestId": request_id})
    results = done["ResultShippingModelList"]
    assert [r["orderNumber"] for r in results] == [first, second]
    assert results[0]["MessageModelList"][0]["messageCode"] == "ORDER_EXT_API_UPDATE_ORDERSHIPPING_INFO_101"
    assert progress(client, first) == progress(client, second) == 500
    assert post(client, "getResultUpdateOrderShippingAsync", {"requestId": "nope"})[0] == 400


# ---- inventory ------------------------------------------------------------------------------------------------------

INV = "/es/2.0/inventories"


def test_inventory_single_and_bulk(mall_client: tuple[TestClient, rakuten.RakutenMall]) -> None:
    client, _mall = mall_client
    path = f"{INV}/manage-numbers/Tea-01/variants/tea-01-100g"
    assert client.get(path, headers=AUTH).status_code == 404
    bad = client.put(path, json={"mode": "RELATIVE", "quantity": 3}, headers=AUTH)
    assert bad.status_code == 400  # a new record must be ABSOLUTE
    put = client.put(path, json={"mode": "ABSOLUTE", "quantity": 10}, headers=AUTH)
    assert put.status_code == 204 and put.content == b""
    client.put(path, json={"mode": "RELATIVE", "quantity": -3}, headers=AUTH)
    got = client.get("/es/2.1/inventories/manage-numbers/tea-01/variants/tea-01-100g", headers=AUTH).json()
    assert (got["manageNumber"], got["variantId"], got["quantity"]) == ("tea-01", "tea-01-100g", 7)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00", got["updated"])
    out_of_range = client.put(path, json={"mode": "ABSOLUTE", "quantity": 100000}, headers=AUTH)
    assert out_of_range.status_code == 400 and out_of_range.json()["errors"][0]["code"] == "IE0003"

    rows = [{"manageNumber": "m", "variantId": f"v{i}", "mode": "ABSOLUTE", "quantity": i} for i in range(401)]
    too_many = client.post(f"{INV}/bulk-upsert", json={"inventories": rows}, headers=AUTH)
    assert too_many.status_code == 400 and "errors" in too_many.json()
    done = client.post(f"{INV}/bulk-upsert", json={"inventories": rows[:400]}, headers=AUTH)
    assert done.status_code == 204 and done.content == b""
    bad_row = [rows[0], {**rows[1], "quantity": "a"}]
    response = client.post(f"{INV}/bulk-upsert", json={"inventories": bad_row}, headers=AUTH)
    assert response.json()["errors"][0]["metadata"]["propertyPath"] == "inventories[1].quantity"
    wanted = [{"manageNumber": "m", "variantId": "v5"}, {"manageNumber": "m", "variantId": "zz"}]
    got = client.post(f"{INV}/bulk-get", headers=AUTH, json={"inventories": wanted})
    assert [(r["variantId"], r["quantity"]) for r in got.json()["inventories"]] == [("v5", 5)]

    stock = client.get("/_sandbox/rakuten/stock").json()
    assert len(stock["stock"]) == 401
    changes = [c for c in stock["changes"] if c["manageNumber"] == "tea-01"]
    assert [(c["before"], c["after"]) for c in changes] == [(None, 10), (10, 7)]


# ---- control --------------------------------------------------------------------------------------------------------


def test_generated_orders_are_reproducible_and_realistic(client: TestClient) -> None:
    first = create(client, 5, seed=42)
    second = create(client, 5, seed=42)
    strip = ("orderNumber", "basketId", "itemDetailId")

    def content(number: str) -> dict:
        order = get_order(client, number)
        person = order["OrdererModel"]
        items = [(i["manageNumber"], i["units"]) for p in order["PackageModelList"] for i in p["ItemModelList"]]
        return {"person": person, "items": items, "total": order["totalPrice"], "skip": strip}

    assert [content(n) for n in first] == [content(n) for n in second]
    numbers = create(client, 40, seed=7)
    methods = set()
    for number in numbers:
        order = get_order(client, number)
        methods.add(order["SettlementModel"]["settlementMethod"])
        person = order["OrdererModel"]
        assert re.fullmatch(r"[ァ-ヶー]+", person["familyNameKana"])
        assert re.fullmatch(r"\d{3}", person["zipCode1"]) and re.fullmatch(r"\d{4}", person["zipCode2"])
        assert person["prefecture"].endswith(("都", "道", "府", "県"))
    assert methods == {"クレジットカード", "銀行振込", "代金引換"}


def test_control_orders_listing_full_order_calls_and_catalogue(client: TestClient) -> None:
    assert client.get("/_sandbox/rakuten/catalogue").json()["catalogue"][0]["manageNumber"] == "tea-01"
    given = {
        "orderNumber": "360238-20261126-77777777",
        "orderProgress": 300,
        "SettlementModel": {"settlementMethodCode": 9},
        "PackageModelList": [{"ItemModelList": [{"manageNumber": "x-1", "itemName": "X", "price": 500, "units": 2}]}],
    }
    response = client.post("/_sandbox/rakuten/orders", json={"order": given})
    assert response.status_code == 201
    order = get_order(client, "360238-20261126-77777777")
    assert list(order) == ORDER_KEYS_V9
    assert order["SettlementModel"]["settlementMethod"] == "銀行振込"
    item = order["PackageModelList"][0]["ItemModelList"][0]
    assert (item["manageNumber"], item["units"], item["SkuModelList"][0]["variantId"]) == ("x-1", 2, "x-1")
    assert order["goodsPrice"] == 1000
    assert client.post("/_sandbox/rakuten/orders", json={"order": given}).status_code == 409

    create(client, 2, overrides={"memo": "テスト"})
    listing = client.get("/_sandbox/rakuten/orders?progress=300").json()
    assert listing["orderNumbers"] == ["360238-20261126-77777777"]
    assert listing["counts"] == {"300": 1, "100": 2}
    assert client.get("/_sandbox/rakuten/orders/nope").status_code == 404

    calls = client.get("/_sandbox/rakuten/calls").json()["calls"]
    assert calls[-1]["path"] == "/es/2.0/order/getOrder/" and calls[-1]["status"] == 200
    assert "77777777" in calls[-1]["body"]
    bad = client.put("/_sandbox/rakuten/catalogue", json=[{"manageNumber": "x"}])
    assert bad.status_code == 400
