"""配送品質 in a real browser (Debian's Chromium, headless): a viewer opens the page from the navigation, reads
October 2026 of two shops at RSL (one meets the 最強翌日配送 criteria, one does not), the charts render with no
CSP complaint, and the cutoff misses link to their orders. Screenshots: tests/e2e/screenshots/metrics.png (the
page) and metrics_card.png (the top page's card)."""

from __future__ import annotations

from datetime import datetime

import pytest

from juchu.domain.calendar import JST
from juchu.domain.status import OrderStatus
from juchu.fulfillment.models import Warehouse
from juchu.shops.models import Shop
from juchu.web.auth import Role, create_user
from juchu.web.views import metrics as metrics_view
from tests.e2e.browser import PASSWORD, SCREENSHOTS, log_in, needs_chromium
from tests.integration.test_web_metrics import build_order

S = OrderStatus

pytestmark = needs_chromium


def _next(day: int) -> str:
    return f"10-{day + 1:02d}" if day < 31 else "11-01"


@pytest.fixture
def october(transactional_db, monkeypatch) -> dict[str, Shop]:
    """October 2026 at RSL: 茶舗 (4 orders a day, always on time) and 雑貨店 (1 a day, some shipped late, some
    held in 確認待 past the cutoff); the views' clock stands at 2026-11-03 10:00 JST."""
    monkeypatch.setattr(metrics_view, "now", lambda: datetime(2026, 11, 3, 10, 0, tzinfo=JST))
    rsl = Warehouse.objects.create(code="rsl", name="RSL")
    tea = Shop.objects.create(code="tea", name="デモ茶舗 楽天市場店", mall="rakuten", warehouse=rsl)
    goods = Shop.objects.create(code="goods", name="雑貨店 Yahoo!店", mall="yahoo", warehouse=rsl)
    for day in range(1, 32):
        today = f"10-{day:02d}"
        for k, hour in enumerate((8, 10, 12, 16, 13)):
            shop = goods if k == 4 else tea
            number = f"{shop.code}-1026{day:02d}-{k}"
            ordered = f"{today} {hour:02d}:{day % 6 * 7:02d}"
            late = shop is goods and day % 4 == 0
            held = shop is goods and day % 7 == 3
            ship_day = today if hour < 15 and not held else _next(day)
            shipped_day = _next(day) if late and ship_day == today else ship_day
            accepted = f"{today} {'16:40' if held else f'{hour:02d}:40'}"
            path = [(accepted, S.CHECKED.value)] if not held else [
                (f"{today} {hour:02d}:40", S.AWAITING_CHECK.value),
                (accepted, S.CHECKED.value),
            ]  # fmt: skip
            path += [(accepted, S.AWAITING_SHIPMENT.value), (accepted, S.SHIPPING.value)]
            recorded = f"{shipped_day} {9 + (day * 7 + k * 3) % 9:02d}:15"
            path.append((recorded, S.SHIPPED.value))
            tags = [("address_invalid", f"{today} {hour:02d}:40", accepted)] if held else []
            build_order(
                shop,
                rsl,
                number,
                ordered,
                path,
                ship_by=ship_day,
                accepted=accepted,
                shipped=shipped_day,
                recorded=recorded,
                tags=tags,
            )
    return {"tea": tea, "goods": goods}


def test_viewer_reads_the_delivery_quality_of_october(live_server, october, browser_page) -> None:
    create_user("suzuki", PASSWORD, Role.VIEWER)
    page, base = browser_page, live_server.url
    SCREENSHOTS.mkdir(exist_ok=True)
    complaints: list[str] = []
    page.on("console", lambda msg: complaints.append(msg.text) if "Content Security Policy" in msg.text else None)

    log_in(page, base, "suzuki")
    page.locator("#delivery-card").screenshot(path=str(SCREENSHOTS / "metrics_card.png"))

    # the navigation leads to the page; the month is chosen in the filter form
    page.click("nav.mainnav >> text=配送品質")
    page.wait_for_url(f"{base}/quality/")
    page.fill("#metrics-filters input[name=month]", "2026-10")
    page.click("#metrics-filters button[type=submit]")
    page.wait_for_url(f"{base}/quality/?month=2026-10*")

    assert page.inner_text("tr[data-shop=tea] td.verdict-cell") == "達成"
    assert page.inner_text("tr[data-shop=goods] td.verdict-cell") == "未達"
    assert page.locator("#chart-compliance rect").count() == 31
    assert page.locator("#chart-compliance rect.bar-ng").count() >= 5
    assert page.locator("#chart-lead polyline").count() == 2
    assert page.locator("#periods tr[data-period]").count() == 31
    missed = page.locator("#missed-orders tr[data-order]")
    assert missed.count() >= 10
    page.screenshot(path=str(SCREENSHOTS / "metrics.png"), full_page=True)

    # a miss links to its order
    first = missed.first.get_attribute("data-order")
    missed.first.locator("a").click()
    page.wait_for_url(f"{base}/orders/*/")
    assert first in page.inner_text("h1")
    assert complaints == []
