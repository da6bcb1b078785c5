"""The common control contract (docs/sandbox.md) of every mall emulator, route by route, over the sandbox app.

Rakuten came first: it answers the routes it shares with the others (catalogue, credentials, orders, snapshot,
pay, cancel, change, calls) but has no settings, summary or hand-set stock, and lists orders by progress.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.testclient import TestClient

from juchu_sandbox.app import build

ROWS = [
    {"itemId": "tea-01", "variantId": "tea-01-100g", "name": "煎茶 100g", "price": 1080},
    {"itemId": "tea-03", "variantId": "tea-03", "name": "抹茶", "price": 1620},
]
RAKUTEN_ROWS = [{"manageNumber": "tea-01", "variantId": "tea-01-100g", "itemName": "煎茶 100g", "price": 1080}]
SNAPSHOT_KEYS = {"orderNumber", "status", "paid", "cancelled", "confirmed", "shipments", "order"}
SUMMARY_KEYS = {"orders", "shipped", "duplicateTracking", "shipmentWrites", "stockWrites", "stock"}


@dataclass(frozen=True)
class Case:
    """One mall and where its answers differ from the others'."""

    mall: str
    #: GET answered on /catalogue and /settings (else 405)
    readable: frozenset[str] = frozenset({"catalogue", "settings"})
    created: int = 200
    not_json: str = "the body is not valid JSON"
    unknown: str = "no order nope"
    change: dict[str, Any] = field(default_factory=dict)
    #: the answer to a change whose body is a JSON list
    change_list: tuple[int, dict[str, Any] | None] = (400, None)
    #: the error for a hand-set stock key the mall does not know
    unknown_stock: str = "no item nope"
    rows: list[dict[str, Any]] = field(default_factory=lambda: ROWS)


CASES = [
    Case(
        "yahoo",
        readable=frozenset({"settings"}),
        not_json="the body is not JSON",
        change_list=(400, {"error": "the body is a JSON object"}),
    ),
    Case(
        "amazon",
        change={"buyerRequestedCancel": True},
        change_list=(400, {"error": "expected {buyerRequestedCancel: true}"}),
        unknown_stock="no SKU nope",
    ),
    Case("aupay", readable=frozenset(), not_json="the body is not JSON", change_list=(200, None)),
    Case(
        "qoo10",
        readable=frozenset({"catalogue"}),
        created=201,
        unknown="no cart nope",
        change_list=(400, {"error": "expected {} or {orderNo}"}),
        unknown_stock="no item or option nope",
    ),
    Case(
        "makeshop",
        change_list=(400, {"error": "change is a JSON object"}),
        unknown_stock="no product or option nope",
    ),
]
RAKUTEN = Case(
    "rakuten",
    readable=frozenset({"catalogue"}),
    created=201,
    change={"units": 2},
    change_list=(400, {"error": "expected {units, itemDetailId} and/or {sender, basketId}"}),
    rows=RAKUTEN_ROWS,
)
ALL = [*CASES, RAKUTEN]


def _ids(case: Case) -> str:
    return case.mall


@pytest.fixture
def client() -> TestClient:
    app, _world = build(seed=1)
    return TestClient(app)


def _path(case: Case, rest: str) -> str:
    return f"/_sandbox/{case.mall}{rest}"


def _orders(client: TestClient, case: Case, count: int = 8) -> list[str]:
    assert client.put(_path(case, "/catalogue"), json=case.rows).status_code == 200
    answer = client.post(_path(case, "/orders"), json={"count": count, "seed": 1})
    assert answer.status_code == case.created, answer.text
    return answer.json()["orderNumbers"]


def _unpaid(client: TestClient, case: Case, numbers: list[str]) -> str:
    """An order awaiting payment (Rakuten has no ``state``: an order it holds as not paid)."""
    if case is RAKUTEN:
        return next(n for n in numbers if not client.get(_path(case, f"/orders/{n}")).json()["paid"])
    return client.get(_path(case, "/orders"), params={"state": "unpaid"}).json()["orderNumbers"][0]


@pytest.mark.parametrize("case", ALL, ids=_ids)
def test_put_catalogue_answers_the_catalogue_and_get_only_where_the_mall_reads_it(client, case) -> None:
    put = client.put(_path(case, "/catalogue"), json=case.rows)
    got = client.get(_path(case, "/catalogue"))

    assert (put.status_code, list(put.json())) == (200, ["catalogue"])
    if "catalogue" in case.readable:
        assert (got.status_code, list(got.json())) == (200, ["catalogue"])
    else:
        assert got.status_code == 405


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_put_settings_switches_the_rate_limits_off_and_get_only_where_the_mall_reads_them(client, case) -> None:
    put = client.put(_path(case, "/settings"), json={"rateLimits": False})
    got = client.get(_path(case, "/settings"))

    assert (put.status_code, put.json()["rateLimits"]) == (200, False)
    if "settings" in case.readable:
        assert (got.status_code, got.json()) == (200, put.json())
    else:
        assert got.status_code == 405


@pytest.mark.parametrize("case", ALL, ids=_ids)
def test_post_credentials_expires_and_restores_the_demo_credentials(client, case) -> None:
    expired = client.post(_path(case, "/credentials"), json={"expired": True})
    restored = client.post(_path(case, "/credentials"), json={"expired": False})

    assert (expired.status_code, expired.json()["expired"]) == (200, True)
    assert (restored.status_code, restored.json()["expired"]) == (200, False)


@pytest.mark.parametrize("case", ALL, ids=_ids)
def test_post_orders_places_the_generated_orders_and_get_lists_them(client, case) -> None:
    numbers = _orders(client, case, count=3)

    listed = client.get(_path(case, "/orders"))

    assert len(numbers) == len(set(numbers)) == 3
    assert (listed.status_code, listed.json()["orderNumbers"]) == (200, numbers)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_get_orders_lists_the_unpaid_ones_and_refuses_an_unknown_state(client, case) -> None:
    numbers = _orders(client, case, count=20)

    unpaid = client.get(_path(case, "/orders"), params={"state": "unpaid"})
    wrong = client.get(_path(case, "/orders"), params={"state": "late"})

    assert unpaid.status_code == 200
    assert set(unpaid.json()["orderNumbers"]) < set(numbers)
    assert (wrong.status_code, wrong.json()) == (400, {"error": "state is unpaid or all"})


@pytest.mark.parametrize("case", ALL, ids=_ids)
def test_get_order_answers_its_snapshot_and_404_for_an_unknown_number(client, case) -> None:
    [number] = _orders(client, case, count=1)

    snapshot = client.get(_path(case, f"/orders/{number}"))
    unknown = client.get(_path(case, "/orders/nope"))

    assert snapshot.status_code == 200
    keys = {"orderNumber", "paid", "order"} if case is RAKUTEN else SNAPSHOT_KEYS
    assert keys <= set(snapshot.json())
    assert snapshot.json()["orderNumber"] == number
    assert (unknown.status_code, unknown.json()) == (404, {"error": case.unknown})


@pytest.mark.parametrize("case", ALL, ids=_ids)
def test_pay_settles_an_order_awaiting_payment_once(client, case) -> None:
    number = _unpaid(client, case, _orders(client, case, count=20))

    paid = client.post(_path(case, f"/orders/{number}/pay"))
    again = client.post(_path(case, f"/orders/{number}/pay"))
    unknown = client.post(_path(case, "/orders/nope/pay"))

    assert (paid.status_code, paid.json()["paid"]) == (200, True)
    assert (again.status_code, list(again.json())) == (409, ["error"])
    assert (unknown.status_code, unknown.json()) == (404, {"error": case.unknown})


@pytest.mark.parametrize("case", ALL, ids=_ids)
def test_cancel_cancels_an_order_once_and_then_is_409(client, case) -> None:
    [number] = _orders(client, case, count=1)

    cancelled = client.post(_path(case, f"/orders/{number}/cancel"))
    again = client.post(_path(case, f"/orders/{number}/cancel"))

    assert cancelled.status_code == 200
    if case is RAKUTEN:
        assert cancelled.json()["orderProgress"] == 900
    else:
        assert cancelled.json()["cancelled"] is True
    assert (again.status_code, list(again.json())) == (409, ["error"])


@pytest.mark.parametrize("case", ALL, ids=_ids)
def test_change_applies_the_mall_change_and_answers_a_list_body_as_the_mall_does(client, case) -> None:
    first, second = _orders(client, case, count=2)

    changed = client.post(_path(case, f"/orders/{first}/change"), json=case.change)
    listed = client.post(_path(case, f"/orders/{second}/change"), json=[])

    assert (changed.status_code, changed.json()["orderNumber"]) == (200, first)
    status, body = case.change_list
    assert listed.status_code == status
    if body is None:  # au PAY reads an empty list as no change asked: the default change
        assert listed.json()["orderNumber"] == second
    else:
        assert listed.json() == body


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_summary_counts_the_orders_writes_and_stock(client, case) -> None:
    _orders(client, case, count=2)

    summary = client.get(_path(case, "/summary"))

    assert summary.status_code == 200
    assert set(summary.json()) >= SUMMARY_KEYS
    assert (summary.json()["orders"], summary.json()["shipped"], summary.json()["duplicateTracking"]) == (2, 0, [])


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_put_stock_sets_a_known_key_all_or_nothing(client, case) -> None:
    _orders(client, case, count=1)
    key = next(iter(client.get(_path(case, "/summary")).json()["stock"]))

    changed = client.put(_path(case, "/stock"), json={key: 7})
    refused = client.put(_path(case, "/stock"), json={key: 9, "nope": 1})
    summary = client.get(_path(case, "/summary")).json()

    assert (changed.status_code, changed.json()["stock"][key]) == (200, 7)
    assert (refused.status_code, refused.json()) == (404, {"error": case.unknown_stock})
    assert (summary["stock"][key], summary["stockWrites"]) == (7, 0)


@pytest.mark.parametrize("case", ALL, ids=_ids)
def test_get_calls_answers_the_api_calls_received(client, case) -> None:
    calls = client.get(_path(case, "/calls"), params={"path": "/"})

    assert (calls.status_code, calls.json()) == (200, {"calls": []})


@pytest.mark.parametrize("case", ALL, ids=_ids)
def test_a_body_that_is_not_json_is_400_with_the_mall_message(client, case) -> None:
    answers = [
        client.put(_path(case, "/catalogue"), content=b"{"),
        client.post(_path(case, "/credentials"), content=b"{"),
        client.post(_path(case, "/orders"), content=b"{"),
    ]

    assert [(a.status_code, a.json()) for a in answers] == [(400, {"error": case.not_json})] * 3


@pytest.mark.parametrize("case", ALL, ids=_ids)
def test_pay_and_cancel_need_post(client, case) -> None:
    [number] = _orders(client, case, count=1)

    assert client.get(_path(case, f"/orders/{number}/pay")).status_code == 405
    assert client.get(_path(case, f"/orders/{number}/cancel")).status_code == 405
    assert client.get(_path(case, f"/orders/{number}")).json()["orderNumber"] == number


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_head_on_orders_lists_and_places_no_order(client, case) -> None:
    numbers = _orders(client, case, count=2)

    head = client.head(_path(case, "/orders"))

    assert head.status_code == 200
    assert client.get(_path(case, "/orders")).json()["orderNumbers"] == numbers
