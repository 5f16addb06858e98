"""A server-side SVG line chart: ``x`` against ``y`` columns, one line per group.

The chart collects at most :data:`MAX_POINTS` points while rows stream past
(the HTML page is a summary, not the data set), maps them onto a fixed canvas
and hands the template plain numbers and labels; Jinja escapes every label.
X values may be numbers, dates, datetimes or text (text is placed in order of
first appearance).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from reportflow.catalog.model import ChartSpec

MAX_POINTS = 20_000
LEGEND_ROW = 18
WIDTH, HEIGHT = 800, 360
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 70, 160, 30, 40
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip


@dataclass(slots=True)
class Series:
    label: str
    color: str
    points: str  # SVG polyline "x,y x,y ..."


@dataclass(slots=True)
class ChartView:
    """What the template draws."""

    title: str
    width: int
    height: int
    series: list[Series]
    x_min: str
    x_max: str
    y_min: str
    y_max: str
    x_label: str
    truncated: bool
    plot: tuple[int, int, int, int]  # left, top, right, bottom


def _numeric(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    if isinstance(value, datetime.date):
        return float(value.toordinal())
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _label(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.6g}"
    return str(value)


@dataclass
class ChartCollector:
    """Gathers chart points from batches; builds the view at the end."""

    spec: ChartSpec
    points: dict[tuple[str, str], list[tuple[Any, float]]] = field(default_factory=dict)
    count: int = 0
    truncated: bool = False
    _categories: dict[str, int] = field(default_factory=dict)

    def columns(self) -> list[str]:
        cols = [self.spec.x, *self.spec.y]
        return [*cols, self.spec.group] if self.spec.group else cols

    def add(self, batch: pa.RecordBatch) -> None:
        if self.count >= MAX_POINTS:
            self.truncated = True
            return
        xs = batch.column(self.spec.x).to_pylist()
        groups: Sequence[Any] = (
            batch.column(self.spec.group).to_pylist() if self.spec.group else [None] * len(xs)
        )
        for y in self.spec.y:
            ys = batch.column(y).to_pylist()
            for x, yv, g in zip(xs, ys, groups, strict=True):
                fy = _numeric(yv)
                if x is None or fy is None:
                    continue
                label = (
                    y if not self.spec.group else (f"{g}" if len(self.spec.y) == 1 else f"{g} {y}")
                )
                self.points.setdefault((label, y), []).append((x, fy))
                self.count += 1
        if self.count >= MAX_POINTS:
            self.truncated = True

    def _x_value(self, x: Any) -> float:
        number = _numeric(x) if not isinstance(x, str) else None
        if number is not None:
            return number
        return float(self._categories.setdefault(str(x), len(self._categories)))

    def view(self, title: str) -> ChartView | None:
        if not self.points:
            return None
        series_xy = {
            k: [(self._x_value(x), y, x) for x, y in pts] for k, pts in self.points.items()
        }
        all_pts = [p for pts in series_xy.values() for p in pts]
        x_lo, x_hi = min(p[0] for p in all_pts), max(p[0] for p in all_pts)
        y_lo, y_hi = min(p[1] for p in all_pts), max(p[1] for p in all_pts)
        raw_lo = min(all_pts, key=lambda p: p[0])[2]
        raw_hi = max(all_pts, key=lambda p: p[0])[2]
        left, top = MARGIN_LEFT, MARGIN_TOP
        right, bottom = WIDTH - MARGIN_RIGHT, HEIGHT - MARGIN_BOTTOM
        x_span = (x_hi - x_lo) or 1.0
        y_span = (y_hi - y_lo) or 1.0

        def sx(v: float) -> float:
            return left + (v - x_lo) / x_span * (right - left)

        def sy(v: float) -> float:
            return bottom - (v - y_lo) / y_span * (bottom - top)

        series = []
        for i, ((label, _), pts) in enumerate(series_xy.items()):
            pts.sort(key=lambda p: p[0])
            coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y, _ in pts)
            series.append(Series(label=label, color=PALETTE[i % len(PALETTE)], points=coords))
        # The legend lists every series; the canvas grows so it is not cut off.
        height = max(HEIGHT, MARGIN_TOP + LEGEND_ROW * len(series) + 10)
        return ChartView(
            title=title,
            width=WIDTH,
            height=height,
            series=series,
            x_min=_label(raw_lo),
            x_max=_label(raw_hi),
            y_min=_label(y_lo),
            y_max=_label(y_hi),
            x_label=self.spec.x,
            truncated=self.truncated,
            plot=(left, top, right, bottom),
        )
