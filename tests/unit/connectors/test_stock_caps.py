"""Each mall's largest stock quantity: pushes are clamped to it (and the reconciliation compares against it)."""

from __future__ import annotations

from juchu.connectors.base import StockLevel
from juchu.connectors.malls.makeshop import wire as makeshop_wire
from juchu.connectors.malls.makeshop.connector import MakeShopConnector
from juchu.connectors.malls.yahoo import wire as yahoo_wire
from juchu.connectors.malls.yahoo.connector import YahooConnector


def test_makeshop_sends_at_most_99999_and_never_below_0() -> None:
    body = makeshop_wire.stock_body([StockLevel("tea-01:a", 100_000), StockLevel("tea-02", -3)]).decode()

    assert "<stock>99999</stock>" in body and "<stock>0</stock>" in body
    assert MakeShopConnector.max_stock_quantity == 99_999


def test_yahoo_sends_at_most_999999() -> None:
    form = yahoo_wire.stock_form("snbx-shop", [("tea-01:a", 2_000_000), ("tea-02", 5)])

    assert form["quantity"] == "999999,5"
    assert YahooConnector.max_stock_quantity == 999_999
