"""Yahoo connector, writing: confirm, shipping reports, cancel, stock — each idempotent, answered per item."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from tests.unit.connectors.yahoo_fakes import FakeYahoo, connector, xml

from juchu.connectors.base import ConnectorError, Outcome, ShipmentReport, StockLevel
from juchu.connectors.malls.yahoo import connector as yahoo_connector

NEW, SEEN, CANCELLED, SHIPPED = (
    "snbx-juchu-10000001",
    "snbx-juchu-10000002",
    "snbx-juchu-10000004",
    "snbx-juchu-10000006",
)


def _fake() -> FakeYahoo:
    fake = FakeYahoo()
    fake.info = {
        NEW: "orderinfo_paid_card.xml",
        SEEN: "orderinfo_unpaid_bank.xml",
        CANCELLED: "orderinfo_cancelled.xml",
        SHIPPED: "orderinfo_shipped.xml",
    }
    return fake


def test_confirm_marks_a_new_order_seen_with_its_own_status_and_skips_one_already_seen() -> None:
    fake = _fake()

    results = connector(fake).confirm([NEW, SEEN, CANCELLED, "snbx-juchu-19999999"])

    assert [(r.key, r.outcome, r.code) for r in results] == [
        (NEW, Outcome.ACCEPTED, ""),
        (SEEN, Outcome.ACCEPTED, ""),
        (CANCELLED, Outcome.ACCEPTED, ""),
        ("snbx-juchu-19999999", Outcome.REJECTED, "od20001"),
    ]
    (body,) = fake.bodies("orderStatusChange")
    assert (body.findtext("Target/OrderId"), body.findtext("Order/OrderStatus")) == (NEW, "2")
    assert body.findtext("Target/IsPointFix") == "false"
    assert results[1].data == {"note": "確認済みでした"}


def test_confirm_retries_an_order_then_asks_to_retry_it_and_gives_up_after_three_failing_in_a_row() -> None:
    fake = _fake()
    fake.info |= {"n3": "orderinfo_paid_card.xml", "n4": "orderinfo_paid_card.xml"}
    fake.routes["orderStatusChange"] = lambda _request: httpx.Response(503, content=b"busy")

    results = connector(fake).confirm([NEW, "n3", "n4", "n5"])

    assert [(r.key, r.outcome, r.code) for r in results] == [
        (NEW, Outcome.RETRY, "HTTP_503"),
        ("n3", Outcome.RETRY, "HTTP_503"),
        ("n4", Outcome.RETRY, "HTTP_503"),
        ("n5", Outcome.RETRY, "HTTP_503"),
    ]
    assert len(fake.calls("orderStatusChange")) == 9  # three attempts for each of the first three, none for n5


def test_an_order_unreadable_for_now_holds_the_fetch_cursor_back() -> None:
    fake = _fake()
    fake.routes["orderList"] = [xml("orderlist_page1.xml"), xml("orderlist_page2.xml")]
    attempts = iter([httpx.Response(500, content=b"")] * 3)
    base = fake.handle

    def info(request: httpx.Request) -> httpx.Response:
        if b"10000004" in request.content:
            return next(attempts)
        fake.routes.pop("orderInfo")
        try:
            return base(request)
        finally:
            fake.routes["orderInfo"] = info

    fake.routes["orderInfo"] = info
    until = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)

    result = connector(fake).fetch_new_orders(until - timedelta(hours=3), until)

    assert [o.mall_order_number for o in result.orders] == [NEW]
    assert [(e.key, e.outcome) for e in result.errors] == [(CANCELLED, Outcome.RETRY)]
    assert result.cursor == datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # its LastUpdateTime, 11:00 JST


def _report(key: str, number: str, carrier: str = "1029", *tracking: str) -> ShipmentReport:
    return ShipmentReport(key, number, number, carrier, date(2026, 3, 3), tracking or ("123456789012",))


def test_a_report_writes_ship_status_3_with_the_mapped_carrier_number_and_date() -> None:
    fake = _fake()

    (result,) = connector(fake).report_shipments([_report("k1", NEW)])

    assert (result.key, result.outcome) == ("k1", Outcome.ACCEPTED)
    assert result.data == {"ship_company_code": "1003"}
    (body,) = fake.bodies("orderShipStatusChange")
    ship = body.find("Order/Ship")
    assert ship is not None
    assert [(c.tag, c.text) for c in ship] == [
        ("ShipStatus", "3"),
        ("ShipCompanyCode", "1003"),
        ("ShipInvoiceNumber1", "123456789012"),
        ("ShipDate", "20260303"),
    ]
    assert body.findtext("Target/IsPointFix") == "true"


def test_a_report_sent_again_after_its_answer_was_lost_writes_nothing() -> None:
    fake = _fake()

    (result,) = connector(fake).report_shipments([_report("k1", SHIPPED)])

    assert result.outcome is Outcome.ACCEPTED
    assert result.data == {"note": "出荷実績は反映済みでした"}
    assert fake.calls("orderShipStatusChange") == []


def test_a_second_shipment_keeps_the_number_already_at_yahoo() -> None:
    fake = _fake()

    connector(fake).report_shipments([_report("k2", SHIPPED, "1001", "4444-5555-6666")])

    (body,) = fake.bodies("orderShipStatusChange")
    assert body.findtext("Order/Ship/ShipInvoiceNumber1") == "123456789012"
    assert body.findtext("Order/Ship/ShipInvoiceNumber2") == "4444-5555-6666"
    assert body.findtext("Order/Ship/ShipCompanyCode") == "1001"


def test_more_than_two_numbers_are_listed_as_not_sent() -> None:
    fake = _fake()

    (result,) = connector(fake).report_shipments([_report("k1", NEW, "1001", "1", "2", "3")])

    assert result.data["not_sent"] == "3"


@pytest.mark.parametrize(("rakuten", "yahoo"), [("1001", "1001"), ("1002", "1002"), ("1029", "1003"), ("1004", "1000")])
def test_carrier_codes_map_from_rakuten_to_yahoo(rakuten: str, yahoo: str) -> None:
    assert yahoo_connector.wire.carrier_code(rakuten) == yahoo


def test_a_refused_report_is_rejected_for_that_order_and_the_others_still_go() -> None:
    fake = _fake()
    fake.routes["orderShipStatusChange"] = [xml("error_cancelled.xml", 400), xml("change_warning.xml")]

    results = connector(fake).report_shipments([_report("a", CANCELLED), _report("b", NEW)])

    assert [(r.key, r.outcome, r.code) for r in results] == [
        ("a", Outcome.REJECTED, "od20003"),
        ("b", Outcome.ACCEPTED, ""),
    ]
    assert results[1].data["warning"] == "ShipDate is empty"


def test_an_auth_failure_during_reports_raises_for_the_whole_batch() -> None:
    fake = _fake()
    refused = xml("error_token.xml", 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    fake.routes["orderInfo"] = [refused, refused]

    with pytest.raises(ConnectorError) as caught:
        connector(fake).report_shipments([_report("a", NEW)])

    assert caught.value.code == "AUTH"


def test_cancel_sends_status_4_with_the_reason_and_an_already_cancelled_order_is_accepted() -> None:
    fake = _fake()
    yahoo = connector(fake)

    first = yahoo.cancel(NEW, "out_of_stock")
    again = yahoo.cancel(CANCELLED, "buyer_cancel")

    assert (first.outcome, first.data) == (Outcome.ACCEPTED, {"reason_code": "200"})
    assert (again.outcome, again.data["note"]) == (Outcome.ACCEPTED, "キャンセル済みでした")
    (body,) = fake.bodies("orderStatusChange")
    assert (body.findtext("Order/OrderStatus"), body.findtext("Order/CancelReason")) == ("4", "200")


def test_a_cancel_yahoo_refuses_is_rejected_with_its_code() -> None:
    fake = _fake()
    fake.routes["orderStatusChange"] = [xml("error_cancelled.xml", 400)]

    result = connector(fake).cancel(SHIPPED, "buyer_cancel")

    assert (result.outcome, result.code, result.data) == (Outcome.REJECTED, "od20003", {"reason_code": "100"})


def test_stock_goes_in_chunks_and_each_item_gets_its_own_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yahoo_connector, "STOCK_CHUNK", 3)
    fake = _fake()
    fake.routes["setStock"] = [xml("setstock_mixed.xml"), xml("error_stock_one.xml", 400)]
    batch = [
        StockLevel("tea-01:tea-01-100g", 12),
        StockLevel("tea-99", 4),
        StockLevel("tea-03", 0),
        StockLevel("bad,code", 1),
        StockLevel("tea-98", -1),
        StockLevel("tea-99", 5),
    ]

    results = connector(fake).push_stock(batch)

    assert [(r.key, r.outcome, r.code) for r in results] == [
        ("tea-01:tea-01-100g", Outcome.ACCEPTED, ""),
        ("tea-99", Outcome.REJECTED, "st-01001"),
        ("tea-03", Outcome.ACCEPTED, ""),
        ("bad,code", Outcome.REJECTED, "SKU_FORMAT"),
        ("tea-98", Outcome.REJECTED, "QUANTITY"),
        ("tea-99", Outcome.REJECTED, "st-01001"),
    ]
    forms = fake.forms("setStock")
    assert forms[0] == {
        "seller_id": "snbx-juchu",
        "item_code": "tea-01:tea-01-100g,tea-99,tea-03",
        "quantity": "12,4,0",
    }
    assert forms[1]["item_code"] == "tea-99"


def test_stock_after_a_retryable_failure_is_retry_for_the_rest() -> None:
    fake = _fake()
    fake.routes["setStock"] = [httpx.Response(500, content=b"")]

    results = connector(fake).push_stock([StockLevel("tea-03", 1)])

    assert [(r.outcome, r.code) for r in results] == [(Outcome.RETRY, "HTTP_500")]
