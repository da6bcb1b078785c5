"""Writing to Rakuten: confirm, cancel, idempotent shipping reports (sync and async), stock pushes."""

from __future__ import annotations

import copy
from datetime import date

import httpx
import pytest
from rakuten_fakes import FakeRms, answering, load, make_connector, order_fixture

from juchu.connectors.base import ConnectorError, ItemResult, Outcome, ShipmentReport, StockLevel

SIMPLE = order_fixture("getorder_simple.json")
NUMBER = SIMPLE["orderNumber"]
BASKET = str(SIMPLE["PackageModelList"][0]["basketId"])


def report(key="r1", number=NUMBER, basket=BASKET, tracking=("123456789012",)):
    return ShipmentReport(key, number, basket, "1029", date(2025, 4, 12), tracking)


def shippings(rms: FakeRms, number=NUMBER, index=0):
    return rms.orders[number]["PackageModelList"][index]["ShippingModelList"]


def test_confirm_in_batches_of_100_with_per_number_errors():
    rms, _, connector = make_connector()
    numbers = [f"n{i:03d}" for i in range(150)]
    refused = {
        "MessageModelList": [
            {
                "messageType": "ERROR",
                "messageCode": "ORDER_EXT_API_CONFIRM_ORDER_ERROR_003",
                "message": "注文確認できません",
                "orderNumber": "n120",
            }
        ]
    }
    rms.routes["confirmOrder"] = answering(
        httpx.Response(200, json=load("confirm_ok.json")), httpx.Response(200, json=refused)
    )

    results = connector.confirm(numbers)

    assert [len(b["orderNumberList"]) for b in rms.bodies("confirmOrder/")] == [100, 50]
    assert [r for r in results if r.outcome is not Outcome.ACCEPTED] == [
        ItemResult("n120", Outcome.REJECTED, "ORDER_EXT_API_CONFIRM_ORDER_ERROR_003", "注文確認できません")
    ]
    assert len(results) == 150


def test_confirming_again_an_order_already_confirmed_is_success_not_a_refusal():
    # given an order the shop confirmed already (a worker was killed before it recorded the answer)
    rms, _, connector = make_connector()
    confirmed = {**SIMPLE, "orderNumber": "n001", "shopOrderCfmDatetime": "2025-04-10T10:00:00+0900"}
    never = {**SIMPLE, "orderNumber": "n002", "shopOrderCfmDatetime": None}
    rms.add(confirmed, never)
    refused = {
        "MessageModelList": [
            {
                "messageType": "ERROR",
                "messageCode": "ORDER_EXT_API_CONFIRM_ORDER_ERROR_004",
                "message": "注文確認待ちではないため、注文確認できません。",
                "orderNumber": number,
            }
            for number in ("n001", "n002")
        ]
    }
    rms.routes["confirmOrder"] = answering(httpx.Response(200, json=refused))

    # when it is confirmed again
    results = connector.confirm(["n001", "n002"])

    # then Rakuten's refusal of the confirmed one counts as done; the other refusal stands
    assert results[0] == ItemResult("n001", Outcome.ACCEPTED, data={"note": "確認済みでした"})
    assert results[1].outcome is Outcome.REJECTED and results[1].code == "ORDER_EXT_API_CONFIRM_ORDER_ERROR_004"
    assert rms.bodies("getOrder/")[0]["orderNumberList"] == ["n001", "n002"]


def test_cancel_sends_the_reason_code_and_reports_acceptance():
    rms, _, connector = make_connector()

    result = connector.cancel(NUMBER, "out_of_stock")

    assert rms.bodies("cancelOrder/") == [
        {"orderNumber": NUMBER, "inventoryRestoreType": 0, "changeReasonDetailApply": 8}
    ]
    assert result == ItemResult(NUMBER, Outcome.ACCEPTED, data={"reason_code": "8"})


def test_cancel_refused_with_an_error_item_is_rejected_with_its_code():
    rms, _, connector = make_connector(cancel_inventory_restore_type="1")
    refused = {
        "MessageModelList": [
            {
                "messageType": "ERROR",
                "messageCode": "ORDER_EXT_API_CANCEL_ORDER_ERROR_020",
                "message": "ステータスが不正です",
            }
        ]
    }
    rms.routes["cancelOrder"] = answering(httpx.Response(400, json=refused))

    result = connector.cancel(NUMBER, "unknown reason")

    assert rms.bodies("cancelOrder/")[0]["changeReasonDetailApply"] == 10
    assert rms.bodies("cancelOrder/")[0]["inventoryRestoreType"] == 1
    assert result == ItemResult(
        NUMBER, Outcome.REJECTED, "ORDER_EXT_API_CANCEL_ORDER_ERROR_020", "ステータスが不正です", {"reason_code": "10"}
    )


def test_shipment_report_adds_one_shipping_model_per_tracking_number_without_detail_id():
    rms, _, connector = make_connector()
    rms.add(SIMPLE)

    results = connector.report_shipments([report(tracking=("111", "222"))])

    assert results == [ItemResult("r1", Outcome.ACCEPTED)]
    assert rms.bodies("updateOrderShipping/") == [
        {
            "orderNumber": NUMBER,
            "BasketidModelList": [
                {
                    "basketId": int(BASKET),
                    "ShippingModelList": [
                        {"deliveryCompany": "1029", "shippingNumber": "111", "shippingDate": "2025-04-12"},
                        {"deliveryCompany": "1029", "shippingNumber": "222", "shippingDate": "2025-04-12"},
                    ],
                }
            ],
        }
    ]


def test_reporting_the_same_tracking_number_again_adds_no_new_shipping_model():
    rms, _, connector = make_connector()
    rms.add(SIMPLE)
    connector.report_shipments([report()])

    again = connector.report_shipments([report(key="r1-again")])

    assert again == [ItemResult("r1-again", Outcome.ACCEPTED, data={"already_reported": "1"})]
    assert len(rms.bodies("updateOrderShipping/")) == 1
    assert [m["shippingNumber"] for m in shippings(rms)] == ["123456789012"]


def test_error_item_in_a_200_rejects_that_report_with_the_message_code():
    rms, _, connector = make_connector()
    rms.add(SIMPLE)
    rms.routes["updateOrderShipping"] = answering(httpx.Response(200, json=load("shipping_error_200.json")))

    results = connector.report_shipments([report()])

    assert results == [
        ItemResult(
            "r1",
            Outcome.REJECTED,
            "ORDER_EXT_API_UPDATE_ORDERSHIPPING_ERROR_102",
            "キャンセル済みの注文のため発送情報を更新できません。",
        )
    ]


def test_400_for_one_order_rejects_its_reports_and_the_other_orders_go_on():
    rms, _, connector = make_connector()
    other = SIMPLE | {"orderNumber": "999999-20250401-0000000102"}
    rms.add(SIMPLE, other)

    def route(body):
        if body["orderNumber"] == NUMBER:
            return httpx.Response(400, json=load("shipping_error_400.json"))
        return httpx.Response(200, json={"MessageModelList": rms._ship(body)})

    rms.routes["updateOrderShipping"] = route

    results = connector.report_shipments([report(), report(key="r2", number=other["orderNumber"])])

    assert [(r.key, r.outcome, r.code) for r in results] == [
        ("r1", Outcome.REJECTED, "ORDER_EXT_API_UPDATE_ORDERSHIPPING_ERROR_011"),
        ("r2", Outcome.ACCEPTED, ""),
    ]


def test_error_on_one_basket_rejects_it_and_retries_the_other_basket_of_the_order():
    rms, _, connector = make_connector()
    two = order_fixture("getorder_two_packages.json")
    for package in two["PackageModelList"]:
        package["ShippingModelList"] = []
    rms.add(two)
    error = {
        "MessageModelList": [
            {"messageType": "ERROR", "messageCode": "E_BASKET", "message": "送付先エラー", "dataNumber": 2}
        ]
    }
    rms.routes["updateOrderShipping"] = answering(httpx.Response(200, json=error))

    results = connector.report_shipments(
        [report("a", two["orderNumber"], "512340001", ("A",)), report("b", two["orderNumber"], "512340002", ("B",))]
    )

    assert [(r.key, r.outcome, r.code) for r in results] == [
        ("a", Outcome.RETRY, "NOT_APPLIED"),
        ("b", Outcome.REJECTED, "E_BASKET"),
    ]
    assert len(rms.bodies("updateOrderShipping/")[0]["BasketidModelList"]) == 2


def test_unknown_order_and_unknown_basket_are_rejected_without_a_shipping_call():
    rms, _, connector = make_connector()
    rms.add(SIMPLE)

    results = connector.report_shipments([report("x", "999999-20990101-0000000000"), report("y", basket="42")])

    assert [(r.key, r.outcome, r.code) for r in results] == [
        ("x", Outcome.REJECTED, "ORDER_EXT_API_GET_ORDER_INFO_102"),
        ("y", Outcome.REJECTED, "BASKET_NOT_FOUND"),
    ]
    assert rms.bodies("updateOrderShipping/") == []


def test_more_than_20_tracking_numbers_on_a_basket_is_rejected_locally():
    rms, _, connector = make_connector()
    rms.add(SIMPLE)

    (result,) = connector.report_shipments([report(tracking=tuple(f"T{i}" for i in range(21)))])

    assert (result.outcome, result.code) == (Outcome.REJECTED, "TOO_MANY_TRACKING_NUMBERS")
    assert rms.bodies("updateOrderShipping/") == []


def _many_orders(rms: FakeRms, count: int) -> list[ShipmentReport]:
    reports = []
    for i in range(count):
        order = copy.deepcopy(SIMPLE) | {"orderNumber": f"999999-20250401-{i:010d}"}
        rms.add(order)
        reports.append(report(f"k{i}", order["orderNumber"], tracking=(f"T{i:04d}",)))
    return reports


def test_more_than_10_orders_go_async_in_calls_of_100_and_results_are_polled():
    rms, clock, connector = make_connector()
    reports = _many_orders(rms, 150)
    rms.async_ready_after = 3

    results = connector.report_shipments(reports)

    assert [len(b["OrderShippingModelList"]) for b in rms.bodies("updateOrderShippingAsync/")] == [100, 50]
    assert rms.bodies("updateOrderShipping/") == []
    assert [b["requestId"] for b in rms.bodies("getResultUpdateOrderShippingAsync/")] == ["req-1"] * 3 + ["req-2"] * 3
    assert {r.outcome for r in results} == {Outcome.ACCEPTED}
    assert [m["shippingNumber"] for m in shippings(rms, "999999-20250401-0000000149")] == ["T0149"]
    assert clock.sleeps.count(1.0) >= 6


def test_async_answer_not_ready_in_time_is_retry_and_the_retry_adds_nothing_twice():
    rms, _, connector = make_connector(async_wait_seconds="3")
    reports = _many_orders(rms, 12)
    rms.async_ready_after = 99

    first = connector.report_shipments(reports)

    assert {(r.outcome, r.code, r.data.get("request_id")) for r in first} == {(Outcome.RETRY, "ASYNC_PENDING", "req-1")}
    assert len(rms.bodies("getResultUpdateOrderShippingAsync/")) == 3

    second = connector.report_shipments(reports)  # Rakuten did apply the first call meanwhile

    assert {(r.outcome, r.data.get("already_reported")) for r in second} == {(Outcome.ACCEPTED, "1")}
    assert len(rms.bodies("updateOrderShippingAsync/")) == 1
    assert [m["shippingNumber"] for m in shippings(rms, "999999-20250401-0000000000")] == ["T0000"]


def test_whole_call_failure_before_anything_was_sent_raises():
    rms, _, connector = make_connector()
    rms.add(SIMPLE)
    rms.routes["updateOrderShipping"] = answering(httpx.Response(503, text="busy"))

    with pytest.raises(ConnectorError) as caught:
        connector.report_shipments([report()])

    assert (caught.value.retryable, caught.value.code) == (True, "503")


def test_stock_is_pushed_in_chunks_of_400_and_204_accepts_all():
    rms, _, connector = make_connector()
    levels = [StockLevel(f"item-{i}:v{i}", i) for i in range(950)]

    results = connector.push_stock(levels)

    bodies = rms.bodies("inventories/bulk-upsert")
    assert [len(b["inventories"]) for b in bodies] == [400, 400, 150]
    assert bodies[0]["inventories"][1] == {
        "manageNumber": "item-1",
        "variantId": "v1",
        "mode": "ABSOLUTE",
        "quantity": 1,
    }
    assert results == [ItemResult(level.sku, Outcome.ACCEPTED) for level in levels]


def test_a_refused_stock_entry_is_rejected_and_the_rest_of_its_chunk_is_sent_again():
    rms, _, connector = make_connector()
    rms.routes["bulk-upsert"] = answering(
        httpx.Response(400, json=load("inventory_error_400.json")), httpx.Response(204)
    )
    levels = [StockLevel("a", 1), StockLevel("b:x", 2), StockLevel("c:y", 3)]

    results = connector.push_stock(levels)

    assert results == [
        ItemResult("a", Outcome.ACCEPTED),
        ItemResult("b:x", Outcome.REJECTED, "IE0002", "quantity has an invalid value : a."),
        ItemResult("c:y", Outcome.ACCEPTED),
    ]
    assert [[e["manageNumber"] for e in b["inventories"]] for b in rms.bodies("inventories/bulk-upsert")] == [
        ["a", "b", "c"],
        ["a", "c"],
    ]


def test_stock_sku_without_manage_number_is_rejected_without_a_call():
    rms, _, connector = make_connector()

    assert connector.push_stock([StockLevel(":v1", 3)]) == [
        ItemResult(":v1", Outcome.REJECTED, "SKU_FORMAT", "商品管理番号が空です")
    ]
    assert rms.bodies("inventories/bulk-upsert") == []


def test_the_registry_builds_a_rakuten_connector_from_shop_settings():
    from juchu.connectors import registry
    from juchu.connectors.malls.rakuten import RakutenConnector

    built = registry.mall_connector(
        "rakuten", {"base_url": "", "shop_code": "s", "serviceSecret": "a", "licenseKey": "b"}
    )

    assert isinstance(built, RakutenConnector)


def test_stock_is_read_back_in_chunks_of_1000_matching_folded_manage_numbers():
    rms, _, connector = make_connector()

    def bulk_get(body):
        # Rakuten folds manageNumber to lower case and leaves out items it holds no record for
        return httpx.Response(
            200,
            json={
                "inventories": [
                    {"manageNumber": e["manageNumber"].lower(), "variantId": e["variantId"], "quantity": 7}
                    for e in body["inventories"]
                    if e["variantId"] != "gone"
                ]
            },
        )

    rms.routes["bulk-get"] = bulk_get
    skus = [f"Item-{i}:v{i}" for i in range(1500)] + ["solo", "x:gone"]

    levels = connector.read_stock(skus)

    assert [len(b["inventories"]) for b in rms.bodies("inventories/bulk-get")] == [1000, 502]
    assert {level.sku for level in levels} == set(skus) - {"x:gone"}
    assert all(level.quantity == 7 for level in levels)
    assert rms.bodies("inventories/bulk-get")[1]["inventories"][500] == {"manageNumber": "solo", "variantId": "solo"}


def test_a_malformed_stock_answer_is_a_connector_error():
    rms, _, connector = make_connector()
    rms.routes["bulk-get"] = answering(httpx.Response(200, json={"inventories": [{"manageNumber": "a"}]}))

    with pytest.raises(ConnectorError) as caught:
        connector.read_stock(["a"])

    assert caught.value.code == "MALFORMED"
