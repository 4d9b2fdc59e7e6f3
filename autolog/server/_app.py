"""The server application: ``/api/v1`` (tokens), ``/login``, and the UI pages (session cookie).

Authentication is on as soon as one token exists (``autolog server token create``); then every
API request needs ``Authorization: Bearer <token>`` and every page a session cookie from the
login form. Without tokens the server trusts every caller as an admin (loopback use only; the
CLI refuses other addresses unless ``--insecure-no-auth``).
"""

from __future__ import annotations

import json
import os
import time
import urllib.parse
from dataclasses import asdict, dataclass, field

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from autolog._core._exceptions import (
    AutologError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
)
from autolog.server import _api
from autolog.server._policy import (
    ANONYMOUS_ADMIN,
    CURRENT_CALLER,
    Caller,
    GuardedStore,
    PermissionDenied,
    Policy,
    Unauthenticated,
)
from autolog.store import _server_auth as auth
from autolog.ui._app import ALL_INTERFACES
from autolog.ui._security import default_allowed_hosts, host_allowed

HERE = os.path.dirname(os.path.abspath(__file__))
SESSION_COOKIE = "autolog_session"
OPTIONS_ENV = "AUTOLOG_SERVER_OPTIONS"
_AUTH_CHECK_TTL_S = 2.0
_STATUS = {
    InvalidInputError: 400,
    Unauthenticated: 401,
    PermissionDenied: 403,
    NotFoundError: 404,
    ConflictError: 409,
}


@dataclass
class ServerOptions:
    """What ``autolog server`` passes to each worker (through the environment)."""

    backend_store_uri: str
    artifact_root: str | None = None
    bind_host: str = "127.0.0.1"
    default_permission: str = "READ"
    allowed_hosts: list = field(default_factory=list)

    def to_env(self) -> str:
        return json.dumps(asdict(self))


def app_from_environment() -> Starlette:
    """The uvicorn factory of each worker process: options from ``AUTOLOG_SERVER_OPTIONS``."""
    return create_server_app(ServerOptions(**json.loads(os.environ[OPTIONS_ENV])))


def create_server_app(options: ServerOptions) -> Starlette:
    """Build the server for one backend store.

    Parameters
    ----------
    options : ServerOptions
        Backend store URI, artifact root, bind address, default permission, extra host names.

    Returns
    -------
    starlette.applications.Starlette
    """
    from autolog.store import open_store
    from autolog.ui._app import create_app as create_ui_app

    store = open_store(options.backend_store_uri, options.artifact_root)
    policy = Policy(store, default_level=auth.level_of(options.default_permission))
    guarded = GuardedStore(store, policy)
    ui = create_ui_app(
        options.backend_store_uri,
        artifact_root=options.artifact_root,
        bind_host=options.bind_host,
        allowed_hosts=options.allowed_hosts,
    )
    ui.state.client._store = guarded  # the pages read through the permission checks
    ui.state.templates.env.globals["tracking_uri"] = "autolog server"  # never the database URL
    app = Starlette(
        routes=[
            Route("/api/v1/health", _health, methods=["GET"]),
            *_api.routes(),
            Route("/login", _login_page, methods=["GET"]),
            Route("/login", _login, methods=["POST"]),
            Route("/logout", _logout, methods=["POST"]),
            Mount("/", app=ui),
        ],
        middleware=[
            Middleware(
                AuthMiddleware,
                store=store,
                allowed_hosts=default_allowed_hosts(options.bind_host, options.allowed_hosts),
                any_ip=options.bind_host in ALL_INTERFACES,
            )
        ],
        exception_handlers={AutologError: _api_error},
    )
    app.state.store = store
    app.state.guarded_store = guarded
    app.state.templates = _login_templates()
    ui.state.guarded_store = guarded
    ui.add_exception_handler(PermissionDenied, _page_forbidden)
    return app


def _login_templates():
    import jinja2
    from starlette.templating import Jinja2Templates

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(HERE, "templates")), autoescape=True)
    return Jinja2Templates(env=env)


class AuthMiddleware:
    """Sets :data:`CURRENT_CALLER` from the bearer token (API) or the session cookie (pages)."""

    def __init__(self, app, *, store, allowed_hosts: frozenset, any_ip: bool):
        self.app = app
        self.store = store
        self.allowed_hosts = allowed_hosts
        self.any_ip = any_ip
        self._auth_on = False
        self._checked_at = -1e9

    def auth_enabled(self) -> bool:
        # Once on, always on; otherwise re-read now and then (a token may have been created).
        if self._auth_known():
            return self._auth_on
        self._auth_on = auth.has_users(self.store)
        self._checked_at = time.monotonic()
        return self._auth_on

    def _auth_known(self) -> bool:
        return self._auth_on or time.monotonic() - self._checked_at <= _AUTH_CHECK_TTL_S

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        # The database is read (in a worker thread) only when the cached answer is stale.
        auth_on = self._auth_on if self._auth_known() else await run_in_threadpool(self.auth_enabled)
        if not auth_on:
            # Without tokens the API trusts its caller: like the UI, it answers only requests
            # naming this server in Host, so a web page cannot reach it by DNS rebinding.
            host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
            if not host_allowed(host, self.allowed_hosts, any_ip=self.any_ip):
                return await Response("Invalid Host header.", status_code=400)(scope, receive, send)
            CURRENT_CALLER.set(ANONYMOUS_ADMIN)
            return await self.app(scope, receive, send)
        request = Request(scope)
        path = scope["path"]
        caller = await run_in_threadpool(self._caller, request, path.startswith("/api/v1/"))
        if caller is not None or path in ("/login", "/api/v1/health") or path.startswith("/static/"):
            CURRENT_CALLER.set(caller or Caller("", False))
            return await self.app(scope, receive, send)
        if path.startswith("/api/"):  # the UI's own JSON routes answer 401 too
            response = JSONResponse(
                {
                    "error": "authentication required: send Authorization: Bearer "
                    "<token> (AUTOLOG_TRACKING_TOKEN)",
                    "type": "Unauthenticated",
                },
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        elif scope["method"] == "GET":
            target = path + (
                "?" + scope["query_string"].decode("latin-1") if scope.get("query_string") else ""
            )
            response = RedirectResponse("/login?" + urllib.parse.urlencode({"next": target}), status_code=303)
        else:
            response = Response("Sign in first.", status_code=401)
        await response(scope, receive, send)

    def _caller(self, request: Request, is_api: bool) -> Caller | None:
        header = request.headers.get("authorization", "")
        if is_api:
            if header[:7].lower() != "bearer ":
                return None
            found = auth.authenticate(self.store, header[7:].strip(), kind="api")
        else:
            session = request.cookies.get(SESSION_COOKIE)
            found = auth.authenticate(self.store, session, kind="session") if session else None
        return None if found is None else Caller(*found)


async def _health(_request: Request) -> Response:
    return JSONResponse({"status": "ok", "api": "v1"})


async def _login_page(request: Request, message: str = "", status: int = 200) -> Response:
    next_path = _safe_next(request.query_params.get("next", "/"))
    response = request.app.state.templates.TemplateResponse(
        request, "login.html", {"message": message, "next": next_path}, status_code=status
    )
    return _secured(response)


def _secured(response: Response) -> Response:
    """The UI's headers (strict CSP, no framing, nosniff) on the server's own pages too."""
    from autolog.ui._security import SECURITY_HEADERS

    for name, value in SECURITY_HEADERS:
        response.headers[name.decode()] = value.decode()
    return response


async def _login(request: Request) -> Response:
    from autolog.ui._security import origin_allowed

    if not origin_allowed(request.headers.get("origin"), request.headers.get("host")):
        return Response("Cross-origin request refused.", status_code=403)
    # A urlencoded form, parsed here: Starlette's form parser needs python-multipart.
    form = urllib.parse.parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0]
    next_path = _safe_next((form.get("next") or ["/"])[0])
    store = request.app.state.store
    found = await run_in_threadpool(auth.authenticate, store, token, kind="api") if token else None
    if found is None:
        request.scope["query_string"] = urllib.parse.urlencode({"next": next_path}).encode()
        return await _login_page(request, "That token is not valid.", 401)
    session = await run_in_threadpool(auth.create_session, store, found[0])
    response = _secured(RedirectResponse(next_path, status_code=303))
    response.set_cookie(
        SESSION_COOKIE,
        session,
        httponly=True,
        samesite="strict",
        path="/",
        secure=request.url.scheme == "https",
        max_age=auth.SESSION_LIFETIME_MS // 1000,
    )
    return response


async def _logout(request: Request) -> Response:
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        await run_in_threadpool(auth.delete_session, request.app.state.store, session)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _safe_next(path: str) -> str:
    """Only local paths: ``//evil.example`` or ``https://...`` would be an open redirect."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


async def _api_error(request: Request, exc: Exception) -> Response:
    status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 500)
    return JSONResponse({"error": str(exc), "type": type(exc).__name__}, status_code=status)


async def _page_forbidden(request: Request, exc: Exception) -> Response:
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request, "error.html", {"status": 403, "message": str(exc)}, status_code=403
    )
