"""RslConnector against recorded RSL payloads: submit, poll, withdraw, stock, inbound, items."""

from __future__ import annotations

import json
from datetime import date

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rsl_fakes import FakeClock, load

from juchu.connectors import registry
from juchu.connectors.base import (
    ConnectorError,
    InboundPlan,
    ItemResult,
    Outcome,
    ParcelData,
    PollResult,
    RequestLine,
    ResultStatus,
    ShipmentRequestData,
    ShipmentResult,
    StockLevel,
)
from juchu.connectors.warehouses.rsl.connector import RslConnector
from juchu.domain.model import Address


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


SETTINGS = {"base_url": "https://rsl.test/rsl/v1", "api_key": "key-123", "merchant_id": "M-9", "warehouse_code": "rsl"}


def connector(handler, clock) -> RslConnector:
    return RslConnector(SETTINGS, transport=httpx.MockTransport(handler), clock=clock)


def request_data(request_id: str = "R-1", **changes) -> ShipmentRequestData:
    fields = dict(
        request_id=request_id,
        mall_order_number="123456-20240501-0000000001",
        shop_code="shop-a",
        delivery_method="YUPACK",
        recipient_name="山田 太郎",
        address=Address("〒100-0001", "東京都", "千代田区", "千代田1-1", "皇居ビル 3F"),
        lines=(RequestLine("SKU-A", 2, 1500), RequestLine("SKU-B", 1, 800)),
        phone="０３－１２３４－５６７８",
        requested_date=date(2024, 5, 3),
        delivery_time="14",
        goods_amount=3800,
        postage=600,
        cod_amount=4730,
        gift=True,
        note="ギフト包装でお願いします",
    )
    fields.update(changes)
    return ShipmentRequestData(**fields)


def accept_all(request: httpx.Request) -> httpx.Response:
    sent = json.loads(request.content)["requests"]
    return httpx.Response(
        200,
        json={
            "results": [
                {
                    "requestId": r["requestId"],
                    "status": "accepted",
                    "rslOrderId": f"RSL-{r['requestId']}",
                    "acceptedAt": "2024-05-01T10:00:00+09:00",
                    "shipByDate": "2024-05-01",
                }
                for r in sent
            ]
        },
    )


# ---- submit ----------------------------------------------------------------------------------------


def test_request_json_matches_the_recorded_payload_field_by_field(clock):
    bodies = []

    def handler(request):
        bodies.append(json.loads(request.content))
        return accept_all(request)

    connector(handler, clock).submit([request_data("R-0001-1")])
    assert bodies == [{"requests": [load("shipment_request.json")]}]


def test_request_without_date_time_or_phone_leaves_optional_fields_out(clock):
    bodies = []

    def handler(request):
        bodies.append(json.loads(request.content))
        return accept_all(request)

    connector(handler, clock).submit([request_data(requested_date=None, delivery_time="", phone="", gift=False)])
    sent = bodies[0]["requests"][0]
    assert "deliveryDate" not in sent
    assert "deliveryTime" not in sent
    assert sent["recipient"]["phone"] == ""
    assert sent["giftWrapping"] is False


def test_accepted_and_rejected_answers_are_per_item_in_input_order(clock):
    def handler(request):
        return httpx.Response(200, json=load("submit_mixed.json"))

    answers = connector(handler, clock).submit([request_data("R-1"), request_data("R-2"), request_data("R-3")])
    assert answers == [
        ItemResult(
            "R-1",
            Outcome.ACCEPTED,
            data={
                "warehouse_order_id": "RSL00000001",
                "ship_by": "2024-05-01",
                "accepted_at": "2024-05-01T15:29:59+09:00",
            },
        ),
        ItemResult("R-2", Outcome.REJECTED, "E001", "SKU SKU-X は登録されていません"),
        ItemResult(
            "R-3",
            Outcome.ACCEPTED,
            data={
                "warehouse_order_id": "RSL00000002",
                "ship_by": "2024-05-02",
                "accepted_at": "2024-05-01T15:30:00+09:00",
            },
        ),
    ]


def test_250_requests_go_in_batches_of_100_100_50(clock):
    sizes = []

    def handler(request):
        sizes.append(len(json.loads(request.content)["requests"]))
        return accept_all(request)

    answers = connector(handler, clock).submit([request_data(f"R-{i}") for i in range(250)])
    assert sizes == [100, 100, 50]
    assert [a.key for a in answers] == [f"R-{i}" for i in range(250)]
    assert {a.outcome for a in answers} == {Outcome.ACCEPTED}


def test_a_failed_batch_answers_retry_for_that_batch_only(clock):
    calls = []

    def handler(request):
        calls.append(request)
        if len(calls) == 2:
            return httpx.Response(503, json={"error": {"code": "BUSY", "message": "maintenance"}})
        return accept_all(request)

    answers = connector(handler, clock).submit([request_data(f"R-{i}") for i in range(250)])
    outcomes = [a.outcome for a in answers]
    assert outcomes == [Outcome.ACCEPTED] * 100 + [Outcome.RETRY] * 100 + [Outcome.ACCEPTED] * 50
    assert answers[100].code == "503"
    assert "[BUSY] maintenance" in answers[100].message


def test_bad_credentials_raise_auth_instead_of_answering(clock):
    def handler(request):
        return httpx.Response(401, json={"error": {"code": "UNAUTHORIZED", "message": "bad key"}})

    with pytest.raises(ConnectorError) as caught:
        connector(handler, clock).submit([request_data()])
    assert (caught.value.code, caught.value.retryable) == ("AUTH", False)


def test_a_request_rsl_could_only_reject_is_rejected_locally_and_not_sent(clock):
    bodies = []

    def handler(request):
        bodies.append(json.loads(request.content))
        return accept_all(request)

    bad_postal = request_data("R-1", address=Address("100-001", "東京都", "千代田区"))
    bad_method = request_data("R-2", delivery_method="宅配便")
    answers = connector(handler, clock).submit([bad_postal, bad_method, request_data("R-3")])
    assert [(a.key, a.outcome, a.code) for a in answers] == [
        ("R-1", Outcome.REJECTED, "MAPPING"),
        ("R-2", Outcome.REJECTED, "MAPPING"),
        ("R-3", Outcome.ACCEPTED, ""),
    ]
    assert "recipient.postalCode" in answers[0].message
    assert "deliveryMethod" in answers[1].message
    assert [r["requestId"] for r in bodies[0]["requests"]] == ["R-3"]


def test_an_answer_missing_a_request_or_order_id_is_retry(clock):
    def handler(request):
        return httpx.Response(200, json={"results": [{"requestId": "R-1", "status": "accepted", "shipByDate": "x"}]})

    answers = connector(handler, clock).submit([request_data("R-1"), request_data("R-2")])
    assert [(a.outcome, a.code) for a in answers] == [(Outcome.RETRY, "MALFORMED"), (Outcome.RETRY, "NO_ANSWER")]


# ---- poll_results ----------------------------------------------------------------------------------


def test_results_are_mapped_and_the_cursor_advances(clock):
    seen = []

    def handler(request):
        seen.append(dict(request.url.params))
        return httpx.Response(200, json=load("results_page.json"))

    polled = connector(handler, clock).poll_results("c-100")
    assert seen == [{"cursor": "c-100", "limit": "500"}]
    assert polled == PollResult(
        (
            ShipmentResult(
                "R-1",
                ResultStatus.SHIPPED,
                "RSL00000001",
                date(2024, 5, 1),
                "1029",
                "日本郵便 楽天倉庫出荷",
                (
                    ParcelData("123456789012", (RequestLine("SKU-A", 2),)),
                    ParcelData("123456789013", (RequestLine("SKU-B", 1),)),
                ),
                "",
            ),
            ShipmentResult("R-3", ResultStatus.UNSHIPPABLE, "RSL00000002", reason="住所不備のため出荷できません"),
            ShipmentResult("R-4", ResultStatus.WITHDRAWN, "RSL00000003", reason="cancel"),
        ),
        "c-103",
    )


def test_an_empty_list_keeps_the_cursor(clock):
    def handler(request):
        return httpx.Response(200, json={"results": [], "nextCursor": "c-999"})

    assert connector(handler, clock).poll_results("c-100") == PollResult((), "c-100")


def test_first_poll_sends_no_cursor(clock):
    seen = []

    def handler(request):
        seen.append(dict(request.url.params))
        return httpx.Response(200, json={"results": [], "nextCursor": ""})

    assert connector(handler, clock).poll_results("") == PollResult((), "")
    assert seen == [{"limit": "500"}]


def _shipped(n: int) -> dict:
    return {
        "requestId": f"R-{n}",
        "rslOrderId": f"RSL{n}",
        "status": "shipped",
        "shippedOn": "2024-05-01",
        "carrierCode": "1029",
        "parcels": [{"trackingNumber": f"T{n}", "lines": [{"sku": "SKU-A", "quantity": 1}]}],
        "cursor": f"c-{n}",
    }


def test_full_pages_are_followed_by_next_cursor_until_a_short_page(clock):
    pages = {
        "c-0": {"results": [_shipped(n) for n in range(1, 501)], "nextCursor": "c-500"},
        "c-500": {"results": [_shipped(n) for n in range(501, 1001)], "nextCursor": "c-1000"},
        "c-1000": {"results": [_shipped(1001)], "nextCursor": "c-1001"},
    }
    asked = []

    def handler(request):
        asked.append(request.url.params["cursor"])
        return httpx.Response(200, json=pages[request.url.params["cursor"]])

    polled = connector(handler, clock).poll_results("c-0")
    assert asked == ["c-0", "c-500", "c-1000"]
    assert [r.request_id for r in polled.results] == [f"R-{n}" for n in range(1, 1002)]
    assert polled.cursor == "c-1001"


def test_a_malformed_result_is_skipped_reported_and_the_cursor_stops_before_it(clock):
    def handler(request):
        return httpx.Response(200, json=load("results_malformed.json"))

    rsl = connector(handler, clock)
    polled = rsl.poll_results("c-200")
    assert [r.request_id for r in polled.results] == ["R-1", "R-3"]
    assert polled.cursor == "c-201"
    assert [(e.key, e.field) for e in rsl.last_errors] == [("R-2", "shippedOn")]
    assert "R-2" in str(rsl.last_errors[0]) and "shippedOn" in str(rsl.last_errors[0])


def test_a_malformed_first_result_keeps_the_cursor(clock):
    def handler(request):
        return httpx.Response(200, json={"results": [{"status": "shipped"}, _shipped(2)], "nextCursor": "c-2"})

    rsl = connector(handler, clock)
    polled = rsl.poll_results("c-0")
    assert polled == PollResult((rsl_result(2),), "c-0")
    assert [(e.key, e.field) for e in rsl.last_errors] == [("", "requestId")]


def rsl_result(n: int) -> ShipmentResult:
    return ShipmentResult(
        f"R-{n}",
        ResultStatus.SHIPPED,
        f"RSL{n}",
        date(2024, 5, 1),
        "1029",
        "",
        (ParcelData(f"T{n}", (RequestLine("SKU-A", 1),)),),
    )


def test_a_failure_on_a_later_page_keeps_the_earlier_pages(clock):
    def handler(request):
        if request.url.params["cursor"] == "c-0":
            return httpx.Response(200, json={"results": [_shipped(n) for n in range(1, 501)], "nextCursor": "c-500"})
        return httpx.Response(500)

    polled = connector(handler, clock).poll_results("c-0")
    assert len(polled.results) == 500
    assert polled.cursor == "c-500"


def test_a_missing_results_list_is_a_retryable_error(clock):
    def handler(request):
        return httpx.Response(200, json={"items": []})

    with pytest.raises(ConnectorError) as caught:
        connector(handler, clock).poll_results("c-0")
    assert (caught.value.retryable, caught.value.code) == (True, "MALFORMED")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["requestId", "status", "shippedOn", "carrierCode", "parcels", "cursor", "lines", "x"])
            | st.text(max_size=5),
            children,
            max_size=6,
        )
    ),
    max_leaves=20,
)
result_like = st.fixed_dictionaries(
    {
        "requestId": st.text(max_size=5) | json_values,
        "status": st.sampled_from(["shipped", "unshippable", "withdrawn", "other"]) | json_values,
    },
    optional={
        "shippedOn": st.sampled_from(["2024-05-01", "2024-05-01T10:00:00+09:00", "bad"]) | json_values,
        "carrierCode": st.sampled_from(["1029", ""]) | json_values,
        "parcels": json_values,
        "cursor": json_values,
        "reason": json_values,
        "rslOrderId": json_values,
    },
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(json_values | result_like, max_size=6), next_cursor=json_values)
def test_arbitrary_json_in_results_never_crashes_poll_results(clock, items, next_cursor):
    def handler(request):
        return httpx.Response(200, json={"results": items, "nextCursor": next_cursor})

    rsl = connector(handler, clock)
    polled = rsl.poll_results("c-0")
    assert isinstance(polled, PollResult)
    assert isinstance(polled.cursor, str)
    assert len(polled.results) + len(rsl.last_errors) == len(items)
    if rsl.last_errors:
        first_bad = next(i for i, item in enumerate(items) if not _maps(item))
        cursors_before = [c for c in (_cursor_of(x) for x in items[:first_bad]) if c]
        assert polled.cursor == (cursors_before[-1] if cursors_before else "c-0")


def _maps(item) -> bool:
    from juchu.connectors.warehouses.rsl.mapping import MappingError, result_from_json

    try:
        result_from_json(item)
    except MappingError:
        return False
    return True


def _cursor_of(item) -> str:
    from juchu.connectors.warehouses.rsl.mapping import result_cursor

    return result_cursor(item)


# ---- withdraw --------------------------------------------------------------------------------------


def test_withdrawn_is_accepted(clock):
    seen = []

    def handler(request):
        seen.append((request.method, request.url.raw_path.decode(), json.loads(request.content)))
        return httpx.Response(200, json={"status": "withdrawn", "reason": "cancel"})

    answer = connector(handler, clock).withdraw("R-1/2", "cancel")
    assert answer == ItemResult("R-1/2", Outcome.ACCEPTED, message="cancel")
    assert seen == [("POST", "/rsl/v1/shipment-requests/R-1%2F2/withdraw", {"reason": "cancel"})]


def test_refused_is_rejected_with_code_refused_and_rsl_reason(clock):
    def handler(request):
        return httpx.Response(200, json={"status": "refused", "reason": "ピッキング開始済み"})

    answer = connector(handler, clock).withdraw("R-1", "cancel")
    assert answer == ItemResult("R-1", Outcome.REJECTED, "REFUSED", "ピッキング開始済み")


def test_withdrawing_an_unknown_request_is_rejected_not_found(clock):
    def handler(request):
        return httpx.Response(404)

    answer = connector(handler, clock).withdraw("R-404", "cancel")
    assert (answer.outcome, answer.code) == (Outcome.REJECTED, "NOT_FOUND")


def test_withdraw_on_a_5xx_raises_retryable(clock):
    def handler(request):
        return httpx.Response(500)

    with pytest.raises(ConnectorError) as caught:
        connector(handler, clock).withdraw("R-1", "cancel")
    assert caught.value.retryable is True


# ---- stock, inbound, items -------------------------------------------------------------------------


def test_all_stock_is_read_page_by_page(clock):
    asked = []

    def handler(request):
        page = request.url.params.get("page", "")
        asked.append(page)
        return httpx.Response(200, json=load("inventory_page2.json" if page == "2" else "inventory_page1.json"))

    levels = connector(handler, clock).fetch_stock()
    assert asked == ["", "2"]
    assert levels == [StockLevel("SKU-A", 10), StockLevel("SKU-B", 0), StockLevel("SKU-C", 4)]


def test_named_skus_are_asked_in_chunks_and_unknown_ones_left_out(clock):
    asked = []

    def handler(request):
        skus = request.url.params.get_list("sku")
        asked.append(len(skus))
        items = [{"sku": s, "available": 3} for s in skus if s != "SKU-7"]
        return httpx.Response(200, json={"items": items, "nextPage": None})

    skus = [f"SKU-{i}" for i in range(120)]
    levels = connector(handler, clock).fetch_stock(skus)
    assert asked == [50, 50, 20]
    assert [lv.sku for lv in levels] == [s for s in skus if s != "SKU-7"]
    assert {lv.quantity for lv in levels} == {3}


def test_a_bad_stock_item_is_skipped_and_reported(clock):
    def handler(request):
        return httpx.Response(200, json={"items": [{"sku": "A", "available": -1}, {"sku": "B", "available": 2}]})

    rsl = connector(handler, clock)
    assert rsl.fetch_stock() == [StockLevel("B", 2)]
    assert [(e.key, e.field) for e in rsl.last_errors] == [("A", "available")]


def test_register_inbound_sends_the_plan(clock):
    seen = []

    def handler(request):
        seen.append(json.loads(request.content))
        return httpx.Response(200, json={"status": "accepted", "expectedArrival": "2024-05-02"})

    plan = InboundPlan("P-1", date(2024, 5, 2), (RequestLine("SKU-A", 24), RequestLine("SKU-B", 12)))
    answer = connector(handler, clock).register_inbound(plan)
    assert seen == [
        {
            "planId": "P-1",
            "arrivalDate": "2024-05-02",
            "lines": [{"sku": "SKU-A", "quantity": 24}, {"sku": "SKU-B", "quantity": 12}],
        }
    ]
    assert answer == ItemResult("P-1", Outcome.ACCEPTED, data={"expected_arrival": "2024-05-02"})


def test_register_inbound_refused_by_rsl_is_rejected_with_its_code(clock):
    def handler(request):
        return httpx.Response(422, json={"error": {"code": "E001", "message": "unknown sku SKU-X"}})

    answer = connector(handler, clock).register_inbound(InboundPlan("P-1", date(2024, 5, 2), ()))
    assert (answer.outcome, answer.code) == (Outcome.REJECTED, "E001")


def test_push_item_puts_the_item_master(clock):
    seen = []

    def handler(request):
        seen.append((request.method, request.url.path, json.loads(request.content)))
        return httpx.Response(202, json={"status": "queued"})

    answer = connector(handler, clock).push_item("SKU-A", "マグカップ", "4901234567894", "60", 1500)
    assert seen == [
        (
            "PUT",
            "/rsl/v1/items/SKU-A",
            {"name": "マグカップ", "janCode": "4901234567894", "sizeCategory": "60", "price": 1500},
        )
    ]
    assert answer == ItemResult("SKU-A", Outcome.ACCEPTED, data={"status": "queued"})


# ---- settings and registry -------------------------------------------------------------------------


def test_missing_credentials_fail_every_call_as_config_without_raising_at_construction(clock):
    rsl = RslConnector({"base_url": "https://rsl.test/rsl/v1"}, transport=httpx.MockTransport(accept_all), clock=clock)
    with pytest.raises(ConnectorError) as caught:
        rsl.poll_results("")
    assert (caught.value.code, caught.value.retryable) == ("CONFIG", False)
    assert "api_key" in str(caught.value) and "merchant_id" in str(caught.value)


def test_the_registry_builds_an_rsl_connector_by_name():
    built = registry.warehouse_connector("rsl", SETTINGS)
    assert isinstance(built, RslConnector)


def test_a_stock_level_beyond_what_the_books_can_hold_is_a_mapping_error_naming_the_sku() -> None:
    from juchu.connectors.warehouses.rsl.mapping import MAX_STOCK, MappingError, stock_from_json

    assert stock_from_json({"sku": "TEA-01", "available": MAX_STOCK}).quantity == MAX_STOCK
    with pytest.raises(MappingError, match="範囲外") as raised:
        stock_from_json({"sku": "TEA-01", "available": MAX_STOCK + 1})
    assert (raised.value.key, raised.value.field) == ("TEA-01", "available")
