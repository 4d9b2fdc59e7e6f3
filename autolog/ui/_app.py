"""The ASGI application: routes, templates, static files and the security middleware."""

from __future__ import annotations

import os
from collections.abc import Iterable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from autolog._core._constants import NOTE_TAG
from autolog._core._exceptions import AutologError, InvalidInputError, NotFoundError
from autolog._core._redact import redact_text, redact_uri
from autolog.ui import _api, _format, _model_registry, _pages
from autolog.ui._markdown import render_markdown
from autolog.ui._security import SecurityMiddleware, default_allowed_hosts, new_csrf_token

HERE = os.path.dirname(os.path.abspath(__file__))
ALL_INTERFACES = ("0.0.0.0", "::", "")


def create_app(
    tracking_uri: str | None = None,
    *,
    artifact_root: str | None = None,
    bind_host: str = "127.0.0.1",
    allowed_hosts: Iterable[str] = (),
    csrf_token: str | None = None,
) -> Starlette:
    """Build the UI application for one store.

    Parameters
    ----------
    tracking_uri : str, optional
        The store to browse; resolved like the Python API (default: ``AUTOLOG_TRACKING_URI``, else
        ``./autolog-runs``).
    artifact_root : str, optional
        Artifact root for database URIs (default: ``AUTOLOG_ARTIFACT_ROOT``).
    bind_host : str
        The address the server listens on; requests must name it (or a loopback name) in ``Host``.
    allowed_hosts : iterable of str
        Further host names accepted in the ``Host`` header (e.g. the machine's DNS name).
    csrf_token : str, optional
        The token write requests must carry; random per process by default.

    Returns
    -------
    starlette.applications.Starlette
    """
    from autolog.tracking import Client

    client = Client(tracking_uri, artifact_root)
    token = csrf_token or new_csrf_token()
    app = Starlette(
        routes=_routes(),
        middleware=[
            Middleware(
                SecurityMiddleware,
                allowed_hosts=default_allowed_hosts(bind_host, allowed_hosts),
                any_ip=bind_host in ALL_INTERFACES,
                csrf_token=token,
            )
        ],
        exception_handlers={
            HTTPException: _http_error,
            NotFoundError: _not_found,
            InvalidInputError: _bad_request,
            AutologError: _server_error,
        },
    )
    app.state.client = client
    app.state.csrf_token = token
    app.state.templates = _templates(token, redact_uri(client.tracking_uri))
    return app


def _routes() -> list:
    return [
        Route("/", _pages.experiments_page, name="experiments"),
        Route("/experiments/{experiment_id}", _pages.runs_page, name="runs"),
        Route("/experiments/{experiment_id}/runs.csv", _pages.runs_csv, name="runs_csv"),
        Route("/runs", _pages.all_runs_page, name="all_runs"),
        Route("/search", _pages.search_page, name="search"),
        Route("/runs/{run_id}", _pages.run_page, name="run"),
        Route("/runs/{run_id}/artifacts", _pages.artifacts_page, name="artifacts"),
        Route("/runs/{run_id}/artifacts/download", _pages.artifact_download, name="artifact_download"),
        Route("/runs/{run_id}/artifacts/image", _pages.artifact_image, name="artifact_image"),
        Route("/compare", _pages.compare_page, name="compare"),
        Route("/diff", _pages.diff_page, name="diff"),
        Route("/api", _pages.api_page, name="api_docs"),
        *_model_registry.routes(),
        *_api.routes(),
        Mount("/static", app=StaticFiles(directory=os.path.join(HERE, "static")), name="static"),
    ]


def _templates(csrf_token: str, tracking_uri: str) -> Jinja2Templates:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(os.path.join(HERE, "templates")),
        autoescape=True,  # every value from the store is escaped, in every template
        trim_blocks=True,
        lstrip_blocks=True,
    )
    templates = Jinja2Templates(env=env)
    env.globals.update(
        csrf_token=csrf_token, tracking_uri=tracking_uri, qs=_format.query_string, note_tag=NOTE_TAG
    )
    env.filters.update(
        time=_format.format_time,
        duration=_format.format_duration,
        number=_format.format_number,
        signed=_format.format_signed,
        bytes=_format.format_bytes,
        markdown=render_markdown,
    )
    return templates


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, message: str):
    message = redact_text(message)
    if _wants_json(request):
        return JSONResponse({"error": message, "status": status}, status_code=status)
    templates = request.app.state.templates
    if status in (404, 400):
        return templates.TemplateResponse(
            request, "error.html", {"status": status, "message": message}, status_code=status
        )
    return PlainTextResponse(message, status_code=status)


async def _http_error(request: Request, exc: Exception):
    assert isinstance(exc, HTTPException)  # registered for HTTPException only
    return _error(request, exc.status_code, exc.detail or "Error")


async def _not_found(request: Request, exc: Exception):
    return _error(request, 404, str(exc))


async def _bad_request(request: Request, exc: Exception):
    return _error(request, 400, str(exc))


async def _server_error(request: Request, exc: Exception):
    return _error(request, 500, str(exc))
