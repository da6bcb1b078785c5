"""Amazon Orders v0 payloads → MallOrder: statuses, payments, address, lines, errors naming the field."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
from tests.unit.connectors.amazon_fakes import listed_orders, load

from juchu.connectors.malls.amazon.mapping import MappingError, to_mall_order
from juchu.domain.model import Address, PaymentState

ORDER_ID = "503-1111111-0000001"


def _parts() -> tuple[dict, list, dict, dict]:
    order = copy.deepcopy(listed_orders()[ORDER_ID])
    items = load("orderitems.json")["payload"]["OrderItems"]
    address = load("address.json")["payload"]["ShippingAddress"]
    buyer = load("buyerinfo.json")["payload"]
    return order, items, address, buyer


def test_a_recorded_unshipped_order_maps_every_field() -> None:
    order, items, address, buyer = _parts()

    mapped = to_mall_order(order, items, address, buyer)

    assert mapped.mall_order_number == ORDER_ID
    assert mapped.ordered_at == datetime(2026, 3, 2, 1, 10, tzinfo=UTC)
    assert (mapped.mall_status, mapped.payment_method, mapped.payment_state) == (
        "Unshipped",
        "Other",
        PaymentState.AUTHORIZED,
    )
    assert (mapped.cancelled, mapped.change_pending, mapped.confirmed) == (False, False, True)
    assert (mapped.buyer_name, mapped.email, mapped.phone) == (
        "佐藤 花子",
        "0f3c2a9b7d1e4c55@marketplace.amazon.co.jp",
        "090-1234-5678",
    )
    (package,) = mapped.packages
    assert package.address == Address("1000005", "東京都", "千代田区", "丸の内1-9-1", "グランハイツ305")
    assert (package.recipient_name, package.delivery_method, package.mall_package_id) == ("佐藤 花子", "Standard", "1")
    assert [(x.mall_item_id, x.mall_variant_id, x.quantity, x.unit_price) for x in package.lines] == [
        ("tea-01-100g", "", 1, 1080),
        ("tea-03", "", 1, 1080),
    ]
    assert (mapped.goods_total, mapped.postage, mapped.total) == (2160, 550, 2710)


@pytest.mark.parametrize(
    ("status", "payment", "state", "cancelled"),
    [
        ("Unshipped", "Other", PaymentState.AUTHORIZED, False),
        ("Unshipped", "COD", PaymentState.NOT_REQUIRED, False),
        ("Unshipped", "CVS", PaymentState.PAID, False),
        ("PartiallyShipped", "Other", PaymentState.AUTHORIZED, False),
        ("PartiallyShipped", "COD", PaymentState.NOT_REQUIRED, False),
        ("Shipped", "Other", PaymentState.PAID, False),
        ("InvoiceUnconfirmed", "Other", PaymentState.PAID, False),
        ("Pending", "CVS", PaymentState.UNPAID, False),
        ("Pending", "Other", PaymentState.UNPAID, False),
        ("PendingAvailability", "Other", PaymentState.UNPAID, False),
        ("Canceled", "CVS", PaymentState.UNPAID, True),
        ("Canceled", "Other", PaymentState.UNPAID, True),
        ("Unfulfillable", "Other", PaymentState.UNPAID, True),
    ],
)
def test_status_and_payment_method_decide_payment_state_and_cancel(
    status: str, payment: str, state: PaymentState, cancelled: bool
) -> None:
    order, items, address, buyer = _parts()
    order |= {"OrderStatus": status, "PaymentMethod": payment}

    mapped = to_mall_order(order, items, address, buyer)

    assert (mapped.payment_state, mapped.cancelled, mapped.mall_status, mapped.payment_method) == (
        state,
        cancelled,
        status,
        payment,
    )


def test_a_buyer_cancel_request_is_a_change_the_shop_must_look_at() -> None:
    order, items, address, buyer = _parts()
    items = copy.deepcopy(items)
    items[1]["BuyerRequestedCancel"] = {"IsBuyerRequestedCancel": "true", "BuyerCancelReason": "注文を間違えた"}

    mapped = to_mall_order(order, items, address, buyer)

    assert mapped.change_pending is True
    assert mapped.remarks == "[キャンセル依頼] 購入者が tea-03 のキャンセルを依頼しています (注文を間違えた)"


def test_a_cancelled_order_with_zeroed_quantities_stays_readable() -> None:
    order, items, address, buyer = _parts()
    order["OrderStatus"] = "Canceled"
    items = copy.deepcopy(items)
    for item in items:
        item["QuantityOrdered"] = 0

    mapped = to_mall_order(order, items, address, buyer)

    assert mapped.cancelled is True
    assert [line.quantity for line in mapped.packages[0].lines] == [1, 1]


def test_cod_fee_counts_as_postage() -> None:
    order, items, address, buyer = _parts()
    items = copy.deepcopy(items)
    items[0]["CODFee"] = {"CurrencyCode": "JPY", "Amount": "330.00"}
    order["PaymentMethod"] = "COD"

    mapped = to_mall_order(order, items, address, buyer)

    assert mapped.postage == 880


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda o, i, a: i[0].pop("SellerSKU"), "OrderItems[0].SellerSKU"),
        (lambda o, i, a: i[1].update(QuantityOrdered="1"), "OrderItems[1].QuantityOrdered"),
        (lambda o, i, a: i[0].update(QuantityOrdered=0), "OrderItems[0].QuantityOrdered"),
        (lambda o, i, a: i[0]["ItemPrice"].update(Amount="10.5"), "OrderItems[0].ItemPrice.Amount"),
        (lambda o, i, a: i[0]["ItemPrice"].update(CurrencyCode="USD"), "OrderItems[0].ItemPrice.CurrencyCode"),
        (lambda o, i, a: o.update(OrderStatus="Lost"), "OrderStatus"),
        (lambda o, i, a: o.update(PurchaseDate="2026/03/02"), "PurchaseDate"),
        (lambda o, i, a: o.update(FulfillmentChannel="AFN"), "FulfillmentChannel"),
        (lambda o, i, a: a.update(PostalCode=1000005), "ShippingAddress.PostalCode"),
        (lambda o, i, a: i.clear(), "OrderItems"),
    ],
)
def test_a_malformed_order_raises_a_mapping_error_naming_the_field(change, field: str) -> None:
    order, items, address, buyer = _parts()
    items, address = copy.deepcopy(items), copy.deepcopy(address)
    change(order, items, address)

    with pytest.raises(MappingError) as caught:
        to_mall_order(order, items, address, buyer)

    assert caught.value.field == field
    assert caught.value.order_number == ORDER_ID
    assert ORDER_ID in str(caught.value)


def test_a_missing_address_is_a_mapping_error() -> None:
    order, items, _address, buyer = _parts()

    with pytest.raises(MappingError) as caught:
        to_mall_order(order, items, None, buyer)

    assert caught.value.field == "ShippingAddress"
