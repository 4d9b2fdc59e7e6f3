"""The ROC and precision-recall curves of several runs in one request (the compare page's overlay).

Each run's curves come from its ``evaluation/<name>.json`` (written by the scikit-learn
integration and ``autolog.evaluate``); runs without that file, or whose artifacts are not on a
local disk, are left out.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.routing import Route

from autolog._core._exceptions import InvalidInputError, NotFoundError
from autolog._core._json import read_bounded
from autolog.ui._artifacts import resolve_local_file
from autolog.ui._json import SafeJSONResponse

MAX_RUNS = 200
MAX_FILE_BYTES = 4 * 1024 * 1024
CURVES = ("roc_curve", "precision_recall_curve")
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")

ENDPOINTS = [
    (
        "GET",
        "/api/evaluation/curves?run=R1&run=R2&name=training",
        "The ROC and precision-recall curves of each run's evaluation/NAME.json (default training); "
        "runs without them are left out.",
    ),
]


def routes() -> list:
    return [Route("/api/evaluation/curves", curves)]


def curves(request: Request):
    run_ids = list(dict.fromkeys(r.strip() for r in request.query_params.getlist("run") if r.strip()))
    if len(run_ids) > MAX_RUNS:
        raise InvalidInputError(f"at most {MAX_RUNS} runs per request ({len(run_ids)} given)")
    name = request.query_params.get("name") or "training"
    if not _NAME.fullmatch(name) or name.startswith("."):
        raise InvalidInputError(f"invalid evaluation name {name!r}")
    client = request.app.state.client
    found = []
    for run_id in run_ids:
        entry = _run_curves(client.store, run_id, name)
        if entry:
            found.append({"run_id": run_id, **entry})
    return SafeJSONResponse({"name": name, "runs": found})


def _run_curves(store, run_id: str, name: str) -> dict:
    try:
        _, local = resolve_local_file(store, run_id, f"evaluation/{name}.json")
        data = read_bounded(local, what=f"evaluation/{name}.json", max_bytes=MAX_FILE_BYTES)
    except (NotFoundError, InvalidInputError, OSError):  # an unknown run, no file, unreadable
        return {}
    if not isinstance(data, dict):
        return {}
    return {key: data[key] for key in CURVES if isinstance(data.get(key), list)}
