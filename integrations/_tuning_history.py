"""The optimization history artifact of a tuning parent run (Optuna study, Ray Tune experiment).

One JSON document, ``tuning/history.json``, that the run page draws (trials table, optimization
history, parallel coordinates)::

    {"framework": "optuna", "objective": "value", "direction": "minimize",
     "trials": [{"number": 0, "run_id": "...", "state": "COMPLETE", "value": 1.5,
                 "params": {"x": 0.3}}, ...],
     "param_importances": {"x": 0.9, "y": 0.1}}
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

HISTORY_ARTIFACT = "tuning/history.json"


def history_document(
    framework: str,
    *,
    objective: str | None,
    direction: str | None,
    trials: Iterable[Mapping[str, Any]],
    importances: Mapping[str, float] | None = None,
) -> dict:
    """The document (non-finite values become None: JSON has no NaN)."""
    rows = []
    for trial in trials:
        row = dict(trial)
        value = row.get("value")
        row["value"] = float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None
        rows.append(row)
    return {
        "framework": framework,
        "objective": objective,
        "direction": direction,
        "trials": rows,
        "param_importances": dict(importances or {}),
    }
