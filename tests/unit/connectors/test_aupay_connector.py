"""The au PAY connector against recorded Wow!manager answers: reads, paging, errors, and every write."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from tests.unit.connectors.aupay_fakes import FakeWowma, answer, load

from juchu.connectors.base import ConnectorError, Outcome, ShipmentReport, StockLevel
from juchu.connectors.malls.aupay import CREDENTIAL_KEYS

UNTIL = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)  # 12:00 JST


def report(number: str = "260105000001", *tracking: str, key: str = "r1", carrier: str = "1029") -> ShipmentReport:
    return ShipmentReport(key, number, "", carrier, date(2026, 1, 6), tracking or ("123456789012",))


def test_the_shop_settings_form_offers_shop_id_and_api_key() -> None:
    assert CREDENTIAL_KEYS == ("shopId", "apiKey")


# ---- reading ----------------------------------------------------------------------------------------


def test_fetch_new_orders_pages_both_searches_and_maps_each_order_once() -> None:
    fake = FakeWowma()
    pages = (answer("search_page1.xml"), answer("search_page2.xml"))
    fake.on("searchTradeInfoListProc", *pages, *pages)
    connector, _ = fake.connector()

    result = connector.fetch_new_orders(UNTIL - timedelta(minutes=5), UNTIL)

    assert [o.mall_order_number for o in result.orders] == ["260105000001", "260105000002", "260105000003"]
    assert result.errors == ()
    assert result.cursor == UNTIL
    params = [dict(r.url.params) for r in fake.sent("searchTradeInfoListProc")]
    assert [(p["dateType"], p["startCount"]) for p in params] == [("0", "1"), ("0", "3"), ("1", "1"), ("1", "3")]
    assert params[0] == {
        "shopId": "52000123",
        "totalCount": "100",
        "startCount": "1",
        "startDate": "2026/01/05 11:55",
        "endDate": "2026/01/05 12:00",
        "dateType": "0",
    }
    assert fake.sent("searchTradeInfoListProc")[0].headers["Authorization"] == "Bearer KEY-123"


def test_without_a_cursor_it_looks_back_fourteen_days() -> None:
    fake = FakeWowma()
    fake.on("searchTradeInfoListProc", answer("search_empty.xml"))
    connector, _ = fake.connector()

    connector.fetch_new_orders(None, UNTIL)

    params = [dict(r.url.params) for r in fake.sent("searchTradeInfoListProc")]
    assert [(p["startDate"], p["endDate"]) for p in params] == [("2025/12/22 12:00", "2026/01/05 12:00")] * 2


def test_a_long_gap_is_searched_in_windows_of_31_days() -> None:
    fake = FakeWowma()
    fake.on("searchTradeInfoListProc", answer("search_empty.xml"))
    connector, _ = fake.connector()

    connector.fetch_new_orders(UNTIL - timedelta(days=40), UNTIL)

    windows = [(r.url.params["startDate"], r.url.params["endDate"]) for r in fake.sent("searchTradeInfoListProc")]
    assert windows == [("2025/11/26 12:00", "2025/12/27 12:00")] * 2 + [("2025/12/27 12:00", "2026/01/05 12:00")] * 2


def test_one_unreadable_order_is_an_error_and_the_others_import() -> None:
    fake = FakeWowma()
    fake.on("searchTradeInfoListProc", answer("search_one_malformed.xml"), answer("search_empty.xml"))
    connector, _ = fake.connector()

    result = connector.fetch_new_orders(UNTIL - timedelta(minutes=5), UNTIL)

    assert [o.mall_order_number for o in result.orders] == ["260105000005"]
    (error,) = result.errors
    assert (error.key, error.outcome, error.code, error.data) == (
        "260105000004",
        Outcome.REJECTED,
        "MAPPING",
        {"field": "orderDate"},
    )


def test_fetch_orders_reads_each_and_an_unknown_number_is_a_per_order_error() -> None:
    fake = FakeWowma()
    fake.on("searchTradeInfoProc", answer("order_new.xml"), answer("error_not_found.xml", 400))
    connector, _ = fake.connector()

    result = connector.fetch_orders(["260105000001", "260105999999"])

    assert [o.mall_order_number for o in result.orders] == ["260105000001"]
    assert [(e.key, e.outcome, e.code) for e in result.errors] == [("260105999999", Outcome.REJECTED, "ORD0001")]
    assert fake.sent("searchTradeInfoProc")[1].url.params["orderId"] == "260105999999"


@pytest.mark.parametrize("fixture", ["error_auth.xml", "error_expired.xml"])
def test_a_refused_key_raises_auth_with_a_message_saying_so(fixture: str) -> None:
    fake = FakeWowma()
    fake.on("searchTradeInfoListProc", answer(fixture, 401))
    connector, _ = fake.connector()

    with pytest.raises(ConnectorError) as caught:
        connector.fetch_new_orders(None, UNTIL)

    assert (caught.value.code, caught.value.retryable) == ("AUTH", False)
    assert "認証" in str(caught.value)
    assert "au PAY マーケット" in str(caught.value)


def test_a_blocked_ip_is_an_auth_error_naming_the_allow_list() -> None:
    fake = FakeWowma()
    body = load("error_auth.xml").replace(b"PUB0001", b"PUB0003")
    fake.on("searchTradeInfoListProc", httpx.Response(403, content=body))
    connector, _ = fake.connector()

    with pytest.raises(ConnectorError) as caught:
        connector.fetch_new_orders(None, UNTIL)

    assert caught.value.code == "AUTH"
    assert "IPアドレス" in str(caught.value)


@pytest.mark.parametrize(
    ("response", "code"),
    [
        (answer("error_rate.xml", 429), "RATE_LIMIT"),
        (answer("error_503.html", 503), "HTTP_503"),
        (answer("error_503.html", 200), "MALFORMED"),
        (httpx.Response(200, content=load("search_page1.xml")[:300]), "MALFORMED"),
    ],
)
def test_throttling_server_errors_and_garbled_answers_are_retryable(response: httpx.Response, code: str) -> None:
    fake = FakeWowma()
    fake.on("searchTradeInfoListProc", response)
    connector, _ = fake.connector()

    with pytest.raises(ConnectorError) as caught:
        connector.fetch_new_orders(None, UNTIL)

    assert (caught.value.code, caught.value.retryable) == (code, True)


def test_a_timeout_is_retryable() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    fake = FakeWowma()
    fake.on("searchTradeInfoListProc", slow)
    connector, _ = fake.connector()

    with pytest.raises(ConnectorError) as caught:
        connector.fetch_new_orders(None, UNTIL)

    assert (caught.value.code, caught.value.retryable) == ("TIMEOUT", True)


def test_the_default_rate_is_two_calls_a_second_and_a_429_pauses_the_bucket() -> None:
    fake = FakeWowma()
    fake.on("searchTradeInfoProc", answer("order_new.xml"))
    connector, clock = fake.connector()

    for _ in range(4):
        connector.fetch_orders(["260105000001"])

    assert clock.sleeps == [0.5, 0.5]
    fake.on("searchTradeInfoProc", answer("error_rate.xml", 429), answer("order_new.xml"))
    with pytest.raises(ConnectorError):
        connector.fetch_orders(["260105000001"])
    connector.fetch_orders(["260105000001"])
    assert clock.sleeps[-1] >= 1.0


def test_missing_credentials_are_a_config_error() -> None:
    fake = FakeWowma()
    with pytest.raises(ConnectorError) as caught:
        fake.connector(apiKey="")
    assert (caught.value.code, caught.value.retryable) == ("CONFIG", False)


# ---- confirm ----------------------------------------------------------------------------------------


def test_confirm_moves_a_new_order_to_awaiting_shipment() -> None:
    fake = FakeWowma()
    fake.on("searchTradeInfoProc", answer("order_new.xml"))
    fake.on("updateTradeStsProc", answer("ok.xml"))
    connector, _ = fake.connector()

    (result,) = connector.confirm(["260105000001"])

    assert result.outcome is Outcome.ACCEPTED
    (body,) = fake.bodies("updateTradeStsProc")
    assert [(e.tag, e.text) for e in body] == [
        ("shopId", "52000123"),
        ("orderId", "260105000001"),
        ("orderStatus", "発送待ち"),
    ]
    assert fake.sent("updateTradeStsProc")[0].headers["Content-Type"] == "application/xml; charset=utf-8"


def test_a_confirmation_resent_after_a_lost_answer_is_accepted_without_a_second_write() -> None:
    fake = FakeWowma()
    fake.on("searchTradeInfoProc", answer("order_awaiting.xml"))
    connector, _ = fake.connector()

    (result,) = connector.confirm(["260105000001"])

    assert (result.outcome, result.data) == (Outcome.ACCEPTED, {"note": "確認済みでした (発送待ち)"})
    assert fake.sent("updateTradeStsProc") == []


@pytest.mark.parametrize("fixture", ["order_held.xml", "order_cancelled.xml"])
def test_a_held_or_cancelled_order_is_not_confirmed(fixture: str) -> None:
    fake = FakeWowma()
    fake.on("searchTradeInfoProc", answer(fixture))
    connector, _ = fake.connector()

    (result,) = connector.confirm(["260105000001"])

    assert (result.outcome, result.code) == (Outcome.REJECTED, "STATUS")
    assert fake.sent("updateTradeStsProc") == []


def test_one_retryable_failure_leaves_only_that_order_to_retry() -> None:
    fake = FakeWowma()
    fake.on("searchTradeInfoProc", answer("error_503.html", 503), answer("order_awaiting.xml"))
    connector, _ = fake.connector()

    results = connector.confirm(["2", "260105000001"])

    assert [(r.key, r.outcome) for r in results] == [("2", Outcome.RETRY), ("260105000001", Outcome.ACCEPTED)]


def test_three_retryable_failures_in_a_row_leave_the_rest_of_the_batch_to_retry() -> None:
    fake = FakeWowma()
    fake.on("searchTradeInfoProc", answer("error_503.html", 503))
    connector, _ = fake.connector()

    results = connector.confirm(["1", "2", "3", "4", "5"])

    assert [(r.outcome, r.code) for r in results] == [(Outcome.RETRY, "HTTP_503")] * 5
    assert len(fake.sent("searchTradeInfoProc")) == 3


# ---- shipping reports -------------------------------------------------------------------------------


def test_a_report_writes_date_carrier_and_tracking_number() -> None:
    fake = FakeWowma()
    fake.on("searchTradeInfoProc", answer("order_awaiting.xml"))
    fake.on("updateTradeInfoProc", answer("ok.xml"))
    connector, _ = fake.connector()

    (result,) = connector.report_shipments([report()])

    assert (result.key, result.outcome, result.data) == ("r1", Outcome.ACCEPTED, {"carrier": "4"})
    (body,) = fake.bodies("updateTradeInfoProc")
    assert {e.tag: e.text for e in body} == {
        "shopId": "52000123",
        "orderId": "260105000001",
        "shippingDate": "2026/01/06",
        "shippingCarrier": "4",
        "shippingNumber": "123456789012",
    }


@pytest.mark.parametrize(("rakuten", "aupay"), [("1001", "1"), ("1002", "2"), ("1003", "4"), ("1000", "9"), ("X", "9")])
def test_rakuten_carrier_codes_map_to_au_pay_codes(rakuten: str, aupay: str) -> None:
    fake = FakeWowma()
    fake.on("searchTradeInfoProc", answer("order_awaiting.xml"))
    fake.on("updateTradeInfoProc", answer("ok.xml"))
    connector, _ = fake.connector()

    connector.report_shipments([report(carrier=rakuten)])

    assert fake.bodies("updateTradeInfoProc")[0].findtext("shippingCarrier") == aupay


def test_a_report_resent_after_a_lost_answer_is_accepted_without_a_second_write() -> None:
    fake = FakeWowma()
    fake.on("searchTradeInfoProc", answer("order_shipped.xml"))
    connector, _ = fake.connector()

    (result,) = connector.report_shipments([report()])

    assert (result.outcome, result.data) == (Outcome.ACCEPTED, {"note": "反映済みでした"})
    assert fake.sent("updateTradeInfoProc") == []


def test_a_second_parcel_keeps_the_number_already_at_the_mall_once() -> None:
    fake = FakeWowma()
    fake.on("searchTradeInfoProc", answer("order_shipped.xml"))
    fake.on("updateTradeInfoProc", answer("ok.xml"))
    connector, _ = fake.connector()

    (result,) = connector.report_shipments([report("260105000001", "123456789012", "999900001111")])

    assert result.outcome is Outcome.ACCEPTED
    assert fake.bodies("updateTradeInfoProc")[0].findtext("shippingNumber") == "123456789012,999900001111"


def test_a_report_for_a_cancelled_order_is_rejected_without_a_write() -> None:
    fake = FakeWowma()
    fake.on("searchTradeInfoProc", answer("order_cancelled.xml"))
    connector, _ = fake.connector()

    (result,) = connector.report_shipments([report()])

    assert (result.outcome, result.code) == (Outcome.REJECTED, "CANCELLED")
    assert fake.sent("updateTradeInfoProc") == []


def test_a_report_the_mall_refuses_carries_its_code_and_message() -> None:
    fake = FakeWowma()
    fake.on("searchTradeInfoProc", answer("order_held.xml"))
    fake.on("updateTradeInfoProc", answer("error_status.xml", 400))
    connector, _ = fake.connector()

    (result,) = connector.report_shipments([report()])

    assert (result.outcome, result.code) == (Outcome.REJECTED, "ORD0002")
    assert "保留" in result.message


def test_a_refused_key_during_reports_raises_auth() -> None:
    fake = FakeWowma()
    fake.on("searchTradeInfoProc", answer("error_expired.xml", 401))
    connector, _ = fake.connector()

    with pytest.raises(ConnectorError) as caught:
        connector.report_shipments([report()])

    assert caught.value.code == "AUTH"


# ---- cancel -----------------------------------------------------------------------------------------


def test_cancel_sends_the_reason_code() -> None:
    fake = FakeWowma()
    fake.on("cancelTradeProc", answer("ok.xml"))
    connector, _ = fake.connector()

    result = connector.cancel("260105000001", "out_of_stock")

    assert (result.outcome, result.data) == (Outcome.ACCEPTED, {"reason_code": "2"})
    assert fake.bodies("cancelTradeProc")[0].findtext("cancelReason") == "2"


def test_cancelling_an_order_the_mall_already_cancelled_is_accepted() -> None:
    fake = FakeWowma()
    fake.on("cancelTradeProc", answer("error_already_cancelled.xml", 400))
    fake.on("searchTradeInfoProc", answer("order_cancelled.xml"))
    connector, _ = fake.connector()

    result = connector.cancel("260105000001", "shop_cancel")

    assert (result.outcome, result.data["note"], result.data["reason_code"]) == (
        Outcome.ACCEPTED,
        "キャンセル済みでした",
        "3",
    )


def test_cancelling_a_shipped_order_is_rejected_with_the_mall_code() -> None:
    fake = FakeWowma()
    body = load("error_status.xml")
    fake.on("cancelTradeProc", httpx.Response(400, content=body))
    fake.on("searchTradeInfoProc", answer("order_shipped.xml"))
    connector, _ = fake.connector()

    result = connector.cancel("260105000001", "shop_cancel")

    assert (result.outcome, result.code) == (Outcome.REJECTED, "ORD0002")


# ---- stock ------------------------------------------------------------------------------------------


def test_stock_answers_per_item_and_names_variants_with_segment_two() -> None:
    fake = FakeWowma()
    fake.on("updateStock", answer("stock_result.xml"))
    connector, _ = fake.connector()

    results = connector.push_stock(
        [StockLevel("tea-01:tea-01-100g", 5), StockLevel("nope-99", 1), StockLevel("tea-03", 120_000)]
    )

    assert [(r.key, r.outcome, r.code) for r in results] == [
        ("tea-01:tea-01-100g", Outcome.ACCEPTED, ""),
        ("nope-99", Outcome.REJECTED, "STK0001"),
        ("tea-03", Outcome.ACCEPTED, ""),
    ]
    items = fake.bodies("updateStock")[0].findall("stockUpdateItem")
    assert [{e.tag: e.text for e in item} for item in items] == [
        {"itemCode": "tea-01", "stockSegment": "2", "itemManagementId": "tea-01-100g", "stockCount": "5"},
        {"itemCode": "nope-99", "stockSegment": "1", "stockCount": "1"},
        {"itemCode": "tea-03", "stockSegment": "1", "stockCount": "99999"},
    ]


def test_stock_goes_in_chunks_of_100_and_an_empty_code_is_never_sent() -> None:
    fake = FakeWowma()
    fake.on("updateStock", answer("ok.xml"))
    connector, _ = fake.connector()

    results = connector.push_stock([StockLevel(f"item-{i}", i) for i in range(250)] + [StockLevel(":v", 1)])

    assert [len(body.findall("stockUpdateItem")) for body in fake.bodies("updateStock")] == [100, 100, 50]
    assert results[-1].code == "SKU_FORMAT"
    assert {r.outcome for r in results[:250]} == {Outcome.RETRY}  # ok.xml holds no updateResult


def test_a_failed_stock_chunk_leaves_the_rest_to_retry() -> None:
    fake = FakeWowma()
    fake.on("updateStock", answer("error_503.html", 503))
    connector, _ = fake.connector()

    results = connector.push_stock([StockLevel(f"item-{i}", 1) for i in range(150)])

    assert {(r.outcome, r.code) for r in results} == {(Outcome.RETRY, "HTTP_503")}
    assert len(fake.sent("updateStock")) == 1
