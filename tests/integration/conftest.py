"""Fixtures for integration tests: a shop on a fake mall, a fake warehouse, products, stock and a clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from juchu.catalog.models import MallItemMapping, Product, SetComponent, Stock
from juchu.connectors import registry
from juchu.connectors.base import MallLine, MallOrder, MallPackage
from juchu.connectors.fakes import FakeMall, FakeWarehouse
from juchu.domain.model import Address, PaymentKind, PaymentState
from juchu.fulfillment.models import Warehouse
from juchu.shops.models import DeliveryMethodMapping, PaymentMethodMapping, Shop


class Clock:
    """A hand-moved clock: tests never sleep."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(autouse=True)
def sync_every_pass(settings) -> None:
    """Tests move their own clock: every pass syncs every shop."""
    settings.JUCHU_SYNC_INTERVAL_SECONDS = 0


@pytest.fixture
def clock() -> Clock:
    # 2026-11-26 10:00 JST: before the RSL cutoff.
    return Clock(datetime(2026, 11, 26, 1, 0, tzinfo=UTC))


@pytest.fixture
def fakes(clock: Clock) -> Iterator[tuple[FakeMall, FakeWarehouse]]:
    mall, warehouse = FakeMall(), FakeWarehouse(clock)
    registry.install_mall("fake", mall)
    registry.install_warehouse("fake", warehouse)
    yield mall, warehouse
    registry.uninstall_all()


@pytest.fixture
def world(db, fakes):
    """A Rakuten-like shop on the fake mall, shipping from a fake RSL warehouse with stock."""
    warehouse = Warehouse.objects.create(code="rsl", name="RSL", connector="fake")
    shop = Shop.objects.create(
        code="demo",
        name="デモ店",
        mall="rakuten",
        warehouse=warehouse,
        connector="fake",
        confirm_at_mall=True,
    )
    DeliveryMethodMapping.objects.create(shop=shop, mall_method="宅配便", warehouse_method="YUPACK")
    PaymentMethodMapping.objects.create(shop=shop, mall_method="クレジットカード", kind=PaymentKind.CARD.value)
    PaymentMethodMapping.objects.create(shop=shop, mall_method="銀行振込", kind=PaymentKind.PREPAID.value)
    PaymentMethodMapping.objects.create(shop=shop, mall_method="代金引換", kind=PaymentKind.COD.value)
    products = {}
    for code in ("SKU-A", "SKU-B", "SKU-C"):
        products[code] = Product.objects.create(code=code, name=f"商品{code[-1]}")
        Stock.objects.create(warehouse=warehouse, product=products[code], on_hand=100_000)
        MallItemMapping.objects.create(shop=shop, mall_item_id=f"item-{code[-1].lower()}", product=products[code])
    gift = Product.objects.create(code="SET-AB", name="ギフトセット", is_set=True)
    SetComponent.objects.create(set_product=gift, component=products["SKU-A"], quantity=1)
    SetComponent.objects.create(set_product=gift, component=products["SKU-B"], quantity=2)
    MallItemMapping.objects.create(shop=shop, mall_item_id="item-set", product=gift)
    scarce = Product.objects.create(code="SKU-RARE", name="限定品")
    Stock.objects.create(warehouse=warehouse, product=scarce, on_hand=0)
    MallItemMapping.objects.create(shop=shop, mall_item_id="item-rare", product=scarce)
    return {"shop": shop, "warehouse": warehouse, "products": products, "scarce": scarce, "gift": gift}


def mall_order(
    number: str,
    ordered_at: datetime,
    *,
    item: str = "item-a",
    quantity: int = 1,
    payment: str = "クレジットカード",
    paid: bool = True,
    postal: str = "1000001",
    prefecture: str = "東京都",
    buyer: str = "",
    requested: date | None = None,
    packages: int = 1,
    items: tuple[tuple[str, int], ...] = (),
) -> MallOrder:
    """A Rakuten-like order as the fake mall holds it; ``items`` (mall item, quantity) replaces the one line."""
    lines = tuple(MallLine(i, q, 1200, "テスト商品") for i, q in items) or (
        MallLine(item, quantity, 1200, "テスト商品"),
    )
    return MallOrder(
        mall_order_number=number,
        ordered_at=ordered_at,
        packages=tuple(
            MallPackage(
                recipient_name=buyer or f"山田 太郎{number}",
                address=Address(postal, prefecture, "千代田区", "千代田1-1"),
                delivery_method="宅配便",
                lines=lines,
                mall_package_id=f"{number}-{i}",
                requested_date=requested,
            )
            for i in range(packages)
        ),
        payment_method=payment,
        payment_state=PaymentState.AUTHORIZED if paid else PaymentState.UNPAID,
        mall_status="100",
        buyer_name=buyer or f"山田 太郎{number}",
        email=f"buyer{number}@example.jp",
        phone="03-1234-5678",
        goods_total=1200 * sum(line.quantity for line in lines),
        total=1200 * sum(line.quantity for line in lines),
    )
