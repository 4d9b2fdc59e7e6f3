"""Output for people (aligned tables, local times) and for scripts (JSON)."""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from autolog._core._entities import Experiment, FileInfo, Run

_MAX_CELL = 60
# Characters a terminal acts on instead of showing: C0 controls but tab and newline, DEL, C1 controls
# (ESC sequences can set the window title, rewrite lines, or worse) and the bidirectional
# overrides that make text display in another order than it reads.
_CONTROL_CODES = [c for c in range(0x20) if c not in (0x09, 0x0A)] + list(range(0x7F, 0xA0))
_BIDI_CODES = list(range(0x202A, 0x202F)) + list(range(0x2066, 0x206A))
_ESCAPES = {code: f"\\x{code:02x}" for code in _CONTROL_CODES}
_ESCAPES.update({code: f"\\u{code:04x}" for code in _BIDI_CODES})


def escape_control(text: str) -> str:
    """``text`` with terminal control characters shown escaped (``\\x1b``); newlines kept."""
    return text.translate(_ESCAPES)


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Left-aligned columns separated by two spaces, with an upper-case header line."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    text = "-" if value is None or value == "" else str(value)
    text = text.replace("\n", " ")
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 3] + "..."


def print_json(value: Any, out: TextIO = sys.stdout) -> None:
    """Strict JSON (non-finite floats become the strings "NaN", "Infinity", "-Infinity")."""
    out.write(json.dumps(_json_safe(value), indent=2, allow_nan=False) + "\n")


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def format_time(ms: int | None) -> str:
    """Local wall-clock time of a millisecond timestamp, e.g. ``2025-01-31 14:05:09``."""
    if ms is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ms / 1000))


def format_duration(start_ms: int | None, end_ms: int | None) -> str:
    if start_ms is None or end_ms is None:
        return "-"
    seconds = max(0.0, (end_ms - start_ms) / 1000)
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, seconds = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def format_number(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def experiment_to_dict(experiment: Experiment) -> dict:
    return {
        "experiment_id": experiment.experiment_id,
        "name": experiment.name,
        "artifact_location": experiment.artifact_location,
        "lifecycle_stage": experiment.lifecycle_stage,
        "tags": dict(experiment.tags or {}),
        "creation_time": experiment.creation_time,
        "last_update_time": experiment.last_update_time,
    }


def run_to_dict(run: Run) -> dict:
    info = run.info
    return {
        "run_id": info.run_id,
        "experiment_id": info.experiment_id,
        "run_name": info.run_name,
        "status": info.status,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "user_id": info.user_id,
        "source": info.source,
        "parent_run_id": info.parent_run_id,
        "lifecycle_stage": info.lifecycle_stage,
        "artifact_uri": info.artifact_uri,
        "params": dict(run.data.params),
        "metrics": dict(run.data.metrics),
        "tags": dict(run.data.tags),
    }


def file_info_to_dict(info: FileInfo) -> dict:
    return {"path": info.path, "is_dir": info.is_dir, "file_size": info.file_size}
