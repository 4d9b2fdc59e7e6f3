"""The JSON REST API ``/api/v1/...``: one route per store call, over a :class:`GuardedStore`.

Requests carry JSON bodies (``GET`` routes take query parameters); responses are the store's
results in the wire format of :mod:`autolog.store._http._codec`. Errors are
``{"error": message, "type": name}`` with 400 (invalid input), 401, 403, 404, 409 or 500.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from autolog._core._exceptions import InvalidInputError
from autolog.store._http import _codec

PREFIX = "/api/v1"
# Query parameters that are numbers or booleans (every other one is text).
_TYPED_QUERY = frozenset({"max_results", "version", "force", "limit"})
_CALLS_WITH_METRICS = frozenset({"log_batch", "finish_run", "create_finished_run"})


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    call: str  # the GuardedStore method


ENDPOINTS = (
    Endpoint("GET", "/whoami", "whoami"),
    Endpoint("POST", "/experiments", "create_experiment"),
    Endpoint("GET", "/experiments", "search_experiments"),
    Endpoint("GET", "/experiments/by-name", "get_experiment_by_name"),
    Endpoint("GET", "/experiments/{experiment_id}", "get_experiment"),
    Endpoint("PATCH", "/experiments/{experiment_id}", "rename_experiment"),
    Endpoint("DELETE", "/experiments/{experiment_id}", "delete_experiment"),
    Endpoint("POST", "/experiments/{experiment_id}/restore", "restore_experiment"),
    Endpoint("POST", "/experiments/{experiment_id}/tags", "set_experiment_tag"),
    Endpoint("POST", "/runs", "create_run"),
    Endpoint("POST", "/runs/finished", "create_finished_run"),
    Endpoint("POST", "/runs/search", "search_runs"),
    Endpoint("POST", "/runs/count", "count_runs"),
    Endpoint("POST", "/runs/heartbeat", "heartbeat"),
    Endpoint("POST", "/runs/purge", "purge_deleted_runs"),
    Endpoint("GET", "/runs/{run_id}", "get_run"),
    Endpoint("PATCH", "/runs/{run_id}", "update_run"),
    Endpoint("DELETE", "/runs/{run_id}", "delete_run"),
    Endpoint("POST", "/runs/{run_id}/restore", "restore_run"),
    Endpoint("POST", "/runs/{run_id}/finish", "finish_run"),
    Endpoint("POST", "/runs/{run_id}/metric", "log_metric"),
    Endpoint("POST", "/runs/{run_id}/param", "log_param"),
    Endpoint("POST", "/runs/{run_id}/tag", "set_tag"),
    Endpoint("POST", "/runs/{run_id}/tags/delete", "delete_tag"),
    Endpoint("POST", "/runs/{run_id}/batch", "log_batch"),
    Endpoint("GET", "/runs/{run_id}/metric-history", "get_metric_history"),
    Endpoint("POST", "/registered-models", "create_registered_model"),
    Endpoint("GET", "/registered-models", "search_registered_models"),
    Endpoint("GET", "/registered-models/get", "get_registered_model"),
    Endpoint("POST", "/registered-models/rename", "rename_registered_model"),
    Endpoint("POST", "/registered-models/update", "update_registered_model"),
    Endpoint("POST", "/registered-models/delete", "delete_registered_model"),
    Endpoint("POST", "/registered-models/set-tag", "set_registered_model_tag"),
    Endpoint("POST", "/registered-models/delete-tag", "delete_registered_model_tag"),
    Endpoint("POST", "/registered-models/set-alias", "set_registered_model_alias"),
    Endpoint("POST", "/registered-models/delete-alias", "delete_registered_model_alias"),
    Endpoint("POST", "/registered-models/alias", "get_model_version_by_alias"),
    Endpoint("POST", "/model-versions", "create_model_version"),
    Endpoint("POST", "/model-versions/search", "search_model_versions"),
    Endpoint("POST", "/model-versions/get", "get_model_version"),
    Endpoint("GET", "/model-versions/latest", "get_latest_model_version"),
    Endpoint("POST", "/model-versions/update", "update_model_version"),
    Endpoint("POST", "/model-versions/delete", "delete_model_version"),
    Endpoint("POST", "/model-versions/set-tag", "set_model_version_tag"),
    Endpoint("POST", "/model-versions/delete-tag", "delete_model_version_tag"),
    Endpoint("POST", "/permissions", "set_permission"),
    Endpoint("POST", "/runs/get-many", "get_runs"),
    Endpoint("GET", "/run-ids", "find_run_ids"),
    Endpoint("POST", "/runs/metric-samples", "sample_metric_histories"),
    Endpoint("POST", "/runs/latest-metrics-since", "latest_metrics_since"),
    Endpoint("GET", "/runs/{run_id}/metric-step-ranges", "metric_step_ranges"),
    Endpoint("POST", "/runs/{run_id}/metric-histories-since", "metric_histories_since"),
    Endpoint("POST", "/experiments/keys", "experiment_keys"),
    Endpoint("POST", "/runs/{run_id}/model-records", "record_logged_model"),
    Endpoint("GET", "/runs/{run_id}/model-records", "get_model_record"),
    Endpoint("POST", "/model-versions/records", "record_model_version"),
    Endpoint("POST", "/model-versions/records/get", "get_model_version_record"),
)


def routes() -> list[Route]:
    """The API routes (artifact routes included)."""
    table = [Route(PREFIX + e.path, _handler(e), methods=[e.method]) for e in ENDPOINTS]
    table += [
        Route(PREFIX + "/runs/{run_id}/artifacts", list_artifacts, methods=["GET"]),
        Route(PREFIX + "/runs/{run_id}/artifacts/file", download_artifact, methods=["GET"]),
        Route(PREFIX + "/runs/{run_id}/artifacts/file", upload_artifact, methods=["PUT"]),
        Route(PREFIX + "/runs/{run_id}/artifacts/bundle", upload_bundle, methods=["POST"]),
    ]
    return table


def _handler(endpoint: Endpoint) -> Callable:
    async def handle(request: Request) -> Response:
        arguments = await _arguments(request)
        store = request.app.state.guarded_store
        result = await run_in_threadpool(_call, store, endpoint.call, arguments)
        return Response(_codec.dumps(result), media_type="application/json")

    handle.__name__ = endpoint.call
    return handle


def _call(guarded, name: str, arguments: dict) -> Any:
    """Call the store method ``name`` through the permission-checking ``GuardedStore``."""
    if name in _CALLS_WITH_METRICS and isinstance(arguments.get("metrics"), list):
        arguments["metrics"] = [_codec.metric_from_wire(row) for row in arguments["metrics"]]
    if name == "log_batch" and arguments.get("batch_id") is not None:
        return guarded.log_batch_once(**arguments)
    arguments.pop("batch_id", None)
    if isinstance(arguments.get("record"), dict):
        arguments["record"] = _codec.model_record_from_wire(arguments["record"])
    return getattr(guarded, name)(**arguments)


async def _arguments(request: Request) -> dict:
    arguments: dict[str, Any] = {}
    for key, value in request.query_params.items():
        arguments[key] = _typed(value) if key in _TYPED_QUERY else value
    if request.method != "GET":
        body = await request.body()
        if body:
            try:
                decoded = _codec.loads_request(body)
            except (ValueError, UnicodeDecodeError):
                raise InvalidInputError("the request body is not valid JSON") from None
            if not isinstance(decoded, dict):
                raise InvalidInputError("the request body must be a JSON object")
            arguments.update(decoded)
    arguments.update(request.path_params)
    return arguments


def _typed(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


async def list_artifacts(request: Request) -> Response:
    store = request.app.state.guarded_store
    path = request.query_params.get("path") or None
    run_id = request.path_params["run_id"]
    infos = await run_in_threadpool(lambda: store.artifacts(run_id).list_artifacts(path))
    return Response(_codec.dumps(infos), media_type="application/json")


async def download_artifact(request: Request) -> Response:
    import os

    from starlette.responses import FileResponse

    from autolog._core._exceptions import NotFoundError

    store = request.app.state.guarded_store
    run_id = request.path_params["run_id"]
    path = request.query_params.get("path", "")
    local = await run_in_threadpool(lambda: store.artifacts(run_id).local_path(path))
    if not path or not os.path.isfile(local):
        raise NotFoundError(f"no artifact file {path!r} in run {run_id}")
    return FileResponse(local, media_type="application/octet-stream")


async def upload_artifact(request: Request) -> Response:
    from autolog.store._server_auth import EDIT

    store = request.app.state.guarded_store
    run_id = request.path_params["run_id"]
    path = request.query_params.get("path", "")
    data = await request.body()

    def write() -> str:
        policy = store.policy
        policy.require("experiment", policy.experiment_of_run(run_id), EDIT)
        return store.artifacts(run_id).write_bytes(path, data)

    return JSONResponse({"path": await run_in_threadpool(write)})


async def upload_bundle(request: Request) -> Response:
    """Several files and then the model records naming them, in one request (see
    ``_codec.dumps_bundle``): the background uploads of an autologged fit. Same checks as one
    upload (EDIT on the run's experiment) and as ``record_logged_model``."""
    from autolog.store._server_auth import EDIT

    store = request.app.state.guarded_store
    run_id = request.path_params["run_id"]
    files, records = _codec.loads_bundle(await request.body())

    def write() -> list:
        policy = store.policy
        policy.require("experiment", policy.experiment_of_run(run_id), EDIT)
        repository = store.artifacts(run_id)
        paths = [repository.write_bytes(path, data) for path, data in files]
        for artifact_path, record in records:
            store.record_logged_model(run_id, artifact_path, _codec.model_record_from_wire(record))
        return paths

    return JSONResponse({"paths": await run_in_threadpool(write)})
