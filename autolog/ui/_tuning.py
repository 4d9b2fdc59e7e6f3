"""The tuning view of a study/tune parent run: its trials and the data of its charts.

Optuna and Ray Tune parent runs (tag ``autolog.tuning.role`` = ``study`` or ``tune``) carry the
artifact ``tuning/history.json`` (see ``autolog.integrations._tuning_history``); the run page
shows it as a trials table, the optimization history and parallel coordinates (``tuning.js``).
"""

from __future__ import annotations

import json
import os
from typing import Any

from autolog.ui._artifacts import resolve_local_file

HISTORY_ARTIFACT = "tuning/history.json"
ROLE_TAG = "autolog.tuning.role"
MAX_HISTORY_BYTES = 20 * 1024 * 1024
MAX_PARAM_COLUMNS = 12


def tuning_view(client: Any, run: Any) -> dict | None:
    """``{"document", "params"}`` for a tuning parent run with a readable history, else None.

    The run page renders without it when the artifact is missing, too large or not JSON.
    """
    if run.data.tags.get(ROLE_TAG) not in ("study", "tune"):
        return None
    try:
        _, local = resolve_local_file(client.store, run.info.run_id, HISTORY_ARTIFACT)
        if os.path.getsize(local) > MAX_HISTORY_BYTES:
            return None
        with open(local, encoding="utf-8") as handle:
            document = json.load(handle)
    except Exception:
        return None
    if not isinstance(document, dict) or not isinstance(document.get("trials"), list):
        return None
    names: list[str] = []
    for trial in document["trials"]:
        for name in (trial.get("params") or {}) if isinstance(trial, dict) else ():
            if name not in names and len(names) < MAX_PARAM_COLUMNS:
                names.append(name)
    return {"document": document, "params": names}
