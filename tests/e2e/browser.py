"""The browser the UI tests drive: Debian's Chromium, headless, through Playwright (never downloaded), and what
the UI tests share: the users' password, logging in through the login page, and the demo shop on RSL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from juchu.catalog.models import MallItemMapping, Product, Stock
from juchu.domain.model import PaymentKind
from juchu.fulfillment.models import Warehouse
from juchu.shops.models import DeliveryMethodMapping, PaymentMethodMapping, Shop

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
#: Put on a UI test module: without Chromium it skips with this reason instead of failing.
needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"Chromium is not installed at {CHROMIUM}")
#: The password of every user a UI test creates.
PASSWORD = "Juchu-e2e-pass-2026"


@pytest.fixture
def browser_page(monkeypatch):
    """A headless Chromium page in Japanese; confirm() dialogs are accepted."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API keeps a loop on this thread
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="ja-JP")
        page.on("dialog", lambda dialog: dialog.accept())
        try:
            yield page
        finally:
            browser.close()


def log_in(page, base: str, username: str, then: str = "/") -> None:
    """Log ``username`` in on the login page and wait for the page ``then`` (the top page unless named)."""
    page.goto(f"{base}/login/" if then == "/" else f"{base}/login/?next={then}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{then}")


def rsl_shop(name: str = "デモ店", code: str = "demo", mall: str = "rakuten") -> Shop:
    """A shop shipping from the RSL warehouse, with nothing mapped yet."""
    warehouse = Warehouse.objects.create(code="rsl", name="RSL")
    return Shop.objects.create(code=code, name=name, mall=mall, warehouse=warehouse)


def tea_shop(name: str, code: str = "demo", mall: str = "rakuten") -> Shop:
    """A shop on RSL with 宅配便 and 銀行振込 (prepaid) mapped, selling TEA-01 and TEA-02 (1000 each in stock)
    as item-a and item-b."""
    shop = rsl_shop(name, code, mall)
    DeliveryMethodMapping.objects.create(shop=shop, mall_method="宅配便", warehouse_method="YUPACK")
    PaymentMethodMapping.objects.create(shop=shop, mall_method="銀行振込", kind=PaymentKind.PREPAID.value)
    for product_code, item in (("TEA-01", "item-a"), ("TEA-02", "item-b")):
        product = Product.objects.create(code=product_code, name=f"煎茶 {product_code}")
        Stock.objects.create(warehouse=shop.warehouse, product=product, on_hand=1000)
        MallItemMapping.objects.create(shop=shop, mall_item_id=item, product=product)
    return shop
