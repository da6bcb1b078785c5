"""The settings screens in a real browser: an administrator writes a custom-tag rule, previews it, saves it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone

from juchu.orders.importing import import_orders
from juchu.orders.models import TagRule
from juchu.shops.models import Shop
from juchu.web.auth import Role, create_user
from tests.e2e.browser import PASSWORD, SCREENSHOTS, log_in, needs_chromium, rsl_shop
from tests.integration.conftest import mall_order

pytestmark = needs_chromium


@pytest.fixture
def shop_with_orders(transactional_db) -> Shop:
    """A shop with three recent orders, one asking for gift wrapping in its remarks."""
    shop = rsl_shop()
    now = timezone.now()
    ordered = now - timedelta(hours=2)
    import_orders(
        shop,
        [
            replace(mall_order("500-1", ordered), remarks="ギフト包装をお願いします"),
            replace(mall_order("500-2", ordered), remarks="置き配希望"),
            mall_order("500-3", ordered),
        ],
        now,
    )
    return shop


def test_an_admin_previews_and_saves_a_custom_tag_rule(live_server, shop_with_orders, browser_page) -> None:
    create_user("kanri", PASSWORD, Role.ADMIN)
    page = browser_page
    log_in(page, live_server.url, "kanri", "/settings/rules/new/")

    page.fill("#id_name", "ギフト包装の確認")
    page.fill("#id_tag_code", "gift-wrap")
    page.fill("#id_tag_label", "ギフト包装")
    page.select_option("#id_stop_at", "awaiting_check")
    page.select_option("#id_cond-0-field", "remarks")
    page.select_option("#id_cond-0-op", "contains")
    page.fill("#id_cond-0-value", "ギフト")
    page.click("#add-condition")
    assert page.locator("#id_cond-1-field").count() == 1

    page.click("#preview-button")
    page.wait_for_selector("#preview-result")
    preview = page.inner_text("#preview")
    assert "直近の受注 3 件のうち 1 件が一致します" in preview
    assert "500-1" in preview and "500-2" not in preview and "500-3" not in preview
    assert not TagRule.objects.exists(), "the preview must not save the rule"

    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "settings_rule.png"), full_page=True)

    page.click("#rule-form button[type=submit]")
    page.wait_for_url("**/settings/rules/*/")
    assert "ルール「ギフト包装の確認」を保存しました" in page.inner_text(".messages")
    rule = TagRule.objects.get()
    assert (rule.tag_code, rule.stop_at) == ("gift-wrap", "awaiting_check")
    assert rule.conditions == [{"field": "remarks", "op": "contains", "value": "ギフト"}]
