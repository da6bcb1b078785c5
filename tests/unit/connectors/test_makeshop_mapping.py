"""MakeShop ``<order>`` XML → MallOrder: payment, cancellation, status, lines and per-field mapping errors."""

from __future__ import annotations

import copy
from datetime import date, datetime
from xml.etree import ElementTree as ET

import pytest
from tests.unit.connectors.makeshop_fakes import recorded_orders

from juchu.connectors.malls.makeshop.mapping import MappingError, to_mall_order
from juchu.connectors.malls.makeshop.wire import JST
from juchu.domain.model import Address, PaymentState


def _order(index: int) -> ET.Element:
    return copy.deepcopy(recorded_orders()[index])


def test_card_order_is_paid_open_and_keeps_address_lines_and_amounts() -> None:
    order = to_mall_order(_order(0))

    assert order.mall_order_number == "2026031501000001"
    assert order.ordered_at == datetime(2026, 3, 15, 10, 23, 45, tzinfo=JST)
    assert (order.payment_method, order.payment_state) == ("クレジットカード決済", PaymentState.PAID)
    assert (order.cancelled, order.change_pending, order.confirmed) == (False, False, False)
    assert order.mall_status == "未発送"
    assert (order.goods_total, order.postage, order.points_used, order.total) == (3780, 650, 100, 4330)
    assert order.remarks == "不在の場合は宅配ボックスへお願いします。"
    assert (order.buyer_name, order.email, order.phone) == ("井上 健一", "buyer01@example.jp", "070-0034-7297")
    [package] = order.packages
    assert package.mall_package_id == "1"
    assert package.recipient_name == "斎藤 美咲"
    assert package.address == Address("5300001", "大阪府", "大阪市北区", "梅田1-1-1 メゾン桜302")
    assert (package.delivery_method, package.requested_date, package.delivery_time) == (
        "宅配便",
        date(2026, 3, 19),
        "14時～16時",
    )
    assert [(x.mall_item_id, x.mall_variant_id, x.quantity, x.unit_price) for x in package.lines] == [
        ("tea-01", "tea-01-100g", 2, 1080),
        ("tea-03", "", 1, 1620),
    ]


@pytest.mark.parametrize(
    ("index", "method", "state", "cancelled", "status"),
    [
        (0, "クレジットカード決済", PaymentState.PAID, False, "未発送"),
        (1, "銀行振込", PaymentState.UNPAID, False, "未発送"),
        (2, "代金引換", PaymentState.UNPAID, False, "発送済"),
        (3, "コンビニ決済", PaymentState.UNPAID, True, "キャンセル"),
    ],
)
def test_payment_cancel_and_status_follow_pay_status_canceled_and_delivery_status(
    index: int, method: str, state: PaymentState, cancelled: bool, status: str
) -> None:
    order = to_mall_order(_order(index))

    assert (order.payment_method, order.payment_state, order.cancelled, order.mall_status) == (
        method,
        state,
        cancelled,
        status,
    )


def test_bank_transfer_order_becomes_paid_when_pay_status_turns_1() -> None:
    node = _order(1)
    node.find("pay_status").text = "1"  # type: ignore[union-attr]

    assert to_mall_order(node).payment_state is PaymentState.PAID


def test_product_without_option_has_no_variant_and_mail_delivery_has_no_date() -> None:
    [package] = to_mall_order(_order(1)).packages

    assert [(x.mall_item_id, x.mall_variant_id) for x in package.lines] == [("tea-03", "")]
    assert (package.delivery_method, package.requested_date, package.delivery_time) == ("メール便", None, "")


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("deliveries/delivery/items/item/quantity", "二", "deliveries/delivery[0]/items/item[0]/quantity"),
        ("deliveries/delivery/items/item/quantity", "0", "deliveries/delivery[0]/items/item[0]/quantity"),
        ("order_date", "2026/03/15", "order_date"),
        ("canceled", "yes", "canceled"),
        ("deliveries/delivery/deli_date", "19 March", "deliveries/delivery[0]/deli_date"),
        ("deliveries/delivery/status", "7", "deliveries/delivery/status"),
        ("deliveries/delivery/items/item/brand_code", "", "deliveries/delivery[0]/items/item[0]/brand_code"),
        ("sum_price", "99999999999", "sum_price"),
    ],
)
def test_a_bad_value_raises_a_mapping_error_naming_order_and_field(path: str, value: str, field: str) -> None:
    node = _order(0)
    node.find(path).text = value  # type: ignore[union-attr]

    with pytest.raises(MappingError) as caught:
        to_mall_order(node)

    assert (caught.value.order_number, caught.value.field) == ("2026031501000001", field)
    assert "MakeShop注文 2026031501000001" in str(caught.value)


def test_a_missing_tag_or_empty_destination_list_is_a_mapping_error() -> None:
    node = _order(0)
    node.remove(node.find("buyer"))  # type: ignore[arg-type]
    with pytest.raises(MappingError, match="buyer がありません"):
        to_mall_order(node)

    node = _order(0)
    node.find("deliveries").clear()  # type: ignore[union-attr]
    with pytest.raises(MappingError, match="配送先がありません"):
        to_mall_order(node)


def test_an_order_without_number_is_a_mapping_error_without_number() -> None:
    node = _order(0)
    node.find("ordernum").text = " "  # type: ignore[union-attr]

    with pytest.raises(MappingError) as caught:
        to_mall_order(node)

    assert (caught.value.order_number, caught.value.field) == ("", "ordernum")
