"""The MakeShop connector against recorded payloads: reading, paging, errors, reports, cancel, confirm, stock."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from tests.unit.connectors.makeshop_fakes import SETTINGS, FakeMakeShop, recorded_orders, xml_response

from juchu.connectors import registry
from juchu.connectors.base import ConnectorError, Outcome, ShipmentReport, StockLevel
from juchu.connectors.malls.makeshop import CREDENTIAL_KEYS, MakeShopConnector

UNTIL = datetime(2026, 3, 16, 3, 0, 0, 500000, tzinfo=UTC)  # 12:00:00.5 JST


def _report(number: str = "2026031501000001", tracking: tuple[str, ...] = ("111122223333",), key: str = "r1"):
    return ShipmentReport(key, number, "1", "1029", date(2026, 3, 16), tracking)


# ---- reading ---------------------------------------------------------------------------------------


def test_fetch_new_orders_asks_by_modify_date_for_the_window_and_maps_every_order() -> None:
    fake = FakeMakeShop()

    result = fake.connector().fetch_new_orders(UNTIL - timedelta(minutes=5), UNTIL)

    [params] = fake.calls("get")
    assert params == {
        "cmd": "get",
        "shopid": "teashop",
        "token": "ORDER-TOKEN",
        "datetype": "modify",
        "start": "20260316115500",
        "end": "20260316120000",
        "limit": "100",
        "page": "1",
    }
    assert [o.mall_order_number for o in result.orders] == [f"202603150100000{i}" for i in (1, 2, 4, 3)]
    assert result.errors == ()
    assert result.cursor == UNTIL


def test_without_since_it_looks_back_14_days_in_windows_of_at_most_31_days() -> None:
    fake = FakeMakeShop([])

    fake.connector().fetch_new_orders(None, UNTIL)
    fake.connector().fetch_new_orders(UNTIL - timedelta(days=40), UNTIL)

    windows = [(p["start"], p["end"]) for p in fake.calls("get")]
    assert windows == [
        ("20260302120000", "20260316120000"),
        ("20260204120000", "20260307115959"),
        ("20260307120000", "20260316120000"),
    ]


def test_many_orders_are_read_page_by_page_from_the_last_page_back_to_the_first() -> None:
    template = recorded_orders()[0]
    orders = []
    for i in range(250):
        node = copy.deepcopy(template)
        node.find("ordernum").text = f"20260315{i:08d}"  # type: ignore[union-attr]
        orders.append(node)
    fake = FakeMakeShop(orders)

    result = fake.connector().fetch_new_orders(UNTIL - timedelta(hours=1), UNTIL)

    assert [p["page"] for p in fake.calls("get")] == ["1", "3", "2", "1"]
    assert len(result.orders) == 250


def test_an_unreadable_order_becomes_one_error_and_the_others_import() -> None:
    fake = FakeMakeShop(recorded_orders("get_malformed.xml"))

    result = fake.connector().fetch_new_orders(UNTIL - timedelta(hours=1), UNTIL)

    assert [o.mall_order_number for o in result.orders] == ["2026031501000001"]
    [error] = result.errors
    assert (error.key, error.outcome, error.code) == ("2026031501000009", Outcome.REJECTED, "MAPPING")
    assert error.data == {"field": "deliveries/delivery[0]/items/item[0]/quantity"}


def test_fetch_orders_asks_by_number_in_batches_of_50_and_names_the_missing_ones() -> None:
    fake = FakeMakeShop()
    numbers = ["2026031501000002", *(f"X{i}" for i in range(60))]

    result = fake.connector().fetch_orders(numbers)

    assert [len(p["ordernum"].split(",")) for p in fake.calls("get")] == [50, 11]
    assert [o.mall_order_number for o in result.orders] == ["2026031501000002"]
    assert len(result.errors) == 60
    assert {(e.outcome, e.code) for e in result.errors} == {(Outcome.REJECTED, "NOT_FOUND")}


# ---- whole-call failures ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "response",
    [xml_response("error_auth.xml"), httpx.Response(401, text="Unauthorized")],
    ids=["E001-with-200", "http-401"],
)
def test_a_refused_auth_code_raises_auth_naming_makeshop(response: httpx.Response) -> None:
    fake = FakeMakeShop()
    fake.routes["get"] = lambda params, body: response

    with pytest.raises(ConnectorError) as caught:
        fake.connector().fetch_new_orders(None, UNTIL)

    assert (caught.value.code, caught.value.retryable) == ("AUTH", False)
    assert "認証" in str(caught.value) and "MakeShop 注文API cmd=get" in str(caught.value)


@pytest.mark.parametrize(
    ("response", "code"),
    [
        (httpx.Response(429, text="slow down", headers={"retry-after": "2"}), "RATE_LIMIT"),
        (xml_response("error_rate.xml"), "RATE_LIMIT"),
        (httpx.Response(500, json={"error": "Internal Server Error"}), "HTTP_500"),
        (xml_response("error_502.html", 502), "HTTP_502"),
        (httpx.Response(200, content=b'{"MessageModelList": [{"messageType"'), "MALFORMED"),
        (xml_response(b"<?xml version='1.0'?><orderinfo><result>OK</result><total>3</tot"), "MALFORMED"),
    ],
    ids=["429", "E009", "500", "html-502", "not-xml", "truncated"],
)
def test_throttling_server_errors_and_broken_bodies_are_retryable(response: httpx.Response, code: str) -> None:
    fake = FakeMakeShop()
    fake.routes["get"] = lambda params, body: response

    with pytest.raises(ConnectorError) as caught:
        fake.connector().fetch_new_orders(None, UNTIL)

    assert (caught.value.code, caught.value.retryable) == (code, True)


def test_a_timeout_is_retryable() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("late", request=request)

    connector = MakeShopConnector(SETTINGS, transport=httpx.MockTransport(slow))

    with pytest.raises(ConnectorError) as caught:
        connector.fetch_orders(["1"])

    assert (caught.value.code, caught.value.retryable) == ("TIMEOUT", True)


def test_calls_wait_for_the_conservative_default_rate_of_one_per_second() -> None:
    fake = FakeMakeShop()
    connector = fake.connector()

    for _ in range(4):
        connector.fetch_orders(["2026031501000001"])

    assert connector.client.clock.sleeps == [1.0, 1.0]  # type: ignore[attr-defined]


def test_missing_credentials_are_a_config_error_and_the_keys_are_offered() -> None:
    with pytest.raises(ConnectorError) as caught:
        MakeShopConnector({"base_url": "https://makeshop.test", "shop_id": "teashop"})

    assert (caught.value.code, caught.value.retryable) == ("CONFIG", False)
    assert CREDENTIAL_KEYS == ("shop_id", "order_token", "product_token")
    assert isinstance(registry.mall_connector("makeshop", SETTINGS), MakeShopConnector)


# ---- confirm and cancel ----------------------------------------------------------------------------


def test_confirm_accepts_every_number_with_a_note_and_calls_nothing_even_when_sent_again() -> None:
    fake = FakeMakeShop()
    connector = fake.connector()

    first = connector.confirm(["A", "B", "A"])
    again = connector.confirm(["A", "B"])

    assert first == again
    assert [(r.key, r.outcome) for r in first] == [("A", Outcome.ACCEPTED), ("B", Outcome.ACCEPTED)]
    assert "注文確認" in first[0].data["note"]
    assert fake.requests == []


def test_cancel_cancels_and_a_resent_cancel_is_accepted() -> None:
    fake = FakeMakeShop()
    connector = fake.connector()

    first = connector.cancel("2026031501000002", "out_of_stock")
    again = connector.cancel("2026031501000002", "out_of_stock")

    assert (first.outcome, again.outcome) == (Outcome.ACCEPTED, Outcome.ACCEPTED)
    assert again.data["note"] == "キャンセル済みでした"
    assert fake.calls("cancel")[0]["ordernum"] == "2026031501000002"


def test_cancel_of_a_shipped_order_is_rejected_with_makeshops_code() -> None:
    fake = FakeMakeShop()
    fake.routes["cancel"] = lambda params, body: xml_response("error_shipped.xml")

    result = fake.connector().cancel("2026031501000003", "shop_cancel")

    assert (result.outcome, result.code) == (Outcome.REJECTED, "E004")
    assert "発送済" in result.message


# ---- shipping reports ------------------------------------------------------------------------------


def test_report_sets_shipped_with_carrier_date_and_tracking() -> None:
    fake = FakeMakeShop()

    [result] = fake.connector().report_shipments([_report()])

    assert result.outcome is Outcome.ACCEPTED
    [params] = fake.calls("status")
    assert {k: params[k] for k in ("ordernum", "deliveryid", "status", "company", "ship_date", "slipno")} == {
        "ordernum": "2026031501000001",
        "deliveryid": "1",
        "status": "2",
        "company": "3",
        "ship_date": "20260316",
        "slipno": "111122223333",
    }


def test_a_resent_report_whose_answer_was_lost_writes_nothing_twice() -> None:
    fake = FakeMakeShop()
    fake.routes["status"] = [lambda params, body: (fake._status(params), xml_response(b"<orderinfo><res"))[1]]
    connector = fake.connector()

    [lost] = connector.report_shipments([_report()])
    [again] = connector.report_shipments([_report()])

    assert (lost.outcome, lost.code) == (Outcome.RETRY, "MALFORMED")
    assert (again.outcome, again.data["note"]) == (Outcome.ACCEPTED, "MakeShop に反映済みでした")
    assert len(fake.calls("status")) == 1
    slips = [s.text for s in fake.orders["2026031501000001"].iter("slipno")]
    assert slips == ["111122223333"]


def test_a_second_parcel_keeps_the_tracking_numbers_already_at_makeshop() -> None:
    fake = FakeMakeShop()

    [result] = fake.connector().report_shipments([_report("2026031501000003", ("123456789012", "999988887777"))])

    assert result.outcome is Outcome.ACCEPTED
    assert fake.calls("status")[0]["slipno"] == "123456789012,999988887777"


def test_two_reports_of_one_order_in_a_batch_add_up() -> None:
    fake = FakeMakeShop()

    results = fake.connector().report_shipments([_report(key="a"), _report(tracking=("444455556666",), key="b")])

    assert [r.outcome for r in results] == [Outcome.ACCEPTED, Outcome.ACCEPTED]
    assert [p["slipno"] for p in fake.calls("status")] == ["111122223333", "111122223333,444455556666"]


def test_report_on_a_cancelled_or_unknown_order_is_rejected_without_a_write() -> None:
    fake = FakeMakeShop()

    results = fake.connector().report_shipments([_report("2026031501000004", key="a"), _report("NOPE", key="b")])

    assert [(r.key, r.outcome, r.code) for r in results] == [
        ("a", Outcome.REJECTED, "CANCELLED"),
        ("b", Outcome.REJECTED, "NOT_FOUND"),
    ]
    assert fake.calls("status") == []


def test_a_refused_status_change_is_rejected_with_makeshops_code_and_the_rest_go_on() -> None:
    fake = FakeMakeShop()
    refusal = "<error><code>E002</code><message>slipno は英数字とハイフン30文字以内です</message></error>".encode()
    fake.routes["status"] = [lambda params, body: xml_response(refusal)]

    results = fake.connector().report_shipments([_report(key="a"), _report("2026031501000002", key="b")])

    assert [(r.outcome, r.code) for r in results] == [(Outcome.REJECTED, "E002"), (Outcome.ACCEPTED, "")]


def test_an_auth_failure_while_reporting_raises() -> None:
    fake = FakeMakeShop()
    fake.routes["status"] = lambda params, body: xml_response("error_auth.xml")

    with pytest.raises(ConnectorError) as caught:
        fake.connector().report_shipments([_report()])

    assert caught.value.code == "AUTH"


@pytest.mark.parametrize(("juchu", "makeshop"), [("1001", "1"), ("1002", "2"), ("1003", "3"), ("1000", "99")])
def test_carrier_codes_map_onto_makeshop_company_codes(juchu: str, makeshop: str) -> None:
    fake = FakeMakeShop()
    report = ShipmentReport("k", "2026031501000001", "1", juchu, date(2026, 3, 16), ("1",))

    fake.connector().report_shipments([report])

    assert fake.calls("status")[0]["company"] == makeshop


# ---- stock -----------------------------------------------------------------------------------------


def test_stock_goes_in_chunks_of_100_with_the_product_token_and_answers_per_item() -> None:
    fake = FakeMakeShop()
    fake.unknown_products = {"tea-99"}
    batch = [StockLevel(f"tea-{i:03d}:opt", i) for i in range(150)] + [StockLevel("tea-99", 3), StockLevel(":x", 1)]

    results = fake.connector().push_stock(batch)

    stock_calls = fake.calls("stock")
    assert len(stock_calls) == 2
    assert {(p["shopid"], p["token"]) for p in stock_calls} == {("teashop", "PRODUCT-TOKEN")}
    assert [r.key for r in results] == [level.sku for level in batch]
    assert [r.outcome for r in results[:150]] == [Outcome.ACCEPTED] * 150
    assert (results[150].outcome, results[150].code) == (Outcome.REJECTED, "E101")
    assert (results[151].outcome, results[151].code) == (Outcome.REJECTED, "SKU_FORMAT")
    body = fake.requests[-1][2].decode()
    assert "<brand_code>tea-99</brand_code><option_code /><stock>3</stock>" in body


def test_a_stock_chunk_refused_as_a_whole_rejects_its_items() -> None:
    fake = FakeMakeShop()
    fake.routes["stock"] = lambda params, body: xml_response("error_too_many.xml")

    results = fake.connector().push_stock([StockLevel("tea-01:tea-01-100g", 5)])

    assert [(r.outcome, r.code) for r in results] == [(Outcome.REJECTED, "E010")]


def test_stock_without_a_product_token_is_a_config_error() -> None:
    fake = FakeMakeShop()

    with pytest.raises(ConnectorError) as caught:
        fake.connector(product_token="").push_stock([StockLevel("tea-03", 1)])

    assert (caught.value.code, caught.value.retryable) == ("CONFIG", False)
