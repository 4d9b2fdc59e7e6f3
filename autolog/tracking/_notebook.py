"""``autolog.show``: metric histories of runs as static SVG charts, inline in Jupyter.

Nothing runs in the browser and no server is needed: the store samples each history (min/max per
step bucket, like the UI) and the charts are plain SVG polylines with escaped labels.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable

WIDTH, HEIGHT, LEFT, BOTTOM, TOP, RIGHT = 420, 220, 56, 26, 22, 10
MAX_POINTS = 600
MAX_CHARTS = 24
COLORS = ["#0b62c4", "#d1495b", "#2a9d8f", "#e9a03b", "#6a4c93", "#3d5a80", "#8ab17d", "#b56576"]


class MetricCharts:
    """SVG charts of metric histories; Jupyter displays them through :meth:`_repr_html_`."""

    def __init__(self, charts: dict, names: dict):
        self.charts = charts  # key -> SVG markup
        self.names = names  # run id -> label

    def _repr_html_(self) -> str:
        if not self.charts:
            return "<div>No metric has more than one step to chart.</div>"
        legend = " ".join(
            f'<span style="color:{COLORS[i % len(COLORS)]}">&#9632;</span> {html.escape(name)}'
            for i, name in enumerate(self.names.values())
        )
        cells = "".join(f'<div style="margin:4px">{svg}</div>' for svg in self.charts.values())
        return (
            f'<div style="font-size:12px">{legend}</div>'
            f'<div style="display:flex;flex-wrap:wrap">{cells}</div>'
        )

    def __repr__(self) -> str:
        return f"MetricCharts({list(self.charts)})"


def show(runs, *, keys: Iterable[str] | None = None, client=None) -> MetricCharts | None:
    """Chart the metric histories of one run or several (overlaid), inline in a notebook.

    Parameters
    ----------
    runs : Run, str, or iterable of Run or str
        Runs or run ids (a search result works).
    keys : iterable of str, optional
        Metrics to chart (default: every metric logged at more than one step).
    client : Client, optional
        Default: the current tracking URI's client.

    Returns
    -------
    MetricCharts or None
        Displayed right away inside IPython (and ``None`` returned); otherwise returned, and its
        ``_repr_html_()`` is the HTML.
    """
    from autolog.tracking import current_client

    client = client or current_client()
    items = [runs] if isinstance(runs, str) or hasattr(runs, "info") else list(runs)
    found = [r if hasattr(r, "info") else client.get_run(r) for r in items]
    names = {r.info.run_id: r.info.run_name or r.info.run_id[:8] for r in found}
    chosen = list(keys) if keys is not None else _multi_step_keys(client.store, names)
    charts = {}
    for key in chosen[:MAX_CHARTS]:
        samples = client.store.sample_metric_histories(list(names), key, max_points=MAX_POINTS)
        if samples:
            charts[key] = chart_svg(key, samples, list(names))
    result = MetricCharts(charts, names)
    return _display(result)


def _multi_step_keys(store, names: dict) -> list:
    keys: set[str] = set()
    for run_id in names:
        keys.update(k for k, (first, last) in store.metric_step_ranges(run_id).items() if last != first)
    return sorted(keys)


def _display(result: MetricCharts) -> MetricCharts | None:
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return result
    if get_ipython() is None:
        return result
    display(result)
    return None


def chart_svg(key: str, samples: list, order: list) -> str:
    """One chart: a polyline per run (NaN and infinities break the line), axes and 5 ticks."""
    points = [(x, y) for s in samples for x, y in zip(s.steps, s.values) if _finite(y)]
    if not points:
        return ""
    x_low, x_high = _span(min(p[0] for p in points), max(p[0] for p in points))
    y_low, y_high = _span(min(p[1] for p in points), max(p[1] for p in points))

    def sx(x):
        return LEFT + (WIDTH - LEFT - RIGHT) * (x - x_low) / (x_high - x_low)

    def sy(y):
        return HEIGHT - BOTTOM - (HEIGHT - BOTTOM - TOP) * (y - y_low) / (y_high - y_low)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" style="background:#fff;border:1px solid #d8dee4;border-radius:6px">',
        f'<text x="{LEFT}" y="15" font-size="12" font-family="sans-serif" font-weight="600">{html.escape(key)}</text>',
    ]
    for i in range(5):
        y = y_low + (y_high - y_low) * i / 4
        x = x_low + (x_high - x_low) * i / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{sy(y):.1f}" y2="{sy(y):.1f}" stroke="#eaeef2"/>'
            f'<text x="{LEFT - 4}" y="{sy(y) + 3:.1f}" font-size="10" text-anchor="end" fill="#656d76" '
            f'font-family="sans-serif">{y:.3g}</text>'
            f'<text x="{sx(x):.1f}" y="{HEIGHT - 8}" font-size="10" text-anchor="middle" fill="#656d76" '
            f'font-family="sans-serif">{_step_label(x, x_high - x_low)}</text>'
        )
    for sample in samples:
        colour = COLORS[order.index(sample.run_id) % len(COLORS)]
        for segment in _segments(sample.steps, sample.values):
            coordinates = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in segment)
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{coordinates}"/>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _step_label(step: float, span: float) -> str:
    return f"{step:,.0f}" if span >= 8 else f"{step:.3g}"


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _span(low: float, high: float) -> tuple:
    if high == low:
        pad = abs(low) * 0.1 or 1.0
        return low - pad, high + pad
    return low, high


def _segments(steps: list, values: list) -> list:
    segments, current = [], []
    for x, y in zip(steps, values):
        if _finite(y):
            current.append((x, y))
        elif current:
            segments.append(current)
            current = []
    if current:
        segments.append(current)
    return segments
