"""The team tracking server (``autolog server``): REST API, tokens and permissions, the UI.

See ``docs/server.md``. Public names: :func:`serve`, :func:`create_server_app`,
:class:`ServerOptions`; imported lazily (the server needs Starlette and uvicorn).
"""

from __future__ import annotations

__all__ = ["ServerOptions", "create_server_app", "serve"]


def __getattr__(name: str):
    if name in ("ServerOptions", "create_server_app"):
        from autolog.server import _app

        return getattr(_app, name)
    if name == "serve":
        from autolog.server._serve import serve

        return serve
    raise AttributeError(f"module 'autolog.server' has no attribute {name!r}")
