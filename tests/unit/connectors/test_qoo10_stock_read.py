"""Qoo10 read_stock: GetGoodsInventoryInfo per item (options' Qty), GetItemDetailInfo for an item without options
(ItemQty); unknown items and keys of the wrong kind left out; other failures fail the whole read."""

from __future__ import annotations

import httpx
import pytest
from tests.unit.connectors.qoo10_fakes import load, make_connector

from juchu.connectors.base import ConnectorError, StockLevel

INVENTORY = "ItemsLookup.GetGoodsInventoryInfo"
DETAIL = "ItemsLookup.GetItemDetailInfo"
EMPTY = {"ResultCode": 0, "ResultMsg": "SUCCESS", "ResultObject": []}


def _inventory(fields: dict[str, str]) -> httpx.Response:
    """tea-01 has two options, tea-03 none; any other item is unknown."""
    if fields["SellerCode"] == "tea-01":
        return httpx.Response(200, json=load("inventory_options.json"))
    if fields["SellerCode"] == "tea-03":
        return httpx.Response(200, json=EMPTY)
    return httpx.Response(200, json=load("error_item_not_found.json"))


def test_options_come_from_the_inventory_and_a_plain_item_from_its_details() -> None:
    fake, _clock, connector = make_connector()
    fake.on(INVENTORY, _inventory)
    fake.on(DETAIL, "item_detail.json")

    levels = connector.read_stock(
        ["tea-01:tea-01-100g", "tea-03", "tea-01:tea-01-200g", "tea-01:tea-01-500g", "tea-01", "tea-03:x", "gone"]
    )

    assert levels == [
        StockLevel("tea-01:tea-01-100g", 12),
        StockLevel("tea-01:tea-01-200g", 3),
        StockLevel("tea-03", 26),
    ]
    # one inventory look-up per item, by SellerCode; the details only for the item without options
    assert fake.calls(INVENTORY) == [
        {"ItemCode": "", "SellerCode": "tea-01", "returnType": "json"},
        {"ItemCode": "", "SellerCode": "tea-03", "returnType": "json"},
        {"ItemCode": "", "SellerCode": "gone", "returnType": "json"},
    ]
    assert fake.calls(DETAIL) == [{"ItemCode": "", "SellerCode": "tea-03", "returnType": "json"}]


def test_an_item_the_details_do_not_know_is_left_out() -> None:
    fake, _clock, connector = make_connector()
    fake.on(INVENTORY, EMPTY)
    fake.on(DETAIL, "error_item_not_found.json")

    assert connector.read_stock(["tea-03"]) == []


@pytest.mark.parametrize(
    ("inventory", "code"),
    [
        ("error_order_status.json", "-10004"),
        ("error_503.html", "HTTP_503"),
        ({"ResultCode": 0, "ResultMsg": "SUCCESS", "ResultObject": "tea"}, "MALFORMED"),
        (
            {"ResultCode": 0, "ResultMsg": "SUCCESS", "ResultObject": [{"OptionCode": "tea-01-100g", "Qty": -1}]},
            "MALFORMED",
        ),
    ],
)
def test_any_other_failure_fails_the_whole_read(inventory, code: str) -> None:
    fake, _clock, connector = make_connector()
    fake.on(INVENTORY, inventory)

    with pytest.raises(ConnectorError) as caught:
        connector.read_stock(["tea-01:tea-01-100g"])

    assert caught.value.code == code


def test_a_refused_key_fails_the_read_as_auth() -> None:
    fake, _clock, connector = make_connector()
    fake.on(INVENTORY, "error_not_authorized.json")

    with pytest.raises(ConnectorError) as caught:
        connector.read_stock(["tea-03"])

    assert caught.value.code == "AUTH"
