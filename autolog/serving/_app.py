"""The ASGI application of ``autolog models serve``: /invocations, /ping, /health, /version."""

from __future__ import annotations

import hmac
import json
import logging
import os
import platform
import sys
import time
from typing import Any, Optional

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Scope

from autolog import __version__
from autolog._core._exceptions import InvalidInputError
from autolog.serving._inputs import Limits
from autolog.serving._invocations import Invocations, error_document
from autolog.serving._model import ServedModel, load_served_model

ACCESS_LOGGER = "autolog.serving.access"


def build_app(served: ServedModel, *, limits: Optional[Limits] = None, token: str | None = None) -> ASGIApp:
    """The application serving ``served``; with ``token``, every route but /ping needs it."""
    limits = limits or Limits()

    async def ping(request: Request) -> Response:
        return Response("\n", media_type="text/plain")

    async def health(request: Request) -> Response:
        return _json(_health(served))

    async def version(request: Request) -> Response:
        return _json(
            {
                "autolog": __version__,
                "python": platform.python_version(),
                "framework_version": served.metadata.framework_version,
            }
        )

    routes = [
        Route("/ping", ping, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/version", version, methods=["GET"]),
    ]
    app = Invocations(served, limits, Starlette(routes=routes, exception_handlers=_EXCEPTION_HANDLERS))
    return _AccessLog(_Authenticated(app, token) if token else app)


def app_from_environment() -> Any:
    """The application of one worker process, configured by ``autolog models serve`` (env vars)."""
    served = load_served_model(os.environ["AUTOLOG_SERVE_MODEL_URI"], owns_process=True)
    limits = Limits(
        int(os.environ["AUTOLOG_SERVE_MAX_BODY_BYTES"]), int(os.environ["AUTOLOG_SERVE_MAX_ROWS"])
    )
    token_file = os.environ.get("AUTOLOG_SERVE_TOKEN_FILE")
    configure_access_log()
    return build_app(served, limits=limits, token=read_token(token_file) if token_file else None)


def configure_access_log() -> None:
    """Access log lines go to stderr as they are (one JSON object per line)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not logger.handlers:
        handler = _LineHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def read_token(path: str) -> str:
    """The bearer token in ``path`` (first line); InvalidInputError when missing or too short."""
    try:
        with open(path, encoding="utf-8") as f:
            token = f.readline().strip()
    except OSError as error:
        raise InvalidInputError(f"cannot read the token file {path}: {error.strerror}") from None
    if len(token) < 16:
        raise InvalidInputError(f"the token in {path} is shorter than 16 characters; use a long random token")
    return token


def _health(served: ServedModel) -> dict:
    metadata = served.metadata
    return {
        "status": "ok",
        "model_uri": served.uri,
        "flavor": metadata.flavor,
        "model_class": metadata.model_class,
        "sha256": metadata.sha256,
        "methods": served.methods,
        "signature": metadata.signature,
    }


def _json(document: Any, status_code: int = 200) -> Response:
    return Response(
        json.dumps(document, allow_nan=False), status_code=status_code, media_type="application/json"
    )


def _error(status_code: int, error_code: str, message: str) -> Response:
    return _json({"error_code": error_code, "message": message}, status_code)


async def _error_response(request: Request, error: Exception) -> Response:
    status, document = error_document(error)
    return _json(document, status)


_EXCEPTION_HANDLERS = {InvalidInputError: _error_response, Exception: _error_response}


class _Authenticated:
    """Every route but /ping needs ``Authorization: Bearer <token>`` (compared in constant time)."""

    def __init__(self, app: Any, token: str) -> None:
        self.app, self.expected = app, f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] != "/ping":
            given = dict(scope["headers"]).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                response = _error(
                    401, "UNAUTHENTICATED", "send the server's token as 'Authorization: Bearer <token>'"
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class _AccessLog:
    """One JSON line per request on the ``autolog.serving.access`` logger."""

    def __init__(self, app: Any) -> None:
        self.app, self.logger = app, logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), {}

        async def send_recording_status(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            self._log(scope, status.get("code", 500), started)

    def _log(self, scope: Scope, status: int, started: float) -> None:
        logger = self.logger
        if not logger.isEnabledFor(logging.INFO):
            return
        line = json.dumps(
            {
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "rows": scope.get("state", {}).get("rows"),  # set by /invocations
                "latency_ms": round((time.perf_counter() - started) * 1000, 3),
            }
        )
        handlers = logger.handlers
        if len(handlers) == 1 and isinstance(handlers[0], _LineHandler) and handlers[0].plain(logger):
            handlers[0].write_line(line)  # as the server configured it: no LogRecord per request
        else:
            logger.info(line)


class _LineHandler(logging.StreamHandler):
    """The access log's handler as the server sets it up: it can take a line as it is."""

    def plain(self, logger: logging.Logger) -> bool:
        """No filter or level on the way that a LogRecord would be needed for."""
        return not (logger.filters or self.filters) and self.level <= logging.INFO

    def write_line(self, line: str) -> None:
        with self.lock:  # type: ignore[union-attr]  # created by Handler.__init__
            try:
                self.stream.write(line + "\n")
                self.stream.flush()
            except Exception:
                self.handleError(logging.makeLogRecord({"msg": line}))
