"""The stock reconciliation (在庫照合): the mall's stock read back, differences listed and pushed again."""

from __future__ import annotations

from datetime import timedelta

from django.core.management import call_command

from juchu.catalog.models import MallItemMapping, StockReconciliation
from juchu.catalog.reconcile import reconcile_shop
from juchu.catalog.stock_push import push_stock
from juchu.connectors.base import ConnectorError
from juchu.runtime.sweeps import STAGES, run_all


def test_drift_at_the_mall_is_listed_and_the_next_push_corrects_it(world, fakes, clock) -> None:
    mall, _warehouse = fakes
    shop = world["shop"]
    push_stock(shop, clock.now)
    # given someone changed two quantities at the mall by hand, and one item has no record there
    mall.stock["item-a"] = 5
    mall.stock["item-b"] = 7
    del mall.stock["item-set"]

    run = reconcile_shop(shop, clock.now)

    assert run.error == ""
    assert run.checked == MallItemMapping.objects.filter(shop=shop, sync_stock=True).count()
    by_key = {d["key"]: d for d in run.differences}
    assert set(by_key) == {"item-a", "item-b", "item-set"}
    assert (by_key["item-a"]["juchu"], by_key["item-a"]["mall"]) == (100_000, 5)
    assert by_key["item-set"]["mall"] is None and by_key["item-set"]["product"] == "SET-AB"
    # and the next push sends exactly those again, so the mall is back in step
    mall.stock_pushes.clear()
    push_stock(shop, clock.now)
    assert sorted(level.sku for level in mall.stock_pushes) == ["item-a", "item-b", "item-set"]
    assert reconcile_shop(shop, clock.now).differences == []


def test_a_mall_that_cannot_be_read_is_recorded_as_an_error_and_nothing_is_re_pushed(world, fakes, clock) -> None:
    mall, _warehouse = fakes
    shop = world["shop"]
    push_stock(shop, clock.now)
    mall.fail_next = 1

    run = reconcile_shop(shop, clock.now)

    assert "モールの在庫を読めませんでした" in run.error and run.differences == []
    assert not MallItemMapping.objects.filter(shop=shop, sync_stock=True, pushed_quantity=None).exists()


def test_a_connector_without_stock_reading_says_so(world, fakes, clock, monkeypatch) -> None:
    mall, _warehouse = fakes
    monkeypatch.delattr(type(mall), "read_stock")

    run = reconcile_shop(world["shop"], clock.now)

    assert "在庫の読み取りに対応していません" in run.error


def test_the_sweep_reconciles_each_shop_once_a_day_and_keeps_thirty_runs(world, clock, settings) -> None:
    shop = world["shop"]
    run_all(clock.now)
    run_all(clock.advance(hours=1))
    assert StockReconciliation.objects.filter(shop=shop).count() == 1
    assert STAGES["stock_reconcile"].scopes(clock.advance(hours=23, seconds=1)) == [shop.pk]
    for _day in range(35):
        reconcile_shop(shop, clock.advance(days=1))
    assert StockReconciliation.objects.filter(shop=shop).count() == 30


def test_the_command_prints_the_differences(world, fakes, clock, capsys) -> None:
    mall, _warehouse = fakes
    push_stock(world["shop"], clock.now)
    mall.stock["item-a"] = 3

    call_command("reconcile_stock", "--shop", world["shop"].code)

    out = capsys.readouterr().out
    assert "item-a" in out and "100000" in out and "3" in out
    assert "差異 1 件" in out


def test_connector_errors_are_not_raised_out_of_the_sweep(world, fakes, clock) -> None:
    mall, _warehouse = fakes
    shop = world["shop"]

    def broken(skus):
        raise ConnectorError("楽天: 認証エラー", retryable=False, code="AUTH")

    mall.read_stock = broken  # type: ignore[method-assign]
    run_all(clock.now + timedelta(seconds=1))
    assert "認証エラー" in StockReconciliation.objects.get(shop=shop).error


def test_a_mall_that_shows_at_most_its_largest_quantity_is_not_a_difference(world, fakes, clock, monkeypatch) -> None:
    mall, _warehouse = fakes
    shop = world["shop"]
    push_stock(shop, clock.now)  # 100,000 of item-a and item-b
    monkeypatch.setattr(type(mall), "max_stock_quantity", 99_999, raising=False)
    for key, quantity in list(mall.stock.items()):
        mall.stock[key] = min(quantity, 99_999)

    run = reconcile_shop(shop, clock.now)

    assert run.error == "" and run.differences == []
