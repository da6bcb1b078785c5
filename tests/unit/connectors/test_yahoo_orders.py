"""Yahoo connector, reading: orderList paging, orderInfo mapping of every status/payment, per-order errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from tests.unit.connectors.yahoo_fakes import FakeYahoo, connector, load, xml

from juchu.connectors.base import Outcome
from juchu.connectors.malls.yahoo import mapping
from juchu.domain.model import OrderType, PaymentState

UNTIL = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # 12:00 JST


def _info(name: str):
    import xml.etree.ElementTree as ET

    found = mapping.order_info_of(ET.fromstring(load(name)))
    assert found is not None
    return found


def test_a_paid_card_order_maps_buyer_recipient_lines_and_totals() -> None:
    order = mapping.to_mall_order(_info("orderinfo_paid_card.xml"))

    assert order.mall_order_number == "snbx-juchu-10000001"
    assert order.ordered_at == datetime(2026, 3, 2, 1, 15, 30, tzinfo=UTC)
    assert (order.payment_method, order.payment_state) == ("クレジットカード決済", PaymentState.PAID)
    assert (order.cancelled, order.change_pending, order.confirmed) == (False, False, False)
    assert order.mall_status == "2 処理中 / 出荷 1 出荷可"
    assert (order.buyer_name, order.buyer_kana, order.email) == ("佐藤 花子", "サトウ ハナコ", "yshop123456@example.jp")
    (package,) = order.packages
    assert package.address.postal_code == "1600022"
    assert (package.address.prefecture, package.address.city, package.address.address2) == (
        "東京都",
        "新宿区",
        "メゾン桜201",
    )
    assert (package.delivery_method, package.requested_date, package.delivery_time) == (
        "宅配便",
        date(2026, 3, 6),
        "14:00-16:00",
    )
    assert [(ln.mall_item_id, ln.mall_variant_id, ln.quantity, ln.unit_price) for ln in package.lines] == [
        ("tea-01", "tea-01-100g", 2, 1080),
        ("tea-02", "", 1, 1044),
    ]
    assert (order.goods_total, order.postage, order.points_used, order.total) == (3204, 700, 100, 3804)
    assert order.remarks == "不在の場合は宅配ボックスへお願いします。"


@pytest.mark.parametrize(
    ("fixture", "payment", "state", "cancelled", "confirmed", "order_type"),
    [
        ("orderinfo_unpaid_bank.xml", "銀行振込", PaymentState.UNPAID, False, True, OrderType.NORMAL),
        ("orderinfo_cod.xml", "商品代引", PaymentState.UNPAID, False, False, OrderType.NORMAL),
        ("orderinfo_cancelled.xml", "クレジットカード決済", PaymentState.PAID, True, True, OrderType.NORMAL),
        ("orderinfo_reservation.xml", "クレジットカード決済", PaymentState.PAID, False, False, OrderType.RESERVATION),
        ("orderinfo_shipped.xml", "クレジットカード決済", PaymentState.PAID, False, True, OrderType.NORMAL),
    ],
)
def test_status_and_payment_combinations_map_to_the_pipeline_words(
    fixture: str, payment: str, state: PaymentState, cancelled: bool, confirmed: bool, order_type: OrderType
) -> None:
    order = mapping.to_mall_order(_info(fixture))

    assert (order.payment_method, order.payment_state) == (payment, state)
    assert (order.cancelled, order.confirmed, order.order_type, order.change_pending) == (
        cancelled,
        confirmed,
        order_type,
        False,
    )


@pytest.mark.parametrize(
    ("fixture", "field"),
    [("orderinfo_unknown_status.xml", "OrderStatus"), ("orderinfo_bad_quantity.xml", "Item[1].Quantity")],
)
def test_an_unreadable_order_raises_a_mapping_error_naming_the_field(fixture: str, field: str) -> None:
    with pytest.raises(mapping.MappingError) as caught:
        mapping.to_mall_order(_info(fixture))

    assert caught.value.field == field


def test_fetch_pages_through_order_list_and_reads_only_orders_placed_or_updated_in_the_window() -> None:
    fake = FakeYahoo()
    fake.routes["orderList"] = [xml("orderlist_page1.xml"), xml("orderlist_page2.xml")]
    fake.info = {"snbx-juchu-10000001": "orderinfo_paid_card.xml", "snbx-juchu-10000004": "orderinfo_cancelled.xml"}

    result = connector(fake).fetch_new_orders(UNTIL - timedelta(hours=3), UNTIL)

    starts = [body.findtext("Search/Start") for body in fake.bodies("orderList")]
    assert starts == ["1", "3"]
    first = fake.bodies("orderList")[0]
    assert first.findtext("Search/Condition/OrderTimeFrom") == "20260216120000"  # 14 days back
    assert first.findtext("Search/Condition/OrderTimeTo") == "20260302120000"
    assert first.findtext("SellerId") == "snbx-juchu"
    # 10000009 was placed and last updated before the window: not read again
    assert [b.findtext("Target/OrderId") for b in fake.bodies("orderInfo")] == [
        "snbx-juchu-10000001",
        "snbx-juchu-10000004",
    ]
    assert [o.mall_order_number for o in result.orders] == ["snbx-juchu-10000001", "snbx-juchu-10000004"]
    assert result.orders[1].cancelled is True
    assert result.errors == ()
    assert result.cursor == UNTIL


def test_one_unreadable_order_is_an_error_for_that_order_only() -> None:
    fake = FakeYahoo()
    fake.info = {"A": "orderinfo_paid_card.xml", "B": "orderinfo_bad_quantity.xml"}

    result = connector(fake).fetch_orders(["A", "B", "C"])

    assert [o.mall_order_number for o in result.orders] == ["snbx-juchu-10000001"]
    assert [(e.key, e.outcome, e.code) for e in result.errors] == [
        ("B", Outcome.REJECTED, "MAPPING"),
        ("C", Outcome.REJECTED, "od20001"),
    ]
    assert result.errors[0].data == {"field": "Item[1].Quantity"}


def test_an_empty_window_reads_no_order() -> None:
    fake = FakeYahoo()
    fake.routes["orderList"] = [xml("orderlist_empty.xml")]

    result = connector(fake).fetch_new_orders(None, UNTIL)

    assert (result.orders, result.errors, fake.calls("orderInfo")) == ((), (), [])
