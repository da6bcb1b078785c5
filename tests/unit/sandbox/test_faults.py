"""Fault injection: every kind, rule limits, determinism, the control API, /_sandbox/ never faulting."""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.testclient import TestClient

from juchu_sandbox import faults, rakuten

JST = timezone(timedelta(hours=9))
AUTH = {"Authorization": "ESA " + base64.b64encode(b"sandbox-secret:sandbox-license").decode()}
GET_ORDER = "/es/2.0/order/getOrder/"


def _app() -> tuple[Starlette, rakuten.RakutenMall]:
    try:
        from juchu_sandbox.app import build
    except ImportError:  # the RSL emulator is not there yet: the Rakuten routes alone
        mall, plan = rakuten.RakutenMall(seed=1), faults.FaultPlan(seed=1)
        routes = [*faults.control_routes(plan), *rakuten.control_routes(mall), *rakuten.routes(mall)]
        return Starlette(routes=routes, middleware=[Middleware(faults.FaultMiddleware, plan=plan)]), mall
    app, world = build(seed=1)
    return app, world.rakuten


@pytest.fixture
def setup() -> tuple[TestClient, str, rakuten.RakutenMall]:
    app, mall = _app()
    mall.clock = lambda: datetime(2026, 11, 26, 12, 0, tzinfo=JST)
    client = TestClient(app)
    (number,) = client.post("/_sandbox/rakuten/orders", json={"count": 1}).json()["orderNumbers"]
    return client, number, mall


def add(client: TestClient, **rule: object) -> int:
    response = client.post("/_sandbox/faults", json=rule)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def get(client: TestClient, number: str):
    return client.post(GET_ORDER, json={"orderNumberList": [number], "version": 9}, headers=AUTH)


def test_429_with_retry_after(setup: tuple[TestClient, str, rakuten.RakutenMall]) -> None:
    client, number, mall = setup
    add(client, path="/es/2.0/order/getOrder/", rate=1, kinds=["429"], count=1)
    response = get(client, number)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert not [c for c in mall.calls if c["path"] == GET_ORDER]  # the mall never saw it
    assert get(client, number).status_code == 200  # count 1: spent


def test_500_json(setup: tuple[TestClient, str, rakuten.RakutenMall]) -> None:
    client, number, _ = setup
    add(client, path="", rate=1, kinds=["500"])
    response = get(client, number)
    assert response.status_code == 500
    assert response.json()["sandboxFault"] == "500"


def test_html_502(setup: tuple[TestClient, str, rakuten.RakutenMall]) -> None:
    client, number, _ = setup
    add(client, path="/es/", rate=1, kinds=["html"])
    response = get(client, number)
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert response.text.startswith("<!DOCTYPE html>")


def test_timeout_then_504(setup: tuple[TestClient, str, rakuten.RakutenMall]) -> None:
    client, number, _ = setup
    add(client, rate=1, kinds=["timeout"], timeout_seconds=0.2)
    started = time.monotonic()
    response = get(client, number)
    assert time.monotonic() - started >= 0.2
    assert response.status_code == 504


def test_latency_then_the_real_answer(setup: tuple[TestClient, str, rakuten.RakutenMall]) -> None:
    client, number, _ = setup
    add(client, rate=1, kinds=["latency"], latency_ms=150)
    started = time.monotonic()
    response = get(client, number)
    assert time.monotonic() - started >= 0.15
    assert response.status_code == 200
    assert response.json()["OrderModelList"][0]["orderNumber"] == number


def test_malformed_is_processed_but_unreadable(setup: tuple[TestClient, str, rakuten.RakutenMall]) -> None:
    client, number, mall = setup
    add(client, path="/es/2.0/order/confirmOrder/", rate=1, kinds=["malformed"], count=1)
    response = client.post("/es/2.0/order/confirmOrder/", json={"orderNumberList": [number]}, headers=AUTH)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert mall.orders[number]["orderProgress"] in (200, 300)  # the confirm did happen


def test_truncated_is_the_real_body_cut_in_half(setup: tuple[TestClient, str, rakuten.RakutenMall]) -> None:
    client, number, _ = setup
    full = get(client, number).content
    add(client, rate=1, kinds=["truncated"], count=1)
    cut = get(client, number)
    assert cut.status_code == 200
    assert cut.content == full[: len(full) // 2]
    with pytest.raises(ValueError):
        json.loads(cut.content)


def test_sandbox_paths_never_fault_and_prefixes_select(setup: tuple[TestClient, str, rakuten.RakutenMall]) -> None:
    client, number, _ = setup
    add(client, path="", rate=1, kinds=["500"])
    assert client.get("/_sandbox/rakuten/orders").status_code == 200
    assert client.get("/_sandbox/faults").status_code == 200
    client.delete("/_sandbox/faults")
    add(client, path="/es/2.0/order/searchOrder/", rate=1, kinds=["500"])
    assert get(client, number).status_code == 200


def test_control_api_lists_counts_and_clears(setup: tuple[TestClient, str, rakuten.RakutenMall]) -> None:
    client, number, _ = setup
    first = add(client, path="/es/2.0/order/getOrder/", rate=1, kinds=["429", "500"], count=3)
    second = add(client, path="", rate=1, kinds=["html"])
    statuses = [get(client, number).status_code for _ in range(5)]
    assert all(s in (429, 500) for s in statuses[:3]) and statuses[3:] == [502, 502]
    listing = client.get("/_sandbox/faults").json()
    rules = {r["id"]: r for r in listing["rules"]}
    assert rules[first]["fired"] == 3 and sum(rules[first]["firedByKind"].values()) == 3
    assert rules[second]["fired"] == 2 and rules[second]["firedByKind"] == {"html": 2}
    assert [e["ruleId"] for e in listing["log"]] == [first] * 3 + [second] * 2
    assert client.delete(f"/_sandbox/faults/{second}").status_code == 200
    assert client.delete(f"/_sandbox/faults/{second}").status_code == 404
    client.delete("/_sandbox/faults")
    assert client.get("/_sandbox/faults").json()["rules"] == []
    assert get(client, number).status_code == 200


@pytest.mark.parametrize(
    "rule",
    [{"rate": 2}, {"kinds": ["boom"]}, {"kinds": []}, {"count": 0}, {"path": 5}, {"latency_ms": -1}],
)
def test_invalid_rules_are_400(setup: tuple[TestClient, str, rakuten.RakutenMall], rule: dict) -> None:
    client, _, _ = setup
    assert client.post("/_sandbox/faults", json=rule).status_code == 400


def test_deterministic_with_the_seed() -> None:
    def run(seed: int) -> list[str | None]:
        plan = faults.FaultPlan(seed=seed)
        plan.add({"path": "/es/", "rate": 0.3, "kinds": list(faults.KINDS)})
        out = []
        for i in range(200):
            decision = plan.decide(f"/es/2.0/order/getOrder/?{i}")
            out.append(decision[1] if decision else None)
        return out

    first = run(5)
    assert first == run(5)
    assert first != run(6)
    fired = [k for k in first if k]
    assert 30 < len(fired) < 90 and set(fired) == set(faults.KINDS)
    plan = faults.FaultPlan(seed=5)
    plan.add({"path": "/es/", "rate": 0.3, "kinds": list(faults.KINDS)})
    plan.decide("/es/x")
    plan.clear()  # clearing reseeds: the same rules repeat from the start
    plan.add({"path": "/es/", "rate": 0.3, "kinds": list(faults.KINDS)})
    assert [(d[1] if (d := plan.decide(f"/es/{i}")) else None) for i in range(200)] == first
