"""Writes from the UI: tags and markdown notes (JSON bodies + the CSRF token, like every write).

Notes are stored as the tag ``mlflow.note.content`` on runs and experiments (MLflow's key).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

from autolog._core._constants import MAX_KEY_LENGTH, NOTE_TAG
from autolog._core._exceptions import InvalidInputError, NotFoundError
from autolog.ui import _queries
from autolog.ui._json import SafeJSONResponse, json_body
from autolog.ui._markdown import render_markdown

MAX_NOTE_LENGTH = 50_000

ENDPOINTS = [
    (
        "POST",
        "/api/runs/{run_id}/tags",
        'Body {"key": "...", "value": "..."}: set a tag (JSON + CSRF token).',
    ),
    ("POST", "/api/runs/{run_id}/tags/delete", 'Body {"key": "..."}: remove a tag (JSON + CSRF token).'),
    (
        "POST",
        "/api/runs/{run_id}/note",
        'Body {"content": "markdown"}: set the run\'s note; empty removes it.',
    ),
    (
        "POST",
        "/api/experiments/{experiment_id}/note",
        'Body {"content": "markdown"}: set the experiment\'s note.',
    ),
]


def routes() -> list:
    return [
        Route("/api/runs/{run_id}/tags", set_tag, methods=["POST"]),
        Route("/api/runs/{run_id}/tags/delete", delete_tag, methods=["POST"]),
        Route("/api/runs/{run_id}/note", run_note, methods=["POST"]),
        Route("/api/experiments/{experiment_id}/note", experiment_note, methods=["POST"]),
    ]


def _json(content):
    return SafeJSONResponse(content)


async def _body(request: Request) -> dict:
    return await json_body(request)


def _text(body: dict, name: str, *, limit: int, allow_empty: bool = False) -> str:
    value = body.get(name)
    if not isinstance(value, str) or (not allow_empty and not value.strip()) or len(value) > limit:
        raise InvalidInputError(
            f"{name!r} must be a {'' if allow_empty else 'non-empty '}string of at most {limit} characters"
        )
    return value


async def set_tag(request: Request):
    body = await _body(request)
    key = _text(body, "key", limit=MAX_KEY_LENGTH).strip()
    value = _text(body, "value", limit=MAX_NOTE_LENGTH, allow_empty=True)
    client = request.app.state.client
    run = await run_in_threadpool(_queries.find_run_or_404, client, request.path_params["run_id"])
    await run_in_threadpool(client.set_tag, run.info.run_id, key, value)
    return _json({"run_id": run.info.run_id, "key": key, "value": value})


async def delete_tag(request: Request):
    body = await _body(request)
    key = _text(body, "key", limit=MAX_KEY_LENGTH).strip()
    client = request.app.state.client
    run = await run_in_threadpool(_queries.find_run_or_404, client, request.path_params["run_id"])
    await run_in_threadpool(client.delete_tag, run.info.run_id, key)
    return _json({"run_id": run.info.run_id, "key": key, "deleted": True})


async def run_note(request: Request):
    body = await _body(request)
    content = _text(body, "content", limit=MAX_NOTE_LENGTH, allow_empty=True)
    client = request.app.state.client
    run = await run_in_threadpool(_queries.find_run_or_404, client, request.path_params["run_id"])
    if content.strip():
        await run_in_threadpool(client.set_tag, run.info.run_id, NOTE_TAG, content)
    elif NOTE_TAG in run.data.tags:
        await run_in_threadpool(client.delete_tag, run.info.run_id, NOTE_TAG)
    return _json({"run_id": run.info.run_id, "content": content, "html": str(render_markdown(content))})


async def experiment_note(request: Request):
    body = await _body(request)
    content = _text(body, "content", limit=MAX_NOTE_LENGTH, allow_empty=True)
    client = request.app.state.client
    experiment_id = request.path_params["experiment_id"]
    if not experiment_id.isdigit():
        raise NotFoundError(f"experiment {experiment_id!r} not found")
    await run_in_threadpool(client.get_experiment, experiment_id)
    await run_in_threadpool(client.set_experiment_tag, experiment_id, NOTE_TAG, content)
    return _json({"experiment_id": experiment_id, "content": content, "html": str(render_markdown(content))})
