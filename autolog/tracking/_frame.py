"""Runs as a pandas DataFrame (imported only when ``search_runs`` builds one)."""

from __future__ import annotations

import pandas as pd

from autolog._core._entities import Run

_INFO_COLUMNS = (
    "run_id",
    "experiment_id",
    "status",
    "start_time",
    "end_time",
    "run_name",
    "artifact_uri",
    "parent_run_id",
)


def runs_to_frame(runs: list[Run]) -> pd.DataFrame:
    """One row per run: info columns, then ``params.*``, ``metrics.*``, ``tags.*`` (sorted)."""
    rows = [_row(run) for run in runs]
    columns = list(_INFO_COLUMNS)
    for prefix in ("params.", "metrics.", "tags."):
        keys = sorted({key for row in rows for key in row if key.startswith(prefix)})
        columns.extend(keys)
    frame = pd.DataFrame(rows, columns=columns)
    for column in ("start_time", "end_time"):
        frame[column] = pd.to_datetime(frame[column], unit="ms", utc=True)
    return frame


def _row(run: Run) -> dict:
    info = run.info
    row = {name: getattr(info, name) for name in _INFO_COLUMNS}
    row.update({f"params.{k}": v for k, v in run.data.params.items()})
    row.update({f"metrics.{k}": v for k, v in run.data.metrics.items()})
    row.update({f"tags.{k}": v for k, v in run.data.tags.items()})
    return row
