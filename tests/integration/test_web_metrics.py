"""配送品質 (/quality/) over HTTP: orders, requests, shipments and timelines built through the real models for
November 2026, the page's numbers, the 最強翌日配送 verdicts, the cutoff misses with their reasons, the CSV,
the top page's card and who may see them; and one order taken through the real pipeline.

The month (shop デモ店 on Rakuten with its 30-minute grace, at RSL: every day, cutoff 15:29; shop 自社店 on
Yahoo! without grace, at its own warehouse: weekdays, public holidays off), judged on 2026-12-03 10:00 JST:

| order | ordered (JST) | what happened                                          | cutoff day | ship-by   | verdict  |
|-------|---------------|--------------------------------------------------------|------------|-----------|----------|
| A1    | 11/02 10:00   | RSL ship-by 11/02, shipped 11/02 (recorded 16:00)      | 11/02      | 11/02     | on time  |
| A2    | 11/03 09:00   | 確認待 09:30–16:00 (住所不備), RSL ship-by 11/04,        | 11/03      | 11/04     | on time, |
|       |               | shipped 11/04 (recorded 12:00)                         |            |           | cutoff ✗ |
| A3    | 11/04 11:00   | at RSL from 11:30, shipped 11/05 (recorded 10:00)      | 11/04      | 11/04     | late     |
| A4    | 11/28 10:00   | 確認済 since 10:30, never requested                      | 11/28      | 11/28 (c) | late     |
| A5    | 11/10 10:00   | cancelled                                              | —          | —         | left out |
| B1    | 11/02 16:00   | own warehouse (11/03 文化の日), shipped 11/04 (15:00)    | 11/04      | 11/04 (c) | on time  |

(c): no warehouse date, the cutoff day stands in.

November: due 5, on time 3 → 60.0 %; cutoff met 2 → 40.0 %; shipped 4, lead 6, 23, 27, 47 h → p50 25.0,
p95 44.0 (rank 2.85); デモ店 2/4 = 50.0 % with 3 shipments, 自社店 1/1 = 100.0 % with 1: both 未達.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from datetime import date, datetime
from html.parser import HTMLParser

import pytest
from django.test import Client

from juchu.domain.calendar import JST
from juchu.domain.status import OrderStatus, PackageStatus
from juchu.fulfillment.models import RequestState, Shipment, ShipmentRequest, Warehouse
from juchu.orders.metrics import MetricsFilter, build_report
from juchu.orders.models import Order, OrderEvent, OrderTag, Package
from juchu.runtime.sweeps import run_all
from juchu.shops.models import Shop
from juchu.web.auth import Role, create_user
from juchu.web.views import metrics as metrics_view
from tests.integration.conftest import mall_order

S = OrderStatus
JUDGED_AT = datetime(2026, 12, 3, 10, 0, tzinfo=JST)
_seq = itertools.count(1)


def jst(text: str) -> datetime:
    """An aware JST instant from ``MM-DD HH:MM`` in 2026."""
    return datetime.fromisoformat(f"2026-{text}").replace(tzinfo=JST)


def build_order(
    shop: Shop,
    warehouse: Warehouse,
    number: str,
    ordered: str,
    path: list[tuple[str, str]],
    *,
    ship_by: str | None = None,
    accepted: str | None = None,
    shipped: str | None = None,
    recorded: str | None = None,
    tags: list[tuple[str, str, str | None]] = (),  # type: ignore[assignment]
) -> Order:
    """An order with one package, its timeline (``path``: (time, status entered)), its request and shipment."""
    ordered_at = jst(ordered)
    status = path[-1][1] if path else S.NEW.value
    order = Order.objects.create(
        shop=shop,
        warehouse=warehouse,
        mall_order_number=number,
        status=status,
        ordered_at=ordered_at,
        imported_at=ordered_at,
        status_changed_at=jst(path[-1][0]) if path else ordered_at,
        buyer_name="山田 太郎",
    )
    package = Package.objects.create(
        order=order,
        seq=1,
        recipient_name="山田 太郎",
        postal_code="1000001",
        prefecture="東京都",
        delivery_method="宅配便",
        shipment_status=PackageStatus.SHIPPED.value if shipped else PackageStatus.PENDING.value,
    )
    previous = S.NEW.value
    for at, target in path:
        OrderEvent.objects.create(
            order=order, at=jst(at), actor="system", kind="transition", from_status=previous, to_status=target
        )
        previous = target
    for code, added, cleared in tags:
        OrderEvent.objects.create(order=order, at=jst(added), actor="system", kind="tag_added", detail={"tag": code})
        if cleared:
            OrderEvent.objects.create(
                order=order, at=jst(cleared), actor="system", kind="tag_cleared", detail={"tag": code}
            )
        else:
            OrderTag.objects.create(order=order, code=code, source="system", created_at=jst(added))
    if accepted or ship_by:
        request = ShipmentRequest.objects.create(
            request_id=f"{shop.code}-{number}-1-{next(_seq)}",
            order=order,
            package=package,
            warehouse=warehouse,
            state=RequestState.ACCEPTED,
            ship_by=date.fromisoformat(f"2026-{ship_by}") if ship_by else None,
            created_at=jst(accepted or ordered),
            answered_at=jst(accepted or ordered),
        )
        if shipped:
            Shipment.objects.create(
                package=package,
                request=request,
                carrier_code="1029",
                shipped_on=date.fromisoformat(f"2026-{shipped}"),
                recorded_at=jst(recorded or f"{shipped} 12:00"),
            )
    return order


@pytest.fixture
def month(world, monkeypatch):
    """November 2026 as in the module docstring; the views' clock stands at 2026-12-03 10:00 JST."""
    monkeypatch.setattr(metrics_view, "now", lambda: JUDGED_AT)
    rsl, shop_a = world["warehouse"], world["shop"]
    own = Warehouse.objects.create(code="own", name="自社倉庫", every_day=False, observe_holidays=True)
    shop_b = Shop.objects.create(code="own-shop", name="自社店", mall="yahoo", warehouse=own)

    def shipped_path(day: str, accepted: str, shipped_at: str) -> list[tuple[str, str]]:
        return [
            (f"{day} {accepted}", S.CHECKED.value),
            (f"{day} {accepted}", S.AWAITING_SHIPMENT.value),
            (f"{day} {accepted}", S.SHIPPING.value),
            (shipped_at, S.SHIPPED.value),
        ]

    orders = {
        "A1": build_order(
            shop_a, rsl, "A1", "11-02 10:00", shipped_path("11-02", "10:30", "11-02 16:00"),
            ship_by="11-02", accepted="11-02 10:30", shipped="11-02", recorded="11-02 16:00",
        ),
        "A2": build_order(
            shop_a, rsl, "A2", "11-03 09:00",
            [
                ("11-03 09:30", S.AWAITING_CHECK.value),
                ("11-03 16:00", S.CHECKED.value),
                ("11-03 16:00", S.AWAITING_SHIPMENT.value),
                ("11-03 16:00", S.SHIPPING.value),
                ("11-04 12:00", S.SHIPPED.value),
            ],
            ship_by="11-04", accepted="11-03 16:00", shipped="11-04", recorded="11-04 12:00",
            tags=[("address_invalid", "11-03 09:30", "11-03 16:00")],
        ),
        "A3": build_order(
            shop_a, rsl, "A3", "11-04 11:00", shipped_path("11-04", "11:30", "11-05 10:00"),
            ship_by="11-04", accepted="11-04 11:30", shipped="11-05", recorded="11-05 10:00",
        ),
        "A4": build_order(shop_a, rsl, "A4", "11-28 10:00", [("11-28 10:30", S.CHECKED.value)]),
        "A5": build_order(shop_a, rsl, "A5", "11-10 10:00", [("11-10 10:30", S.CANCELLED.value)]),
        "B1": build_order(
            shop_b, own, "B1", "11-02 16:00", shipped_path("11-04", "09:00", "11-04 15:00"),
            accepted="11-04 09:00", shipped="11-04", recorded="11-04 15:00",
        ),
    }  # fmt: skip
    return {"shop_a": shop_a, "shop_b": shop_b, "rsl": rsl, "own": own, "orders": orders}


@pytest.fixture
def users(db):
    return {role: create_user(f"m-{role.code}", "pw-correct-horse-1", role) for role in Role}


def client_for(users, role: Role) -> Client:
    client = Client()
    client.force_login(users[role])
    return client


class _ElementText(HTMLParser):
    """Collects the text inside the element with a given id (nested elements included)."""

    VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "line", "rect", "circle", "polyline"})

    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id, self.depth, self.parts, self.found = element_id, 0, [], False

    def handle_starttag(self, tag, attrs) -> None:
        if self.depth:
            self.depth += tag not in self.VOID
        elif dict(attrs).get("id") == self.element_id:
            self.depth, self.found = 1, True

    def handle_startendtag(self, tag, attrs) -> None:
        pass

    def handle_endtag(self, tag) -> None:
        if self.depth and tag not in self.VOID:
            self.depth -= 1

    def handle_data(self, data) -> None:
        if self.depth:
            self.parts.append(data)


def text_of(html: str, element_id: str) -> str:
    """The visible text of the element with ``element_id`` (tags dropped, whitespace squeezed)."""
    parser = _ElementText(element_id)
    parser.feed(html)
    assert parser.found, f"no element #{element_id}"
    return " ".join(" ".join(parser.parts).split())


def row_of(html: str, attr: str, value: str) -> list[str]:
    """The cells' texts of the table row with ``attr="value"``."""
    match = re.search(rf'<tr {attr}="{re.escape(value)}">(.*?)</tr>', html, re.S)
    assert match, f"no row {attr}={value}"
    return [
        " ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)
    ]


# ---- the numbers ----------------------------------------------------------------------------------------


def test_the_report_of_the_month_has_the_hand_computed_figures(month) -> None:
    report = build_report(date(2026, 11, 1), metrics_view.Granularity.DAY, MetricsFilter(), JUDGED_AT)

    total = report.total
    assert (total.due, total.on_time, total.met_cutoff, total.pending, total.shipped) == (5, 3, 2, 0, 4)
    assert (total.compliance, total.cutoff_rate) == (60.0, 40.0)
    assert (total.lead_p50, total.lead_p95) == (25.0, pytest.approx(44.0))
    assert total.within_six_days == 4
    assert [
        (r.shop.code, r.metrics.due, r.metrics.on_time, r.metrics.shipped, r.criteria.met) for r in report.shops
    ] == [
        ("demo", 4, 2, 3, False),
        ("own-shop", 1, 1, 1, False),
    ]
    assert [(r.warehouse.code, r.metrics.due, r.metrics.on_time) for r in report.warehouses] == [
        ("own", 1, 1),
        ("rsl", 4, 2),
    ]
    assert len(report.rows) == 30
    assert report.month_over


def test_an_order_completed_without_a_recorded_shipment_is_left_out_not_counted_late(month) -> None:
    shop_a, rsl = month["shop_a"], month["rsl"]
    build_order(shop_a, rsl, "A6", "11-05 10:00", [("11-05 10:30", S.COMPLETED.value)])

    report = build_report(date(2026, 11, 1), metrics_view.Granularity.DAY, MetricsFilter(), JUDGED_AT)

    assert (report.total.due, report.total.on_time) == (5, 3)
    assert "A6" not in [x.outcome.facts.number for x in report.missed]


def test_the_cutoff_misses_are_listed_with_the_status_that_held_them(month) -> None:
    report = build_report(date(2026, 11, 1), metrics_view.Granularity.DAY, MetricsFilter(), JUDGED_AT)

    got = [
        (x.outcome.facts.number, x.reason.status, round(x.reason.hours, 2), x.reason.tags, x.reason.at_warehouse)
        for x in report.missed
        if x.reason
    ]
    assert report.missed_count == 3
    assert got == [
        ("A4", "checked", 119.5, (), False),
        ("A3", "shipping", 22.5, (), True),
        ("A2", "awaiting_check", 6.5, ("address_invalid",), False),
    ]


def test_viewer_sees_the_page_with_the_figures_the_verdicts_and_the_misses(month, users) -> None:
    html = client_for(users, Role.VIEWER).get("/quality/?month=2026-11").content.decode()

    assert text_of(html, "kpi-compliance") == "納期遵守率 60.0% 3 / 5 件 · 基準 96%"
    assert text_of(html, "kpi-shipped") == "出荷件数 4 基準 100 件/月"
    assert text_of(html, "kpi-lead") == "リードタイム (注文→出荷) 25.0 / 44.0 時間 中央値 / 95%点"
    assert text_of(html, "kpi-cutoff").startswith("締め時間内出荷率 40.0% 間に合わなかった受注 3 件")
    assert row_of(html, "data-shop", "demo") == ["デモ店 楽天市場", "3", "未達", "50.0% (2/4)", "未達", "未達"]
    assert row_of(html, "data-shop", "own-shop") == [
        "自社店 Yahoo!ショッピング",
        "1",
        "未達",
        "100.0% (1/1)",
        "達成",
        "未達",
    ]
    assert row_of(html, "data-period", "2026-11-04") == [
        "11/04", "3", "2", "1", "66.7%", "33.3%", "0", "2", "37.0", "46.0", "100.0%"
    ]  # fmt: skip
    a2 = month["orders"]["A2"]
    assert row_of(html, "data-order", "A2") == [
        "A2", "デモ店", "11/03 09:00", "11/03", "11/04 (倉庫)", "11/04", "期限内", "確認待 住所不備", "6.5"
    ]  # fmt: skip
    assert f'href="/orders/{a2.pk}/"' in html
    assert row_of(html, "data-order", "A3")[7] == "出荷作業中 倉庫で当日出荷されませんでした"
    assert row_of(html, "data-order", "A4")[5:8] == ["未出荷", "遅延", "確認済"]
    assert 'class="bar-ng"' in html and 'class="chart-target"' in html and "<polyline" in html
    assert "A5" not in re.findall(r'data-order="([^"]+)"', html)


def test_filters_narrow_the_page_to_one_shop_or_one_warehouse(month, users) -> None:
    client = client_for(users, Role.VIEWER)

    by_shop = client.get(f"/quality/?month=2026-11&shop={month['shop_b'].pk}").content.decode()
    by_warehouse = client.get(f"/quality/?month=2026-11&warehouse={month['rsl'].pk}").content.decode()

    assert text_of(by_shop, "kpi-compliance") == "納期遵守率 100.0% 1 / 1 件 · 基準 96%"
    assert re.findall(r'data-shop="([^"]+)"', by_shop) == ["own-shop"]
    assert re.findall(r'data-order="([^"]+)"', by_shop) == []
    assert text_of(by_warehouse, "kpi-compliance") == "納期遵守率 50.0% 2 / 4 件 · 基準 96%"
    assert re.findall(r'data-order="([^"]+)"', by_warehouse) == ["A4", "A3", "A2"]


def test_per_month_rows_cover_twelve_months_up_to_the_chosen_one(month, users) -> None:
    html = client_for(users, Role.VIEWER).get("/quality/?month=2026-11&per=month").content.decode()

    periods = re.findall(r'data-period="([^"]+)"', html)
    assert periods[0] == "2025-12-01" and periods[-1] == "2026-11-01" and len(periods) == 12
    assert row_of(html, "data-period", "2026-11-01")[:5] == ["2026/11", "5", "3", "2", "60.0%"]
    assert row_of(html, "data-period", "2026-10-01")[:5] == ["2026/10", "0", "0", "0", "—"]


def test_a_shop_with_100_on_time_shipments_in_a_month_meets_both_criteria(month, users) -> None:
    shop_b, own = month["shop_b"], month["own"]
    for i in range(100):
        day = f"10-{(i % 20) + 1:02d}"
        build_order(shop_b, own, f"OCT-{i:03d}", f"{day} 10:00", [], ship_by=day, shipped=day)

    html = client_for(users, Role.VIEWER).get(f"/quality/?month=2026-10&shop={shop_b.pk}").content.decode()

    assert row_of(html, "data-shop", "own-shop") == [
        "自社店 Yahoo!ショッピング",
        "100",
        "達成",
        "100.0% (100/100)",
        "達成",
        "達成",
    ]


@pytest.mark.parametrize("query", ["month=2026-13", "month=nov", "per=week", "shop=abc", "warehouse=999999"])
def test_an_unreadable_filter_answers_400(month, users, query) -> None:
    response = client_for(users, Role.VIEWER).get(f"/quality/?{query}")

    assert response.status_code == 400


# ---- the CSV --------------------------------------------------------------------------------------------


def test_csv_is_cp932_with_japanese_headers_one_row_per_day(month, users) -> None:
    response = client_for(users, Role.VIEWER).get("/quality/export.csv?month=2026-11")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=cp932"
    assert 'filename="delivery_quality_202611_day.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("cp932"))))
    assert rows[0] == list(metrics_view.CSV_HEADER)
    assert rows[0][:7] == ["期間", "ショップ", "倉庫", "出荷期限日の受注数", "期限内出荷", "遅延", "納期遵守率(%)"]
    assert len(rows) == 31
    assert rows[4] == [
        "2026-11-04", "すべて", "すべて", "3", "2", "1", "66.7", "1", "33.3", "0", "2", "37.0", "46.0", "2", "100.0"
    ]  # fmt: skip
    assert rows[15][3:] == ["0", "0", "0", "", "0", "", "0", "0", "", "", "0", ""]


def test_csv_in_utf8_per_month_for_one_shop(month, users) -> None:
    shop_a = month["shop_a"]
    response = client_for(users, Role.VIEWER).get(
        f"/quality/export.csv?month=2026-11&per=month&shop={shop_a.pk}&encoding=utf-8"
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 13
    assert rows[-1][:7] == ["2026-11", "demo", "すべて", "4", "2", "2", "50.0"]


# ---- the top page's card, navigation and roles -----------------------------------------------------------


def test_the_top_page_card_shows_this_month_so_far(month, users, monkeypatch) -> None:
    # 11/28 12:00: A4's ship-by day is today and it has not shipped: pending, not late.
    monkeypatch.setattr(metrics_view, "now", lambda: datetime(2026, 11, 28, 12, 0, tzinfo=JST))

    html = client_for(users, Role.VIEWER).get("/").content.decode()

    assert text_of(html, "card-compliance") == "75.0%"
    assert text_of(html, "card-shipped") == "4"
    assert text_of(html, "card-met") == "0 / 2"
    assert 'id="card-chart"' in html and 'class="bar-ng"' in html
    assert 'href="/quality/#missed"' in html


def test_the_navigation_links_to_the_page_and_marks_it_active(month, users) -> None:
    top = client_for(users, Role.VIEWER).get("/").content.decode()
    page = client_for(users, Role.VIEWER).get("/quality/").content.decode()

    assert '<a href="/quality/" class="">配送品質</a>' in top
    assert '<a href="/quality/" class="active">配送品質</a>' in page


@pytest.mark.parametrize("url", ["/quality/", "/quality/export.csv"])
def test_anonymous_visitor_is_sent_to_the_login_page(db, url) -> None:
    response = Client().get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.code)
def test_every_role_may_see_the_page_and_the_csv(world, users, role) -> None:
    client = client_for(users, role)

    assert client.get("/quality/").status_code == 200
    assert client.get("/quality/export.csv").status_code == 200
    assert client.post("/quality/").status_code == 405


def test_an_empty_installation_shows_dashes_not_errors(db, users) -> None:
    html = client_for(users, Role.VIEWER).get("/quality/?month=2026-11").content.decode()

    assert text_of(html, "kpi-compliance") == "納期遵守率 — 0 / 0 件 · 基準 96%"
    assert "締め時間に間に合わなかった受注はありません。" in html


# ---- through the real pipeline ---------------------------------------------------------------------------


def test_an_order_shipped_a_day_late_through_the_pipeline_is_late_and_blamed_on_the_warehouse(
    world, fakes, clock
) -> None:
    mall, warehouse = fakes
    # 2026-11-26 10:00 JST: ordered; the grace ends 10:30, the fake RSL accepts it for today.
    mall.put(mall_order("P-1", clock.now), clock.now)
    run_all(clock.advance(seconds=1))
    run_all(clock.advance(minutes=31))
    order = Order.objects.get(mall_order_number="P-1")
    assert order.status == S.SHIPPING.value, order.explanation
    # The warehouse ships it the next morning.
    clock.advance(days=1)
    for request in ShipmentRequest.objects.filter(order=order):
        warehouse.ship(request.request_id)
    run_all(clock.advance(seconds=5))

    report = build_report(date(2026, 11, 1), metrics_view.Granularity.DAY, MetricsFilter(), clock.now)

    assert (report.total.due, report.total.on_time, report.total.shipped) == (1, 0, 1)
    (missed,) = report.missed
    assert missed.outcome.ship_by == missed.outcome.cutoff_day == date(2026, 11, 26)
    assert missed.outcome.facts.shipped_on == date(2026, 11, 27)
    assert missed.reason is not None
    assert (missed.reason.status, missed.reason.at_warehouse) == (S.SHIPPING.value, True)
    assert missed.reason.hours == pytest.approx(24.0, abs=0.01)
    assert report.total.lead_p50 == pytest.approx((clock.now - order.ordered_at).total_seconds() / 3600)
