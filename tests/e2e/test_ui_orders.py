"""The operator's workbench in a real browser (Debian's Chromium, headless): log in, filter and search, open
an order, release a held order and watch it move, bulk-cancel, enter an order by hand, and what a viewer
sees. Screenshots of the list, the order page and the top page are saved in tests/e2e/screenshots/."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone

from juchu.api.tokens import issue_token
from juchu.orders import actions
from juchu.orders.advance import advance_all_due
from juchu.orders.importing import import_orders
from juchu.orders.models import Order
from juchu.shops.models import Shop
from juchu.web.auth import Role, create_user
from tests.e2e.browser import PASSWORD, SCREENSHOTS, log_in, needs_chromium, tea_shop
from tests.integration.conftest import mall_order

pytestmark = needs_chromium


@pytest.fixture
def shop(transactional_db) -> Shop:
    """A Rakuten shop on RSL with 12 orders: most wait for payment in 確認済, one is held, one is unmapped."""
    shop = tea_shop("デモ茶舗")
    now = timezone.now()
    ordered = now - timedelta(hours=1)
    names = ["佐藤 花子", "鈴木 一郎", "高橋 美咲", "田中 健", "伊藤 さくら", "渡辺 翔太", "山本 結衣", "中村 蓮"]
    names += ["小林 陽菜", "加藤 大翔", "高橋 誠"]  # two 高橋: one search finds both
    orders = [
        mall_order(
            f"360238-20261126-{i:08d}",
            ordered + timedelta(minutes=i),
            payment="銀行振込",
            paid=False,
            buyer=names[i],
        )
        for i in range(11)
    ]
    orders.append(
        replace(
            mall_order("360238-20261126-00000099", ordered, item="item-zzz", payment="銀行振込"),
            buyer_name="小林 未登録",
        )
    )
    import_orders(shop, orders, ordered)
    advance_all_due(now)
    held = Order.objects.get(mall_order_number="360238-20261126-00000003")
    actions.hold(held.pk, "phone-check", "電話で住所を確認する", "setup", now)
    return shop


def status_of(number: str) -> str:
    return Order.objects.get(mall_order_number=number).status


def test_operator_searches_releases_a_hold_bulk_cancels_and_enters_an_order(live_server, shop, browser_page) -> None:
    create_user("tanaka", PASSWORD, Role.OPERATOR)
    page, base = browser_page, live_server.url
    SCREENSHOTS.mkdir(exist_ok=True)

    # the top page: cutoff countdown and counts per status
    log_in(page, base, "tanaka")
    assert "本日の締め時間" in page.inner_text("main")
    page.screenshot(path=str(SCREENSHOTS / "top.png"), full_page=True)

    # the list: tabs with live counts (htmx), then a free-text search
    page.goto(f"{base}/orders/")
    page.wait_for_selector('.tabs a[data-tab="all"] .count')
    assert page.inner_text('.tabs a[data-tab="all"] .count') == "12"
    assert page.inner_text('.tabs a[data-tab="awaiting_check"] .count') == "2"
    page.screenshot(path=str(SCREENSHOTS / "order_list.png"), full_page=True)
    page.fill("input[name=q]", "高橋")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**q=*")
    found = page.locator("tr[data-order]").evaluate_all("rows => rows.map(r => r.dataset.order)")
    assert sorted(found) == ["360238-20261126-00000002", "360238-20261126-00000010"]

    # the 確認待 tab, then the held order: release its tag and watch it move to 確認済
    page.goto(f"{base}/orders/?tab=awaiting_check")
    page.click("text=360238-20261126-00000003")
    page.wait_for_selector("#why")
    assert page.inner_text("#order-status") == "確認待"
    assert "電話で住所を確認する" in page.inner_text("main")
    page.screenshot(path=str(SCREENSHOTS / "order_detail.png"), full_page=True)
    page.click('[data-tag="phone-check"] button')
    page.wait_for_selector(".messages")
    assert page.inner_text("#order-status") == "確認済"
    assert status_of("360238-20261126-00000003") == "checked"
    assert "tanaka" in page.inner_text("#timeline")

    # bulk-cancel two orders from the 確認済 tab
    page.goto(f"{base}/orders/?tab=checked")
    for number in ("360238-20261126-00000005", "360238-20261126-00000006"):
        page.check(f'tr[data-order="{number}"] input[name=ids]')
    page.fill("#bulk input[name=reason]", "在庫不足のため")
    page.click('#bulk button[value="cancel"]')
    page.wait_for_selector(".messages")
    assert "2 件の受注" in page.inner_text(".messages")
    assert status_of("360238-20261126-00000005") == status_of("360238-20261126-00000006") == "cancelled"
    assert status_of("360238-20261126-00000007") == "checked"

    # enter an order by hand: it lands on its own order page
    page.goto(f"{base}/orders/new/")
    page.select_option("#id_shop", str(shop.pk))
    for field, value in {
        "buyer_name": "電話 注文子",
        "recipient_name": "電話 注文子",
        "postal_code": "1000001",
        "prefecture": "東京都",
        "city": "千代田区",
        "address1": "千代田1-1",
        "delivery_method": "宅配便",
        "payment_method": "銀行振込",
        "lines-0-sku": "TEA-02",
        "lines-0-quantity": "3",
        "lines-0-unit_price": "1200",
    }.items():
        page.fill(f"#id_{field}", value)
    page.click("#manual-order button[type=submit]")
    page.wait_for_url("**/orders/*/")
    assert "を登録しました" in page.inner_text(".messages")
    order = Order.objects.get(buyer_name="電話 注文子")
    assert order.total == 3600 and order.lines.get().product.code == "TEA-02"


def test_a_viewer_sees_no_action_buttons_and_gets_403_from_the_api(live_server, shop, browser_page) -> None:
    viewer = create_user("etsuran", PASSWORD, Role.VIEWER)
    _, token = issue_token(viewer, "e2e", timezone.now())
    page, base = browser_page, live_server.url
    log_in(page, base, "etsuran")

    page.goto(f"{base}/orders/")
    assert page.locator('#bulk button[value="cancel"]').count() == 0
    assert page.locator("text=手動登録").count() == 0
    page.goto(f"{base}/orders/?tab=awaiting_check")
    page.click("text=360238-20261126-00000003")
    page.wait_for_selector("#why")
    assert page.locator("#order-actions").count() == 0
    assert page.locator("text=タグを外す").count() == 0
    assert page.goto(f"{base}/orders/new/").status == 403

    # the same person through the REST API: reading is allowed, acting is not
    held = Order.objects.get(mall_order_number="360238-20261126-00000003")
    headers = {"Authorization": f"Bearer {token}"}
    listing = page.request.get(f"{base}/api/v1/orders?tab=awaiting_check", headers=headers)
    refused = page.request.post(
        f"{base}/api/v1/orders/{held.pk}/hold", headers=headers, data={"tag": "x", "reason": "viewer"}
    )
    assert listing.status == 200
    assert "360238-20261126-00000003" in [o["mall_order_number"] for o in listing.json()["items"]]
    assert refused.status == 403
    assert not held.tags.filter(code="x").exists()


#: Collects the browser's Content-Security-Policy violations of every page (an init script is not bound by CSP).
CSP_RECORDER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
  e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile + ':' + e.lineNumber));
"""


def test_the_main_pages_run_under_the_content_security_policy_without_a_violation(
    live_server, shop, browser_page
) -> None:
    admin = create_user("kanri", PASSWORD, Role.ADMIN)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    order = Order.objects.get(mall_order_number="360238-20261126-00000005")
    page, base = browser_page, live_server.url
    page.add_init_script(CSP_RECORDER)
    console = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    dialogs = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    log_in(page, base, "kanri")
    violations = {}
    pages = [
        "/",
        "/orders/",
        f"/orders/{order.pk}/",
        "/orders/new/",
        "/files/",
        "/files/rsl/",
        "/mail/",
        "/mail/outbox/",
        "/settings/",
        f"/settings/shops/{shop.pk}/",
        "/settings/rules/new/",
        "/settings/users/",
        f"/settings/users/{admin.pk}/",
        "/admin/",
        "/admin/orders/order/",
        f"/admin/orders/order/{order.pk}/change/",
    ]

    for path in pages:
        response = page.goto(f"{base}{path}")
        assert response.status == 200, path
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
        page.wait_for_load_state("networkidle")
        violations[path] = page.evaluate("window.__csp")

    # the behaviours moved out of inline script still work: countdown, select-all, rule rows, datalists, confirm
    page.goto(f"{base}/")
    page.wait_for_function("document.querySelector('.countdown').textContent.includes('秒')")
    page.goto(f"{base}/orders/?tab=checked")
    page.check("thead input[data-select-all]")
    assert page.locator("input[name=ids]").evaluate_all("boxes => boxes.every(b => b.checked)")
    page.goto(f"{base}/settings/rules/new/")
    rows = page.locator("#conditions tbody tr").count()
    page.click("#add-condition")
    assert page.locator("#conditions tbody tr").count() == rows + 1
    page.goto(f"{base}/orders/new/")
    assert page.get_attribute("#id_delivery_method", "list") == "delivery-methods"
    page.goto(f"{base}/orders/{order.pk}/")
    page.fill("#order-actions form[data-confirm] input[name=reason]", "CSP確認")
    page.click("#order-actions form[data-confirm] button")
    page.wait_for_selector(".messages")
    assert dialogs == ["この受注をキャンセルします。よろしいですか？"]
    assert status_of(order.mall_order_number) == "cancelled"
    violations["after"] = page.evaluate("window.__csp")

    # the recorder does see a violation: an injected inline script is refused
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
        " document.body.appendChild(s); }"
    )
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__ran") is None

    assert {path: found for path, found in violations.items() if found} == {}
    assert len(console) == 1  # only the injected script's refusal
