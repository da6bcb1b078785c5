"""getOrder → MallOrder field by field, and the bodies Juchu writes to Rakuten."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from rakuten_fakes import order_fixture

from juchu.connectors.base import MallLine, ShipmentReport, StockLevel
from juchu.connectors.malls.rakuten import mapping
from juchu.connectors.malls.rakuten.mapping import ExistingShipping, MappingError
from juchu.domain.model import Address, OrderType, PaymentState

JST = timezone(timedelta(hours=9))


def test_two_package_cod_order_maps_every_field():
    order = mapping.to_mall_order(order_fixture("getorder_two_packages.json"))

    assert order.mall_order_number == "999999-20250310-0123456789"
    assert order.ordered_at == datetime(2025, 3, 10, 21, 14, 5, tzinfo=JST)
    assert order.ordered_at.utcoffset() == timedelta(hours=9)
    assert order.payment_method == "代金引換"
    assert order.payment_state is PaymentState.PAID
    assert order.mall_status == "500"
    assert order.buyer_name == "試験 花子"
    assert order.buyer_kana == "シケン ハナコ"
    assert order.email == "0a1b2c3d4e5f60718293a4b5c6d7e8f9s1@pc.fw.rakuten.ne.jp"
    assert order.phone == "090-0000-0000"
    assert order.remarks == (
        "[配送日時指定:]\n2025-03-14(金)\n14:00-16:00\n[備考:]\n2件目はギフトでお願いします。\n"
        "[のし] 送付先2 (basketId 512340002): 御礼"
    )
    assert order.order_type is OrderType.NORMAL
    assert order.gift is True
    assert (order.coupon_used, order.points_used) == (300, 100)
    assert (order.goods_total, order.postage, order.total) == (8220, 1100, 9320)
    assert (order.cancelled, order.change_pending, order.confirmed) == (False, False, True)
    first, second = order.packages
    assert first.mall_package_id == "512340001"
    assert first.recipient_name == "試験 花子"
    assert first.recipient_kana == "シケン ハナコ"
    assert first.address == Address("1540099", "東京都", "世田谷区", "見本町9-99-99 サンプルハイツ101")
    assert first.phone == "090-0000-0000"
    assert first.delivery_method == "宅配便"
    assert first.requested_date == date(2025, 3, 14)
    assert first.delivery_time == "14:00-16:00"
    assert first.island is False
    assert first.lines == (
        MallLine("tshirt-oc01", 2, 3300, "オーガニックコットン Tシャツ ユニセックス", "tshirt-oc01-nv-m"),
    )
    assert second.mall_package_id == "512340002"
    assert second.recipient_name == "見本 一郎"
    assert second.address == Address("5300099", "大阪府", "大阪市北区", "例示町1-2-3 テストマンション505")
    assert second.phone == "06-0000-0000"
    assert second.lines == (MallLine("hojicha-100", 1, 1620, "有機ほうじ茶 100g 袋入り", "hojicha-100"),)


def test_simple_card_order_in_300_is_paid_and_confirmed():
    order = mapping.to_mall_order(order_fixture("getorder_simple.json"))

    assert order.mall_order_number == "999999-20250401-0000000101"
    assert order.payment_method == "クレジットカード"
    assert order.payment_state is PaymentState.PAID
    assert order.mall_status == "300"
    assert order.remarks == "[配送日時指定:]\n\n"
    assert (order.gift, order.coupon_used, order.points_used) == (False, 0, 0)
    assert (order.goods_total, order.postage, order.total) == (3300, 550, 3850)
    assert (order.cancelled, order.change_pending, order.confirmed) == (False, False, True)
    (package,) = order.packages
    assert (package.requested_date, package.delivery_time) == (None, "")
    assert package.lines == (
        MallLine("tshirt-oc01", 1, 3300, "オーガニックコットン Tシャツ ユニセックス", "tshirt-oc01-nv-m"),
    )


def test_order_in_900_is_cancelled():
    order = mapping.to_mall_order(order_fixture("getorder_cancelled.json"))

    assert (order.cancelled, order.change_pending, order.mall_status) == (True, False, "900")
    assert order.payment_state is PaymentState.UNPAID


def test_order_in_400_is_change_pending_and_paid():
    order = mapping.to_mall_order(order_fixture("getorder_change_pending.json"))

    assert (order.cancelled, order.change_pending, order.mall_status) == (False, True, "400")
    assert order.payment_state is PaymentState.PAID
    assert order.packages[0].lines[0].quantity == 2


def test_unfixed_amounts_import_as_zero_with_a_note_and_new_order_is_unpaid_unconfirmed():
    order = mapping.to_mall_order(order_fixture("getorder_unfixed_amounts.json"))

    assert (order.goods_total, order.postage, order.total) == (3300, 0, 0)
    assert order.remarks == (
        "離島のため送料は後ほど確定\n"
        "[金額未確定] 送料 (postagePrice) は未確定 (-9999) のため 0 円で取り込みました\n"
        "[金額未確定] 合計金額 (totalPrice) は未確定 (-9999) のため 0 円で取り込みました"
    )
    assert order.payment_state is PaymentState.UNPAID
    assert (order.confirmed, order.mall_status, order.payment_method) == (False, "100", "銀行振込")
    assert order.packages[0].island is True
    assert order.packages[0].address.postal_code == "1001511"


@pytest.mark.parametrize(
    ("progress", "state", "cancelled", "confirmed"),
    [
        (100, PaymentState.UNPAID, False, False),
        (200, PaymentState.UNPAID, False, True),
        (300, PaymentState.PAID, False, True),
        (500, PaymentState.PAID, False, True),
        (700, PaymentState.PAID, False, True),
        (800, PaymentState.UNPAID, True, True),
    ],
)
def test_progress_code_decides_payment_cancel_and_confirmation(progress, state, cancelled, confirmed):
    raw = order_fixture("getorder_unfixed_amounts.json") | {"orderProgress": progress}

    order = mapping.to_mall_order(raw)

    assert (order.payment_state, order.cancelled, order.confirmed) == (state, cancelled, confirmed)


def test_order_in_100_confirmed_by_the_shop_counts_as_confirmed():
    raw = order_fixture("getorder_unfixed_amounts.json") | {"shopOrderCfmDatetime": "2025-04-04T09:00:00+0900"}

    assert mapping.to_mall_order(raw).confirmed is True


@pytest.mark.parametrize(
    ("code", "kind"), [(1, "normal"), (4, "subscription"), (5, "distribution"), (6, "reservation")]
)
def test_order_type_codes(code, kind):
    raw = order_fixture("getorder_simple.json") | {"orderType": code}

    assert mapping.to_mall_order(raw).order_type == kind


def test_deleted_items_and_packages_are_left_out():
    raw = order_fixture("getorder_two_packages.json")
    raw["PackageModelList"][1]["packageDeleteFlag"] = 1

    order = mapping.to_mall_order(raw)

    assert [p.mall_package_id for p in order.packages] == ["512340001"]


def test_line_without_sku_list_has_no_variant():
    raw = order_fixture("getorder_simple.json")
    raw["PackageModelList"][0]["ItemModelList"][0]["SkuModelList"] = []

    assert mapping.to_mall_order(raw).packages[0].lines[0].mall_variant_id == ""


@pytest.mark.parametrize(
    ("mutate", "field", "problem"),
    [
        (lambda o: o.pop("orderDatetime"), "orderDatetime", "がありません"),
        (lambda o: o.update(orderProgress="300"), "orderProgress", "が整数ではありません (str)"),
        (lambda o: o.update(orderProgress=350), "orderProgress", "が未知のコードです (350)"),
        (lambda o: o.update(orderDatetime="2025/04/01 10:15"), "orderDatetime", "が日時"),
        (lambda o: o.update(goodsPrice=None), "goodsPrice", "が整数ではありません (null)"),
        (lambda o: o.update(PackageModelList=[]), "PackageModelList", "に送付先がありません"),
        (
            lambda o: o["PackageModelList"][0]["ItemModelList"][0].update(units=True),
            "PackageModelList[0].ItemModelList[0].units",
            "が整数ではありません (bool)",
        ),
        (
            lambda o: o["PackageModelList"][0]["SenderModel"].pop("zipCode2"),
            "PackageModelList[0].SenderModel.zipCode2",
            "がありません",
        ),
        (
            lambda o: o["PackageModelList"][0]["ItemModelList"][0].update(SkuModelList=["x"]),
            "PackageModelList[0].ItemModelList[0].SkuModelList[0]",
            "がオブジェクトではありません (str)",
        ),
    ],
)
def test_malformed_order_raises_mapping_error_naming_order_and_field(mutate, field, problem):
    raw = order_fixture("getorder_simple.json")
    mutate(raw)

    with pytest.raises(MappingError) as caught:
        mapping.to_mall_order(raw)

    assert caught.value.order_number == "999999-20250401-0000000101"
    assert caught.value.field == field
    assert str(caught.value).startswith(f"楽天注文 999999-20250401-0000000101: {field} {problem}")


def test_order_that_is_not_an_object_raises_mapping_error_without_number():
    with pytest.raises(MappingError, match=r"楽天注文 \(番号不明\): OrderModel がオブジェクトではありません \(list\)"):
        mapping.to_mall_order([])


@pytest.mark.parametrize(
    ("term", "text"),
    [
        (None, ""),
        (0, ""),
        (1, "午前中"),
        (2, "午後"),
        (9, "その他"),
        (812, "08:00-12:00"),
        (1921, "19:00-21:00"),
        (5, "5"),
    ],
)
def test_shipping_term_as_text(term, text):
    assert mapping._shipping_term(term) == text


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("shop_cancel", 10),
        ("out_of_stock", 8),
        ("unpaid", 4),
        ("buyer_cancel", 1),
        ("cod_refused", 5),
        ("late_shipping", 13),
        ("OUT_OF_STOCK", 8),
        ("13", 13),
        ("7", 10),
        ("anything else", 10),
        ("", 10),
    ],
)
def test_cancel_reason_codes(reason, code):
    assert mapping.cancel_body("n1", reason, 0) == {
        "orderNumber": "n1",
        "inventoryRestoreType": 0,
        "changeReasonDetailApply": code,
    }


def test_shipping_models_skip_tracking_numbers_already_on_the_basket():
    report = ShipmentReport("k", "n", "512340001", "1029", date(2025, 4, 12), ("A1", "A2", "A1"))
    existing = [ExistingShipping("A1", "1029", "2025-04-12")]

    assert mapping.new_shipping_models(report, existing) == [
        {"deliveryCompany": "1029", "shippingNumber": "A2", "shippingDate": "2025-04-12"}
    ]


def test_report_without_tracking_number_adds_one_numberless_model_once():
    report = ShipmentReport("k", "n", "1", "1000", date(2025, 4, 12), ())

    assert mapping.new_shipping_models(report, []) == [{"deliveryCompany": "1000", "shippingDate": "2025-04-12"}]
    assert mapping.new_shipping_models(report, [ExistingShipping("", "1000", "2025-04-12")]) == []


@pytest.mark.parametrize(
    ("sku", "key"),
    [
        ("tshirt-oc01:tshirt-oc01-nv-m", ("tshirt-oc01", "tshirt-oc01-nv-m")),
        ("hojicha-100", ("hojicha-100", "hojicha-100")),
        ("a:b:c", ("a", "b:c")),
    ],
)
def test_stock_sku_is_manage_number_and_optional_variant(sku, key):
    assert mapping.inventory_key(sku) == key


def test_stock_quantity_is_clamped_to_rakutens_range():
    assert mapping.inventory_item(StockLevel("a:b", -3))["quantity"] == 0
    assert mapping.inventory_item(StockLevel("a:b", 123456)) == {
        "manageNumber": "a",
        "variantId": "b",
        "mode": "ABSOLUTE",
        "quantity": 99999,
    }


def test_wire_datetime_is_jst_without_colon_and_refuses_naive_times():
    assert mapping.wire_datetime(datetime(2025, 3, 31, 15, 0, tzinfo=UTC)) == "2025-04-01T00:00:00+0900"
    with pytest.raises(ValueError):
        mapping.wire_datetime(datetime(2025, 3, 31, 15, 0))
