"""The stock reconciliation (在庫照合) against each mall besides Rakuten, over real HTTP: stock pushed, one item
changed by hand at the mall, the reconciliation lists exactly that item, the next push puts it right and a second
reconciliation finds nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from juchu.catalog.models import MallItemMapping, Product, Stock
from juchu.catalog.reconcile import reconcile_shop
from juchu.catalog.stock_push import mall_item_key, push_stock, sellable
from juchu.runtime.demo_world import OTHER_MALLS
from juchu.shops.models import Shop
from tests.e2e.mall_world import MallSandbox, assert_stock_pushed, configure_mall_world
from tests.e2e.sandbox_world import running_sandbox

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

#: Juchu's on-hand stock per SKU: distinct, and below every mall's largest quantity (au PAY and MakeShop: 99,999).
ON_HAND = {"TEA-01-100G": 120, "TEA-01-200G": 80, "TEA-02-100G": 64, "TEA-03": 40}


def _wanted(shop: Shop) -> dict[str, int]:
    """What Juchu says the mall should show, keyed as the connector keys it."""
    quantities = sellable(shop)
    rows = MallItemMapping.objects.filter(id__in=list(quantities)).values_list("id", "mall_item_id", "mall_variant_id")
    return {mall_item_key(item, variant): quantities[pk] for pk, item, variant in rows}


@pytest.mark.parametrize("name", OTHER_MALLS)
def test_a_quantity_changed_by_hand_at_the_mall_is_found_and_the_next_push_corrects_it(name: str) -> None:
    with running_sandbox() as sandbox:
        mall = MallSandbox(sandbox, name)
        shop = configure_mall_world(sandbox, name)
        for code, on_hand in ON_HAND.items():
            Stock.objects.update_or_create(
                warehouse=shop.warehouse, product=Product.objects.get(code=code), defaults={"on_hand": on_hand}
            )
        shop = Shop.objects.get(pk=shop.pk)
        push_stock(shop, timezone.now())
        assert_stock_pushed(mall, shop)
        wanted = _wanted(shop)
        assert len(wanted) == 5 and len(set(wanted.values())) > 1, wanted

        # given the shop changes one item's quantity at the mall by hand
        key = sorted(wanted)[0]
        changed = sandbox.control.put(f"/_sandbox/{name}/stock", json={key: wanted[key] + 7})
        changed.raise_for_status()
        assert changed.json()["stock"][key] == wanted[key] + 7

        run = reconcile_shop(shop, timezone.now())

        assert run.error == ""
        assert run.checked == len(wanted)
        assert [(d["key"], d["juchu"], d["mall"]) for d in run.differences] == [(key, wanted[key], wanted[key] + 7)]

        # and the next push sends that item again, so the mall shows Juchu's quantity once more
        writes = mall.summary()["stockWrites"]
        push_stock(Shop.objects.get(pk=shop.pk), timezone.now())
        assert_stock_pushed(mall, shop)
        assert mall.summary()["stockWrites"] == writes + 1
        again = reconcile_shop(Shop.objects.get(pk=shop.pk), timezone.now())
        assert (again.error, again.differences, again.checked) == ("", [], len(wanted))
