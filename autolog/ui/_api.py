"""The JSON API behind the pages (listed at ``/api``); reads are GET, writes need JSON + CSRF."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

from autolog._core._exceptions import InvalidInputError, NotFoundError
from autolog.diff import diff_runs
from autolog.ui import _edit_api, _evaluation_api, _live_api, _model_registry, _queries
from autolog.ui._artifacts import find_models, list_dir, resolve_local_file
from autolog.ui._json import SafeJSONResponse, json_body
from autolog.ui._runs_table import RunsQuery

MAX_API_PAGE = 1000

# (method, path, description): rendered by /api and returned by /api/endpoints.
ENDPOINTS = [
    ("GET", "/api/endpoints", "This list, as JSON."),
    (
        "GET",
        "/api/experiments?q=NAME",
        "Active experiments (name contains q) with run_count and last_activity.",
    ),
    ("GET", "/api/experiments/{experiment_id}", "One experiment with its run count."),
    (
        "GET",
        "/api/experiments/{experiment_id}/runs?filter=F&order_by=K&max_results=N&page_token=T",
        "One page of runs: filter in the search grammar, order_by repeatable (e.g. 'metrics.acc DESC'), "
        "total count and next_page_token.",
    ),
    ("GET", "/api/runs/{run_id}", "A run: info, params, latest metrics, tags."),
    (
        "GET",
        "/api/runs/{run_id}/metrics/history?key=K",
        "Every recorded point of one metric: step, value, timestamp.",
    ),
    ("GET", "/api/runs/{run_id}/artifacts?path=P", "The artifact listing under P (the root by default)."),
    ("GET", "/api/runs/{run_id}/models", "Metadata (autolog-model.json) of every model logged in the run."),
    (
        "GET",
        "/api/diff?a=RUN_A&b=RUN_B",
        "What changed from run A to run B: params, data, code, environment, metrics.",
    ),
    ("GET", "/api/csrf-token", "The token that write requests send in the X-CSRF-Token header."),
    ("POST", "/api/runs/{run_id}/rename", 'Body {"name": "..."}: rename a run (JSON + CSRF token).'),
    ("POST", "/api/runs/{run_id}/delete", "Mark a run deleted (JSON + CSRF token)."),
    ("POST", "/api/runs/{run_id}/restore", "Restore a deleted run (JSON + CSRF token)."),
    *_live_api.ENDPOINTS,
    *_evaluation_api.ENDPOINTS,
    *_edit_api.ENDPOINTS,
    *_model_registry.ENDPOINTS,
]


def routes() -> list:
    return [
        Route("/api/endpoints", endpoints),
        Route("/api/experiments", experiments),
        Route("/api/experiments/{experiment_id}", experiment),
        Route("/api/experiments/{experiment_id}/runs", experiment_runs),
        Route("/api/runs/{run_id}", run),
        Route("/api/runs/{run_id}/metrics/history", metric_history),
        Route("/api/runs/{run_id}/artifacts", artifacts),
        Route("/api/runs/{run_id}/models", models),
        Route("/api/diff", diff),
        Route("/api/csrf-token", csrf_token),
        Route("/api/runs/{run_id}/rename", rename_run, methods=["POST"]),
        Route("/api/runs/{run_id}/delete", delete_run, methods=["POST"]),
        Route("/api/runs/{run_id}/restore", restore_run, methods=["POST"]),
        *_live_api.routes(),
        *_evaluation_api.routes(),
        *_edit_api.routes(),
    ]


def _client(request: Request):
    return request.app.state.client


def endpoints(request: Request):
    return SafeJSONResponse([{"method": m, "path": p, "description": d} for m, p, d in ENDPOINTS])


def experiments(request: Request):
    summaries = _queries.experiment_summaries(_client(request), request.query_params.get("q", "").strip())
    return SafeJSONResponse({"experiments": [s.to_dict() for s in summaries]})


def _experiment(client, experiment_id: str):
    if not experiment_id.isdigit():
        raise NotFoundError(f"experiment {experiment_id!r} not found")
    return client.get_experiment(experiment_id)


def experiment(request: Request):
    client = _client(request)
    found = _experiment(client, request.path_params["experiment_id"])
    return SafeJSONResponse(_queries.summarize_experiment(client.store, found).to_dict())


def experiment_runs(request: Request):
    client = _client(request)
    found = _experiment(client, request.path_params["experiment_id"])
    params = request.query_params
    order_by = params.getlist("order_by") or RunsQuery().order_by()
    max_results = _int(params.get("max_results"), 100, 1, MAX_API_PAGE)
    filter_string = params.get("filter", "")
    runs = client.store.search_runs(
        [found.experiment_id],
        filter_string=filter_string,
        max_results=max_results,
        order_by=order_by,
        page_token=params.get("page_token") or None,
    )
    total = client.store.count_runs([found.experiment_id], filter_string=filter_string)
    return SafeJSONResponse(
        {"runs": [_queries.run_to_dict(r) for r in runs], "total": total, "next_page_token": runs.token}
    )


def _int(raw, default: int, low: int, high: int) -> int:
    if raw in (None, ""):
        return default
    try:
        return min(high, max(low, int(raw)))
    except ValueError as exc:
        raise InvalidInputError(f"expected an integer, got {raw!r}") from exc


def run(request: Request):
    found = _queries.find_run_or_404(_client(request), request.path_params["run_id"])
    return SafeJSONResponse(_queries.run_to_dict(found))


def metric_history(request: Request):
    client = _client(request)
    found = _queries.find_run_or_404(client, request.path_params["run_id"])
    key = request.query_params.get("key", "")
    if key not in found.data.metrics:
        raise NotFoundError(f"metric {key!r} not found in run {found.info.run_id}")
    history = client.get_metric_history(found.info.run_id, key)
    points = sorted((_queries.metric_to_dict(m) for m in history), key=lambda p: (p["step"], p["timestamp"]))
    return SafeJSONResponse(
        {"run_id": found.info.run_id, "run_name": found.info.run_name, "key": key, "history": points}
    )


def artifacts(request: Request):
    client = _client(request)
    found = _queries.find_run_or_404(client, request.path_params["run_id"])
    path, _ = resolve_local_file(client.store, found.info.run_id, request.query_params.get("path"))
    entries = list_dir(client.store, found.info.run_id, path)
    return SafeJSONResponse(
        {
            "path": path,
            "files": [{"path": e.path, "is_dir": e.is_dir, "file_size": e.file_size} for e in entries],
        }
    )


def models(request: Request):
    client = _client(request)
    found = _queries.find_run_or_404(client, request.path_params["run_id"])
    run_id = found.info.run_id
    return SafeJSONResponse(
        {
            "models": [
                {"path": path, "metadata": metadata, "load": f'autolog.load_model("runs:/{run_id}/{path}")'}
                for path, metadata in find_models(client.store, run_id)
            ]
        }
    )


def diff(request: Request):
    client = _client(request)
    a = _queries.find_run_or_404(client, request.query_params.get("a", ""))
    b = _queries.find_run_or_404(client, request.query_params.get("b", ""))
    return SafeJSONResponse(diff_runs(a, b, client=client).to_dict())


def csrf_token(request: Request):
    return SafeJSONResponse({"csrf_token": request.app.state.csrf_token, "header": "X-CSRF-Token"})


async def rename_run(request: Request):
    body = await json_body(request)
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 250:
        raise InvalidInputError("'name' must be a non-empty string of at most 250 characters")
    client = _client(request)
    found = await run_in_threadpool(_queries.find_run_or_404, client, request.path_params["run_id"])
    await run_in_threadpool(client.update_run, found.info.run_id, run_name=name.strip())
    return SafeJSONResponse({"run_id": found.info.run_id, "run_name": name.strip()})


async def delete_run(request: Request):
    await json_body(request)
    client = _client(request)
    found = await run_in_threadpool(_queries.find_run_or_404, client, request.path_params["run_id"])
    await run_in_threadpool(client.delete_run, found.info.run_id)
    return SafeJSONResponse({"run_id": found.info.run_id, "lifecycle_stage": "deleted"})


async def restore_run(request: Request):
    await json_body(request)
    client = _client(request)
    found = await run_in_threadpool(_queries.find_run_or_404, client, request.path_params["run_id"])
    await run_in_threadpool(client.restore_run, found.info.run_id)
    return SafeJSONResponse({"run_id": found.info.run_id, "lifecycle_stage": "active"})
