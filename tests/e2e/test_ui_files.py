"""受注CSV取込 in a real browser (Debian's Chromium, headless): an operator uploads a CP932 file with one bad
row, reads the preview, commits and sees the result. The preview is saved as tests/e2e/screenshots/csv_preview.png."""

from __future__ import annotations

import pytest

from juchu.orders.models import Order, OrderLine
from juchu.shops.models import Shop
from juchu.web.auth import Role, create_user
from tests.e2e.browser import PASSWORD, SCREENSHOTS, log_in, needs_chromium, tea_shop
from tests.unit.test_csv_orders import continuation, row, to_bytes

pytestmark = needs_chromium


@pytest.fixture
def shop(transactional_db, settings, tmp_path) -> Shop:
    """A shop working by CSV, with two mapped items; uploads are kept under the test's own data directory."""
    settings.DATA_DIR = tmp_path
    shop = tea_shop("CSV茶舗", code="csvshop", mall="manual")
    return shop


def test_operator_uploads_a_cp932_order_csv_reads_the_bad_row_and_imports_the_good_orders(
    live_server, shop, browser_page
) -> None:
    create_user("tanaka", PASSWORD, Role.OPERATOR)
    page, base = browser_page, live_server.url
    SCREENSHOTS.mkdir(exist_ok=True)
    data = to_bytes(
        [
            row("CSV-1001", 注文者氏名="佐藤 花子"),
            continuation("CSV-1001", 商品ID="item-b", 商品名="玉露"),
            row("CSV-1002", 注文者氏名="鈴木 一郎"),
            continuation("CSV-1002", 数量="多め"),
            row("CSV-1003", 注文者氏名="高橋 美咲", 数量="3"),
        ],
        "cp932",
    )

    # log in, then the files page leads to 受注CSV取込
    log_in(page, base, "tanaka")
    page.goto(f"{base}/files/")
    page.click("#card-orders a.button")
    page.wait_for_url(f"{base}/files/orders/")

    # upload the CP932 file: the preview lists the bad row and counts the good orders, nothing imported yet
    page.select_option("#id_shop", str(shop.pk))
    page.set_input_files("#id_file", files=[{"name": "受注.csv", "mimeType": "text/csv", "buffer": data}])
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#preview-errors")
    assert page.inner_text("#count-good") == "2"
    assert page.inner_text("#count-rejected") == "1"
    cells = page.locator("#preview-errors tr.row-error td").all_inner_texts()
    assert cells == ["5", "数量", "'多め' は整数ではありません", "CSV-1002"]
    assert Order.objects.count() == 0
    page.screenshot(path=str(SCREENSHOTS / "csv_preview.png"), full_page=True)

    # commit: the result page counts what was done; only the good orders are in
    page.click("#commit-form button[type=submit]")
    page.wait_for_selector("#result-summary")
    assert page.inner_text("#count-created") == "2"
    assert page.inner_text("#count-rejected") == "1"
    assert sorted(Order.objects.values_list("mall_order_number", flat=True)) == ["CSV-1001", "CSV-1003"]
    assert OrderLine.objects.filter(order__mall_order_number="CSV-1001").count() == 2
