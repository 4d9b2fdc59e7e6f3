"""Run the model server: refuse what is unsafe, load once to fail fast, then hand over to uvicorn."""

from __future__ import annotations

import ipaddress
import os
import sys
from typing import Optional

from autolog._core._exceptions import InvalidInputError
from autolog.serving._app import build_app, configure_access_log, read_token
from autolog.serving._inputs import Limits
from autolog.serving._model import load_served_model

GRACEFUL_SHUTDOWN_S = 30


def serve(
    model_uri: str,
    *,
    host: str = "127.0.0.1",
    port: int = 5001,
    workers: int = 1,
    token_file: str | None = None,
    limits: Optional[Limits] = None,
) -> None:
    """Serve ``model_uri`` over HTTP until SIGTERM or SIGINT (in-flight requests finish first).

    Parameters
    ----------
    model_uri : str
        ``runs:/...``, ``models:/name@alias``, ``models:/name/N`` or a local model directory.
    host, port : str, int
        Where to listen; anything beyond loopback needs ``token_file``.
    workers : int
        Worker processes (each loads the model once).
    token_file : str, optional
        File whose first line is the bearer token every request but ``/ping`` must send.
    limits : Limits, optional
        Request body and row limits (default: 10 MiB, 100,000 rows).
    """
    limits = limits or Limits()
    if workers < 1:
        raise InvalidInputError(f"--workers must be at least 1, got {workers}")
    token = read_token(token_file) if token_file else None
    check_bind(host, authenticated=token is not None)
    served = load_served_model(model_uri, owns_process=True)  # integrity checks before a port opens
    configure_access_log()
    import uvicorn

    print(
        f"autolog: serving {model_uri} ({served.metadata.model_class}, sha256 {served.metadata.sha256[:12]}) "
        f"at http://{_url_host(host)}:{port}/invocations",
        file=sys.stderr,
        flush=True,
    )
    if workers == 1:
        uvicorn.run(
            build_app(served, limits=limits, token=token),
            host=host,
            port=port,
            access_log=False,
            log_level="warning",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        )
        return
    os.environ.update(
        {
            "AUTOLOG_SERVE_MODEL_URI": model_uri,
            "AUTOLOG_SERVE_MAX_BODY_BYTES": str(limits.max_body_bytes),
            "AUTOLOG_SERVE_MAX_ROWS": str(limits.max_rows),
        }
    )
    if token_file:
        os.environ["AUTOLOG_SERVE_TOKEN_FILE"] = os.path.abspath(token_file)
    uvicorn.run(
        "autolog.serving._app:app_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )


def check_bind(host: str, *, authenticated: bool) -> None:
    """Refuse to listen beyond loopback without a token."""
    if authenticated or is_loopback(host):
        return
    raise InvalidInputError(
        f"refusing to serve on {host} without authentication: anyone who can reach it could use the "
        "model. Pass --token-file FILE (clients send 'Authorization: Bearer <token>'), or bind 127.0.0.1 "
        "behind a reverse proxy that authenticates"
    )


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
