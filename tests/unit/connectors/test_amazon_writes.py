"""Amazon writes: confirm (none at Amazon), cancel (refused), confirmShipment idempotence, stock per SKU and FBA."""

from __future__ import annotations

import json
from datetime import date

import httpx
import pytest
from tests.unit.connectors.amazon_fakes import ORDERS, FakeSpApi, load, status

from juchu.connectors.base import ConnectorError, Outcome, ReportLine, ShipmentReport, StockLevel

ONE, COD = "503-1111111-0000001", "503-1111111-0000002"
LISTING = "/listings/2021-08-01/items/A2SELLER/"
#: The recorded order items: SellerSKU → OrderItemId.
SENCHA, MATCHA = "51234567890123", "51234567890124"


def _report(number: str = ONE, carrier: str = "1029", tracking: tuple[str, ...] = ("112233445566",)) -> ShipmentReport:
    return ShipmentReport(f"report-{number}", number, "1", carrier, date(2026, 3, 3), tracking)


def _part(part: int, tracking: str, *lines: tuple[str, int]) -> ShipmentReport:
    """One part of ONE's package, split across warehouses, carrying ``lines`` (SellerSKU, quantity)."""
    carried = tuple(ReportLine(sku, "", quantity) for sku, quantity in lines)
    return ShipmentReport(f"report-{ONE}-{part}", ONE, "1", "1001", date(2026, 3, 3), (tracking,), part, carried)


def _sent(api: FakeSpApi) -> list[dict]:
    return [json.loads(r.content) for r in api.calls("/shipmentConfirmation", "POST")]


def test_confirm_accepts_every_number_once_with_a_note_and_calls_nothing() -> None:
    api = FakeSpApi()
    connector, _clock = api.connector()

    results = connector.confirm([ONE, COD, ONE])

    assert [(r.key, r.outcome) for r in results] == [(ONE, Outcome.ACCEPTED), (COD, Outcome.ACCEPTED)]
    assert "注文確認の API がない" in results[0].data["note"]
    assert api.requests == []


def test_cancel_is_refused_because_orders_v0_has_no_seller_cancel() -> None:
    api = FakeSpApi()
    connector, _clock = api.connector()

    result = connector.cancel(ONE, "out_of_stock")

    assert (result.key, result.outcome, result.code) == (ONE, Outcome.REJECTED, "NO_CANCEL_API")
    assert "セラーセントラル" in result.message
    assert api.requests == []


def test_a_shipment_is_confirmed_as_package_1_with_every_item_and_the_mapped_carrier() -> None:
    api = FakeSpApi()
    connector, _clock = api.connector()

    (result,) = connector.report_shipments([_report()])

    assert (result.key, result.outcome) == (f"report-{ONE}", Outcome.ACCEPTED)
    assert result.data == {"package_reference_id": "1", "carrier_code": "Japan Post"}
    assert _sent(api) == [
        {
            "marketplaceId": "A1VC38T7YXB528",
            "packageDetail": {
                "packageReferenceId": "1",
                "carrierCode": "Japan Post",
                "trackingNumber": "112233445566",
                "shipDate": "2026-03-03T03:00:00Z",
                "orderItems": [
                    {"orderItemId": "51234567890123", "quantity": 1},
                    {"orderItemId": "51234567890124", "quantity": 1},
                ],
            },
        }
    ]


def test_a_split_package_is_confirmed_as_one_amazon_package_per_part_with_its_own_items_and_tracking_number() -> None:
    api = FakeSpApi()
    connector, _clock = api.connector()

    first, second = connector.report_shipments([_part(1, "111", ("tea-01-100g", 1)), _part(2, "222", ("tea-03", 1))])

    assert (first.key, first.outcome, first.data) == (
        f"report-{ONE}-1",
        Outcome.ACCEPTED,
        {"package_reference_id": "1", "carrier_code": "Yamato Transport"},
    )
    assert (second.key, second.outcome, second.data) == (
        f"report-{ONE}-2",
        Outcome.ACCEPTED,
        {"package_reference_id": "2", "carrier_code": "Yamato Transport"},
    )
    assert {ref: (p["trackingNumber"], p["orderItems"]) for ref, p in api.packages[ONE].items()} == {
        "1": ("111", [{"orderItemId": SENCHA, "quantity": 1}]),
        "2": ("222", [{"orderItemId": MATCHA, "quantity": 1}]),
    }


def test_resending_a_part_edits_its_own_package_and_adds_none() -> None:
    api = FakeSpApi()
    connector, _clock = api.connector()
    connector.report_shipments([_part(1, "111", ("tea-01-100g", 1)), _part(2, "222", ("tea-03", 1))])

    (again,) = connector.report_shipments([_part(2, "333", ("tea-03", 1))])

    assert (again.outcome, again.data["package_reference_id"]) == (Outcome.ACCEPTED, "2")
    assert [b["packageDetail"]["packageReferenceId"] for b in _sent(api)] == ["1", "2", "2"]
    assert {ref: (p["trackingNumber"], p["orderItems"]) for ref, p in api.packages[ONE].items()} == {
        "1": ("111", [{"orderItemId": SENCHA, "quantity": 1}]),
        "2": ("333", [{"orderItemId": MATCHA, "quantity": 1}]),
    }


def test_a_part_naming_an_sku_the_order_lacks_is_rejected_without_a_confirmation() -> None:
    api = FakeSpApi()
    connector, _clock = api.connector()

    (result,) = connector.report_shipments([_part(2, "222", ("tea-03", 1), ("tea-99", 1))])

    assert (result.key, result.outcome, result.code) == (f"report-{ONE}-2", Outcome.REJECTED, "UNKNOWN_LINE")
    assert result.message == f"注文 {ONE} に SKU tea-99 の明細がないため出荷通知できません"
    assert result.data == {}
    assert _sent(api) == []
    assert ONE not in api.packages


def test_a_part_carries_its_lines_quantity_capped_at_the_quantity_ordered() -> None:
    api = FakeSpApi()
    api.items_of(ONE)[0]["QuantityOrdered"] = 3
    connector, _clock = api.connector()

    (result,) = connector.report_shipments([_part(1, "111", ("tea-01-100g", 5), ("tea-03", 1))])

    assert result.outcome is Outcome.ACCEPTED
    assert [b["packageDetail"]["orderItems"] for b in _sent(api)] == [
        [{"orderItemId": SENCHA, "quantity": 3}, {"orderItemId": MATCHA, "quantity": 1}]
    ]


def test_a_part_whose_lines_carry_no_quantity_is_rejected_without_a_confirmation() -> None:
    api = FakeSpApi()
    connector, _clock = api.connector()

    (result,) = connector.report_shipments([_part(1, "111", ("tea-01-100g", 0))])

    assert (result.outcome, result.code) == (Outcome.REJECTED, "NO_ITEMS")
    assert result.message == f"注文 {ONE} に出荷する明細がありません"
    assert _sent(api) == []


@pytest.mark.parametrize(
    ("carrier", "code", "name"),
    [
        ("1001", "Yamato Transport", None),
        ("1002", "Sagawa Express", None),
        ("1003", "Japan Post", None),
        ("1000", "Other", "その他"),
        ("1021", "Other", "配送会社 1021"),
    ],
)
def test_carrier_codes_map_to_amazon_carrier_codes(carrier: str, code: str, name: str | None) -> None:
    api = FakeSpApi()
    connector, _clock = api.connector()

    connector.report_shipments([_report(carrier=carrier)])

    (body,) = _sent(api)
    assert (body["packageDetail"]["carrierCode"], body["packageDetail"].get("carrierName")) == (code, name)


def test_a_cod_order_says_the_carrier_collects_the_payment() -> None:
    api = FakeSpApi()
    connector, _clock = api.connector()

    connector.report_shipments([_report(COD)])

    (body,) = _sent(api)
    assert body["codCollectionMethod"] == "DirectPayment"


def test_a_report_whose_answer_was_lost_edits_the_same_package_when_sent_again() -> None:
    api = FakeSpApi()
    path = f"{ORDERS}/{ONE}/shipmentConfirmation"
    lost = iter([True])

    def applied_then_lost(request: httpx.Request) -> httpx.Response | None:
        if next(lost, False):
            api.override.pop(("POST", path))
            api._route(request, path)  # Amazon applied it …
            return httpx.Response(200, content=b'{"errors": [{"co')  # … and the answer came back cut
        return None

    api.override[("POST", path)] = applied_then_lost
    connector, _clock = api.connector()

    (result,) = connector.report_shipments([_report()])
    (again,) = connector.report_shipments([_report()])

    assert result.outcome is Outcome.ACCEPTED and again.outcome is Outcome.ACCEPTED
    assert list(api.packages[ONE]) == ["1"]
    assert api.packages[ONE]["1"]["trackingNumber"] == "112233445566"


def test_extra_tracking_numbers_are_noted_because_amazon_takes_one_per_package() -> None:
    api = FakeSpApi()
    connector, _clock = api.connector()

    (result,) = connector.report_shipments([_report(tracking=("111", "222"))])

    assert result.outcome is Outcome.ACCEPTED
    assert "222" in result.data["note"]
    assert [b["packageDetail"]["trackingNumber"] for b in _sent(api)] == ["111"]


def test_a_report_for_a_cancelled_order_is_refused_without_a_call() -> None:
    api = FakeSpApi()
    api.orders[ONE]["OrderStatus"] = "Canceled"
    connector, _clock = api.connector()

    (result,) = connector.report_shipments([_report()])

    assert (result.outcome, result.code) == (Outcome.REJECTED, "STATUS_Canceled")
    assert _sent(api) == []


def test_a_refused_report_is_rejected_and_a_failing_one_retried_while_the_others_go_through() -> None:
    api = FakeSpApi()
    api.override[("POST", f"{ORDERS}/{ONE}/shipmentConfirmation")] = status(400, "error_invalid_input.json")
    api.override[("GET", f"{ORDERS}/503-1111111-0000003")] = status(503, content=b"")
    connector, _clock = api.connector()

    results = connector.report_shipments([_report(), _report("503-1111111-0000003"), _report(COD)])

    assert [(r.outcome, r.code) for r in results] == [
        (Outcome.REJECTED, "InvalidInput"),
        (Outcome.RETRY, "HTTP_503"),
        (Outcome.ACCEPTED, ""),
    ]


def test_an_auth_failure_while_reporting_fails_the_whole_call() -> None:
    api = FakeSpApi()
    api.override[("GET", f"{ORDERS}/{ONE}")] = status(403, "error_unauthorized.json")
    connector, _clock = api.connector()

    with pytest.raises(ConnectorError) as caught:
        connector.report_shipments([_report()])

    assert caught.value.code == "AUTH"


def test_stock_is_patched_one_sku_at_a_time_and_fba_skus_are_refused_without_a_patch() -> None:
    api = FakeSpApi()
    connector, _clock = api.connector()

    results = connector.push_stock([StockLevel("tea-01-100g", 12), StockLevel("fba-tea-10", 5), StockLevel("a/b", 0)])

    assert [(r.key, r.outcome, r.code) for r in results] == [
        ("tea-01-100g", Outcome.ACCEPTED, ""),
        ("fba-tea-10", Outcome.REJECTED, "FBA_SKU"),
        ("a/b", Outcome.ACCEPTED, ""),
    ]
    (fba,) = api.calls("/fba/inventory/v1/summaries")
    assert dict(fba.url.params) == {
        "granularityType": "Marketplace",
        "granularityId": "A1VC38T7YXB528",
        "marketplaceIds": "A1VC38T7YXB528",
        "sellerSkus": "tea-01-100g,fba-tea-10,a/b",
    }
    patches = api.calls(LISTING, "PATCH")
    assert [r.url.raw_path.decode() for r in patches] == [
        LISTING + "tea-01-100g?marketplaceIds=A1VC38T7YXB528",
        LISTING + "a%2Fb?marketplaceIds=A1VC38T7YXB528",
    ]
    assert json.loads(patches[0].content) == {
        "productType": "PRODUCT",
        "patches": [
            {
                "op": "replace",
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 12}],
            }
        ],
    }


def test_a_sku_amazon_refuses_or_does_not_know_is_rejected_and_a_failing_one_retried() -> None:
    api = FakeSpApi()
    api.override[("PATCH", LISTING + "tea-03")] = status(200, "listings_invalid.json")
    api.override[("PATCH", LISTING + "gone")] = status(404, "error_not_found.json")
    api.override[("PATCH", LISTING + "busy")] = status(500, content=b"")
    connector, _clock = api.connector(fba_check="off")

    results = connector.push_stock(
        [StockLevel("tea-03", 1), StockLevel("gone", 1), StockLevel("busy", 1), StockLevel("ok", 3), StockLevel(" ", 1)]
    )

    assert [(r.key, r.outcome, r.code) for r in results] == [
        ("tea-03", Outcome.REJECTED, "4000002"),
        ("gone", Outcome.REJECTED, "NotFound"),
        ("busy", Outcome.RETRY, "HTTP_500"),
        ("ok", Outcome.ACCEPTED, ""),
        (" ", Outcome.REJECTED, "SKU_FORMAT"),
    ]
    assert results[0].message == "quantity must be a non-negative integer."
    assert api.calls("/fba/") == []


def test_fba_skus_are_found_across_chunks_and_pages() -> None:
    api = FakeSpApi()
    pages = iter(
        [
            {"payload": {"inventorySummaries": []}, "pagination": {"nextToken": "n2"}},
            load("fba_summaries.json"),
            {"payload": {"inventorySummaries": [{"sellerSku": "sku-60"}]}},
        ]
    )
    api.override[("GET", "/fba/inventory/v1/summaries")] = lambda request: httpx.Response(200, json=next(pages))
    connector, _clock = api.connector()

    results = connector.push_stock([StockLevel(f"sku-{i}", 1) for i in range(55)] + [StockLevel("fba-tea-10", 1)])

    assert {r.key for r in results if r.code == "FBA_SKU"} == {"fba-tea-10"}
    calls = api.calls("/fba/inventory/v1/summaries")
    assert [c.url.params.get("nextToken") for c in calls] == [None, "n2", None]
    assert len(calls[0].url.params["sellerSkus"].split(",")) == 50


def test_a_refused_fba_look_up_pushes_anyway_with_a_note() -> None:
    api = FakeSpApi()
    api.override[("GET", "/fba/inventory/v1/summaries")] = status(400, "error_invalid_input.json")
    connector, _clock = api.connector()

    (result,) = connector.push_stock([StockLevel("tea-01-100g", 4)])

    assert result.outcome is Outcome.ACCEPTED
    assert "FBA 在庫を確認できませんでした" in result.data["fba_check"]
