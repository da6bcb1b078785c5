"""受注CSV取込 in a real browser (Debian's Chromium, headless): an operator uploads a CP932 file with one bad
row, reads the preview, commits and sees the result. The preview is saved as tests/e2e/screenshots/csv_preview.png."""

from __future__ import annotations

import pytest

from juchu.catalog.models import MallItemMapping, Product, Stock
from juchu.domain.model import PaymentKind
from juchu.fulfillment.models import Warehouse
from juchu.orders.models import Order, OrderLine
from juchu.shops.models import DeliveryMethodMapping, PaymentMethodMapping, Shop
from juchu.web.auth import Role, create_user
from tests.e2e.browser import SCREENSHOTS, needs_chromium
from tests.unit.test_csv_orders import continuation, row, to_bytes

PASSWORD = "Juchu-e2e-pass-2026"

pytestmark = needs_chromium


@pytest.fixture
def shop(transactional_db, settings, tmp_path) -> Shop:
    """A shop working by CSV, with two mapped items; uploads are kept under the test's own data directory."""
    settings.DATA_DIR = tmp_path
    warehouse = Warehouse.objects.create(code="rsl", name="RSL")
    shop = Shop.objects.create(code="csvshop", name="CSV茶舗", mall="manual", warehouse=warehouse)
    DeliveryMethodMapping.objects.create(shop=shop, mall_method="宅配便", warehouse_method="YUPACK")
    PaymentMethodMapping.objects.create(shop=shop, mall_method="銀行振込", kind=PaymentKind.PREPAID.value)
    for code, item in (("TEA-01", "item-a"), ("TEA-02", "item-b")):
        product = Product.objects.create(code=code, name=f"煎茶 {code}")
        Stock.objects.create(warehouse=warehouse, product=product, on_hand=1000)
        MallItemMapping.objects.create(shop=shop, mall_item_id=item, product=product)
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
    page.goto(f"{base}/login/")
    page.fill("#id_username", "tanaka")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
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
