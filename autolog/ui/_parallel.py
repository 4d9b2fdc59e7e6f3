"""A server-rendered parallel-coordinates chart: one vertical axis per param or final metric.

Each run is a polyline across the axes; numeric values sit on a linear scale, other values on
evenly spaced categories. Lines are coloured by the last axis (a metric) from blue (low) to red
(high). The SVG is plain markup (readable without JavaScript, no inline script or style).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

MAX_AXES = 12
MAX_CATEGORIES = 40


@dataclass
class Axis:
    kind: str  # "params" or "metrics"
    key: str
    x: float = 0.0
    ticks: list = field(default_factory=list)  # (y, label)


@dataclass
class Line:
    run_id: str
    label: str
    points: str  # "x,y x,y ..." for <polyline points>
    colour: str
    title: str


@dataclass
class Parallel:
    axes: list
    lines: list
    width: int
    height: int
    top: int = 28
    bottom: int = 24


def parallel_coordinates(
    runs: list, param_rows: list, metric_rows: list, *, width: int = 1100, height: int = 340
) -> Parallel | None:
    """Axes: params whose values differ, then metrics; ``None`` when fewer than two axes."""
    axes = [Axis("params", r.key) for r in param_rows if r.differs][: MAX_AXES // 2]
    metric_axes = [Axis("metrics", r.key) for r in metric_rows if _numeric_count(runs, r.key) > 0]
    axes += metric_axes[: MAX_AXES - len(axes)]
    if len(axes) < 2 or not runs:
        return None
    chart = Parallel(axes, [], width, height)
    left, right = 90, width - 90
    for index, axis in enumerate(axes):
        axis.x = left + (right - left) * index / (len(axes) - 1)
    scales = [_scale(axis, runs, chart) for axis in axes]
    colour_of = _colour_scale(axes[-1], runs)
    for run in runs:
        points = [scale(_value(run, axis)) for axis, scale in zip(axes, scales)]
        coordinates = " ".join(f"{axis.x:.1f},{y:.1f}" for axis, y in zip(axes, points) if y is not None)
        label = run.info.run_name or run.info.run_id[:8]
        title = label + ": " + ", ".join(f"{a.key}={_text(_value(run, a))}" for a in axes)
        chart.lines.append(Line(run.info.run_id, label, coordinates, colour_of(run), title))
    return chart


def _value(run, axis: Axis):
    return getattr(run.data, axis.kind).get(axis.key)


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _numeric_count(runs: list, key: str) -> int:
    return sum(1 for r in runs if _number(r.data.metrics.get(key)) is not None)


def _text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)[:40]


def _scale(axis: Axis, runs: list, chart: Parallel):
    """A function value -> y (None when missing), and the axis ticks."""
    top, bottom = chart.top, chart.height - chart.bottom
    values = [_value(r, axis) for r in runs]
    present = [v for v in values if v is not None]
    numbers = [n for n in map(_number, present) if n is not None]
    if present and len(numbers) == len(present):
        low, high = min(numbers), max(numbers)
        span = (high - low) or 1.0
        axis.ticks = [
            (bottom - (bottom - top) * i / 4, f"{low + (high - low) * i / 4:.4g}") for i in range(5)
        ]
        return lambda v: None if (n := _number(v)) is None else bottom - (bottom - top) * (n - low) / span
    categories = sorted({str(v) for v in present}, key=_natural)[:MAX_CATEGORIES]
    step = (bottom - top) / max(1, len(categories) - 1)
    where = {
        c: (bottom - step * i if len(categories) > 1 else (top + bottom) / 2)
        for i, c in enumerate(categories)
    }
    axis.ticks = [(y, c[:14]) for c, y in where.items()]
    return lambda v: None if v is None else where.get(str(v))


def _natural(text: str):
    number = _number(text)
    return (0, number, "") if number is not None else (1, 0.0, text)


def _colour_scale(axis: Axis, runs: list):
    numbers = [n for n in (_number(_value(r, axis)) for r in runs) if n is not None]
    low, high = (min(numbers), max(numbers)) if numbers else (0.0, 1.0)
    span = (high - low) or 1.0

    def colour(run) -> str:
        number = _number(_value(run, axis))
        if number is None:
            return "#8c959f"
        t = (number - low) / span
        red, green, blue = int(40 + 200 * t), int(100 - 40 * abs(t - 0.5)), int(200 - 170 * t)
        return f"#{red:02x}{green:02x}{blue:02x}"

    return colour
