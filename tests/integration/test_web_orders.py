"""The operator's workbench over HTTP (Django's test client): list, tabs, filters, paging, order page,
actions, bulk actions, CSV export, manual entry, and who may do what."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client

from juchu.domain.status import OrderStatus
from juchu.orders.importing import import_orders
from juchu.orders.models import Order, OrderEvent, OrderTag
from juchu.runtime.sweeps import run_all
from juchu.web.auth import Role, create_user
from tests.integration.conftest import Clock, mall_order

S = OrderStatus


@pytest.fixture
def world(world, fakes):
    return {**world, "mall": fakes[0]}


@pytest.fixture
def users(db):
    return {role: create_user(f"u-{role.code}", "pw-correct-horse-1", role) for role in Role}


def client_for(users, role: Role) -> Client:
    client = Client()
    client.force_login(users[role])
    return client


def put(world, clock: Clock, *orders) -> None:
    """Buyers place orders at the fake mall; one pass imports them."""
    mall = world["mall"]
    for order in orders:
        mall.put(order, clock.now)
    run_all(clock.advance(seconds=1))


def seed(world, clock: Clock, count: int, **fields) -> list[str]:
    """``count`` orders placed and imported, then decided (grace over)."""
    numbers = [f"W-{i:04d}" for i in range(count)]
    put(world, clock, *[mall_order(n, clock.now, **fields) for n in numbers])
    run_all(clock.advance(minutes=31))
    return numbers


def numbers_in(html: str) -> list[str]:
    return re.findall(r'data-order="([^"]+)"', html)


# -- who may see and do what ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/orders/", "/orders/new/", "/orders/counts/", "/orders/export.csv"])
def test_anonymous_visitor_is_sent_to_the_login_page(db, url) -> None:
    response = Client().get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_viewer_sees_orders_but_no_action_buttons_and_cannot_act(world, clock, users) -> None:
    (number,) = seed(world, clock, 1)
    order = Order.objects.get(mall_order_number=number)
    viewer = client_for(users, Role.VIEWER)

    listing = viewer.get("/orders/").content.decode()
    page = viewer.get(f"/orders/{order.pk}/").content.decode()
    hold = viewer.post(f"/orders/{order.pk}/action/hold/", {"tag": "hold", "reason": "x", "version": order.version})
    bulk = viewer.post("/orders/bulk/", {"action": "cancel", "ids": [order.pk], "reason": "x"})
    new = viewer.get("/orders/new/")

    assert number in numbers_in(listing)
    assert 'value="cancel"' not in listing and 'value="hold"' not in listing
    assert 'id="order-actions"' not in page
    assert "タグを外す" not in page
    assert hold.status_code == 403 and bulk.status_code == 403 and new.status_code == 403
    assert Order.objects.get(pk=order.pk).status == order.status
    assert not OrderTag.objects.filter(order=order, code="hold").exists()


def test_login_with_a_wrong_password_is_refused_and_the_right_one_lands_on_the_top_page(users) -> None:
    client = Client()

    wrong = client.post("/login/", {"username": "u-operator", "password": "nope"})
    right = client.post("/login/", {"username": "u-operator", "password": "pw-correct-horse-1"})

    assert wrong.status_code == 200 and "ユーザー名またはパスワードが違います" in wrong.content.decode()
    assert right.status_code == 302 and right["Location"] == "/"
    assert client.get("/").status_code == 200


def test_forms_refuse_a_post_without_csrf_token(world, clock, users) -> None:
    (number,) = seed(world, clock, 1)
    order = Order.objects.get(mall_order_number=number)
    client = Client(enforce_csrf_checks=True)
    client.force_login(users[Role.OPERATOR])

    response = client.post(f"/orders/{order.pk}/action/hold/", {"tag": "hold", "version": order.version})

    assert response.status_code == 403
    assert not OrderTag.objects.filter(order=order, code="hold").exists()


# -- list: tabs, counts, filters, search, paging ---------------------------------------------------------------


def test_status_tabs_and_counts_show_each_order_in_its_own_status(world, clock, users) -> None:
    seed(world, clock, 3)
    put(world, clock, mall_order("STOP-1", clock.now, item="item-unknown"))
    run_all(clock.advance(minutes=31))
    operator = client_for(users, Role.OPERATOR)
    statuses = dict(Order.objects.values_list("mall_order_number", "status"))

    checked_tab = numbers_in(operator.get("/orders/", {"tab": S.AWAITING_CHECK.value}).content.decode())
    action_tab = numbers_in(operator.get("/orders/", {"tab": "action"}).content.decode())
    counts = operator.get("/orders/counts/").content.decode()

    assert statuses["STOP-1"] == S.AWAITING_CHECK.value
    assert checked_tab == ["STOP-1"]
    assert action_tab == ["STOP-1"]
    assert re.search(r'data-tab="awaiting_check"[^>]*>[^<]*<span class="count">1</span>', counts)
    assert re.search(r'data-tab="all"[^>]*>[^<]*<span class="count">4</span>', counts)


def test_free_text_search_finds_by_number_piece_name_part_kana_phone_and_email(world, clock, users) -> None:
    orders = [
        mall_order("111111-20261126-0000001", clock.now, buyer="佐藤 花子"),
        mall_order("222222-20261126-0000002", clock.now, buyer="鈴木 一郎"),
    ]
    put(world, clock, *orders)
    operator = client_for(users, Role.OPERATOR)

    def found(q: str) -> list[str]:
        return numbers_in(operator.get("/orders/", {"q": q}).content.decode())

    assert found("花子") == ["111111-20261126-0000001"]
    assert found("佐藤花子") == ["111111-20261126-0000001"]
    assert found("0000002") == ["222222-20261126-0000002"]
    assert found("222222-20261126-0000002") == ["222222-20261126-0000002"]
    assert sorted(found("03-1234-5678")) == sorted(o.mall_order_number for o in orders)
    assert found("BUYER111111-20261126-0000001@EXAMPLE.JP") == ["111111-20261126-0000001"]
    assert found("田中") == []


def test_filters_by_tag_sku_payment_and_date(world, clock, users) -> None:
    seed(world, clock, 2)
    import_orders(
        world["shop"], [mall_order("B-1", clock.now, item="item-b", payment="銀行振込", paid=False)], clock.now
    )
    run_all(clock.advance(minutes=31))
    OrderTag.objects.create(
        order=Order.objects.get(mall_order_number="W-0000"), code="vip", source="operator", created_at=clock.now
    )
    operator = client_for(users, Role.OPERATOR)

    def found(**params) -> list[str]:
        return sorted(numbers_in(operator.get("/orders/", params).content.decode()))

    assert found(tag="vip") == ["W-0000"]
    assert found(sku="SKU-B") == ["B-1"]
    assert found(payment_method="銀行振込") == ["B-1"]
    assert found(date_from="2026-11-26", date_to="2026-11-26") == ["B-1", "W-0000", "W-0001"]
    assert found(date_from="2026-11-27") == []


def test_a_bad_filter_value_says_which_parameter_and_why(world, users) -> None:
    operator = client_for(users, Role.OPERATOR)

    response = operator.get("/orders/", {"date_from": "26/11/2026"})

    assert response.status_code == 400
    assert "date_from" in response.content.decode() and "YYYY-MM-DD" in response.content.decode()


def test_keyset_pages_walk_every_order_once_forwards_and_back(world, clock, users) -> None:
    numbers = [f"P-{i:03d}" for i in range(120)]
    for number in numbers:
        import_orders(world["shop"], [mall_order(number, clock.advance(seconds=1))], clock.now)
    operator = client_for(users, Role.OPERATOR)

    seen, pages, html = [], [], operator.get("/orders/").content.decode()
    while True:
        page = numbers_in(html)
        pages.append(page)
        seen += page
        nxt = re.search(r'href="\?([^"]*)" rel="next"', html)
        if not nxt:
            break
        html = operator.get("/orders/?" + nxt.group(1).replace("&amp;", "&")).content.decode()
    prev = re.search(r'href="\?([^"]*)" rel="prev"', html)
    back = numbers_in(operator.get("/orders/?" + prev.group(1).replace("&amp;", "&")).content.decode())

    assert seen == list(reversed(numbers))
    assert [len(p) for p in pages] == [50, 50, 20]
    assert back == pages[1]


# -- order page and actions ----------------------------------------------------------------------------------


def test_order_page_says_why_the_order_is_here_and_shows_tags_lines_and_timeline(world, clock, users) -> None:
    put(world, clock, mall_order("Q-1", clock.now, item="item-unknown"))
    run_all(clock.advance(minutes=31))
    order = Order.objects.get(mall_order_number="Q-1")

    html = client_for(users, Role.VIEWER).get(f"/orders/{order.pk}/").content.decode()

    assert order.status == S.AWAITING_CHECK.value
    assert order.explanation and order.explanation in html
    assert "商品未マッピング" in html and "item-unknown" in html
    assert "モールから取り込みました" in html or "取込" in html
    assert "確認待" in html


def test_operator_holds_then_releases_and_the_order_moves_on(world, clock, users) -> None:
    (number,) = seed(world, clock, 1, payment="銀行振込", paid=False)  # waits for payment in 確認済
    order = Order.objects.get(mall_order_number=number)
    operator = client_for(users, Role.OPERATOR)

    operator.post(f"/orders/{order.pk}/action/hold/", {"tag": "phone", "reason": "電話確認", "version": order.version})
    held = Order.objects.get(pk=order.pk)
    operator.post(f"/orders/{order.pk}/action/release-tag/", {"tag": "phone", "version": held.version})
    released = Order.objects.get(pk=order.pk)
    page = operator.get(f"/orders/{order.pk}/").content.decode()

    assert held.status == S.AWAITING_CHECK.value
    assert released.status == S.CHECKED.value
    assert OrderEvent.objects.filter(order=order, kind="tag_removed", actor="u-operator").exists()
    assert "u-operator" in page


def test_an_action_on_a_stale_page_is_refused_with_a_clear_message(world, clock, users) -> None:
    (number,) = seed(world, clock, 1)
    order = Order.objects.get(mall_order_number=number)
    operator = client_for(users, Role.OPERATOR)

    response = operator.post(
        f"/orders/{order.pk}/action/hold/", {"tag": "hold", "version": order.version - 1}, follow=True
    )

    assert "画面を開いた後に変更されています" in response.content.decode()
    assert not OrderTag.objects.filter(order=order, code="hold").exists()


def test_editing_the_address_is_in_the_timeline_and_searchable(world, clock, users) -> None:
    put(world, clock, mall_order("E-1", clock.now, item="item-rare"))
    run_all(clock.advance(minutes=31))
    order = Order.objects.get(mall_order_number="E-1")
    package = order.packages.get()
    operator = client_for(users, Role.OPERATOR)
    form = {
        "recipient_name": "高橋 美咲",
        "phone": "090-1111-2222",
        "postal_code": "1000001",
        "prefecture": "東京都",
        "city": "千代田区",
        "address1": "千代田1-1",
        "address2": "",
        "delivery_method": "宅配便",
        "requested_date": "",
        "delivery_time": "",
        "version": order.version,
    }

    operator.post(f"/orders/{order.pk}/packages/{package.pk}/edit/", form)

    package.refresh_from_db()
    event = OrderEvent.objects.get(order=order, kind="edited")
    assert package.recipient_name == "高橋 美咲"
    assert event.detail["changes"]["recipient_name"] == ["山田 太郎E-1", "高橋 美咲"]
    assert numbers_in(operator.get("/orders/", {"q": "美咲"}).content.decode()) == ["E-1"]
    assert numbers_in(operator.get("/orders/", {"q": "09011112222"}).content.decode()) == ["E-1"]


# -- bulk actions and export ---------------------------------------------------------------------------------------


def test_bulk_cancel_cancels_the_selection_and_reports_each_refusal(world, clock, users) -> None:
    numbers = seed(world, clock, 3, payment="銀行振込", paid=False)
    ids = list(Order.objects.filter(mall_order_number__in=numbers[:2]).values_list("id", flat=True))
    operator = client_for(users, Role.OPERATOR)

    missing_reason = operator.post("/orders/bulk/", {"action": "cancel", "ids": ids}, follow=True)
    done = operator.post("/orders/bulk/", {"action": "cancel", "ids": ids, "reason": "在庫切れ"}, follow=True)
    again = operator.post("/orders/bulk/", {"action": "cancel", "ids": ids, "reason": "在庫切れ"}, follow=True)

    statuses = dict(Order.objects.values_list("mall_order_number", "status"))
    assert "キャンセルの理由を入力してください" in missing_reason.content.decode()
    assert "2 件の受注" in done.content.decode()
    assert statuses[numbers[0]] == statuses[numbers[1]] == S.CANCELLED.value
    assert statuses[numbers[2]] != S.CANCELLED.value
    assert again.content.decode().count(numbers[0]) >= 1


def test_csv_export_of_a_filter_is_cp932_with_one_row_per_line(world, clock, users) -> None:
    seed(world, clock, 2, packages=2)
    operator = client_for(users, Role.OPERATOR)

    response = operator.get("/orders/export.csv", {"q": "W-0001"})
    body = b"".join(response.streaming_content)
    rows = list(csv.reader(io.StringIO(body.decode("cp932"))))

    assert response["Content-Type"] == "text/csv; charset=cp932"
    assert rows[0][:3] == ["受注番号", "ショップ", "ステータス"]
    assert [r[0] for r in rows[1:]] == ["W-0001", "W-0001"]
    assert rows[1][rows[0].index("SKUコード")] == "SKU-A"


# -- manual entry ------------------------------------------------------------------------------------------------


def manual_form(shop, **overrides) -> dict:
    form = {
        "shop": shop.pk,
        "mall_order_number": "",
        "buyer_name": "電話 注文子",
        "email": "tel@example.jp",
        "phone": "0312345678",
        "recipient_name": "電話 注文子",
        "postal_code": "1000001",
        "prefecture": "東京都",
        "city": "千代田区",
        "address1": "千代田1-1",
        "delivery_method": "宅配便",
        "payment_method": "銀行振込",
        "paid": "on",
        "postage": "0",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "100",
        "lines-0-sku": "SKU-C",
        "lines-0-quantity": "2",
        "lines-0-unit_price": "1500",
        "lines-1-sku": "",  # an empty extra row, as the browser sends it
        "lines-1-quantity": "1",
        "lines-1-unit_price": "0",
    }
    form.update(overrides)
    return form


def test_an_order_entered_by_hand_goes_through_the_same_pipeline(world, users) -> None:
    operator = client_for(users, Role.OPERATOR)

    response = operator.post("/orders/new/", manual_form(world["shop"]))

    order = Order.objects.get(buyer_name="電話 注文子")
    line = order.lines.get()
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.pk}/"
    assert order.mall_order_number.startswith("M-")
    assert line.product.code == "SKU-C" and line.quantity == 2 and order.total == 3000
    assert OrderEvent.objects.filter(order=order, kind="manual_entry", actor="u-operator").exists()
    assert order.status == S.NEW.value  # the Rakuten-like shop's grace period applies to it too


def test_manual_entry_with_an_unknown_sku_names_the_line_and_creates_nothing(world, users) -> None:
    operator = client_for(users, Role.OPERATOR)

    response = operator.post("/orders/new/", manual_form(world["shop"], **{"lines-0-sku": "NO-SUCH"}))

    assert response.status_code == 200
    assert "明細1: SKUコード &#x27;NO-SUCH&#x27; は登録されていません" in response.content.decode()
    assert not Order.objects.filter(buyer_name="電話 注文子").exists()


def test_search_pages_read_from_the_term_index_walk_every_match_once_with_other_filters(
    world, clock, users, monkeypatch
) -> None:
    from juchu.orders import queries

    monkeypatch.setattr(queries, "SEARCH_CHUNK", 7)  # many small steps, duplicates across chunk edges
    for i in range(40):
        buyer = "佐藤 花子" if i % 2 else "鈴木 一郎"
        number = f"S-{i:03d}"
        order = mall_order(
            number, clock.advance(seconds=1), buyer=f"{buyer}{i}", payment="銀行振込" if i % 3 else "クレジットカード"
        )
        import_orders(world["shop"], [order], clock.now)
    expected = [f"S-{i:03d}" for i in reversed(range(40)) if i % 2 and i % 3]

    seen, cursor, pages = [], None, 0
    while True:
        page = queries.list_page(queries.OrderFilter(q="佐藤", payment_method="銀行振込"), cursor, size=5)
        seen += [o.mall_order_number for o in page.rows]
        pages += 1
        if not page.next_cursor:
            break
        last, cursor = page, page.next_cursor
    back = queries.list_page(queries.OrderFilter(q="佐藤", payment_method="銀行振込"), page.prev_cursor, size=5)
    oldest_first = queries.list_page(
        queries.OrderFilter(q="佐藤", sort="ordered_at", payment_method="銀行振込"), size=3
    )

    assert seen == expected
    assert pages == -(-len(expected) // 5)
    assert [o.mall_order_number for o in back.rows] == [o.mall_order_number for o in last.rows]
    assert [o.mall_order_number for o in oldest_first.rows] == list(reversed(expected))[:3]


def test_the_top_page_lists_oversold_orders_and_each_shops_stock_reconciliation(world, clock, users) -> None:
    from juchu.catalog.models import MallItemMapping
    from juchu.catalog.reconcile import reconcile_shop
    from juchu.catalog.stock_push import push_stock

    # given an order for an item the warehouse has none of (売り越し), and drift at the mall
    seed(world, clock, 1, item="item-rare")
    push_stock(world["shop"], clock.now)
    world["mall"].stock["item-a"] = 1
    reconcile_shop(world["shop"], clock.now)

    html = client_for(users, Role.VIEWER).get("/").content.decode()

    oversold = html.split('id="oversold"')[1].split("</div>")[0]
    assert "W-0000" in oversold and "引当待ち" in oversold and "SKU-RARE" in oversold
    cell = html.split(f'data-reconcile="{world["shop"].code}"')[1].split("</td>")[0]
    assert "在庫差異 1 件" in cell
    assert MallItemMapping.objects.get(shop=world["shop"], mall_item_id="item-a").pushed_quantity is None
