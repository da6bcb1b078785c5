"""Allocation under concurrent sweeps: many orders from several shops compete for little stock, never oversold.

Real parallel database clients (threads, each with its own PostgreSQL connection) run the advance sweep at
the same time over the same due orders and the same stock rows. Runs on PostgreSQL only — on SQLite there is
one writer at a time, so there is nothing to race; ``test_postgresql.py`` runs this file there.
"""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.db.models import Sum
from django.utils import timezone

from juchu.catalog.models import Allocation, MallItemMapping, Product, Stock
from juchu.domain.model import PaymentKind, PaymentState
from juchu.fulfillment.models import Warehouse
from juchu.orders.advance import advance_due_orders
from juchu.orders.models import Order, OrderLine
from juchu.orders.models import Package as PackageRow
from juchu.shops.models import DeliveryMethodMapping, PaymentMethodMapping, Shop

pytestmark = pytest.mark.django_db(transaction=True)

SCARCE = {"SKU-RARE": 37, "SKU-FEW": 20, "SKU-PLENTY": 100_000}
SHOPS = 6
ORDERS = 360
SWEEPERS = 6


@pytest.fixture(autouse=True)
def postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "runs on PostgreSQL only (concurrent writers); tests/integration/test_postgresql.py runs it there "
            "when JUCHU_TEST_PG is set"
        )


def build_competition(seed: int) -> dict[int, dict[str, int]]:
    """Shops sharing one warehouse with scarce stock, and paid orders due now; returns each order's demand."""
    rng = random.Random(seed)
    warehouse = Warehouse.objects.create(code="rsl", name="RSL", every_day=True)
    products = {code: Product.objects.create(code=code, name=code) for code in SCARCE}
    for code, units in SCARCE.items():
        Stock.objects.create(warehouse=warehouse, product=products[code], on_hand=units)
    now = timezone.now()
    demand: dict[int, dict[str, int]] = {}
    for s in range(SHOPS):
        shop = Shop.objects.create(code=f"shop-{s}", name=f"店{s}", mall="rakuten", warehouse=warehouse)
        DeliveryMethodMapping.objects.create(shop=shop, mall_method="宅配便", warehouse_method="YUPACK")
        PaymentMethodMapping.objects.create(shop=shop, mall_method="クレジットカード", kind=PaymentKind.CARD.value)
        for code, product in products.items():
            MallItemMapping.objects.create(shop=shop, mall_item_id=code.lower(), product=product)
        for k in range(ORDERS // SHOPS):
            number = f"{shop.code}-{k:05d}"
            order = Order.objects.create(
                shop=shop,
                mall_order_number=number,
                status="new",
                due_at=now,
                ordered_at=now - timedelta(hours=2, seconds=rng.randint(0, 3600)),
                imported_at=now - timedelta(hours=1),
                status_changed_at=now - timedelta(hours=1),
                buyer_name="山田 太郎",
                email=f"{number}@example.jp",
                phone="03-1234-5678",
                payment_method="クレジットカード",
                payment_state=PaymentState.AUTHORIZED.value,
                mall_status="100",
                fingerprint=number,
                content_hash=number,
                warehouse=warehouse,
                goods_total=1000,
                total=1000,
            )
            package = PackageRow.objects.create(
                order=order,
                seq=1,
                mall_package_id=f"{number}-1",
                recipient_name="山田 太郎",
                phone="03-1234-5678",
                postal_code="1000001",
                prefecture="東京都",
                city="千代田区",
                address1="千代田1-1",
                delivery_method="宅配便",
            )
            wants = {"SKU-RARE": rng.randint(1, 3)} if rng.random() < 0.6 else {"SKU-FEW": rng.randint(1, 2)}
            if rng.random() < 0.3:
                wants["SKU-PLENTY"] = 1
            for seq, (code, quantity) in enumerate(sorted(wants.items()), start=1):
                OrderLine.objects.create(
                    order=order,
                    package=package,
                    seq=seq,
                    mall_item_id=code.lower(),
                    name=code,
                    quantity=quantity,
                    unit_price=1000,
                    product=products[code],
                )
            demand[order.pk] = wants
    return demand


def sweep_concurrently(sweepers: int, batch: int) -> list[BaseException]:
    """Run the advance sweep from ``sweepers`` threads at once until none of them finds a due order."""
    start = threading.Barrier(sweepers)
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            start.wait()
            now = timezone.now()
            while advance_due_orders(now, limit=batch).looked_at:
                pass
        except BaseException as exc:  # collected and asserted on by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(sweepers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_orders_competing_for_scarce_stock_from_parallel_sweeps_never_allocate_more_than_exists() -> None:
    # given 360 paid orders of six shops wanting 37 RARE and 20 FEW units between them, and plenty of PLENTY
    demand = build_competition(seed=5)
    wanted_rare = sum(w.get("SKU-RARE", 0) for w in demand.values())
    assert wanted_rare > 3 * SCARCE["SKU-RARE"]

    # when six sweeps run at once, in small batches so that they interleave
    errors = sweep_concurrently(SWEEPERS, batch=10)

    # then no sweep failed, and no stock row holds more allocations than units
    assert errors == []
    allocated_units = defaultdict(int)
    for code, units in Allocation.objects.values_list("product__code").annotate(u=Sum("quantity")):
        allocated_units[code] = units
    for code, on_hand in SCARCE.items():
        stock = Stock.objects.get(product__code=code)
        assert stock.on_hand == on_hand
        assert stock.allocated == allocated_units[code], code
        assert stock.allocated <= stock.on_hand, code
    # and the scarce products were allocated as far as whole orders fit (nothing left that an order could use)
    assert SCARCE["SKU-RARE"] - allocated_units["SKU-RARE"] < 3
    assert SCARCE["SKU-FEW"] - allocated_units["SKU-FEW"] < 2
    # and every order is all-or-nothing: an order ready to ship has each line allocated in full, others nothing
    by_order: dict[int, dict[str, int]] = defaultdict(dict)
    for order_id, code, units in Allocation.objects.values_list("order_id", "product__code").annotate(
        u=Sum("quantity")
    ):
        by_order[order_id][code] = units
    shipping = set(Order.objects.filter(status="awaiting_shipment").values_list("id", flat=True))
    assert shipping == set(by_order)
    for order_id in shipping:
        assert by_order[order_id] == demand[order_id]
    waiting = Order.objects.filter(status="checked", allocated=False).count()
    assert len(shipping) + waiting == len(demand)
    assert waiting > 0
