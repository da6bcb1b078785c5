"""配送品質: 納期遵守率, lead time, cutoff misses and the 最強翌日配送 criteria, per shop and warehouse, per day
and per month; its CSV; and the top page's card. The figures come from ``juchu.orders.metrics``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.http import require_GET

from juchu.csvio.text import writer_bytes
from juchu.domain.metrics import (
    COMPLIANCE_TARGET_PERCENT,
    MONTHLY_SHIPMENTS_TARGET,
    SIX_DAYS,
    Granularity,
    PeriodMetrics,
    jst_day,
    month_start,
)
from juchu.domain.metrics_holds import BEFORE_IMPORT
from juchu.domain.status import OrderStatus
from juchu.fulfillment.models import Warehouse
from juchu.orders.metrics import MetricsFilter, MissedOrder, Report, build_report
from juchu.shops.models import Shop
from juchu.web import charts
from juchu.web.auth import viewer_required
from juchu.web.views.order_list import tag_labels

#: The CSV's columns, one row per day or month.
CSV_HEADER = (
    "期間",
    "ショップ",
    "倉庫",
    "出荷期限日の受注数",
    "期限内出荷",
    "遅延",
    "納期遵守率(%)",
    "締め時間内出荷",
    "締め時間内出荷率(%)",
    "未確定",
    "出荷件数",
    "リードタイム中央値(時間)",
    "リードタイム95%点(時間)",
    "6日以内出荷",
    "6日以内出荷率(%)",
)
_BEFORE_IMPORT_LABEL = ("取込前", "Before import")


def now() -> datetime:
    """The metrics views' clock (tests move it)."""
    current: datetime = timezone.now()
    return current


class ParamError(ValueError):
    """A filter parameter that cannot be read."""


@dataclass(frozen=True)
class Params:
    """The page's filters: month, rows per day or month, shop, warehouse."""

    month: date
    granularity: Granularity
    shop: Shop | None
    warehouse: Warehouse | None

    @property
    def filter(self) -> MetricsFilter:
        """The query filter."""
        return MetricsFilter(
            shop_id=self.shop.pk if self.shop else None,
            warehouse_id=self.warehouse.pk if self.warehouse else None,
        )


def _object(model: Any, raw: str, what: str) -> Any:
    if not raw:
        return None
    if not raw.isdigit():
        raise ParamError(f"{what}の指定が正しくありません")
    found = model.objects.filter(pk=int(raw)).first()
    if found is None:
        raise ParamError(f"{what}が見つかりません")
    return found


def parse_params(query: QueryDict, today: date) -> Params:
    """The filters from the query string (defaults: this month, per day, everything); ParamError if unreadable."""
    raw_month = query.get("month", "").strip()
    if raw_month:
        match = re.fullmatch(r"(\d{4})-(\d{1,2})", raw_month)
        if match is None or not 1 <= int(match[2]) <= 12:
            raise ParamError("月は YYYY-MM で指定してください")
        month = date(int(match[1]), int(match[2]), 1)
        if not 2000 <= month.year <= 2100:
            raise ParamError("月の範囲が正しくありません")
    else:
        month = month_start(today)
    try:
        granularity = Granularity(query.get("per") or Granularity.DAY.value)
    except ValueError:
        raise ParamError("集計単位は day か month で指定してください") from None
    return Params(
        month=month,
        granularity=granularity,
        shop=_object(Shop, query.get("shop", "").strip(), "ショップ"),
        warehouse=_object(Warehouse, query.get("warehouse", "").strip(), "倉庫"),
    )


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _row(metrics: PeriodMetrics, label: str = "") -> dict[str, Any]:
    """A row of figures formatted for a table."""
    return {
        "label": label,
        "m": metrics,
        "compliance": _pct(metrics.compliance),
        "cutoff_rate": _pct(metrics.cutoff_rate),
        "six_day_rate": _pct(metrics.six_day_rate),
        "p50": _hours(metrics.lead_p50),
        "p95": _hours(metrics.lead_p95),
        "below_target": metrics.due > 0 and metrics.on_time * 100 < COMPLIANCE_TARGET_PERCENT * metrics.due,
    }


def _status_name(code: str) -> str:
    english = (translation.get_language() or "ja").startswith("en")
    if code == BEFORE_IMPORT:
        return _BEFORE_IMPORT_LABEL[english]
    try:
        status = OrderStatus(code)
    except ValueError:
        return code
    return status.label_en if english else status.label_ja


def _missed_rows(missed: list[MissedOrder], shops: dict[int, Shop]) -> list[dict[str, Any]]:
    labels = tag_labels()
    rows = []
    for item in missed:
        o, reason = item.outcome, item.reason
        rows.append(
            {
                "o": o,
                "shop": shops.get(o.facts.shop_id),
                "reason": reason,
                "status": reason.status if reason else "",
                "status_name": _status_name(reason.status) if reason else "",
                "hours": _hours(reason.hours) if reason else "",
                "tags": [(code, *labels.get(code, (code, "custom"))) for code in reason.tags] if reason else [],
            }
        )
    return rows


def _context(params: Params, report: Report) -> dict[str, Any]:
    shops = {s.pk: s for s in Shop.objects.all()}
    return {
        "params": params,
        "report": report,
        "month_value": params.month.strftime("%Y-%m"),
        "total": _row(report.total),
        "rows": [_row(r, charts.period_label(r.start, report.granularity)) for r in report.rows],
        "shop_rows": [{"shop": s.shop, "criteria": s.criteria, **_row(s.metrics)} for s in report.shops],
        "warehouse_rows": [{"warehouse": w.warehouse, **_row(w.metrics)} for w in report.warehouses],
        "missed": _missed_rows(report.missed, shops),
        "compliance_chart": charts.compliance_chart(report.rows, report.granularity),
        "lead_chart": charts.lead_time_chart(report.rows, report.granularity),
        "target": COMPLIANCE_TARGET_PERCENT,
        "shipments_target": MONTHLY_SHIPMENTS_TARGET,
        "six_days": SIX_DAYS,
        "shops": Shop.objects.order_by("code"),
        "warehouses": Warehouse.objects.order_by("code"),
    }


@viewer_required
@require_GET
def metrics_page(request: HttpRequest) -> HttpResponse:
    """The delivery-quality page; 400 for a filter it cannot read."""
    current = now()
    try:
        params = parse_params(request.GET, jst_day(current))
    except ParamError as exc:
        return HttpResponseBadRequest(str(exc))
    report = build_report(params.month, params.granularity, params.filter, current)
    return render(request, "juchu/metrics/index.html", _context(params, report))


def _csv_rows(params: Params, report: Report) -> list[list[object]]:
    shop = params.shop.code if params.shop else "すべて"
    warehouse = params.warehouse.code if params.warehouse else "すべて"

    def number(value: float | None) -> str:
        return "" if value is None else f"{value:.1f}"

    rows: list[list[object]] = [list(CSV_HEADER)]
    for r in report.rows:
        period = r.start.isoformat() if report.granularity is Granularity.DAY else r.start.strftime("%Y-%m")
        rows.append(
            [
                period,
                shop,
                warehouse,
                r.due,
                r.on_time,
                r.late,
                number(r.compliance),
                r.met_cutoff,
                number(r.cutoff_rate),
                r.pending,
                r.shipped,
                number(r.lead_p50),
                number(r.lead_p95),
                r.within_six_days,
                number(r.six_day_rate),
            ]
        )
    return rows


@viewer_required
@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    """The page's rows (per day or month) as CSV: CP932 unless ?encoding=utf-8 (UTF-8 with BOM)."""
    current = now()
    try:
        params = parse_params(request.GET, jst_day(current))
    except ParamError as exc:
        return HttpResponseBadRequest(str(exc))
    encoding = "utf-8" if request.GET.get("encoding", "").lower() in ("utf-8", "utf8") else "cp932"
    report = build_report(params.month, params.granularity, params.filter, current, with_missed=False)
    response = HttpResponse(
        writer_bytes(_csv_rows(params, report), encoding), content_type=f"text/csv; charset={encoding}"
    )
    name = f"delivery_quality_{params.month:%Y%m}_{params.granularity.value}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def top_card() -> dict[str, Any]:
    """The top page's card: this month per day over every shop, with the small 納期遵守率 chart."""
    current = now()
    report = build_report(jst_day(current), Granularity.DAY, MetricsFilter(), current, with_missed=False)
    return {
        "report": report,
        "total": _row(report.total),
        "month_value": report.month.strftime("%Y-%m"),
        "met_shops": sum(1 for s in report.shops if s.criteria.met),
        "shop_count": len(report.shops),
        "chart": charts.compliance_chart(report.rows, Granularity.DAY, charts.COMPACT),
        "target": COMPLIANCE_TARGET_PERCENT,
    }
