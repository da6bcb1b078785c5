"""Chart geometry for the server-rendered SVG charts of the delivery-quality page (no script, no inline style).

The functions turn metric rows into coordinates; the templates draw them with classes from juchu.css and
write the words (labels, tooltips) with ``{% translate %}``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from juchu.domain.metrics import COMPLIANCE_TARGET_PERCENT, Granularity, PeriodMetrics

#: Candidate steps (hours) of the lead-time axis; the first that needs at most five ticks is used.
_HOUR_STEPS = (1, 2, 4, 6, 12, 24, 48, 72, 120, 168, 336, 720)


@dataclass(frozen=True)
class Frame:
    """The drawing area: the SVG's size and the plot's margins."""

    width: int = 720
    height: int = 220
    left: int = 44
    right: int = 12
    top: int = 12
    bottom: int = 26

    @property
    def plot_width(self) -> float:
        """Width of the plot area."""
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> float:
        """Height of the plot area."""
        return self.height - self.top - self.bottom

    @property
    def right_edge(self) -> float:
        """The x of the plot's right edge."""
        return self.width - self.right

    @property
    def baseline(self) -> float:
        """The y of the plot's bottom edge."""
        return self.top + self.plot_height


COMPACT = Frame(width=360, height=130, left=34, right=6, top=8, bottom=20)


@dataclass(frozen=True)
class Tick:
    """A horizontal grid line with its axis label."""

    y: float
    text: str


@dataclass(frozen=True)
class XLabel:
    """A label under one period."""

    x: float
    text: str


@dataclass(frozen=True)
class Bar:
    """One period's 納期遵守率 bar."""

    x: float
    y: float
    width: float
    height: float
    ok: bool
    label: str
    percent: str
    on_time: int
    due: int


@dataclass(frozen=True)
class Point:
    """One period's lead-time marker."""

    x: float
    y: float
    label: str
    hours: str


@dataclass(frozen=True)
class Chart:
    """Everything a template needs to draw one chart."""

    frame: Frame
    ticks: list[Tick]
    x_labels: list[XLabel]
    bars: list[Bar]
    target_y: float | None = None
    p50: list[Point] | None = None
    p95: list[Point] | None = None

    @property
    def p50_points(self) -> str:
        """The p50 polyline's ``points`` attribute."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.p50 or [])

    @property
    def p95_points(self) -> str:
        """The p95 polyline's ``points`` attribute."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.p95 or [])


def period_label(start: date, granularity: Granularity) -> str:
    """How a period is named on the axis and in tooltips: 11/05 or 2026/11."""
    return start.strftime("%m/%d") if granularity is Granularity.DAY else start.strftime("%Y/%m")


def _axis_label(start: date, granularity: Granularity, index: int, count: int, compact: bool) -> str:
    if granularity is Granularity.MONTH:
        return start.strftime("%y/%m")
    if compact and count > 10 and not (start.day == 1 or start.day % 5 == 0):
        return ""
    return str(start.day)


def _slots(frame: Frame, count: int) -> tuple[float, list[float]]:
    slot = frame.plot_width / max(count, 1)
    return slot, [frame.left + slot * (i + 0.5) for i in range(count)]


def _x_labels(rows: Sequence[PeriodMetrics], granularity: Granularity, frame: Frame) -> list[XLabel]:
    _, centres = _slots(frame, len(rows))
    compact = frame.width < 500
    labels = (_axis_label(r.start, granularity, i, len(rows), compact) for i, r in enumerate(rows))
    return [XLabel(x, text) for x, text in zip(centres, labels, strict=True) if text]


def compliance_chart(rows: Sequence[PeriodMetrics], granularity: Granularity, frame: Frame = Frame()) -> Chart:
    """Bars of 納期遵守率 per period on a 0–100 % axis with the 96 % line; periods with nothing due stay empty."""
    slot, centres = _slots(frame, len(rows))
    width = max(2.0, slot * 0.7)

    def y(percent: float) -> float:
        return frame.top + frame.plot_height * (1 - percent / 100)

    bars = []
    for row, centre in zip(rows, centres, strict=True):
        rate = row.compliance
        if rate is None:
            continue
        bars.append(
            Bar(
                x=centre - width / 2,
                y=y(rate),
                width=width,
                height=max(frame.baseline - y(rate), 0.0),
                ok=row.on_time * 100 >= COMPLIANCE_TARGET_PERCENT * row.due,
                label=period_label(row.start, granularity),
                percent=f"{rate:.1f}%",
                on_time=row.on_time,
                due=row.due,
            )
        )
    ticks = [Tick(y(v), f"{v}%") for v in (0, 25, 50, 75, 100)]
    return Chart(frame, ticks, _x_labels(rows, granularity, frame), bars, target_y=y(COMPLIANCE_TARGET_PERCENT))


def _hour_axis(top_value: float) -> tuple[int, int]:
    """(step, maximum) of the hour axis: the smallest listed step with at most five ticks above zero."""
    step = next((s for s in _HOUR_STEPS if top_value <= s * 5), _HOUR_STEPS[-1])
    return step, step * max(1, math.ceil(top_value / step))


def lead_time_chart(rows: Sequence[PeriodMetrics], granularity: Granularity, frame: Frame = Frame()) -> Chart:
    """Lines of the lead time's p50 and p95 (hours) per period; periods without shipments are skipped."""
    _, centres = _slots(frame, len(rows))
    highest = max((r.lead_p95 for r in rows if r.lead_p95 is not None), default=0.0)
    step, maximum = _hour_axis(highest)

    def y(hours: float) -> float:
        return frame.top + frame.plot_height * (1 - hours / maximum)

    p50, p95 = [], []
    for row, centre in zip(rows, centres, strict=True):
        label = period_label(row.start, granularity)
        if row.lead_p50 is not None:
            p50.append(Point(centre, y(row.lead_p50), label, f"{row.lead_p50:.1f}"))
        if row.lead_p95 is not None:
            p95.append(Point(centre, y(row.lead_p95), label, f"{row.lead_p95:.1f}"))
    ticks = [Tick(y(v), f"{v}h") for v in range(0, maximum + 1, step)]
    return Chart(frame, ticks, _x_labels(rows, granularity, frame), [], p50=p50, p95=p95)
