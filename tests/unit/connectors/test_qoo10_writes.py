"""Qoo10 client and writes: the seller auth key, errors, confirm, shipping report, cancel and stock."""

from __future__ import annotations

import copy
from datetime import date

import httpx
import pytest
from qoo10_fakes import SETTINGS, load, make_connector

from juchu.connectors.base import ConnectorError, Outcome, ReportLine, ShipmentReport, StockLevel

SHIP = "ShippingBasic.SetSendingInfo"
CHECK = "ShippingBasic.SetSellerCheckYN_V2"
LOOKUP = "ShippingBasic.GetShippingAndClaimInfoByOrderNo_V2"
#: Cart 510000001 of shipping_open.json: orderNo 1062428737 is tea-01 option tea-01-100g ×2, 1062428738 tea-03 ×1.
SENCHA, MATCHA = ReportLine("tea-01", "tea-01-100g", 2), ReportLine("tea-03", "", 1)


def _report(key="r1", tracking=("600000000014",), carrier="1029", lines="1062428737,1062428738") -> ShipmentReport:
    return ShipmentReport(key, "510000001", lines, carrier, date(2025, 4, 2), tracking)


def _part(part: int, tracking: str, *lines: ReportLine) -> ShipmentReport:
    """One part of cart 510000001, split across warehouses, carrying ``lines``."""
    return ShipmentReport(
        f"r1-{part}", "510000001", "1062428737,1062428738", "1029", date(2025, 4, 2), (tracking,), part, lines
    )


def _held_tracking(fake, rows=None) -> dict[str, str]:
    """Make ``fake`` keep what SetSendingInfo sends per orderNo (returned, live) and answer the by-orderNo look-up
    with the recorded row (or ``rows``) and the tracking number it holds."""
    recorded = rows or load("shipping_open.json")["ResultObject"]
    by_no = {str(row["orderNo"]): row for row in recorded}
    held: dict[str, str] = {}

    def send(fields):
        held[fields["OrderNo"]] = fields["TrackingNo"]
        return httpx.Response(200, json=load("ok.json"))

    def look_up(fields):
        row = by_no[fields["OrderNo"]] | {"trackingNo": held.get(fields["OrderNo"], "")}
        return httpx.Response(200, json={"ResultCode": 0, "ResultMsg": "SUCCESS", "ResultObject": [row]})

    fake.on(SHIP, send)
    fake.on(LOOKUP, look_up)
    return held


def test_the_key_is_made_once_with_the_api_key_and_sent_as_the_certification_header():
    fake, _clock, connector = make_connector()
    fake.on(SHIP, "ok.json")

    connector.report_shipments([_report(), _report("r2")])

    create, *ships = fake.requests
    assert create == (
        "CertificationAPI.CreateCertificationKey",
        {"user_id": "teashop", "pwd": "pw", "returnType": "json"},
        "API-KEY-1",
    )
    assert {key for _m, _f, key in ships} == {"S4f1c2a9be07d43c1a5e6f0d2b8c7a1e93d"}
    assert len(ships) == 4


def test_an_expired_key_is_made_again_once_and_the_call_repeated():
    fake, _clock, connector = make_connector()
    fake.on(SHIP, "error_key_expired.json", "ok.json")

    (result,) = connector.report_shipments([_report(lines="1062428737")])

    assert result.outcome is Outcome.ACCEPTED
    assert [m for m, _f, _k in fake.requests] == [
        "CertificationAPI.CreateCertificationKey",
        SHIP,
        "CertificationAPI.CreateCertificationKey",
        SHIP,
    ]


@pytest.mark.parametrize("refusal", ["error_not_authorized.json", "error_key_expired.json"])
def test_refused_credentials_are_a_non_retryable_auth_error_in_japanese(refusal):
    fake, _clock, connector = make_connector()
    fake.on("CertificationAPI.CreateCertificationKey", refusal)

    with pytest.raises(ConnectorError) as caught:
        connector.fetch_orders(["510000001"])

    assert (caught.value.code, caught.value.retryable) == ("AUTH", False)
    assert "認証" in str(caught.value) and "Qoo10" in str(caught.value)


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (httpx.Response(429, headers={"Retry-After": "2"}, json={"ResultCode": -90010}), "RATE_LIMIT"),
        (httpx.Response(500, json={"error": "boom"}), "HTTP_500"),
        ("error_503.html", "HTTP_503"),
        (httpx.Response(200, content=b'{"ResultCode": 0, "ResultObj'), "MALFORMED"),
        (httpx.Response(200, json={"something": "else"}), "MALFORMED"),
    ],
)
def test_throttling_server_errors_and_malformed_bodies_are_retryable_after_two_more_tries(answer, code):
    fake, clock, connector = make_connector()
    fake.on("ShippingBasic.GetShippingInfo_v2", answer)

    with pytest.raises(ConnectorError) as caught:
        connector.fetch_orders(["510000001"])

    assert (caught.value.code, caught.value.retryable) == (code, True)
    assert len(fake.calls("ShippingBasic.GetShippingInfo_v2")) == 3
    if code == "RATE_LIMIT":
        assert clock.sleeps == [2.0, 2.0]  # the bucket waits the Retry-After


def test_a_passing_failure_is_tried_again_and_succeeds():
    fake, clock, connector = make_connector(rate_per_second="1000", rate_burst="1000")
    fake.on("ShippingBasic.GetShippingInfo_v2", httpx.Response(502, text="bad gateway"), "empty.json")
    fake.on("ShippingBasic.GetClaimInfo_V3", "empty.json")

    result = connector.fetch_orders(["510000001"])

    assert [e.code for e in result.errors] == ["NOT_FOUND"]
    assert clock.sleeps == [0.5]


def test_the_rate_limit_spaces_calls_by_the_configured_rate():
    fake, clock, connector = make_connector(rate_per_second="2", rate_burst="1")
    fake.on(SHIP, "ok.json")

    connector.report_shipments([_report(lines="1,2,3")])

    assert clock.sleeps == [0.5, 0.5, 0.5]


def test_shipping_report_sends_each_line_with_the_carrier_name_and_first_tracking_number():
    fake, _clock, connector = make_connector()
    fake.on(SHIP, "ok.json")

    (result,) = connector.report_shipments([_report(tracking=("600000000014", "600000000015"))])

    assert result.outcome is Outcome.ACCEPTED
    assert result.data["carrier"] == "JapanPost" and "先頭" in result.data["note"]
    assert [(f["OrderNo"], f["ShippingCorp"], f["TrackingNo"]) for f in fake.calls(SHIP)] == [
        ("1062428737", "JapanPost", "600000000014"),
        ("1062428738", "JapanPost", "600000000014"),
    ]


def test_an_unsplit_report_sends_every_line_without_reading_them():
    fake, _clock, connector = make_connector()
    fake.on(SHIP, "ok.json")

    (result,) = connector.report_shipments([_report()])

    assert (result.outcome, result.data) == (
        Outcome.ACCEPTED,
        {"carrier": "JapanPost", "tracking_number": "600000000014"},
    )
    assert [f["OrderNo"] for f in fake.calls(SHIP)] == ["1062428737", "1062428738"]
    assert fake.calls(LOOKUP) == []


def test_each_part_of_a_split_cart_is_sent_on_its_own_order_nos_so_each_holds_its_parcels_tracking_number():
    fake, _clock, connector = make_connector()
    held = _held_tracking(fake)

    first, second = connector.report_shipments([_part(1, "600000000014", SENCHA), _part(2, "600000000022", MATCHA)])

    assert [(r.key, r.outcome, r.data.get("order_nos")) for r in (first, second)] == [
        ("r1-1", Outcome.ACCEPTED, "1062428737"),
        ("r1-2", Outcome.ACCEPTED, "1062428738"),
    ]
    assert held == {"1062428737": "600000000014", "1062428738": "600000000022"}
    assert [f["OrderNo"] for f in fake.calls(SHIP)] == ["1062428737", "1062428738"]


def test_a_resent_part_overwrites_only_its_own_order_nos_even_once_they_shipped():
    fake, _clock, connector = make_connector()
    held = _held_tracking(fake)
    connector.report_shipments([_part(1, "600000000014", SENCHA), _part(2, "600000000022", MATCHA)])

    (again,) = connector.report_shipments([_part(1, "600000000030", SENCHA)])

    assert (again.outcome, again.data["order_nos"]) == (Outcome.ACCEPTED, "1062428737")
    assert held == {"1062428737": "600000000030", "1062428738": "600000000022"}
    assert [f["OrderNo"] for f in fake.calls(SHIP)] == ["1062428737", "1062428738", "1062428737"]


@pytest.mark.parametrize(
    ("line", "named"),
    [
        (ReportLine("tea-01", "tea-01-200g", 1), "tea-01 (オプション tea-01-200g)"),
        (ReportLine("tea-03", "tea-03-30g", 1), "tea-03 (オプション tea-03-30g)"),
        (ReportLine("tea-99", "", 1), "tea-99"),
        (ReportLine("1100000003", "", 1), "1100000003"),  # the Qoo10 item code, while the seller set tea-03
    ],
    ids=["another-option", "an-option-of-an-item-without", "unknown-item", "qoo10-item-code"],
)
def test_a_part_naming_a_line_the_cart_lacks_is_rejected_and_nothing_is_sent(line, named):
    fake, _clock, connector = make_connector()
    held = _held_tracking(fake)

    (result,) = connector.report_shipments([_part(2, "600000000022", MATCHA, line)])

    assert (result.key, result.outcome, result.code) == ("r1-2", Outcome.REJECTED, "UNKNOWN_LINE")
    assert result.message == (
        f"Qoo10 のカート 510000001 (注文番号 1062428737, 1062428738) に商品 {named} の明細がないため出荷通知できません"
    )
    assert held == {}
    assert fake.calls(SHIP) == []


def test_a_part_is_matched_on_the_qoo10_item_code_when_the_seller_set_no_item_code():
    rows = load("shipping_open.json")["ResultObject"]
    rows[1]["sellerItemCode"] = ""
    fake, _clock, connector = make_connector()
    held = _held_tracking(fake, rows)

    (result,) = connector.report_shipments([_part(2, "600000000022", ReportLine("1100000003", "", 1))])

    assert result.outcome is Outcome.ACCEPTED
    assert held == {"1062428738": "600000000022"}


def test_a_part_whose_lines_cannot_be_read_now_is_retried_and_nothing_is_sent():
    fake, _clock, connector = make_connector()
    fake.on(SHIP, "ok.json")
    fake.on(LOOKUP, "error_503.html")

    (result,) = connector.report_shipments([_part(2, "600000000022", MATCHA)])

    assert (result.outcome, result.code) == (Outcome.RETRY, "HTTP_503")
    assert fake.calls(SHIP) == []


def test_a_refused_resend_is_accepted_when_qoo10_already_holds_that_tracking_number():
    fake, _clock, connector = make_connector()
    fake.on(SHIP, "error_order_status.json")
    fake.on(LOOKUP, {"ResultCode": 0, "ResultObject": [{"orderNo": 1062428737, "trackingNo": "600000000014"}]})

    (result,) = connector.report_shipments([_report(lines="1062428737")])

    assert result.outcome is Outcome.ACCEPTED


def test_a_refused_report_with_another_tracking_number_at_qoo10_is_rejected_with_its_code():
    fake, _clock, connector = make_connector()
    fake.on(SHIP, "error_order_status.json")
    fake.on(LOOKUP, {"ResultCode": 0, "ResultObject": [{"orderNo": 1062428737, "trackingNo": "999"}]})

    (result,) = connector.report_shipments([_report(lines="1062428737")])

    assert (result.outcome, result.code) == (Outcome.REJECTED, "-10004")
    assert "1062428737" in result.message


def test_an_unknown_carrier_code_is_rejected_without_a_call():
    fake, _clock, connector = make_connector()

    (result,) = connector.report_shipments([_report(carrier="1099")])

    assert (result.outcome, result.code) == (Outcome.REJECTED, "CARRIER")
    assert fake.calls(SHIP) == []


def test_confirm_checks_each_line_not_yet_confirmed_and_a_lost_answer_resent_is_accepted():
    fake, _clock, connector = make_connector()
    fake.on("ShippingBasic.GetShippingInfo_v2", "shipping_open.json", "empty.json")
    fake.on(CHECK, "ok.json", "error_order_status.json")
    fake.on(LOOKUP, {"ResultCode": 0, "ResultObject": [{"orderNo": 1062428738, "shippingStatus": "Seller confirm(3)"}]})

    results = connector.confirm(["510000001", "404"])

    assert [(r.key, r.outcome, r.code) for r in results] == [
        ("510000001", Outcome.ACCEPTED, ""),
        ("404", Outcome.REJECTED, "NOT_FOUND"),
    ]
    assert [f["OrderNo"] for f in fake.calls(CHECK)] == ["1062428737", "1062428738"]


def test_confirm_of_a_cart_already_confirmed_sends_nothing():
    payload = copy.deepcopy(load("shipping_open.json"))
    for row in payload["ResultObject"]:
        row["shippingStatus"] = "Seller confirm(3)"
    fake, _clock, connector = make_connector()
    fake.on("ShippingBasic.GetShippingInfo_v2", payload)

    (result,) = connector.confirm(["510000001"])

    assert result.outcome is Outcome.ACCEPTED
    assert fake.calls(CHECK) == []


def test_cancel_cancels_each_live_line_with_the_reason_code():
    fake, _clock, connector = make_connector()
    fake.on("ShippingBasic.GetShippingInfo_v2", "shipping_open.json", "empty.json")
    fake.on("ShippingBasic.GetClaimInfo_V3", "empty.json")
    fake.on("Claim.SetCancelProcess", "ok.json")

    result = connector.cancel("510000001", "delivery_delay")

    assert (result.outcome, result.data["reason_code"]) == (Outcome.ACCEPTED, "3")
    assert [(f["ContrNo"], f["CancelReason"]) for f in fake.calls("Claim.SetCancelProcess")] == [
        ("1062428737", "3"),
        ("1062428738", "3"),
    ]


def test_cancel_of_a_shipped_cart_is_rejected_with_qoo10s_code():
    fake, _clock, connector = make_connector()
    fake.on("ShippingBasic.GetShippingInfo_v2", "shipping_open.json", "empty.json")
    fake.on("ShippingBasic.GetClaimInfo_V3", "empty.json")
    fake.on("Claim.SetCancelProcess", "error_order_status.json")
    fake.on(LOOKUP, {"ResultCode": 0, "ResultObject": [{"orderNo": 1062428737, "shippingStatus": "On delivery(4)"}]})

    result = connector.cancel("510000001", "shop_cancel")

    assert (result.outcome, result.code) == (Outcome.REJECTED, "-10004")


def test_stock_push_names_options_by_name_and_value_and_bare_items_by_seller_code_with_per_item_errors():
    fake, _clock, connector = make_connector()
    fake.on("ItemsLookup.GetGoodsInventoryInfo", "inventory_options.json")
    fake.on("ItemsOptions.UpdateInventoryQtyUnit", "ok.json")
    fake.on("ItemsOrder.SetGoodsPriceQty", "ok.json", "error_item_not_found.json")

    results = connector.push_stock(
        [
            StockLevel("tea-01:tea-01-100g", 7),
            StockLevel("tea-01:tea-01-200g", 0),
            StockLevel("tea-01:tea-01-999g", 1),
            StockLevel("tea-03", 40),
            StockLevel("tea-99", 5),
            StockLevel(":x", 1),
        ]
    )

    assert [(r.key, r.outcome, r.code) for r in results] == [
        ("tea-01:tea-01-100g", Outcome.ACCEPTED, ""),
        ("tea-01:tea-01-200g", Outcome.ACCEPTED, ""),
        ("tea-01:tea-01-999g", Outcome.REJECTED, "OPTION_NOT_FOUND"),
        ("tea-03", Outcome.ACCEPTED, ""),
        ("tea-99", Outcome.REJECTED, "-10001"),
        (":x", Outcome.REJECTED, "SKU_FORMAT"),
    ]
    assert len(fake.calls("ItemsLookup.GetGoodsInventoryInfo")) == 1
    first = fake.calls("ItemsOptions.UpdateInventoryQtyUnit")[0]
    assert {k: first[k] for k in ("ItemCode", "SellerCode", "OptionName", "OptionValue", "OptionCode", "Qty")} == {
        "ItemCode": "1100000001",
        "SellerCode": "tea-01",
        "OptionName": "種類",
        "OptionValue": "100g",
        "OptionCode": "tea-01-100g",
        "Qty": "7",
    }
    assert fake.calls("ItemsOrder.SetGoodsPriceQty")[0]["ItemQty"] == "40"


def test_missing_credentials_are_a_config_error():
    with pytest.raises(ConnectorError) as caught:
        make_connector(password="")

    assert caught.value.code == "CONFIG"
    assert SETTINGS["password"] == "pw"
