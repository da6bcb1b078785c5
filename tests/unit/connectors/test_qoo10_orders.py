"""Qoo10 orders: rows grouped into carts, statuses, payment, cancellation, searches and mapping errors."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta

import pytest
from qoo10_fakes import load, make_connector

from juchu.connectors.base import Outcome
from juchu.connectors.malls.qoo10 import mapping, wire
from juchu.domain.model import Address, PaymentState

UNTIL = datetime(2025, 4, 1, 3, 0, tzinfo=UTC)  # 12:00 JST


def _rows() -> list[dict]:
    return copy.deepcopy(load("shipping_open.json")["ResultObject"])


def test_the_lines_of_one_cart_become_one_order_numbered_by_its_pack_no():
    packs, unreadable = mapping.group_by_pack(_rows())
    order = mapping.to_mall_order("510000001", packs["510000001"])

    assert unreadable == []
    assert order.mall_order_number == "510000001"
    assert order.ordered_at == datetime(2025, 4, 1, 10, 15, 30, tzinfo=wire.JST)
    (package,) = order.packages
    assert package.mall_package_id == "1062428737,1062428738"
    assert [(ln.mall_item_id, ln.mall_variant_id, ln.quantity, ln.unit_price) for ln in package.lines] == [
        ("tea-01", "tea-01-100g", 2, 1080),
        ("tea-03", "", 1, 1620),
    ]
    assert package.address == Address("1000005", "東京都", "千代田区", "丸の内1-2-3 コーポ青葉101")
    assert package.phone == "090-1234-5678"
    assert package.requested_date == date(2025, 4, 5)
    assert package.delivery_method == "宅配便"
    assert (order.goods_total, order.coupon_used, order.total) == (3780, 150, 3630)
    assert (order.payment_method, order.payment_state, order.confirmed) == (
        "クレジットカード",
        PaymentState.PAID,
        False,
    )
    assert order.mall_status == "2 配送要請"
    assert order.remarks == "不在の場合は宅配ボックスへお願いします。"


@pytest.mark.parametrize(
    ("status", "payment_date", "paid", "confirmed"),
    [
        ("Awaiting shipping(1)", "", PaymentState.UNPAID, False),
        ("On request(2)", "2025-04-01 10:15:42", PaymentState.PAID, False),
        ("Seller confirm(3)", "2025-04-01 10:15:42", PaymentState.PAID, True),
        ("On delivery(4)", "2025-04-01 10:15:42", PaymentState.PAID, True),
        ("5", "2025-04-01 10:15:42", PaymentState.PAID, True),
    ],
)
def test_shipping_status_decides_paid_and_confirmed(status, payment_date, paid, confirmed):
    row = _rows()[2] | {"shippingStatus": status, "PaymentDate": payment_date}

    order = mapping.to_mall_order("510000002", [row])

    assert (order.payment_state, order.confirmed, order.cancelled, order.change_pending) == (
        paid,
        confirmed,
        False,
        False,
    )


def test_a_cart_whose_every_line_is_cancelled_is_cancelled():
    row = load("by_order_no_cancelled.json")["ResultObject"][0]

    order = mapping.to_mall_order("510000002", [row])

    assert (order.cancelled, order.change_pending, order.confirmed) == (True, False, False)
    assert order.mall_status == "1 入金待ち / クレーム3 キャンセル完了"


def test_one_cancelled_line_of_two_leaves_the_other_and_flags_a_change():
    first, second = _rows()[:2]
    second |= {"claimStatus": "3"}

    order = mapping.to_mall_order("510000001", [first, second])

    assert (order.cancelled, order.change_pending) == (False, True)
    assert [ln.mall_item_id for ln in order.packages[0].lines] == ["tea-01"]
    assert order.packages[0].mall_package_id == "1062428737"
    assert "[Qoo10 一部キャンセル] 注文番号 1062428738" in order.remarks


def test_a_cancellation_request_is_a_change_the_shop_must_look_at():
    order = mapping.to_mall_order("510000002", [_rows()[2] | {"claimStatus": "1"}])

    assert (order.cancelled, order.change_pending) == (False, True)


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("+81-90-1234-5678", "090-1234-5678"),
        ("+819012345678", "09012345678"),
        ("+81 3-1234-5678", "03-1234-5678"),
        ("+81-090-1111-2222", "090-1111-2222"),
        ("03-1234-5678", "03-1234-5678"),
        ("", ""),
    ],
)
def test_plus_81_phones_become_japanese_numbers(raw, phone):
    assert wire.japanese_phone(raw) == phone


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("orderQty", "two", "orderNo 1062428801.orderQty"),
        ("shippingStatus", "Lost(9)", "orderNo 1062428801.shippingStatus"),
        ("orderDate", "yesterday", "orderNo 1062428801.orderDate"),
        ("shippingAddr", "Somewhere 1-2", "orderNo 1062428801.shippingAddr"),
        ("receiver", None, "orderNo 1062428801.receiver"),
    ],
)
def test_an_unreadable_field_names_the_cart_and_the_field(field, value, path):
    with pytest.raises(mapping.MappingError) as caught:
        mapping.to_mall_order("510000002", [_rows()[2] | {field: value}])

    assert caught.value.field == path
    assert str(caught.value).startswith("Qoo10注文 510000002: ")


def test_fetch_new_orders_searches_order_and_payment_dates_and_claims_and_one_bad_cart_does_not_stop_the_rest():
    rows = _rows()
    rows[2]["orderQty"] = "x"
    fake, _clock, connector = make_connector()
    fake.on("ShippingBasic.GetShippingInfo_v2", {"ResultCode": 0, "ResultMsg": "SUCCESS", "ResultObject": rows})
    fake.on("ShippingBasic.GetClaimInfo_V3", "empty.json")

    result = connector.fetch_new_orders(UNTIL - timedelta(minutes=10), UNTIL)

    assert [o.mall_order_number for o in result.orders] == ["510000001"]
    (error,) = result.errors
    assert (error.key, error.outcome, error.code, error.data["field"]) == (
        "510000002",
        Outcome.REJECTED,
        "MAPPING",
        "orderNo 1062428801.orderQty",
    )
    searches = fake.calls("ShippingBasic.GetShippingInfo_v2")
    assert [(f["ShippingStat"], f["search_condition"], f["search_Sdate"], f["search_Edate"]) for f in searches] == [
        ("", "1", "20250401115000", "20250401115959"),
        ("", "2", "20250401115000", "20250401115959"),
    ]
    claims = fake.calls("ShippingBasic.GetClaimInfo_V3")
    assert [f["search_condition"] for f in claims] == ["2", "3"]
    assert all(f["returnType"] == "json" for f in searches)
    assert result.cursor == UNTIL


def test_a_cancelled_cart_comes_back_through_the_claim_search_read_line_by_line():
    fake, _clock, connector = make_connector()
    fake.on("ShippingBasic.GetShippingInfo_v2", "empty.json")
    fake.on("ShippingBasic.GetClaimInfo_V3", "claim_cancelled.json", "empty.json")
    fake.on("ShippingBasic.GetShippingAndClaimInfoByOrderNo_V2", "by_order_no_cancelled.json")

    result = connector.fetch_new_orders(UNTIL - timedelta(minutes=10), UNTIL)

    (order,) = result.orders  # the return (claim 6) of a shipped order is not a cancellation
    assert (order.mall_order_number, order.cancelled) == ("510000002", True)
    assert fake.calls("ShippingBasic.GetShippingAndClaimInfoByOrderNo_V2") == [
        {"OrderNo": "1062428801", "returnType": "json"}
    ]
    # The rest of the cart is searched in the second it was ordered.
    last = fake.calls("ShippingBasic.GetShippingInfo_v2")[-1]
    assert (last["search_Sdate"], last["search_Edate"]) == ("20250401110209", "20250401110209")


def test_a_search_at_the_row_cap_is_searched_again_in_halves():
    full = {"ResultCode": 0, "ResultMsg": "SUCCESS", "ResultObject": [_rows()[0] | {"orderNo": n} for n in range(500)]}
    fake, _clock, connector = make_connector()
    fake.on("ShippingBasic.GetShippingInfo_v2", full, "empty.json")
    fake.on("ShippingBasic.GetClaimInfo_V3", "empty.json")

    connector.fetch_new_orders(UNTIL - timedelta(minutes=10), UNTIL)

    windows = [(f["search_Sdate"], f["search_Edate"]) for f in fake.calls("ShippingBasic.GetShippingInfo_v2")]
    assert windows[:3] == [
        ("20250401115000", "20250401115959"),
        ("20250401115000", "20250401115459"),
        ("20250401115500", "20250401115959"),
    ]


def test_since_none_looks_back_fourteen_days():
    fake, _clock, connector = make_connector()
    fake.on("ShippingBasic.GetShippingInfo_v2", "empty.json")
    fake.on("ShippingBasic.GetClaimInfo_V3", "empty.json")

    connector.fetch_new_orders(None, UNTIL)

    assert fake.calls("ShippingBasic.GetShippingInfo_v2")[0]["search_Sdate"] == "20250318120000"


def test_fetch_orders_finds_open_carts_and_names_the_missing_ones():
    fake, _clock, connector = make_connector()
    fake.on("ShippingBasic.GetShippingInfo_v2", "shipping_open.json", "empty.json")
    fake.on("ShippingBasic.GetClaimInfo_V3", "empty.json")

    result = connector.fetch_orders(["510000001", "999"])

    assert [o.mall_order_number for o in result.orders] == ["510000001"]
    assert [(e.key, e.code) for e in result.errors] == [("999", "NOT_FOUND")]
