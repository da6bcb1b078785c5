"""au PAY <orderInfo> → MallOrder: statuses, payment states, lines, the strict reading of bad fields."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime

import pytest
from tests.unit.connectors.aupay_fakes import load, with_status

from juchu.connectors.malls.aupay import mapping
from juchu.connectors.malls.aupay.mapping import MappingError
from juchu.connectors.malls.aupay.wire import JST
from juchu.domain.model import PaymentState


def info(name: str = "order_new.xml", status: str | None = None, **fields: str) -> ET.Element:
    raw = with_status(name, status, **fields) if status else load(name)
    found = ET.fromstring(raw).find("orderInfo")
    assert found is not None
    return found


def test_a_new_card_order_maps_every_field() -> None:
    order = mapping.to_mall_order(info())

    assert order.mall_order_number == "260105000001"
    assert order.ordered_at == datetime(2026, 1, 5, 10, 5, tzinfo=JST)
    assert order.mall_status == "新規受付"
    assert order.payment_method == "クレジットカード決済"
    assert order.payment_state is PaymentState.AUTHORIZED
    assert (order.cancelled, order.change_pending, order.confirmed) == (False, False, False)
    assert (order.buyer_name, order.email, order.phone) == ("佐藤 花子", "hanako@example.jp", "090-1234-5678")
    assert order.remarks == "不在の場合は宅配ボックスへお願いします。"
    assert (order.goods_total, order.postage, order.total, order.points_used) == (3024, 650, 3674, 100)
    (package,) = order.packages
    assert package.address.postal_code == "1000005"
    assert package.address.prefecture == "東京都"
    assert (package.address.city, package.address.address1) == ("千代田区", "丸の内1-2-3 コーポ青葉101")
    assert (package.delivery_method, package.delivery_time) == ("宅配便", "午前中")
    assert package.requested_date is None
    assert [(x.mall_item_id, x.mall_variant_id, x.quantity, x.unit_price) for x in package.lines] == [
        ("tea-01", "tea-01-100g", 2, 1080),
        ("tea-03", "", 1, 864),
    ]
    assert package.lines[0].name == "静岡県産 深蒸し煎茶 内容量:100g"


@pytest.mark.parametrize(
    ("status", "cancelled", "change_pending", "confirmed"),
    [
        ("新規受付", False, False, False),
        ("発送前入金待ち", False, False, True),
        ("発送待ち", False, False, True),
        ("発送済み", False, False, True),
        ("保留", False, True, True),
        ("キャンセル", True, False, True),
    ],
)
def test_order_status_decides_cancelled_changed_and_confirmed(
    status: str, cancelled: bool, change_pending: bool, confirmed: bool
) -> None:
    order = mapping.to_mall_order(info(status=status))

    assert (order.cancelled, order.change_pending, order.confirmed) == (cancelled, change_pending, confirmed)
    assert order.mall_status == status


@pytest.mark.parametrize(
    ("payment", "state", "error"),
    [
        ("未入金", PaymentState.UNPAID, ""),
        ("入金済み", PaymentState.PAID, ""),
        ("与信済み", PaymentState.AUTHORIZED, ""),
        ("与信エラー", PaymentState.FAILED, "決済状態: 与信エラー"),
        ("後払い審査中", PaymentState.DEFERRED_PENDING, ""),
        ("後払い審査OK", PaymentState.DEFERRED_APPROVED, ""),
        ("後払い審査NG", PaymentState.FAILED, "決済状態: 後払い審査NG"),
        ("入金不要", PaymentState.NOT_REQUIRED, ""),
    ],
)
def test_payment_status_maps_to_the_payment_state(payment: str, state: PaymentState, error: str) -> None:
    order = mapping.to_mall_order(info(status="発送待ち", paymentStatus=payment))

    assert (order.payment_state, order.payment_error) == (state, error)


def test_requested_delivery_day_is_read() -> None:
    order = mapping.to_mall_order(info(status="新規受付", deliveryRequestDay="2026/01/09"))

    assert order.packages[0].requested_date == date(2026, 1, 9)


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("orderDate", "2026-01-05 10:05", "orderDate"),
        ("orderStatus", "不明", "orderStatus"),
        ("paymentStatus", "?", "paymentStatus"),
        ("totalPrice", "3,674", "totalPrice"),
        ("senderName", "", "senderName"),
        ("deliveryRequestDay", "2026/02/30", "deliveryRequestDay"),
    ],
)
def test_a_bad_field_raises_a_mapping_error_naming_order_and_field(field: str, value: str, named: str) -> None:
    with pytest.raises(MappingError) as caught:
        mapping.to_mall_order(info(status="新規受付", **{field: value}))

    assert caught.value.order_id == "260105000001"
    assert caught.value.field == named
    assert "260105000001" in str(caught.value)


def test_a_line_with_zero_units_is_a_mapping_error() -> None:
    element = info()
    unit = element.find("detail/unit")
    assert unit is not None
    unit.text = "0"

    with pytest.raises(MappingError) as caught:
        mapping.to_mall_order(element)

    assert caught.value.field == "detail[0].unit"


def test_an_address_without_a_known_prefecture_keeps_the_text_for_the_address_check() -> None:
    order = mapping.to_mall_order(info(status="新規受付", senderAddress="千代田区丸の内1-2-3"))

    assert order.packages[0].address.prefecture == ""
    assert order.packages[0].address.address1 == "千代田区丸の内1-2-3"


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("神奈川県横浜市西区高島1-1-1", ("神奈川県", "横浜市西区", "高島1-1-1")),
        ("埼玉県川越市脇田本町2-3", ("埼玉県", "川越市", "脇田本町2-3")),
        ("東京都大島町元町1-1", ("東京都", "大島町", "元町1-1")),
        ("北海道虻田郡倶知安町北1条東1", ("北海道", "虻田郡倶知安町", "北1条東1")),
    ],
)
def test_the_one_line_address_is_split_into_prefecture_city_and_rest(text: str, parts: tuple[str, str, str]) -> None:
    address = mapping.to_mall_order(info(status="新規受付", senderAddress=text)).packages[0].address

    assert (address.prefecture, address.city, address.address1) == parts
