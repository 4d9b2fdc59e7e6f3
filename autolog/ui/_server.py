"""``autolog ui``: bind the socket ourselves (clear error on a busy port), then run uvicorn."""

from __future__ import annotations

import errno
import ipaddress
import socket
import sys
from collections.abc import Iterable
from typing import TextIO

from autolog._core._exceptions import AutologError
from autolog._core._redact import redact_uri

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000


class PortInUseError(AutologError):
    """The address is taken by another process."""


class UnauthenticatedBindError(AutologError):
    """Serving beyond loopback without authentication was refused."""


def check_bind_allowed(host: str, *, insecure_no_auth: bool = False) -> None:
    """Refuse a non-loopback ``host``: ``autolog ui`` has no login, so anyone who reaches the
    address could read every run and, with the CSRF token the page hands out, change aliases."""
    if is_loopback(host) or insecure_no_auth:
        return
    raise UnauthenticatedBindError(
        f"refusing to serve the UI on {host}: it has no authentication, so anyone who can reach "
        "that address could read every run and move model aliases. To share a store, run "
        "`autolog server` with access tokens; to reach this UI from another machine, use an SSH "
        "tunnel (ssh -L 5000:127.0.0.1:5000 host) to the default 127.0.0.1; or, behind your own "
        "authenticating proxy, pass --insecure-no-auth"
    )


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``.

    Raises
    ------
    PortInUseError
        When the port is taken (one clear sentence, no traceback for the CLI to print).
    """
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    if sys.platform != "win32":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(
                f"port {port} on {host} is already in use; stop the other server or pick another with --port"
            ) from None
        raise AutologError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def url_for(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}"


def serve(
    tracking_uri: str | None = None,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    allowed_hosts: Iterable[str] = (),
    insecure_no_auth: bool = False,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> None:
    """Serve the UI until Ctrl-C.

    Parameters
    ----------
    tracking_uri : str, optional
        The store to browse (default: the one the Python API would use here).
    host : str
        Address to bind. Anything but loopback is refused (the UI has no login) unless
        ``insecure_no_auth`` is True.
    port : int
        TCP port; 0 picks a free one.
    allowed_hosts : iterable of str
        Extra names accepted in the ``Host`` header.
    insecure_no_auth : bool
        Serve beyond loopback without authentication anyway (only behind an authenticating
        proxy); a warning is printed.

    Raises
    ------
    UnauthenticatedBindError
        ``host`` is not loopback and ``insecure_no_auth`` is False; nothing was started.
    PortInUseError
        When the port is taken.
    """
    check_bind_allowed(host, insecure_no_auth=insecure_no_auth)
    import uvicorn

    from autolog._core._html import register_ui, unregister_ui
    from autolog.ui._app import create_app

    sock = bind_socket(host, port)
    actual_port = sock.getsockname()[1]
    app = create_app(tracking_uri, bind_host=host, allowed_hosts=allowed_hosts)
    if not is_loopback(host):
        err.write(
            f"warning: serving on {host} WITHOUT authentication (--insecure-no-auth): anyone who can "
            "reach this address can read every run and move model aliases\n"
        )
    url = url_for(host if host not in ("0.0.0.0", "::") else DEFAULT_HOST, actual_port)
    out.write(f"autolog ui: {redact_uri(app.state.client.tracking_uri)}\n")
    out.write(f"Serving at {url} (Ctrl-C to stop)\n")
    register_ui(url, app.state.client.store.artifact_root)
    out.flush()
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", server_header=False)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        unregister_ui()
        sock.close()
    out.write("autolog ui: stopped\n")
