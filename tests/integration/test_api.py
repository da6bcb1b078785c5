"""The REST API (/api/v1): token auth, roles, the order list and detail, actions, catalogue and shops.

Orders come from the fake mall through the real pipeline; every call goes through Django's test client
with a real token. The seed helpers here are shared with test_api_schema.py.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from juchu.api.api import api
from juchu.api.models import ApiToken
from juchu.api.tokens import hash_token, issue_token
from juchu.catalog.models import MallItemMapping, Product
from juchu.fulfillment.models import Shipment
from juchu.orders.models import Order, OrderEvent, OrderLine, OrderTag, Package
from juchu.runtime.models import Lease
from juchu.runtime.sweeps import run_all
from juchu.shops.models import Shop
from juchu.web.auth import Role, create_user
from tests.integration.conftest import Clock, mall_order

BASE = "/api/v1"


# -- seed (shared with test_api_schema.py) -------------------------------------------------------------------


def sweep(clock: Clock, **delta: float) -> None:
    """One pass of every sweep after moving the clock; a sweep that failed fails the test."""
    run_all(clock.advance(**delta))
    errors = {lease.stage: lease.last_error for lease in Lease.objects.exclude(last_error="")}
    assert not errors, errors


def seed_orders(fakes, clock: Clock) -> dict[str, Order]:
    """``S-1`` stopped at 確認待 (unusual quantity), ``S-2`` shipping, ``S-3`` shipped with two parcels."""
    mall, warehouse = fakes
    mall.put(mall_order("S-1", clock.now, quantity=11, buyer="佐藤 花子"), clock.now)
    mall.put(mall_order("S-2", clock.advance(minutes=1), item="item-b", buyer="鈴木 一郎"), clock.now)
    mall.put(mall_order("S-3", clock.advance(minutes=1), item="item-c", buyer="高橋 次郎"), clock.now)
    sweep(clock, seconds=1)
    sweep(clock, minutes=31)
    sweep(clock, seconds=5)
    [request] = [r for r in warehouse.accepted_requests() if r.mall_order_number == "S-3"]
    warehouse.ship(request.request_id, trackings=2)
    sweep(clock, seconds=5)
    sweep(clock, seconds=5)
    orders = {o.mall_order_number: o for o in Order.objects.all()}
    assert orders["S-1"].status == "awaiting_check", orders["S-1"].explanation
    assert orders["S-2"].status == "shipping", orders["S-2"].explanation
    assert Shipment.objects.filter(package__order=orders["S-3"]).exists(), orders["S-3"].explanation
    return orders


def seed_tokens() -> dict[str, str]:
    """One user per role, and one without a role, each with a token: name → token."""
    now = timezone.now()
    tokens = {role.code: issue_token(create_user(role.code, "not-used-pw-1234", role), "test", now)[1] for role in Role}
    nobody = get_user_model().objects.create_user(username="nobody", password="not-used-pw-1234")
    tokens["nobody"] = issue_token(nobody, "test", now)[1]
    return tokens


@pytest.fixture
def clock() -> Clock:
    # The API acts at the real time; the seeded orders were placed shortly before it.
    return Clock(timezone.now() - timedelta(hours=2))


@pytest.fixture
def orders(world, fakes, clock) -> dict[str, Order]:
    return seed_orders(fakes, clock)


@pytest.fixture
def tokens(db) -> dict[str, str]:
    return seed_tokens()


class Caller:
    """The test client with one token."""

    def __init__(self, client, token: str | None) -> None:
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params):
        return self.client.get(BASE + path, params, **self.headers)

    def post(self, path: str, body: dict | None = None):
        return self.client.post(BASE + path, json.dumps(body or {}), content_type="application/json", **self.headers)

    def patch(self, path: str, body: dict):
        return self.client.patch(BASE + path, json.dumps(body), content_type="application/json", **self.headers)


@pytest.fixture
def as_(client, tokens):
    return lambda who: Caller(client, tokens.get(who, who))


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [o["mall_order_number"] for o in response.json()["items"]]


def events(order: Order, kind: str) -> list[OrderEvent]:
    return list(OrderEvent.objects.filter(order=order, kind=kind))


# -- authentication and roles ----------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer juchu_not-a-token", "Token {viewer}", "Basic dXNlcjpwdw=="])
def test_a_call_without_a_valid_token_is_401(client, tokens, header) -> None:
    extra = {"HTTP_AUTHORIZATION": header.format(**tokens)} if header else {}
    response = client.get(f"{BASE}/orders", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="juchu"'
    assert response.json()["detail"].startswith("認証が必要です")


def test_a_revoked_token_and_a_deactivated_user_are_401(as_, tokens) -> None:
    # given two working tokens
    assert as_("viewer").get("/orders").status_code == 200
    assert as_("operator").get("/orders").status_code == 200
    # when one token is revoked and the other user is deactivated
    call_command("api_token", user="viewer", revoke=tokens["viewer"][:12])
    get_user_model().objects.filter(username="operator").update(is_active=False)
    # then both are refused
    assert as_("viewer").get("/orders").status_code == 401
    assert as_("operator").get("/orders").status_code == 401


def test_tokens_are_stored_only_as_a_hash(tokens) -> None:
    row = ApiToken.objects.get(user__username="viewer")
    assert row.key_hash == hash_token(tokens["viewer"])
    stored = json.dumps(list(ApiToken.objects.values()), default=str)
    assert tokens["viewer"] not in stored
    assert row.prefix == tokens["viewer"][:12]


def test_the_api_token_command_prints_a_token_that_works(as_, tokens, capsys) -> None:
    call_command("api_token", user="viewer", name="連携スクリプト")
    token = capsys.readouterr().out.strip()
    assert token.startswith("juchu_")
    assert ApiToken.objects.get(key_hash=hash_token(token)).name == "連携スクリプト"
    assert as_(token).get("/shops").status_code == 200
    with pytest.raises(CommandError, match="登録されていません"):
        call_command("api_token", user="nosuchuser")


def _write_operations() -> list[tuple[str, str]]:
    """Every non-GET operation of the schema, with its path ids filled in by 1."""
    paths = api.get_openapi_schema()["paths"]
    found = []
    for path, ops in paths.items():
        for method in ops:
            if method != "get":
                concrete = path.removeprefix(BASE)
                for name in ("order_id", "package_id", "line_id", "shop_id", "product_id", "mapping_id"):
                    concrete = concrete.replace("{" + name + "}", "1")
                found.append((method, concrete))
    return found


def test_a_viewer_gets_403_on_every_write_and_nothing_changes(as_, orders) -> None:
    # given the state before
    versions = dict(Order.objects.values_list("id", "version"))
    counts = (
        OrderEvent.objects.count(),
        Product.objects.count(),
        MallItemMapping.objects.count(),
        Shop.objects.count(),
    )
    writes = _write_operations()
    assert len(writes) >= 13
    for who in ("viewer", "nobody"):
        for method, path in writes:
            # when a viewer (or a user without a role) calls it, even with a valid body
            body = {"reason": "x", "tag": "hold", "quantity": 1, "code": "X", "name": "x", "mall": "manual"}
            response = getattr(as_(who), method)(path.replace("/1/", f"/{orders['S-1'].pk}/", 1), body)
            # then it is forbidden
            assert response.status_code == 403, (who, method, path, response.content)
            assert "権限が必要です" in response.json()["detail"]
    assert dict(Order.objects.values_list("id", "version")) == versions
    assert counts == (
        OrderEvent.objects.count(),
        Product.objects.count(),
        MallItemMapping.objects.count(),
        Shop.objects.count(),
    )


def test_an_operator_may_act_on_orders_but_not_write_the_catalogue_or_shops(as_, orders) -> None:
    op = as_("operator")
    assert op.post(f"/orders/{orders['S-1'].pk}/hold", {"tag": "hold", "reason": "確認中"}).status_code == 200
    assert op.post("/products", {"code": "SKU-NEW"}).status_code == 403
    assert op.patch(f"/shops/{orders['S-1'].shop_id}", {"name": "x"}).status_code == 403
    assert not Product.objects.filter(code="SKU-NEW").exists()


def test_the_openapi_schema_is_public(client) -> None:
    schema = client.get(f"{BASE}/openapi.json").json()
    assert schema["components"]["securitySchemes"] == {"TokenAuth": {"type": "http", "scheme": "bearer"}}
    assert "/api/v1/orders/{order_id}/release-tag" in schema["paths"]


# -- the order list ------------------------------------------------------------------------------------------


def test_the_list_shows_tags_packages_and_shipments(as_, orders) -> None:
    items = {o["mall_order_number"]: o for o in as_("viewer").get("/orders").json()["items"]}
    assert list(items) == ["S-3", "S-2", "S-1"]  # newest first
    s1, s3 = items["S-1"], items["S-3"]
    assert (s1["status"], s1["status_label"], s1["shop"]["code"]) == ("awaiting_check", "確認待", "demo")
    tags = {t["code"]: t for t in s1["tags"]}
    assert (tags["quantity_anomaly"]["label"], tags["quantity_anomaly"]["source"]) == ("数量異常", "system")
    assert s1["packages"][0]["shipments"] == []
    shipment = Shipment.objects.get(package__order=orders["S-3"])
    [package] = s3["packages"]
    assert package["shipments"] == [
        {
            "carrier": shipment.carrier_code,
            "carrier_name": "日本郵便 楽天倉庫出荷",
            "tracking_numbers": sorted(p.tracking_number for p in shipment.parcels.all()),
            "shipped_on": shipment.shipped_on.isoformat(),
        }
    ]
    assert len(package["shipments"][0]["tracking_numbers"]) == 2


def test_the_list_takes_a_fixed_number_of_queries(as_, orders, world, fakes, clock) -> None:
    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert as_("viewer").get("/orders").status_code == 200
        return len(captured)

    queries_for_list()  # the token's first use of the minute writes last_used_at
    before = queries_for_list()
    mall, _ = fakes
    for i in range(5):
        mall.put(mall_order(f"N-{i}", clock.now, item="item-a"), clock.now)
    sweep(clock, seconds=1)
    assert Order.objects.count() == 8
    assert queries_for_list() == before <= 8


def test_the_list_filters_like_the_web_list(as_, orders) -> None:
    v = as_("viewer")
    assert numbers(v.get("/orders", tab="awaiting_check")) == ["S-1"]
    assert numbers(v.get("/orders", tab="action")) == ["S-1"]
    assert numbers(v.get("/orders", tag="quantity_anomaly")) == ["S-1"]
    assert numbers(v.get("/orders", sku="SKU-B")) == ["S-2"]
    assert numbers(v.get("/orders", q="鈴木")) == ["S-2"]
    assert numbers(v.get("/orders", q="S-3")) == ["S-3"]
    assert numbers(v.get("/orders", shop=orders["S-1"].shop_id, sort="ordered_at")) == ["S-1", "S-2", "S-3"]
    assert numbers(v.get("/orders", mall="yahoo")) == []
    assert numbers(v.get("/orders", payment_method="銀行振込")) == []
    assert numbers(v.get("/orders", delivery_method="宅配便", sort="-total")) == ["S-1", "S-3", "S-2"]
    assert len(numbers(v.get("/orders", date_from="2000-01-01", date_to="2099-12-31"))) == 3
    assert numbers(v.get("/orders", date_from="2099-01-01")) == []


def test_the_list_pages_by_cursor_without_gaps_or_repeats(as_, orders) -> None:
    v = as_("viewer")
    seen, cursor = [], None
    for _ in range(5):
        page = v.get("/orders", limit=1, **({"cursor": cursor} if cursor else {})).json()
        seen += [o["mall_order_number"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["S-3", "S-2", "S-1"]
    # and back from the last page
    last = v.get("/orders", limit=1, cursor=v.get("/orders", limit=2).json()["next_cursor"]).json()
    assert numbers_of(v.get("/orders", limit=1, cursor=last["prev_cursor"])) == ["S-2"]


def numbers_of(response) -> list[str]:
    return numbers(response)


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"tab": "bogus"}, "tab", "次のいずれか"),
        ({"sort": "name"}, "sort", "次のいずれか"),
        ({"shop": "abc"}, "shop", "整数"),
        ({"date_from": "2026-13-01"}, "date_from", "YYYY-MM-DD"),
        ({"date_to": "1999-12-31"}, "date_to", "2000-01-01"),
        ({"limit": "0"}, "limit", "1 以上"),
        ({"limit": "501"}, "limit", "500 以下"),
        ({"cursor": "garbage"}, "cursor", "ページ位置"),
        # a well-formed cursor for another sort order, and one with a forged value
        ({"cursor": base64.urlsafe_b64encode(b"[1200,1,false]").decode()}, "cursor", "並び順"),
        ({"cursor": base64.urlsafe_b64encode(b'[{"dt":"2026-01-01T00:00:00"},1,false]').decode()}, "cursor", "並び順"),
        ({"q": "a\x00b"}, "q", "制御文字"),
    ],
)
def test_bad_list_parameters_are_422_with_the_field_in_japanese(as_, tokens, params, field, words) -> None:
    response = as_("viewer").get("/orders", **params)
    assert response.status_code == 422, response.content
    body = response.json()
    assert [e["field"] for e in body["errors"]] == [field]
    assert words in body["detail"], body


# -- detail ----------------------------------------------------------------------------------------------------


def test_the_detail_has_address_lines_and_timeline(as_, orders) -> None:
    order = orders["S-1"]
    detail = as_("viewer").get(f"/orders/{order.pk}").json()
    assert (detail["mall_order_number"], detail["version"], detail["warehouse"]) == ("S-1", order.version, "rsl")
    [package] = detail["packages"]
    assert (package["postal_code"], package["prefecture"], package["city"]) == ("1000001", "東京都", "千代田区")
    [line] = detail["lines"]
    assert (line["sku"], line["quantity"], line["mall_item_id"]) == ("SKU-A", 11, "item-a")
    kinds = [e["kind"] for e in detail["events"]]
    assert "transition" in kinds
    assert detail["events"][-1]["to_status"] in ("", "awaiting_check")


def test_an_unknown_order_is_404(as_, tokens) -> None:
    response = as_("viewer").get("/orders/999999")
    assert response.status_code == 404
    assert response.json()["detail"] == "指定された注文が見つかりません"


# -- actions ---------------------------------------------------------------------------------------------------


def test_hold_and_release_tag_change_the_order_and_its_timeline(as_, orders) -> None:
    op, order = as_("operator"), orders["S-2"]
    # S-2 is with the warehouse (出荷作業中): it can no longer be stopped
    response = op.post(f"/orders/{order.pk}/hold", {"tag": "check_gift", "reason": "のし確認"})
    assert response.status_code == 409
    assert "停止できません" in response.json()["detail"]
    # S-1 in 確認待 takes an operator tag, and loses it again
    order = orders["S-1"]
    response = op.post(f"/orders/{order.pk}/hold", {"tag": "check_gift", "reason": "のし確認"})
    assert response.status_code == 200, response.content
    assert response.json()["result"] == "held"
    assert "check_gift" in [t["code"] for t in response.json()["order"]["tags"]]
    assert OrderTag.objects.get(order=order, code="check_gift").reason == "のし確認"
    response = op.post(f"/orders/{order.pk}/release-tag", {"tag": "check_gift", "reason": "確認済み"})
    assert response.status_code == 200, response.content
    assert not OrderTag.objects.filter(order=order, code="check_gift").exists()
    [removed] = events(order, "tag_removed")
    assert (removed.actor, removed.reason) == ("api:operator", "確認済み")
    # a tag the order does not carry cannot be released
    response = op.post(f"/orders/{order.pk}/release-tag", {"tag": "check_gift"})
    assert response.status_code == 409
    assert "付いていません" in response.json()["detail"]


def test_confirm_moves_a_stopped_order_on_with_the_reason_logged(as_, orders) -> None:
    order = orders["S-1"]
    response = as_("operator").post(
        f"/orders/{order.pk}/confirm", {"reason": "業務用の大口注文", "version": order.version}
    )
    assert response.status_code == 200, response.content
    assert response.json()["order"]["status"] != "awaiting_check"
    [event] = events(order, "confirmed_by_hand")
    assert (event.actor, event.reason, event.detail) == (
        "api:operator",
        "業務用の大口注文",
        {"overridden": ["quantity_anomaly"]},
    )
    # a blank reason never reaches the action
    response = as_("operator").post(f"/orders/{order.pk}/confirm", {"reason": "  "})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "reason", "message": "理由を入力してください"}]


def test_cancel_cancels_before_shipping_and_asks_for_a_withdrawal_while_shipping(as_, orders) -> None:
    op = as_("operator")
    response = op.post(f"/orders/{orders['S-1'].pk}/cancel", {"reason": "お客様都合"})
    assert response.status_code == 200, response.content
    assert (response.json()["result"], response.json()["order"]["status"]) == ("cancelled", "cancelled")
    assert events(orders["S-1"], "transition")[-1].actor == "api:operator"
    response = op.post(f"/orders/{orders['S-2'].pk}/cancel", {"reason": "お客様都合"})
    assert response.json()["result"] == "withdrawal_requested"
    assert events(orders["S-2"], "cancel_requested")[0].actor == "api:operator"
    response = op.post(f"/orders/{orders['S-3'].pk}/cancel", {"reason": "お客様都合"})
    assert response.status_code == 409
    assert "キャンセルできません" in response.json()["detail"]


def test_edit_package_and_line_change_them_and_log_the_diff(as_, orders) -> None:
    op, order = as_("operator"), orders["S-1"]
    package = Package.objects.get(order=order)
    line = OrderLine.objects.get(order=order)
    response = op.post(
        f"/orders/{order.pk}/packages/{package.pk}",
        {"city": "港区", "address1": "芝公園4-2-8", "requested_date": None, "delivery_time": "14-16"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["result"] == "edited"
    package.refresh_from_db()
    assert (package.city, package.address1, package.delivery_time) == ("港区", "芝公園4-2-8", "14-16")
    [edited] = events(order, "edited")
    assert edited.actor == "api:operator"
    assert edited.detail["changes"]["city"] == ["千代田区", "港区"]
    # the same edit again changes nothing
    response = op.post(f"/orders/{order.pk}/packages/{package.pk}", {"city": "港区"})
    assert response.json()["result"] == "unchanged"
    response = op.post(f"/orders/{order.pk}/lines/{line.pk}", {"quantity": 2})
    assert response.status_code == 200, response.content
    line.refresh_from_db()
    assert line.quantity == 2
    assert events(order, "edited")[-1].detail == {"line": line.pk, "quantity": [11, 2]}
    # a package of another order is not found; a shipping order cannot be edited
    other = Package.objects.get(order=orders["S-2"])
    assert op.post(f"/orders/{order.pk}/packages/{other.pk}", {"city": "x"}).status_code == 404
    response = op.post(f"/orders/{orders['S-2'].pk}/packages/{other.pk}", {"city": "x"})
    assert response.status_code == 409
    assert op.post(f"/orders/{order.pk}/lines/{line.pk}", {"quantity": 0}).status_code == 422


def test_re_request_sends_an_unshippable_order_again(as_, orders, fakes, clock) -> None:
    _, warehouse = fakes
    order = orders["S-2"]
    [request] = [r for r in warehouse.accepted_requests() if r.mall_order_number == "S-2"]
    warehouse.refuse(request.request_id, "在庫不足")
    sweep(clock, seconds=5)
    sweep(clock, seconds=5)
    order.refresh_from_db()
    assert order.status == "awaiting_check", order.explanation
    response = as_("operator").post(f"/orders/{order.pk}/re-request", {"version": order.version})
    assert response.status_code == 200, response.content
    assert [e.actor for e in events(order, "re_request")] == ["api:operator"]
    assert not OrderTag.objects.filter(order=order, code="unshippable").exists()


def test_a_stale_version_is_409_and_changes_nothing(as_, orders) -> None:
    op, order = as_("operator"), orders["S-1"]
    stale = order.version
    assert op.post(f"/orders/{order.pk}/hold", {"tag": "a", "version": stale}).status_code == 200
    order.refresh_from_db()
    current = order.version
    tags = set(OrderTag.objects.filter(order=order).values_list("code", flat=True))
    assert {"a", "quantity_anomaly"} <= tags
    timeline = OrderEvent.objects.filter(order=order).count()
    for path, body in [
        ("confirm", {"reason": "確認", "version": stale}),
        ("hold", {"tag": "b", "version": stale}),
        ("release-tag", {"tag": "a", "version": stale}),
        ("cancel", {"reason": "x", "version": stale}),
        ("re-request", {"version": stale}),
        (f"lines/{OrderLine.objects.get(order=order).pk}", {"quantity": 3, "version": stale}),
        (f"packages/{Package.objects.get(order=order).pk}", {"city": "港区", "version": stale}),
    ]:
        response = op.post(f"/orders/{order.pk}/{path}", body)
        assert response.status_code == 409, (path, response.content)
        assert "読み直して" in response.json()["detail"]
    order.refresh_from_db()
    assert (order.version, order.status) == (current, "awaiting_check")
    assert set(OrderTag.objects.filter(order=order).values_list("code", flat=True)) == tags
    assert OrderEvent.objects.filter(order=order).count() == timeline


# -- shipments, catalogue, shops ---------------------------------------------------------------------------------


def test_shipments_list_carrier_date_and_tracking_numbers(as_, orders) -> None:
    page = as_("viewer").get("/shipments", order=orders["S-3"].pk).json()
    [item] = page["items"]
    assert (item["mall_order_number"], item["shop"], len(item["tracking_numbers"])) == ("S-3", "demo", 2)
    assert as_("viewer").get("/shipments", order=orders["S-1"].pk).json()["items"] == []


def test_an_admin_maps_an_item_and_the_waiting_order_picks_it_up(as_, world, fakes, clock) -> None:
    mall, _ = fakes
    mall.put(mall_order("U-1", clock.now, item="item-new"), clock.now)
    sweep(clock, seconds=1)
    sweep(clock, minutes=31)
    order = Order.objects.get(mall_order_number="U-1")
    assert OrderTag.objects.filter(order=order, code="unmapped_item").exists()
    admin = as_("admin")
    response = admin.post("/products", {"code": "SKU-NEW", "name": "新商品", "price": 1500})
    assert response.status_code == 200, response.content
    body = {"shop": world["shop"].pk, "mall_item_id": "item-new", "sku": "SKU-NEW", "safety_stock": 2}
    response = admin.post("/mappings", body)
    assert response.status_code == 200, response.content
    assert (response.json()["sku"], response.json()["safety_stock"]) == ("SKU-NEW", 2)
    assert OrderLine.objects.get(order=order).product.code == "SKU-NEW"
    order.refresh_from_db()
    assert order.due_at is not None
    # the same SKU again is refused with the field named
    response = admin.post("/products", {"code": "SKU-NEW"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "code"
    response = admin.post("/mappings", {**body, "sku": "NOPE"})
    assert response.json()["errors"] == [{"field": "sku", "message": "SKU NOPE は登録されていません"}]


def test_an_admin_creates_a_set_product_and_changes_a_shop(as_, world) -> None:
    admin = as_("admin")
    response = admin.post(
        "/products", {"code": "SET-2", "is_set": True, "components": [{"sku": "SKU-A", "quantity": 2}]}
    )
    assert response.status_code == 200, response.content
    assert response.json()["components"] == [{"sku": "SKU-A", "quantity": 2}]
    response = admin.patch(f"/shops/{world['shop'].pk}", {"quantity_threshold": 3, "mail_from": "not-an-email"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "mail_from"
    response = admin.patch(f"/shops/{world['shop'].pk}", {"quantity_threshold": 3})
    assert response.status_code == 200, response.content
    assert Shop.objects.get(pk=world["shop"].pk).quantity_threshold == 3
    assert "credentials" not in response.json()
    response = admin.post("/shops", {"code": "yahoo1", "name": "ヤフー店", "mall": "yahoo", "warehouse": "rsl"})
    assert response.status_code == 200, response.content
    assert as_("viewer").get("/shops").json()["items"][-1]["code"] == "yahoo1"


def test_stock_and_products_list_in_pages(as_, world) -> None:
    v = as_("viewer")
    first = v.get("/stock", limit=2).json()
    second = v.get("/stock", limit=10, cursor=first["next_cursor"]).json()
    skus = [s["sku"] for s in first["items"] + second["items"]]
    assert skus == ["SKU-A", "SKU-B", "SKU-C", "SKU-RARE"]
    assert second["next_cursor"] is None
    assert v.get("/stock", sku="SKU-RARE").json()["items"][0]["available"] == 0
    assert [p["code"] for p in v.get("/products", code="SET").json()["items"]] == ["SET-AB"]
