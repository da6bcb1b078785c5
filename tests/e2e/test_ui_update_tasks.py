"""Update tasks (更新タスク) in a real browser: an administrator builds a task in the editor (add, reorder),
runs it on two orders from the list, and reads what it changed in the order's timeline."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone

from juchu.orders.importing import import_orders
from juchu.orders.models import Order, OrderEvent, UpdateTask
from juchu.shops.models import Shop
from juchu.web.auth import Role, create_user
from tests.e2e.browser import PASSWORD, SCREENSHOTS, log_in, needs_chromium, rsl_shop
from tests.integration.conftest import mall_order

pytestmark = needs_chromium


@pytest.fixture
def shop_with_orders(transactional_db) -> Shop:
    """A shop with three new orders (新規受付), two of them to Hokkaido."""
    shop = rsl_shop()
    now = timezone.now()
    ordered = now - timedelta(minutes=5)
    hokkaido = {"prefecture": "北海道", "postal": "0600001"}
    import_orders(
        shop,
        [
            mall_order("600-1", ordered, **hokkaido),
            mall_order("600-2", ordered, **hokkaido),
            replace(mall_order("600-3", ordered), remarks="東京"),
        ],
        now,
    )
    return shop


def choose_kind(page, row: int, kind: str) -> None:
    page.select_option(f"#id_actions-{row}-kind", kind)


def test_an_admin_builds_a_task_and_runs_it_on_two_orders_from_the_list(
    live_server, shop_with_orders, browser_page
) -> None:
    create_user("kanri", PASSWORD, Role.ADMIN)
    page = browser_page
    log_in(page, live_server.url, "kanri", "/settings/tasks/new/")

    # the editor: three actions, the third moved up to be the second
    page.fill("#id_name", "北海道・沖縄は送料+500円")
    page.fill("#id_description", "離島・遠隔地の送料を加算し、確認用のタグを付けます")
    assert page.is_visible("#id_actions-0-amount") and page.is_visible("#id_actions-0-text")  # no kind yet: all
    choose_kind(page, 0, "add_postage")
    assert page.is_visible("#id_actions-0-amount") and not page.is_visible("#id_actions-0-text")
    page.fill("#id_actions-0-amount", "500")
    page.click("#add-action")
    choose_kind(page, 1, "add_tag")
    page.fill("#id_actions-1-code", "remote-area")
    page.click("#add-action")
    choose_kind(page, 2, "set_memo")
    page.fill("#id_actions-2-text", "送料500円を加算済み")
    page.locator("tr.action-row").nth(2).locator("button[data-move=up]").click()
    kinds = [page.locator("tr.action-row").nth(i).locator("select[data-action-kind]").input_value() for i in range(3)]
    assert kinds == ["add_postage", "set_memo", "add_tag"]
    assert [
        page.locator("tr.action-row").nth(i).locator("input[data-action-order]").input_value() for i in range(3)
    ] == [
        "1",
        "2",
        "3",
    ]
    mall_cells = page.locator("tr.action-row td.mall-write")
    assert [mall_cells.nth(i).inner_text().strip() for i in range(3)] == ["モール反映なし"] * 3

    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "update_task_editor.png"), full_page=True)

    page.click("#task-form button[type=submit]")
    page.wait_for_url("**/settings/tasks/*/")
    assert "更新タスク「北海道・沖縄は送料+500円」を保存しました" in page.inner_text(".messages")
    task = UpdateTask.objects.get()
    assert [a["kind"] for a in task.actions] == ["add_postage", "set_memo", "add_tag"]

    # the list: run it on the two Hokkaido orders
    page.goto(f"{live_server.url}/orders/?tab=all")
    page.check('input[name=ids][aria-label="600-1"]')
    page.check('input[name=ids][aria-label="600-2"]')
    page.select_option("#bulk-task", str(task.pk))
    page.click("#bulk-run-task")
    page.wait_for_selector(".messages")
    assert "2 件の受注に更新タスク「北海道・沖縄は送料+500円」を実行しました" in page.inner_text(".messages")
    postage = dict(Order.objects.values_list("mall_order_number", "postage"))
    assert postage == {"600-1": 500, "600-2": 500, "600-3": 0}

    # the order page: the timeline says what changed, by whom
    page.goto(f"{live_server.url}/orders/{Order.objects.get(mall_order_number='600-1').pk}/")
    timeline = page.inner_text("#timeline")
    assert "kanri ・ 更新タスク「北海道・沖縄は送料+500円」を実行しました" in timeline
    assert "送料: 0円 → 500円" in timeline and "タグ付与 remote-area: (なし) → remote-area" in timeline
    assert "送料500円を加算済み" in page.inner_text("#order-memo")
    assert OrderEvent.objects.filter(kind="update_task").count() == 2
