"""Mall stock follows Juchu's: what each mapped item can still sell, pushed when it changes."""

from __future__ import annotations

from juchu.catalog.models import MallItemMapping, Stock
from juchu.catalog.stock_push import push_stock, sellable
from juchu.runtime.sweeps import run_all
from tests.integration.conftest import mall_order


def pushed(mall) -> dict[str, int]:
    return {level.sku: level.quantity for level in mall.stock_pushes}


def test_sellable_is_available_minus_safety_stock_and_sets_follow_their_scarcest_component(world, clock) -> None:
    shop, products = world["shop"], world["products"]
    Stock.objects.filter(product=products["SKU-A"]).update(on_hand=10, allocated=3)
    Stock.objects.filter(product=products["SKU-B"]).update(on_hand=9, allocated=0)
    MallItemMapping.objects.filter(shop=shop, mall_item_id="item-a").update(safety_stock=2)
    quantities = {m.mall_item_id: sellable(shop)[m.pk] for m in MallItemMapping.objects.filter(shop=shop)}
    assert quantities["item-a"] == 10 - 3 - 2
    assert quantities["item-b"] == 9
    assert quantities["item-set"] == min(7 // 1, 9 // 2)  # SET-AB = 1 × SKU-A + 2 × SKU-B
    assert quantities["item-rare"] == 0


def test_only_changed_quantities_are_pushed_and_items_set_not_to_sync_never_are(world, fakes, clock) -> None:
    mall, _warehouse = fakes
    shop = world["shop"]
    MallItemMapping.objects.filter(shop=shop, mall_item_id="item-c").update(sync_stock=False)  # 在庫連動区分 9
    push_stock(shop, clock.now)
    first = pushed(mall)
    assert "item-c" not in first and first["item-a"] == 100_000
    # when nothing changes, nothing is sent again
    mall.stock_pushes.clear()
    push_stock(shop, clock.now)
    assert mall.stock_pushes == []
    # when an order allocates 3 units of SKU-A, the pipeline's own stock_push stage sends item-a's new
    # quantity; the set stays at 50,000 (limited by SKU-B) and is not sent again
    mall.put(mall_order("P-1", clock.now, quantity=3), clock.now)
    run_all(clock.advance(seconds=1))
    mall.stock_pushes.clear()
    run_all(clock.advance(minutes=31))
    assert pushed(mall) == {"item-a": 100_000 - 3}
    assert MallItemMapping.objects.get(shop=shop, mall_item_id="item-a").pushed_quantity == 99_997
