"""Builders for domain values with sensible defaults, for any test that needs an order.

The default order is a Rakuten-like order in ``new``: ordered 2024-05-01 10:00 JST, paid by card
(クレジットカード, authorised), one package to 東京都千代田区 (〒1000001) by 宅配便 with one mapped line.
``make_policy()`` maps exactly that delivery and payment method, so the default order raises no system tag.
Override any field by keyword; ids are unique per call.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from juchu.domain.model import (
    Address,
    Line,
    OrderSnapshot,
    Package,
    PaymentKind,
    PaymentState,
    ShopPolicy,
)
from juchu.domain.status import OrderStatus

JST = timezone(timedelta(hours=9), "JST")
ORDERED_AT = datetime(2024, 5, 1, 10, 0, tzinfo=JST)
SHOP_ID = 1
MALL = "rakuten"
DELIVERY_METHOD = "宅配便"
PAYMENT_METHOD = "クレジットカード"

_ids = itertools.count(1)


def make_address(**overrides: Any) -> Address:
    """An address in 東京都千代田区千代田 (〒1000001)."""
    values: dict[str, Any] = {
        "postal_code": "1000001",
        "prefecture": "東京都",
        "city": "千代田区",
        "address1": "千代田1-1",
        "address2": "",
    }
    values.update(overrides)
    return Address(**values)


def make_line(**overrides: Any) -> Line:
    """A mapped line: 1 x item-1 (SKU-1) at 1,000 yen."""
    values: dict[str, Any] = {
        "id": next(_ids),
        "mall_item_id": "item-1",
        "quantity": 1,
        "unit_price": 1000,
        "name": "テスト商品",
        "mall_variant_id": "",
        "product_code": "SKU-1",
    }
    values.update(overrides)
    return Line(**values)


def make_package(
    *,
    lines: Iterable[Line] | None = None,
    postal_code: str | None = None,
    prefecture: str | None = None,
    city: str | None = None,
    **overrides: Any,
) -> Package:
    """A package to 東京都千代田区 by 宅配便 with one mapped line.

    ``postal_code``, ``prefecture`` and ``city`` change the default address; ``address=`` replaces it.
    """
    address_fields = {
        key: value
        for key, value in (("postal_code", postal_code), ("prefecture", prefecture), ("city", city))
        if value is not None
    }
    values: dict[str, Any] = {
        "id": next(_ids),
        "recipient_name": "山田 太郎",
        "address": make_address(**address_fields),
        "delivery_method": DELIVERY_METHOD,
        "lines": tuple(lines) if lines is not None else (make_line(),),
        "phone": "03-1234-5678",
    }
    values.update(overrides)
    return Package(**values)


def make_order(*, lines: Iterable[Line] | None = None, **overrides: Any) -> OrderSnapshot:
    """A Rakuten-like order in ``new`` with one package (see the module docstring).

    ``lines=`` puts the given lines in the one default package; ``packages=`` replaces the packages.
    """
    order_id = next(_ids)
    if lines is not None and "packages" in overrides:
        raise TypeError("give lines= or packages=, not both")
    values: dict[str, Any] = {
        "id": order_id,
        "version": 1,
        "shop_id": SHOP_ID,
        "mall": MALL,
        "mall_order_number": f"123456-20240501-{order_id:010d}",
        "status": OrderStatus.NEW,
        "ordered_at": ORDERED_AT,
        "packages": (make_package(lines=lines),),
        "payment_method": PAYMENT_METHOD,
        "payment_state": PaymentState.AUTHORIZED,
        "buyer_name": "山田 太郎",
        "email": "taro@example.com",
        "phone": "03-1234-5678",
        "goods_total": 1000,
        "postage": 0,
        "total": 1000,
    }
    values.update(overrides)
    if "packages" in overrides:
        values["packages"] = tuple(values["packages"])
    return OrderSnapshot(**values)


def make_policy(**overrides: Any) -> ShopPolicy:
    """The default shop's policy: 宅配便 and クレジットカード mapped, threshold 10, confirm at the mall."""
    values: dict[str, Any] = {
        "shop_id": SHOP_ID,
        "mall": MALL,
        "delivery_methods": {DELIVERY_METHOD: "TAKKYUBIN"},
        "payment_methods": {PAYMENT_METHOD: PaymentKind.CARD},
        "confirm_at_mall": True,
    }
    values.update(overrides)
    return ShopPolicy(**values)
