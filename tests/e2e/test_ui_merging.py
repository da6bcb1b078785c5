"""同梱 (order merging) in a real browser: the candidates in the list and on the order page, a merge from the
order page, and the merged order's page (saved as tests/e2e/screenshots/merged_order.png)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from juchu.orders.advance import advance_all_due
from juchu.orders.importing import import_orders
from juchu.orders.models import Order
from juchu.orders.models import Package as PackageRow
from juchu.shops.models import Shop
from juchu.web.auth import Role, create_user
from tests.e2e.browser import PASSWORD, SCREENSHOTS, log_in, needs_chromium, tea_shop
from tests.integration.conftest import mall_order

FIRST, SECOND, OTHER = "360238-20261126-00000001", "360238-20261126-00000002", "360238-20261126-00000003"

pytestmark = needs_chromium


@pytest.fixture
def shop(transactional_db) -> Shop:
    """Two unpaid orders of 佐藤 花子 to the same address (同梱候補) and one of another buyer."""
    shop = tea_shop("デモ茶舗")
    now = timezone.now()
    ordered = now - timedelta(hours=1)
    orders = [
        mall_order(FIRST, ordered, item="item-a", quantity=2, payment="銀行振込", paid=False, buyer="佐藤 花子"),
        mall_order(
            SECOND, ordered + timedelta(minutes=20), item="item-b", payment="銀行振込", paid=False, buyer="佐藤 花子"
        ),
        mall_order(OTHER, ordered, item="item-a", payment="銀行振込", paid=False, buyer="鈴木 一郎"),
    ]
    import_orders(shop, orders, ordered)
    advance_all_due(now)
    advance_all_due(now + timedelta(seconds=1))  # the first order notices its partner
    return shop


def test_operator_finds_merge_candidates_merges_them_and_sees_the_merged_order(live_server, shop, browser_page):
    create_user("tanaka", PASSWORD, Role.OPERATOR)
    page, base = browser_page, live_server.url
    SCREENSHOTS.mkdir(exist_ok=True)
    log_in(page, base, "tanaka")

    # the list filtered by the 同梱候補 tag shows both orders of the buyer, not the other one
    page.goto(f"{base}/orders/?tag=merge_candidate")
    found = page.locator("tr[data-order]").evaluate_all("rows => rows.map(r => r.dataset.order)")
    assert sorted(found) == [FIRST, SECOND]

    # the order page names the candidate with a link, and merges it
    first = Order.objects.get(mall_order_number=FIRST)
    page.goto(f"{base}/orders/{first.pk}/")
    assert SECOND in page.inner_text("#merge")
    page.click("#merge-button")
    page.wait_for_selector(".messages")
    assert f"同梱しました (親: {FIRST})" in page.inner_text(".messages")
    second = Order.objects.get(mall_order_number=SECOND)
    assert PackageRow.objects.get(order=second).merged_into == PackageRow.objects.get(order=first)

    # the merged order's page: the group with links, no candidate left, the merge in the timeline
    page.goto(f"{base}/orders/{second.pk}/")
    group = page.inner_text("#merge-group")
    assert FIRST in group and SECOND in group
    assert page.locator(f'#merge-group a[href="/orders/{first.pk}/"]').count() == 1
    assert page.locator("#merge-form").count() == 0
    assert "同梱しました" in page.inner_text("#timeline")
    page.screenshot(path=str(SCREENSHOTS / "merged_order.png"), full_page=True)

    # undo: each order ships on its own again
    page.click("#unmerge")
    page.wait_for_selector(".messages")
    assert "同梱を解除しました" in page.inner_text(".messages")
    assert PackageRow.objects.filter(merged_into__isnull=False).count() == 0
