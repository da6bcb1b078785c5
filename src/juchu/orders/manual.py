"""手動登録: an order typed on screen enters the same pipeline as an imported one.

Lines are entered by SKU code. The line carries the mall item id the shop maps to that SKU; when the shop
has no mapping to it yet, one is added (mall item id = SKU code), so the order never stops at
商品未マッピング for a SKU that exists. An unknown SKU is refused with the line that names it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import transaction

from juchu.catalog.models import MallItemMapping, Product
from juchu.connectors.base import MallLine, MallOrder, MallPackage
from juchu.domain.errors import DomainError
from juchu.domain.model import Address, PaymentState
from juchu.orders import writes
from juchu.orders.advance import advance_orders
from juchu.orders.importing import import_orders
from juchu.orders.models import Order
from juchu.shops.models import Shop

JST = ZoneInfo("Asia/Tokyo")


class ManualOrderError(DomainError):
    """The typed order cannot be registered; ``field`` names where the problem is."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ManualLine:
    """A line as typed: SKU code, quantity, unit price and (optionally) a name."""

    sku: str
    quantity: int
    unit_price: int
    name: str = ""


@dataclass(frozen=True)
class ManualOrder:
    """An order as typed on the 手動登録 screen (one package)."""

    shop_id: int
    buyer_name: str
    recipient_name: str
    postal_code: str
    prefecture: str
    delivery_method: str
    payment_method: str
    lines: tuple[ManualLine, ...]
    mall_order_number: str = ""
    buyer_kana: str = ""
    email: str = ""
    phone: str = ""
    city: str = ""
    address1: str = ""
    address2: str = ""
    recipient_phone: str = ""
    requested_date: date | None = None
    delivery_time: str = ""
    paid: bool = False
    postage: int = 0
    remarks: str = ""


def new_order_number(now: datetime) -> str:
    """A fresh manual order number: M-YYYYMMDD-XXXXXX."""
    return f"M-{now.astimezone(JST):%Y%m%d}-{secrets.token_hex(3).upper()}"


def _mall_items(shop: Shop, lines: tuple[ManualLine, ...], actor: str, now: datetime) -> list[str]:
    """The mall item id for each line's SKU (adding a mapping where the shop has none)."""
    codes = {line.sku for line in lines}
    products = dict(Product.objects.filter(code__in=codes).values_list("code", "id"))
    for i, line in enumerate(lines, 1):
        if line.sku not in products:
            raise ManualOrderError(f"lines-{i - 1}-sku", f"明細{i}: SKUコード {line.sku!r} は登録されていません")
    mapped: dict[int, str] = {}
    for item, product_id in MallItemMapping.objects.filter(
        shop=shop, product_id__in=products.values(), mall_variant_id=""
    ).values_list("mall_item_id", "product_id"):
        mapped.setdefault(product_id, item)
    items = []
    for line in lines:
        product_id = products[line.sku]
        if product_id not in mapped:
            taken = MallItemMapping.objects.filter(shop=shop, mall_item_id=line.sku, mall_variant_id="").first()
            if taken is not None and taken.product_id != product_id:
                raise ManualOrderError("lines", f"モール商品ID {line.sku} は別のSKUにマッピングされています")
            MallItemMapping.objects.get_or_create(
                shop=shop, mall_item_id=line.sku, mall_variant_id="", defaults={"product_id": product_id}
            )
            mapped[product_id] = line.sku
        items.append(mapped[product_id])
    return items


def register(order: ManualOrder, actor: str, now: datetime) -> Order:
    """Register a typed order; it is decided at once like an imported order after its grace period."""
    if not order.lines:
        raise ManualOrderError("lines", "明細を1行以上入力してください")
    shop = Shop.objects.get(pk=order.shop_id)
    number = order.mall_order_number.strip() or new_order_number(now)
    with transaction.atomic():
        if Order.objects.filter(shop=shop, mall_order_number=number).exists():
            raise ManualOrderError("mall_order_number", f"受注番号 {number} はこのショップに既にあります")
        items = _mall_items(shop, order.lines, actor, now)
        goods = sum(line.quantity * line.unit_price for line in order.lines)
        mall_order = MallOrder(
            mall_order_number=number,
            ordered_at=now,
            payment_method=order.payment_method,
            payment_state=PaymentState.PAID if order.paid else PaymentState.UNPAID,
            buyer_name=order.buyer_name,
            buyer_kana=order.buyer_kana,
            email=order.email,
            phone=order.phone,
            remarks=order.remarks,
            goods_total=goods,
            postage=order.postage,
            total=goods + order.postage,
            packages=(
                MallPackage(
                    recipient_name=order.recipient_name,
                    address=Address(order.postal_code, order.prefecture, order.city, order.address1, order.address2),
                    delivery_method=order.delivery_method,
                    phone=order.recipient_phone or order.phone,
                    requested_date=order.requested_date,
                    delivery_time=order.delivery_time,
                    lines=tuple(
                        MallLine(item, line.quantity, line.unit_price, line.name or line.sku)
                        for item, line in zip(items, order.lines, strict=True)
                    ),
                ),
            ),
        )
        result = import_orders(shop, [mall_order], now, actor=actor)
        if result.errors:
            raise ManualOrderError("", result.errors[0].message)
        row = Order.objects.get(shop=shop, mall_order_number=number)
        writes.insert_events([writes.event(row.pk, now, "manual_entry", "手動で登録しました", actor=actor)])
    advance_orders([row.pk], now)
    row.refresh_from_db()
    return row
