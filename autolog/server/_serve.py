"""``autolog server``: check the options, prepare the store, run uvicorn (one or more workers)."""

from __future__ import annotations

import os
import sys
from typing import TextIO

from autolog._core._exceptions import AutologError, InvalidInputError
from autolog.server._app import OPTIONS_ENV, ServerOptions
from autolog.ui._server import is_loopback, url_for

DEFAULT_PORT = 5050


def serve(
    backend_store_uri: str,
    *,
    artifact_root: str | None = None,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    workers: int = 1,
    default_permission: str = "READ",
    insecure_no_auth: bool = False,
    forwarded_allow_ips: str | None = None,
    allowed_hosts: tuple = (),
    out: TextIO = sys.stdout,
) -> None:
    """Serve the API and the UI until interrupted.

    Raises
    ------
    AutologError
        Binding a non-loopback address while no token exists, without ``insecure_no_auth``.
    """
    import uvicorn

    from autolog.store import SqlStore, open_store
    from autolog.store import _server_auth as auth

    auth.level_of(default_permission)
    if workers < 1:
        raise InvalidInputError(f"--workers must be at least 1, got {workers}")
    store = open_store(backend_store_uri, artifact_root)
    if not isinstance(store, SqlStore):
        raise InvalidInputError("--backend-store-uri must be a directory, sqlite:/// or postgresql:// store")
    auth.prepare_schema(store)  # create or migrate the schema once, before the workers start
    auth_on = auth.has_users(store)
    store.close()
    if not auth_on and not is_loopback(host) and not insecure_no_auth:
        raise AutologError(
            f"refusing to serve on {host} without authentication: create a token first "
            "(autolog server token create --user NAME --admin) or pass --insecure-no-auth"
        )
    options = ServerOptions(
        backend_store_uri, artifact_root, host, default_permission.upper(), list(allowed_hosts)
    )
    os.environ[OPTIONS_ENV] = options.to_env()
    state = "tokens required" if auth_on else "NO authentication (every caller is an admin)"
    out.write(f"autolog server: {workers} worker(s), {state}\n")
    out.write(
        f"Serving at {url_for(host if host not in ('0.0.0.0', '::') else '127.0.0.1', port)} (Ctrl-C to stop)\n"
    )
    out.flush()
    uvicorn.run(
        "autolog.server._app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        lifespan="off",
        server_header=False,
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
    )
