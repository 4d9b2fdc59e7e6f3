"""The model registry in the UI: the Models page, a model's page, and its JSON API.

Alias changes are the only writes: JSON bodies through the protected write path (the security
middleware checks ``Content-Type: application/json`` and the CSRF token before they get here).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

from autolog._core._exceptions import InvalidInputError, NotFoundError
from autolog.ui import _queries
from autolog.ui._json import SafeJSONResponse, json_body
from autolog.ui._serving_hint import serving_hint

MAX_VERSIONS_COMPARED = _queries.MAX_COMPARE_RUNS

ENDPOINTS = [
    ("GET", "/api/models?q=NAME", "Registered models (name contains q): latest version and aliases."),
    ("GET", "/api/models/{name}", "A registered model with its versions (source run, aliases, tags)."),
    (
        "POST",
        "/api/models/{name}/aliases",
        'Body {"alias": "champion", "version": 3}: point an alias at a version (JSON + CSRF token).',
    ),
    (
        "POST",
        "/api/models/{name}/aliases/delete",
        'Body {"alias": "champion"}: remove an alias (JSON + CSRF token).',
    ),
]


def routes() -> list:
    return [
        Route("/models", models_page, name="models"),
        Route("/models/{name}", model_page, name="model"),
        Route("/api/models", api_models),
        Route("/api/models/{name}", api_model),
        Route("/api/models/{name}/aliases", api_set_alias, methods=["POST"]),
        Route("/api/models/{name}/aliases/delete", api_delete_alias, methods=["POST"]),
    ]


@dataclass
class VersionRow:
    """A version with its source run (``None`` when the run is gone)."""

    version: object
    run: object | None


def _client(request: Request):
    return request.app.state.client


def _render(request: Request, template: str, **context):
    return request.app.state.templates.TemplateResponse(request, template, context)


def _search_models(client, query: str) -> list:
    return client.search_registered_models(name_like=f"%{_escape_like(query)}%" if query else None)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _version_rows(client, versions: list) -> list:
    rows = []
    for version in versions:
        try:
            run = client.get_run(version.run_id)
        except NotFoundError:
            run = None
        rows.append(VersionRow(version, run))
    return rows


def models_page(request: Request):
    query = request.query_params.get("q", "").strip()
    return _render(request, "models.html", models=_search_models(_client(request), query), q=query)


def model_page(request: Request):
    client = _client(request)
    model = client.get_registered_model(request.path_params["name"])
    rows = _version_rows(client, client.search_model_versions(model.name))
    compared = [row for row in rows if row.run is not None][:MAX_VERSIONS_COMPARED]
    metrics = _queries.compare_rows([row.run for row in compared], "metrics")
    hint = serving_hint(client.store, model, [row.version for row in rows])
    return _render(
        request, "model.html", model=model, rows=rows, compared=compared, metrics=metrics, serving=hint
    )


def model_to_dict(model) -> dict:
    return {
        "name": model.name,
        "description": model.description,
        "tags": dict(model.tags),
        "aliases": dict(model.aliases),
        "latest_version": model.latest_version,
        "creation_time": model.creation_time,
        "last_update_time": model.last_update_time,
    }


def version_to_dict(version) -> dict:
    return {
        "name": version.name,
        "version": version.version,
        "run_id": version.run_id,
        "artifact_path": version.artifact_path,
        "source": version.source,
        "status": version.status,
        "description": version.description,
        "tags": dict(version.tags),
        "aliases": list(version.aliases),
        "creation_time": version.creation_time,
        "last_update_time": version.last_update_time,
        "load": f'autolog.load_model("models:/{version.name}/{version.version}")',
    }


def api_models(request: Request):
    models = _search_models(_client(request), request.query_params.get("q", "").strip())
    return SafeJSONResponse({"models": [model_to_dict(m) for m in models]})


def api_model(request: Request):
    client = _client(request)
    model = client.get_registered_model(request.path_params["name"])
    versions = client.search_model_versions(model.name)
    return SafeJSONResponse({**model_to_dict(model), "versions": [version_to_dict(v) for v in versions]})


async def api_set_alias(request: Request):
    body = await json_body(request)
    alias, version = _text_field(body, "alias"), body.get("version")
    if isinstance(version, bool) or not isinstance(version, (int, str)):
        raise InvalidInputError("'version' must be a version number")
    client, name = _client(request), request.path_params["name"]
    await run_in_threadpool(client.set_registered_model_alias, name, alias, version)
    moved = await run_in_threadpool(client.get_model_version_by_alias, name, alias)
    return SafeJSONResponse({"name": name, "alias": alias, "version": moved.version})


async def api_delete_alias(request: Request):
    body = await json_body(request)
    alias = _text_field(body, "alias")
    client, name = _client(request), request.path_params["name"]
    await run_in_threadpool(client.delete_registered_model_alias, name, alias)
    return SafeJSONResponse({"name": name, "alias": alias, "version": None})


def _text_field(body: dict, key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{key!r} must be a non-empty string")
    return value.strip()
