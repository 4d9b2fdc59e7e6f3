"""JSON reads behind the charts, the live views and the column chooser (through the store)."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.routing import Route

from autolog._core._entities import RunStatus
from autolog._core._exceptions import InvalidInputError
from autolog.ui import _queries
from autolog.ui._json import SafeJSONResponse

MAX_KEYS_LISTED = 500

ENDPOINTS = [
    (
        "GET",
        "/api/metrics/histories?key=K&run=R1&run=R2&max_points=N&min_step=A&max_step=B",
        "One metric of many runs in one request, each series down-sampled (min/max per step bucket) to "
        "at most max_points over the step range; runs without the metric are left out. Each series "
        "has a cursor for /live.",
    ),
    (
        "GET",
        "/api/runs/{run_id}/live?key=K&cursor=STEP:ID",
        "A run's status and latest metrics, plus the points logged after each series' cursor "
        "(key/cursor pairs; an empty cursor reads from the start).",
    ),
    (
        "GET",
        "/api/live/runs?run=R1&run=R2&since=MS",
        "Status of the given runs and the latest metric values written after since (ms).",
    ),
    (
        "GET",
        "/api/experiments/{experiment_id}/keys?q=TEXT",
        "Metric keys (most recently logged first) and param keys (varying first) containing TEXT.",
    ),
]


def routes() -> list:
    return [
        Route("/api/metrics/histories", histories),
        Route("/api/runs/{run_id}/live", run_live),
        Route("/api/live/runs", runs_live),
        Route("/api/experiments/{experiment_id}/keys", experiment_keys),
    ]


def _json(content):
    return SafeJSONResponse(content)


def _optional_int(raw, name: str):
    if raw in (None, ""):
        return None
    try:
        return int(float(raw))
    except (ValueError, OverflowError) as exc:
        raise InvalidInputError(f"{name} must be an integer, got {raw!r}") from exc


def series_to_dict(sample) -> dict:
    return {
        "run_id": sample.run_id,
        "steps": sample.steps,
        "values": sample.values,
        "total": sample.total,
        "sampled": sample.sampled,
        "cursor": list(sample.cursor) if sample.cursor else None,
    }


def histories(request: Request):
    params = request.query_params
    key = params.get("key", "")
    run_ids = [r for r in params.getlist("run") if r]
    if not key or not run_ids:
        raise InvalidInputError("give a metric key and at least one run: ?key=K&run=R")
    store = request.app.state.client.store
    samples = store.sample_metric_histories(
        run_ids,
        key,
        max_points=_optional_int(params.get("max_points"), "max_points") or 2000,
        min_step=_optional_int(params.get("min_step"), "min_step"),
        max_step=_optional_int(params.get("max_step"), "max_step"),
    )
    return _json({"key": key, "series": [series_to_dict(s) for s in samples]})


def _cursor(raw: str):
    if not raw:
        return None
    step, _, row_id = raw.partition(":")
    try:
        return int(step), int(row_id or 0)
    except ValueError as exc:
        raise InvalidInputError(f"a cursor is STEP:ID, got {raw!r}") from exc


def run_live(request: Request):
    client = request.app.state.client
    run = _queries.find_run_or_404(client, request.path_params["run_id"])
    keys, cursors = request.query_params.getlist("key"), request.query_params.getlist("cursor")
    if len(cursors) < len(keys):
        cursors += [""] * (len(keys) - len(cursors))
    wanted = {key: _cursor(cursor) for key, cursor in zip(keys, cursors) if key in run.data.metrics}
    new = client.store.metric_histories_since(run.info.run_id, wanted) if wanted else {}
    return _json(
        {
            "run_id": run.info.run_id,
            "status": run.info.status,
            "end_time": run.info.end_time,
            "running": run.info.status == RunStatus.RUNNING,
            "metrics": dict(run.data.metrics),
            "series": {key: series_to_dict(sample) for key, sample in new.items()},
        }
    )


def runs_live(request: Request):
    client = request.app.state.client
    run_ids = [r for r in request.query_params.getlist("run") if r][: _queries.MAX_COMPARE_RUNS]
    since = _optional_int(request.query_params.get("since"), "since") or 0
    now = int(time.time() * 1000)
    runs = client.store.get_runs(run_ids) if run_ids else []
    changed = client.store.latest_metrics_since(run_ids, since) if run_ids else {}
    return _json(
        {
            "now": now,
            "runs": {
                r.info.run_id: {
                    "status": r.info.status,
                    "end_time": r.info.end_time,
                    "metrics": changed.get(r.info.run_id, {}),
                }
                for r in runs
            },
        }
    )


def experiment_keys(request: Request):
    client = request.app.state.client
    experiment_id = request.path_params["experiment_id"]
    ids = experiment_id.split(",")
    keys = client.store.experiment_keys(ids, contains=request.query_params.get("q", "").strip())
    varying = set(keys.varying_params())
    params_sorted = sorted((k for k, _, _ in keys.params), key=lambda k: (k not in varying, k))
    return _json(
        {
            "metrics": [k for k, _, _ in keys.metrics][:MAX_KEYS_LISTED],
            "params": params_sorted[:MAX_KEYS_LISTED],
            "total": len(keys.metrics) + len(keys.params),
        }
    )
