"""自社出荷 in a real browser (Debian's Chromium, headless): an operator sees the due orders of the own warehouse,
issues a batch, reads the flagged slip and downloads the slip CSV and both PDFs. The batch page is saved as
tests/e2e/screenshots/selfship.png."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from juchu.catalog.models import MallItemMapping, Product, Stock
from juchu.domain.model import PaymentKind
from juchu.domain.status import OrderStatus
from juchu.fulfillment.models import SelfShipBatch, Warehouse
from juchu.fulfillment.selfship_settings import SlipSettings
from juchu.orders.importing import import_orders
from juchu.orders.models import Order, Package
from juchu.runtime.sweeps import run_all
from juchu.shops.models import DeliveryMethodMapping, PaymentMethodMapping, Shop
from juchu.web.auth import Role, create_user
from tests.e2e.browser import PASSWORD, SCREENSHOTS, log_in, needs_chromium
from tests.integration.conftest import mall_order

pytestmark = needs_chromium


@pytest.fixture
def own_shop(transactional_db, settings, tmp_path) -> Shop:
    """A shop on its own warehouse (B2クラウド) with three paid orders in 出荷待ち, one with a too long address."""
    settings.DATA_DIR = tmp_path
    slips = SlipSettings(
        sender_name="デモ茶舗",
        sender_postal_code="1500001",
        sender_address="東京都渋谷区神宮前1-1-1",
        sender_phone="03-0000-1111",
        b2_customer_code="012345678901",
    )
    warehouse = Warehouse.objects.create(
        code="own", name="自社倉庫", connector="selfship", every_day=True, slip_settings=slips.to_json()
    )
    shop = Shop.objects.create(code="tea", name="デモ茶舗", mall="rakuten", warehouse=warehouse)
    DeliveryMethodMapping.objects.create(shop=shop, mall_method="宅配便", warehouse_method="YUPACK")
    PaymentMethodMapping.objects.create(shop=shop, mall_method="クレジットカード", kind=PaymentKind.CARD.value)
    product = Product.objects.create(code="SKU-A", name="煎茶 100g")
    Stock.objects.create(warehouse=warehouse, product=product, on_hand=1000)
    MallItemMapping.objects.create(shop=shop, mall_item_id="item-a", product=product)
    now = timezone.now()
    import_orders(shop, [mall_order(f"T-{n}", now - timedelta(hours=2), quantity=n) for n in (1, 2, 3)], now)
    for _ in range(3):
        run_all(timezone.now())
    Package.objects.filter(order__mall_order_number="T-3").update(address1="霞が関" * 40)
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.AWAITING_SHIPMENT.value}
    return shop


def test_operator_issues_a_batch_and_downloads_its_slips_and_pdfs(live_server, own_shop, browser_page) -> None:
    create_user("sato", PASSWORD, Role.OPERATOR)
    page, base = browser_page, live_server.url
    SCREENSHOTS.mkdir(exist_ok=True)

    log_in(page, base, "sato", "/files/selfship/")
    assert page.inner_text("#due-count") == "3"
    assert page.locator("#due-list tbody tr").count() == 3

    # issue: the batch page lists the three requests and the one whose slip could not be written
    page.click("#issue-form button[type=submit]")
    page.wait_for_selector("#batch-summary")
    batch = SelfShipBatch.objects.get()
    assert page.inner_text("#count-items") == "3"
    assert page.inner_text("#count-flagged") == "1"
    cells = page.locator("#flagged tr.flagged-row td").all_inner_texts()
    assert cells[:3] == ["T-3", batch.items.get(request__order__mall_order_number="T-3").slip_key, "お届け先住所"]
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.SHIPPING.value}
    page.screenshot(path=str(SCREENSHOTS / "selfship.png"), full_page=True)

    # the downloads
    with page.expect_download() as slips:
        page.click("#download-slips")
    csv = slips.value
    assert csv.suggested_filename == f"slips-own-{batch.pk}.csv"
    text = Path(csv.path()).read_bytes().decode("cp932")
    assert text.startswith("お客様管理番号,送り状種類") and len(text.strip().split("\r\n")) == 3
    for selector, stem in (("#download-picking", "picking"), ("#download-notes", "notes")):
        with page.expect_download() as pdf:
            page.click(selector)
        assert pdf.value.suggested_filename == f"{stem}-own-{batch.pk}.pdf"
        assert Path(pdf.value.path()).read_bytes()[:4] == b"%PDF"


def test_a_split_order_shows_each_package_with_its_warehouse(live_server, own_shop, browser_page) -> None:
    """分割出荷: the shop ships from RSL, which lacks SKU-B; the own warehouse ships SKU-B as a second package.
    The order page is saved as tests/e2e/screenshots/split_order.png."""
    own = own_shop.warehouse
    rsl = Warehouse.objects.create(code="rsl", name="RSL 楽天スーパーロジスティクス", connector="")
    Shop.objects.filter(pk=own_shop.pk).update(warehouse=rsl, split_warehouse=own)
    matcha = Product.objects.create(code="SKU-B", name="抹茶 30g")
    Stock.objects.create(warehouse=own, product=matcha, on_hand=5)
    Stock.objects.create(warehouse=rsl, product=Product.objects.get(code="SKU-A"), on_hand=50)
    Stock.objects.filter(warehouse=own, product__code="SKU-A").update(on_hand=0)  # 煎茶 only at RSL
    MallItemMapping.objects.create(shop=own_shop, mall_item_id="item-b", product=matcha)
    now = timezone.now()
    order = mall_order("T-9", now - timedelta(hours=2), items=(("item-a", 2), ("item-b", 1)))
    import_orders(Shop.objects.get(pk=own_shop.pk), [order], now)
    for _ in range(3):
        run_all(timezone.now())
    split = Order.objects.get(mall_order_number="T-9")
    assert split.status == OrderStatus.AWAITING_SHIPMENT.value and split.packages.count() == 2

    create_user("sato", PASSWORD, Role.VIEWER)
    page, base = browser_page, live_server.url
    log_in(page, base, "sato", f"/orders/{split.pk}/")
    assert page.locator(".package-warehouse").all_inner_texts() == ["RSL 楽天スーパーロジスティクス", "自社倉庫"]
    assert page.locator("#package-2 .split-part").inner_text() == "送付先1 から分割出荷"
    assert page.locator(".request-warehouse").all_inner_texts() == ["RSL 楽天スーパーロジスティクス", "自社倉庫"]
    assert "2つの倉庫 (RSL 楽天スーパーロジスティクス・自社倉庫) に分けて出荷します" in page.inner_text("body")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "split_order.png"), full_page=True)
