"""The settings screens (設定) through Django's test client: who may see them, and what each change does."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from juchu.catalog.models import MallItemMapping, Product, SetComponent
from juchu.domain.status import OrderStatus
from juchu.fulfillment.models import WarehouseClosure
from juchu.orders.advance import advance_all_due
from juchu.orders.importing import import_orders
from juchu.orders.models import Order, OrderLine, OrderTag, TagRule
from juchu.shops.models import DeliveryMethodMapping, PaymentMethodMapping, Shop
from juchu.web.auth import Role, create_user, user_role
from tests.integration.conftest import mall_order

PASSWORD = "Juchu-test-pass-2026"
SECRET = "SECRET-abcdef-9876543210"

# Every settings URL, with the arguments it needs (filled in from the world), and its method.
URLS = [
    ("settings-index", (), "get"),
    ("settings-shops", (), "get"),
    ("settings-shop-new", (), "get"),
    ("settings-shop", ("shop",), "get"),
    ("settings-shop-test", ("shop",), "post"),
    ("settings-delivery-add", ("shop",), "post"),
    ("settings-delivery-delete", ("shop", "delivery"), "post"),
    ("settings-payment-add", ("shop",), "post"),
    ("settings-payment-delete", ("shop", "payment"), "post"),
    ("settings-products", (), "get"),
    ("settings-product-new", (), "get"),
    ("settings-product", ("product",), "get"),
    ("settings-mappings", (), "get"),
    ("settings-mapping-new", (), "get"),
    ("settings-mapping", ("mapping",), "get"),
    ("settings-mapping-delete", ("mapping",), "post"),
    ("settings-rules", (), "get"),
    ("settings-rule-new", (), "get"),
    ("settings-rule-preview", (), "post"),
    ("settings-rule", ("rule",), "get"),
    ("settings-rule-delete", ("rule",), "post"),
    ("settings-warehouses", (), "get"),
    ("settings-warehouse", ("warehouse",), "get"),
    ("settings-closure-add", ("warehouse",), "post"),
    ("settings-closure-delete", ("warehouse", "closure"), "post"),
    ("settings-users", (), "get"),
    ("settings-user", ("user",), "get"),
    ("settings-user-role", ("user",), "post"),
    ("settings-user-active", ("user",), "post"),
    ("settings-user-password", ("user",), "post"),
]


@pytest.fixture
def admin(db):
    return create_user("kanri", PASSWORD, Role.ADMIN)


@pytest.fixture
def admin_client(admin) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    return client


def csrf_post(client: Client, url: str, data: dict | None = None, **extra) -> object:
    """A POST with the CSRF token a browser would send (taken from the cookie set by a GET)."""
    client.get(reverse("settings-index"))
    token = client.cookies["csrftoken"].value
    return client.post(url, {**(data or {}), "csrfmiddlewaretoken": token}, **extra)


def objects_for_urls(world, admin) -> dict[str, int]:
    shop = world["shop"]
    rule = TagRule.objects.create(
        name="既存", tag_code="old", tag_label="旧", conditions=[{"field": "remarks", "op": "contains", "value": "x"}]
    )
    closure = WarehouseClosure.objects.create(warehouse=world["warehouse"], date=date(2026, 12, 31))
    return {
        "shop": shop.pk,
        "delivery": shop.delivery_methods.first().pk,
        "payment": shop.payment_methods.first().pk,
        "product": world["products"]["SKU-A"].pk,
        "mapping": MallItemMapping.objects.first().pk,
        "rule": rule.pk,
        "warehouse": world["warehouse"].pk,
        "closure": closure.pk,
        "user": admin.pk,
    }


def place_orders(world, clock, *orders) -> None:
    """Import orders placed two hours ago (past the grace period) and let the pipeline decide them."""
    import_orders(world["shop"], list(orders), clock.now)
    advance_all_due(clock.advance(seconds=1))


def advance_after_change(clock) -> None:
    """The advance sweep after a settings change (the views stamp orders due at the wall clock's now)."""
    advance_all_due(max(clock.advance(seconds=1), timezone.now() + timedelta(seconds=1)))


def page(response) -> str:
    return response.content.decode()


# -- access ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.VIEWER])
def test_operators_and_viewers_get_403_on_every_settings_url(world, admin, role) -> None:
    ids = objects_for_urls(world, admin)
    client = Client()
    client.force_login(create_user(f"user-{role.code}", PASSWORD, role))
    for name, args, method in URLS:
        url = reverse(name, args=[ids[a] for a in args])
        response = getattr(client, method)(url)
        assert response.status_code == 403, (name, response.status_code)
    assert TagRule.objects.count() == 1
    assert WarehouseClosure.objects.count() == 1


def test_anonymous_users_are_sent_to_the_login_page(world, admin) -> None:
    ids = objects_for_urls(world, admin)
    client = Client()
    for name, args, method in URLS:
        url = reverse(name, args=[ids[a] for a in args])
        response = getattr(client, method)(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name


def test_every_url_answers_the_admin(world, admin, admin_client) -> None:
    ids = objects_for_urls(world, admin)
    for name, args, method in URLS:
        if method == "get":
            response = admin_client.get(reverse(name, args=[ids[a] for a in args]))
            assert response.status_code == 200, name


def test_a_post_without_the_csrf_token_is_refused(world, admin_client) -> None:
    response = admin_client.post(reverse("settings-shop-test", args=[world["shop"].pk]))
    assert response.status_code == 403


def test_the_index_links_every_section(admin_client, db) -> None:
    html = page(admin_client.get(reverse("settings-index")))
    for name in ("settings-shops", "settings-products", "settings-mappings", "settings-rules", "settings-warehouses"):
        assert f'href="{reverse(name)}"' in html
    assert f'href="{reverse("settings-users")}"' in html


# -- shops -------------------------------------------------------------------------------------------------


def shop_data(shop: Shop, **changes) -> dict:
    data = {
        "name": shop.name,
        "warehouse": shop.warehouse_id,
        "active": "on",
        "grace_minutes": "",
        "quantity_threshold": shop.quantity_threshold,
        "confirm_at_mall": "on",
        "thanks_mail": "on",
        "shipping_mail": "on",
        "cancel_mail": "on",
        "mail_from": "",
        "connector": shop.connector,
        "api_base_url": "",
        "key_expires_on": "",
    }
    data.update(changes)
    return data


def test_saving_a_shop_stores_its_settings_and_never_shows_the_credentials_again(world, admin_client) -> None:
    shop = world["shop"]
    url = reverse("settings-shop", args=[shop.pk])
    response = csrf_post(
        admin_client,
        url,
        shop_data(shop, grace_minutes="45", quantity_threshold="3", **{"cred__serviceSecret": SECRET}),
    )
    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.grace_period_seconds == 45 * 60
    assert shop.quantity_threshold == 3
    assert shop.credentials == {"serviceSecret": SECRET}
    html = page(admin_client.get(url))
    assert SECRET not in html
    assert "設定済み (••••3210)" in html

    # An empty input keeps the stored value; a new key is added; the HTML never shows either.
    csrf_post(
        admin_client,
        url,
        shop_data(shop, new_credential_name="extraKey", new_credential_value="another-secret-value-42"),
    )
    shop.refresh_from_db()
    assert shop.credentials == {"serviceSecret": SECRET, "extraKey": "another-secret-value-42"}
    html = page(admin_client.get(url))
    assert SECRET not in html and "another-secret-value-42" not in html


@pytest.mark.parametrize(
    ("mall", "names"),
    [
        ("yahoo", ["seller_id", "client_id", "client_secret", "refresh_token", "public_key"]),
        ("amazon", ["client_id", "client_secret", "refresh_token", "seller_id"]),
        ("aupay", ["shopId", "apiKey"]),
        ("qoo10", ["api_key", "user_id", "password"]),
        ("makeshop", ["shop_id", "order_token", "product_token"]),
    ],
)
def test_each_malls_credential_names_are_offered(world, admin_client, mall, names) -> None:
    shop = world["shop"]
    Shop.objects.filter(pk=shop.pk).update(mall=mall, connector=mall)

    html = page(admin_client.get(reverse("settings-shop", args=[shop.pk])))

    for name in names:
        assert f'name="cred__{name}"' in html, name


def test_a_pem_public_key_is_entered_in_a_text_area_and_kept_with_its_lines(world, admin_client) -> None:
    shop = world["shop"]
    Shop.objects.filter(pk=shop.pk).update(mall="yahoo", connector="yahoo")
    shop.refresh_from_db()
    url = reverse("settings-shop", args=[shop.pk])
    assert '<textarea name="cred__public_key"' in page(admin_client.get(url))
    pem = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n"

    csrf_post(admin_client, url, shop_data(shop, **{"cred__public_key": pem}))

    shop.refresh_from_db()
    assert shop.credentials["public_key"].replace("\r\n", "\n") == pem
    assert "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE" not in page(admin_client.get(url))


def test_a_ticked_credential_is_removed(world, admin_client) -> None:
    shop = world["shop"]
    shop.credentials = {"licenseKey": SECRET}
    shop.save()
    csrf_post(admin_client, reverse("settings-shop", args=[shop.pk]), shop_data(shop, clear__licenseKey="on"))
    shop.refresh_from_db()
    assert shop.credentials == {}


def test_shop_form_errors_are_shown_and_nothing_is_saved(world, admin_client) -> None:
    shop = world["shop"]
    response = csrf_post(
        admin_client,
        reverse("settings-shop", args=[shop.pk]),
        shop_data(shop, quantity_threshold="many", **{"cred__serviceSecret": SECRET}),
    )
    assert response.status_code == 200
    html = page(response)
    assert 'class="errorlist"' in html
    assert SECRET not in html
    shop.refresh_from_db()
    assert shop.quantity_threshold == 10 and shop.credentials == {}


def test_the_shop_form_shows_its_labels_and_errors_in_english_when_english_is_chosen(world, admin_client) -> None:
    # Given an admin who switched the UI to English
    shop = world["shop"]
    url = reverse("settings-shop", args=[shop.pk])
    csrf_post(admin_client, reverse("set-language"), {"language": "en", "next": url})

    # When they save the shop with the split-shipment warehouse equal to the shipping warehouse
    response = csrf_post(admin_client, url, shop_data(shop, split_warehouse=shop.warehouse_id))

    # Then the form's labels and its error come out in English, and nothing is saved
    html = page(response)
    assert response.status_code == 200
    assert ">Shipping warehouse" in html and ">Split-shipment warehouse" in html
    assert ">Grace period (minutes)" in html
    assert "Choose a warehouse other than the shipping warehouse" in html
    assert "出荷倉庫" not in html and "分割出荷先の倉庫" not in html and "猶予時間" not in html
    assert Shop.objects.get(pk=shop.pk).split_warehouse_id is None


def test_a_new_shop_can_be_created(world, admin_client) -> None:
    data = shop_data(world["shop"], code="yahoo-1", name="ヤフー店", mall="yahoo", connector="")
    response = csrf_post(admin_client, reverse("settings-shop-new"), data)
    assert response.status_code == 302
    created = Shop.objects.get(code="yahoo-1")
    assert (created.name, created.mall, created.warehouse_id) == ("ヤフー店", "yahoo", world["warehouse"].pk)


def test_connection_test_against_the_fake_mall_succeeds(world, fakes, admin_client) -> None:
    mall, _warehouse = fakes
    response = csrf_post(admin_client, reverse("settings-shop-test", args=[world["shop"].pk]), HTTP_HX_REQUEST="true")
    html = page(response)
    assert "接続成功" in html and "直近1分の受注 0 件" in html
    assert mall.calls["fetch_new_orders"] == 1


def test_connection_test_shows_the_connectors_error(world, fakes, admin_client) -> None:
    mall, _warehouse = fakes
    mall.fail_next = 1
    response = csrf_post(admin_client, reverse("settings-shop-test", args=[world["shop"].pk]))
    html = page(response)
    assert "接続失敗" in html
    assert "fake mall: fetch_new_orders failed (HTTP 503) [503]" in html


def test_connection_test_names_an_unknown_connector(world, admin_client) -> None:
    shop = world["shop"]
    shop.connector = "nosuchmall"
    shop.save()
    html = page(csrf_post(admin_client, reverse("settings-shop-test", args=[shop.pk])))
    assert "接続失敗" in html and "モールコネクタ &#x27;nosuchmall&#x27; は登録されていません" in html


def test_adding_a_delivery_method_releases_orders_that_waited_for_it(world, clock, admin_client) -> None:
    order = replace(mall_order("200-1", clock.now - timedelta(hours=2)), packages=())
    package = replace(mall_order("x", clock.now).packages[0], delivery_method="メール便")
    place_orders(world, clock, replace(order, packages=(package,)))
    assert Order.objects.get(mall_order_number="200-1").status == OrderStatus.AWAITING_CHECK.value

    url = reverse("settings-delivery-add", args=[world["shop"].pk])
    response = csrf_post(
        admin_client,
        url,
        {"delivery-mall_method": "メール便", "delivery-warehouse_method": "NEKOPOS"},
        HTTP_HX_REQUEST="true",
    )
    assert "NEKOPOS" in page(response)
    assert DeliveryMethodMapping.objects.filter(shop=world["shop"], mall_method="メール便").exists()
    advance_after_change(clock)
    assert "unknown_delivery_method" not in set(OrderTag.objects.values_list("code", flat=True))


def test_a_duplicate_payment_method_shows_an_error_and_a_mapping_can_be_deleted(world, admin_client) -> None:
    shop = world["shop"]
    url = reverse("settings-payment-add", args=[shop.pk])
    response = csrf_post(
        admin_client, url, {"payment-mall_method": "代金引換", "payment-kind": "cod"}, HTTP_HX_REQUEST="true"
    )
    assert "「代金引換」はすでに登録されています" in page(response)
    assert PaymentMethodMapping.objects.filter(shop=shop).count() == 3
    cod = PaymentMethodMapping.objects.get(shop=shop, mall_method="代金引換")
    csrf_post(admin_client, reverse("settings-payment-delete", args=[shop.pk, cod.pk]), HTTP_HX_REQUEST="true")
    assert set(PaymentMethodMapping.objects.filter(shop=shop).values_list("mall_method", flat=True)) == {
        "クレジットカード",
        "銀行振込",
    }


# -- catalogue ---------------------------------------------------------------------------------------------


def test_products_are_searched_by_sku_name_or_mall_item(world, admin_client) -> None:
    url = reverse("settings-products")
    assert "SKU-B" in page(admin_client.get(url, {"q": "商品B"}))
    html = page(admin_client.get(url, {"q": "item-rare"}))
    assert "SKU-RARE" in html and "SKU-A" not in html
    html = page(admin_client.get(url, {"kind": "set"}))
    assert "SET-AB" in html and "SKU-C" not in html


def test_product_list_is_paged(world, admin_client) -> None:
    Product.objects.bulk_create(Product(code=f"BULK-{i:03d}") for i in range(60))
    first = page(admin_client.get(reverse("settings-products"), {"q": "BULK"}))
    second = page(admin_client.get(reverse("settings-products"), {"q": "BULK", "page": 2}))
    assert "BULK-000" in first and "BULK-049" in first and "BULK-050" not in first
    assert "BULK-050" in second and "BULK-059" in second and "1 / 2" in first


def test_a_set_is_created_with_its_components(world, admin_client) -> None:
    data = {
        "code": "SET-BC",
        "name": "BCセット",
        "is_set": "on",
        "price": "3000",
        "components-TOTAL_FORMS": "2",
        "components-INITIAL_FORMS": "0",
        "components-MIN_NUM_FORMS": "0",
        "components-MAX_NUM_FORMS": "1000",
        "components-0-component": "SKU-B",
        "components-0-quantity": "1",
        "components-1-component": "SKU-C",
        "components-1-quantity": "3",
    }
    response = csrf_post(admin_client, reverse("settings-product-new"), data)
    assert response.status_code == 302
    parts = SetComponent.objects.filter(set_product__code="SET-BC").values_list("component__code", "quantity")
    assert sorted(parts) == [("SKU-B", 1), ("SKU-C", 3)]


def test_a_duplicate_sku_shows_an_error(world, admin_client) -> None:
    data = {"code": "SKU-A", "name": "", "price": "0", "components-TOTAL_FORMS": "0", "components-INITIAL_FORMS": "0"}
    response = csrf_post(admin_client, reverse("settings-product-new"), data)
    assert response.status_code == 200 and 'class="errorlist' in page(response)
    assert Product.objects.filter(code="SKU-A").count() == 1


def test_a_new_mapping_is_picked_up_by_waiting_orders(world, clock, admin_client) -> None:
    place_orders(world, clock, mall_order("300-1", clock.now - timedelta(hours=2), item="item-new"))
    assert Order.objects.get(mall_order_number="300-1").status == OrderStatus.AWAITING_CHECK.value
    data = {
        "shop": world["shop"].pk,
        "mall_item_id": "item-new",
        "mall_variant_id": "",
        "product": "SKU-C",
        "sync_stock": "on",
        "safety_stock": "0",
    }
    response = csrf_post(admin_client, reverse("settings-mapping-new"), data)
    assert response.status_code == 302
    assert OrderLine.objects.get(order__mall_order_number="300-1").product.code == "SKU-C"
    advance_after_change(clock)
    assert Order.objects.get(mall_order_number="300-1").status != OrderStatus.AWAITING_CHECK.value


def test_mapping_to_an_unknown_sku_shows_an_error(world, admin_client) -> None:
    data = {"shop": world["shop"].pk, "mall_item_id": "item-x", "product": "NOPE", "safety_stock": "0"}
    response = csrf_post(admin_client, reverse("settings-mapping-new"), data)
    assert "その SKU は登録されていません" in page(response)
    assert not MallItemMapping.objects.filter(mall_item_id="item-x").exists()


def test_mappings_are_searched_and_deleted(world, admin_client) -> None:
    html = page(admin_client.get(reverse("settings-mappings"), {"q": "SKU-RARE"}))
    assert "item-rare" in html and "item-a" not in html
    mapping = MallItemMapping.objects.get(mall_item_id="item-rare")
    csrf_post(admin_client, reverse("settings-mapping-delete", args=[mapping.pk]))
    assert not MallItemMapping.objects.filter(pk=mapping.pk).exists()


# -- rules -------------------------------------------------------------------------------------------------


def rule_data(*conditions: tuple[str, str, str], **fields) -> dict:
    data = {
        "name": "ギフト包装",
        "tag_code": "gift-wrap",
        "tag_label": "ギフト包装",
        "shop": "",
        "match": "all",
        "stop_at": "awaiting_check",
        "enabled": "on",
        "position": "0",
        "cond-TOTAL_FORMS": str(len(conditions)),
        "cond-INITIAL_FORMS": "0",
        "cond-MIN_NUM_FORMS": "0",
        "cond-MAX_NUM_FORMS": "1000",
    }
    for i, (field, op, value) in enumerate(conditions):
        data.update({f"cond-{i}-field": field, f"cond-{i}-op": op, f"cond-{i}-value": value})
    data.update(fields)
    return data


def test_rule_preview_lists_the_matching_orders_and_not_the_others(world, clock, admin_client) -> None:
    ordered = clock.now - timedelta(hours=2)
    place_orders(
        world,
        clock,
        replace(mall_order("400-1", ordered), remarks="ギフト包装をお願いします"),
        replace(mall_order("400-2", ordered), remarks="特になし"),
        mall_order("400-3", ordered, quantity=2),
    )
    response = csrf_post(
        admin_client,
        reverse("settings-rule-preview"),
        rule_data(("remarks", "contains", "ギフト")),
        HTTP_HX_REQUEST="true",
    )
    html = page(response)
    assert "直近の受注 3 件のうち 1 件が一致します" in html
    assert "400-1" in html and "400-2" not in html and "400-3" not in html
    assert not TagRule.objects.exists()
    assert not OrderTag.objects.filter(code="gift-wrap").exists()


def test_rule_preview_with_any_and_a_numeric_condition(world, clock, admin_client) -> None:
    ordered = clock.now - timedelta(hours=2)
    place_orders(
        world,
        clock,
        replace(mall_order("410-1", ordered), remarks="ギフト"),
        mall_order("410-2", ordered, quantity=3),
        mall_order("410-3", ordered),
    )
    data = rule_data(("remarks", "contains", "ギフト"), ("total", "ge", "3000"), match="any")
    html = page(csrf_post(admin_client, reverse("settings-rule-preview"), data))
    assert "410-1" in html and "410-2" in html and "410-3" not in html


def test_an_invalid_regex_is_reported_on_its_field(world, admin_client) -> None:
    data = rule_data(("remarks", "regex", "ギフト("))
    html = page(csrf_post(admin_client, reverse("settings-rule-preview"), data))
    assert "正規表現が不正です" in html
    response = csrf_post(admin_client, reverse("settings-rule-new"), data)
    assert response.status_code == 200
    assert "正規表現が不正です" in page(response)
    assert not TagRule.objects.exists()


def test_a_non_number_for_a_numeric_operator_is_reported(world, admin_client) -> None:
    response = csrf_post(admin_client, reverse("settings-rule-new"), rule_data(("total", "gt", "三千")))
    assert "「三千」は整数ではありません" in page(response)
    response = csrf_post(admin_client, reverse("settings-rule-new"), rule_data(("gift", "gt", "1")))
    assert "「より大きい」はギフト・のしには使えません" in page(response)
    assert not TagRule.objects.exists()


def test_a_rule_needs_a_condition_and_a_custom_tag_code(world, admin_client) -> None:
    response = csrf_post(admin_client, reverse("settings-rule-new"), rule_data(tag_code="unmapped_item"))
    html = page(response)
    assert "条件を1つ以上入力してください" in html
    assert "「unmapped_item」はシステムタグのコードです" in html
    assert not TagRule.objects.exists()


def test_a_saved_rule_tags_and_stops_open_orders_on_their_next_evaluation(world, clock, admin_client) -> None:
    ordered = clock.now - timedelta(hours=2)
    place_orders(
        world,
        clock,
        replace(mall_order("420-1", ordered, paid=False), remarks="ギフト包装"),
        replace(mall_order("420-2", ordered, paid=False), remarks="なし"),
    )
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.CHECKED.value}
    response = csrf_post(admin_client, reverse("settings-rule-new"), rule_data(("remarks", "contains", "ギフト")))
    assert response.status_code == 302
    rule = TagRule.objects.get()
    assert rule.conditions == [{"field": "remarks", "op": "contains", "value": "ギフト"}]
    assert (rule.stop_at, rule.enabled, rule.shop_id) == ("awaiting_check", True, None)

    advance_after_change(clock)
    assert list(OrderTag.objects.filter(code="gift-wrap").values_list("order__mall_order_number", flat=True)) == [
        "420-1"
    ]
    statuses = dict(Order.objects.values_list("mall_order_number", "status"))
    assert statuses == {"420-1": OrderStatus.AWAITING_CHECK.value, "420-2": OrderStatus.CHECKED.value}


def test_a_rule_is_edited_and_deleted(world, admin_client) -> None:
    rule = TagRule.objects.create(
        name="旧", tag_code="old", tag_label="旧", conditions=[{"field": "remarks", "op": "contains", "value": "x"}]
    )
    html = page(admin_client.get(reverse("settings-rule", args=[rule.pk])))
    assert 'value="x"' in html
    data = rule_data(("prefecture", "in", "沖縄県,北海道"), name="遠方", shop=str(world["shop"].pk), stop_at="")
    csrf_post(admin_client, reverse("settings-rule", args=[rule.pk]), data)
    rule.refresh_from_db()
    assert (rule.name, rule.shop_id, rule.stop_at) == ("遠方", world["shop"].pk, "")
    assert rule.conditions == [{"field": "prefecture", "op": "in", "value": "沖縄県,北海道"}]
    csrf_post(admin_client, reverse("settings-rule-delete", args=[rule.pk]))
    assert not TagRule.objects.exists()


# -- warehouses --------------------------------------------------------------------------------------------


def test_warehouse_cutoff_and_calendar_are_saved(world, admin_client) -> None:
    wh = world["warehouse"]
    data = {"name": "自社倉庫", "cutoff": "13:00", "calendar": "weekdays"}
    response = csrf_post(admin_client, reverse("settings-warehouse", args=[wh.pk]), data)
    assert response.status_code == 302
    wh.refresh_from_db()
    assert (wh.name, wh.cutoff, wh.every_day, wh.observe_holidays) == ("自社倉庫", time(13, 0), False, True)


def test_a_bad_cutoff_shows_an_error(world, admin_client) -> None:
    wh = world["warehouse"]
    response = csrf_post(
        admin_client, reverse("settings-warehouse", args=[wh.pk]), {"name": "x", "cutoff": "25:99", "calendar": "x"}
    )
    assert response.status_code == 200 and page(response).count('class="errorlist"') >= 2
    wh.refresh_from_db()
    assert wh.cutoff == time(15, 29)


def test_closures_are_added_and_removed(world, admin_client) -> None:
    wh = world["warehouse"]
    url = reverse("settings-closure-add", args=[wh.pk])
    csrf_post(admin_client, url, {"closure-date": "2026-12-31", "closure-note": "大晦日"})
    csrf_post(admin_client, url, {"closure-date": "2027-01-02", "closure-is_open": "on"})
    closures = list(WarehouseClosure.objects.filter(warehouse=wh).order_by("date").values_list("date", "is_open"))
    assert closures == [(date(2026, 12, 31), False), (date(2027, 1, 2), True)]
    assert wh.calendar().is_shipping_day(date(2026, 12, 31)) is False
    closure = WarehouseClosure.objects.get(date=date(2026, 12, 31))
    csrf_post(admin_client, reverse("settings-closure-delete", args=[wh.pk, closure.pk]))
    assert list(WarehouseClosure.objects.values_list("date", flat=True)) == [date(2027, 1, 2)]


# -- users -------------------------------------------------------------------------------------------------


def new_user_data(**changes) -> dict:
    data = {"username": "tanaka", "email": "tanaka@example.jp", "role": "operator"}
    data.update({"password1": PASSWORD, "password2": PASSWORD}, **changes)
    return data


def test_an_admin_creates_a_user_with_a_role(admin_client) -> None:
    response = csrf_post(admin_client, reverse("settings-users"), new_user_data())
    assert response.status_code == 302
    user = get_user_model().objects.get(username="tanaka")
    assert user_role(user) is Role.OPERATOR
    assert user.check_password(PASSWORD)


def test_a_weak_or_mismatched_password_is_refused(admin_client) -> None:
    html = page(csrf_post(admin_client, reverse("settings-users"), new_user_data(password1="123", password2="123")))
    assert 'class="errorlist"' in html
    html = page(csrf_post(admin_client, reverse("settings-users"), new_user_data(password2="other-pass-2026")))
    assert "パスワードが一致しません" in html
    assert not get_user_model().objects.filter(username="tanaka").exists()


def test_role_change_deactivation_and_password_reset(admin_client) -> None:
    user = create_user("suzuki", PASSWORD, Role.VIEWER)
    csrf_post(admin_client, reverse("settings-user-role", args=[user.pk]), {"role-role": "admin"})
    assert user_role(get_user_model().objects.get(pk=user.pk)) is Role.ADMIN
    csrf_post(admin_client, reverse("settings-user-active", args=[user.pk]), {"active": "0"})
    assert get_user_model().objects.get(pk=user.pk).is_active is False
    new = "Another-pass-2026!"
    csrf_post(
        admin_client, reverse("settings-user-password", args=[user.pk]), {"pw-password1": new, "pw-password2": new}
    )
    assert get_user_model().objects.get(pk=user.pk).check_password(new)
    html = page(
        csrf_post(
            admin_client, reverse("settings-user-password", args=[user.pk]), {"pw-password1": "x", "pw-password2": "x"}
        )
    )
    assert 'class="errorlist"' in html
    assert get_user_model().objects.get(pk=user.pk).check_password(new)


def test_an_admin_cannot_lock_themselves_out(admin, admin_client) -> None:
    response = csrf_post(admin_client, reverse("settings-user-active", args=[admin.pk]), {"active": "0"}, follow=True)
    assert "自分自身は無効にできません" in page(response)
    response = csrf_post(
        admin_client, reverse("settings-user-role", args=[admin.pk]), {"role-role": "viewer"}, follow=True
    )
    assert "自分自身の権限は下げられません" in page(response)
    admin = get_user_model().objects.get(pk=admin.pk)
    assert admin.is_active and user_role(admin) is Role.ADMIN
