"""Small formatting helpers shared by templates, the CSV export and the JSON API."""

from __future__ import annotations

import datetime as _dt
import math
import urllib.parse
from typing import Any


def format_time(ms: int | None) -> str:
    """``2026-11-28 08:52:05`` in the server's local time zone, or an empty string."""
    if ms is None:
        return ""
    return _dt.datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def iso_time(ms: int | None) -> str:
    """ISO 8601 with the UTC offset, for machine-readable output."""
    if ms is None:
        return ""
    return _dt.datetime.fromtimestamp(ms / 1000, tz=_dt.timezone.utc).isoformat(timespec="milliseconds")


def duration_ms(start: int | None, end: int | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, end - start)


def format_duration(ms: int | None) -> str:
    """``850 ms``, ``12.3 s``, ``4 min 05 s``, ``2 h 03 min``."""
    if ms is None:
        return ""
    if ms < 1000:
        return f"{ms} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def format_number(value: Any) -> str:
    """Metric values with 4 significant digits; NaN and infinities spelled out."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "∞" if value > 0 else "-∞"
        return f"{value:.4g}"
    return str(value)


def format_signed(value: float | None, percent: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        return format_number(value)
    if percent:
        return f"{value * 100:+.1f}%"
    return f"{value:+.4g}"


def format_bytes(size: float | None) -> str:
    if size is None:
        return ""
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


def json_safe(value: Any) -> Any:
    """Replace NaN and infinities (not valid JSON) by the strings ``"NaN"``, ``"Infinity"``."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def query_string(params: dict, **changes: Any) -> str:
    """``?a=1&b=2`` from ``params`` updated by ``changes``; ``None`` values and empty lists drop out."""
    merged = {**params, **changes}
    pairs: list[tuple[str, str]] = []
    for key, value in merged.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        pairs.extend((key, str(v)) for v in values if v is not None and v != "")
    return "?" + urllib.parse.urlencode(pairs) if pairs else "?"


def csv_safe(value: Any) -> Any:
    """Neutralize spreadsheet formulas in text cells (``=cmd``, ``+x``, ``@x``); numbers pass.

    Spreadsheets skip leading whitespace and line breaks before a formula (`` =cmd``,
    ``\n=cmd``), so a cell is checked at its first non-blank character, and one that starts
    with a tab, CR or LF is prefixed too.
    """
    if not isinstance(value, str) or not value:
        return value
    if value[0] not in "\t\r\n" and value.lstrip()[:1] not in ("=", "+", "-", "@"):
        return value
    try:
        float(value)
        return value
    except ValueError:
        return "'" + value
