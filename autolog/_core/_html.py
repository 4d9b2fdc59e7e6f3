"""Compact HTML tables for Jupyter (``_repr_html_`` of runs, experiments and search results).

Every value is escaped. When an ``autolog ui`` serving the same store is running on this machine
(it records itself in a small registry file while it runs), or ``AUTOLOG_UI_URL`` is set, the
tables link to the run's and experiment's pages.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import os
import tempfile
from collections.abc import Iterable

MAX_ROWS = 50
MAX_COLUMNS = 8
_STYLE = "font-size:12px;border-collapse:collapse"


def registry_path() -> str:
    """Where running UIs record ``{url, pid, artifact_root}`` (one file per user)."""
    explicit = os.environ.get("AUTOLOG_UI_REGISTRY")
    if explicit:
        return explicit
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return os.path.join(tempfile.gettempdir(), f"autolog-ui-{uid}.json")


def _alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError, TypeError):
        return False
    return True


def _local(uri: str) -> str:
    path = uri[len("file://") :] if uri.startswith("file://") else uri
    return os.path.normpath(path)


def ui_url(location: str | None) -> str | None:
    """The base URL of a running UI whose store holds ``location`` (an artifact URI), if any."""
    explicit = os.environ.get("AUTOLOG_UI_URL")
    if explicit:
        return explicit.rstrip("/")
    try:
        with open(registry_path(), encoding="utf-8") as handle:
            entries = json.load(handle)
    except (OSError, ValueError):
        return None
    target = _local(location or "")
    for entry in reversed(entries if isinstance(entries, list) else []):
        root = _local(str(entry.get("artifact_root", "")))
        if _alive(entry.get("pid")) and (target == root or target.startswith(root + os.sep)):
            return str(entry.get("url", "")).rstrip("/") or None
    return None


def _time(ms) -> str:
    return "" if ms is None else _dt.datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def _number(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _link(text: str, base: str | None, path: str) -> str:
    return f'<a href="{_e(base + path)}" target="_blank">{_e(text)}</a>' if base else _e(text)


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    head = "".join(f'<th style="text-align:left">{h}</th>' for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td style="text-align:left">{c}</td>' for c in row) + "</tr>" for row in rows
    )
    return f'<table style="{_STYLE}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def run_html(run) -> str:
    """One run: a title line, then its params, latest metrics and user tags."""
    info, data = run.info, run.data
    base = ui_url(info.artifact_uri)
    title = _link(info.run_name or info.run_id[:12], base, f"/runs/{info.run_id}")
    head = (
        f"<div><b>Run</b> {title} <code>{_e(info.run_id[:12])}</code> · {_e(info.status)}"
        f" · started {_e(_time(info.start_time))}</div>"
    )
    rows = [("param", _e(k), _e(v)) for k, v in sorted(data.params.items())]
    rows += [("metric", _e(k), _e(_number(v))) for k, v in sorted(data.metrics.items())]
    rows += [
        ("tag", _e(k), _e(str(v)[:200])) for k, v in sorted(data.tags.items()) if not k.startswith("autolog.")
    ]
    more = f"<div>… {len(rows) - MAX_ROWS} more</div>" if len(rows) > MAX_ROWS else ""
    return head + _table(("", "key", "value"), rows[:MAX_ROWS]) + more


def experiment_html(experiment) -> str:
    base = ui_url(experiment.artifact_location)
    name = _link(experiment.name, base, f"/experiments/{experiment.experiment_id}")
    rows = [
        ("id", _e(experiment.experiment_id)),
        ("name", name),
        ("lifecycle", _e(experiment.lifecycle_stage)),
        ("created", _e(_time(experiment.creation_time))),
        ("artifacts", _e(experiment.artifact_location)),
    ]
    rows += [(_e(k), _e(str(v)[:200])) for k, v in sorted((experiment.tags or {}).items())]
    return "<div><b>Experiment</b></div>" + _table(("", ""), rows)


def runs_html(runs: list) -> str:
    """A list of runs: one row each, with the metrics and params most of them have."""
    shown = runs[:MAX_ROWS]
    metric_keys = _common_keys([r.data.metrics for r in shown])
    param_keys = _common_keys([r.data.params for r in shown])
    base = ui_url(shown[0].info.artifact_uri) if shown else None
    header = (
        ["run", "name", "status", "started"]
        + [f"metrics.{_e(k)}" for k in metric_keys]
        + [f"params.{_e(k)}" for k in param_keys]
    )
    rows = []
    for run in shown:
        info = run.info
        rows.append(
            [
                _link(info.run_id[:12], base, f"/runs/{info.run_id}"),
                _e(info.run_name),
                _e(info.status),
                _e(_time(info.start_time)),
            ]
            + [_e(_number(run.data.metrics[k])) if k in run.data.metrics else "" for k in metric_keys]
            + [_e(run.data.params.get(k, "")) for k in param_keys]
        )
    more = f"<div>… {len(runs) - MAX_ROWS} more runs</div>" if len(runs) > MAX_ROWS else ""
    return f"<div><b>{len(runs)} run{'s' if len(runs) != 1 else ''}</b></div>" + _table(header, rows) + more


def _common_keys(mappings: list) -> list:
    counts: dict = {}
    for mapping in mappings:
        for key in mapping:
            counts[key] = counts.get(key, 0) + 1
    return sorted(counts, key=lambda k: (-counts[k], k))[:MAX_COLUMNS]


def register_ui(url: str, artifact_root: str) -> None:
    """Record a running UI (this process) so that notebook tables can link to it."""
    _write_registry(
        lambda entries: entries + [{"url": url, "pid": os.getpid(), "artifact_root": artifact_root}]
    )


def unregister_ui() -> None:
    _write_registry(lambda entries: [e for e in entries if e.get("pid") != os.getpid()])


def _write_registry(change) -> None:
    path = registry_path()
    try:
        with open(path, encoding="utf-8") as handle:
            entries = json.load(handle)
    except (OSError, ValueError):
        entries = []
    entries = (
        [e for e in entries if isinstance(e, dict) and _alive(e.get("pid"))]
        if isinstance(entries, list)
        else []
    )
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(change(entries), handle)
        os.replace(temporary, path)
    except OSError:
        pass  # links in notebooks are a convenience; never fail the UI for them
