"""Amazon end to end over real HTTP: FBA (AFN) orders are never imported and FBA SKUs never get stock pushed."""

from __future__ import annotations

import pytest
from django.utils import timezone

from juchu.catalog.models import MallItemMapping, Product
from juchu.catalog.stock_push import push_stock
from juchu.orders.models import Order
from juchu.runtime.demo_world import generic_catalogue
from juchu.shops.models import Shop
from tests.e2e.mall_world import MallSandbox, assert_each_shipment_reported_once, configure_mall_world
from tests.e2e.sandbox_world import drive, running_sandbox, statuses, sweep_errors

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

FBA_ROW = {
    "itemId": "fba-tea-10",
    "variantId": "",
    "name": "FBA 煎茶ティーバッグ",
    "price": 980,
    "fba": True,
    "quantity": 42,
}


@pytest.fixture(autouse=True)
def fast_sync(settings) -> None:
    settings.JUCHU_SYNC_INTERVAL_SECONDS = 0
    settings.JUCHU_STOCK_SYNC_INTERVAL_SECONDS = 0


def test_fba_orders_are_not_imported_and_fba_skus_get_no_stock_pushed() -> None:
    with running_sandbox() as sandbox:
        mall = MallSandbox(sandbox, "amazon")
        shop = configure_mall_world(sandbox, "amazon")
        catalogue = [*generic_catalogue(with_unmapped=False), FBA_ROW]
        sandbox.control.put("/_sandbox/amazon/catalogue", json=catalogue).raise_for_status()
        MallItemMapping.objects.create(shop=shop, mall_item_id="fba-tea-10", product=Product.objects.get(code="TEA-03"))
        afn = sandbox.control.post(
            "/_sandbox/amazon/orders", json={"count": 3, "seed": 31, "order": {"FulfillmentChannel": "AFN"}}
        ).json()["orderNumbers"]
        mfn = mall.create_orders(5, seed=32, payment_mix={"Other": 1})

        def done() -> bool:
            return statuses() == {"completed": 5}

        drive(sandbox, done, max_seconds=60, pay=False)

        assert statuses() == {"completed": 5}, (statuses(), sweep_errors())
        assert set(Order.objects.filter(shop=shop).values_list("mall_order_number", flat=True)) == set(mfn)
        assert [mall.order(n)["order"]["order"]["FulfillmentChannel"] for n in afn] == ["AFN"] * 3
        assert_each_shipment_reported_once(mall, shop, mfn)

        push_stock(Shop.objects.get(pk=shop.pk), timezone.now())

        fba_stock = mall.summary()["stock"]["fba-tea-10"]
        assert fba_stock == 42 - sum(
            i["QuantityOrdered"] for n in afn for i in mall.order(n)["order"]["items"] if i["SellerSKU"] == "fba-tea-10"
        )
        patched = sandbox.control.get("/_sandbox/amazon/calls", params={"path": "/listings/"}).json()["calls"]
        assert patched and not [c for c in patched if c["path"].endswith("/fba-tea-10")]
        mapping = MallItemMapping.objects.get(shop=shop, mall_item_id="fba-tea-10")
        assert mapping.pushed_quantity is None
        assert "fba-tea-10: FBA_SKU" in Shop.objects.get(pk=shop.pk).last_stock_push_error
