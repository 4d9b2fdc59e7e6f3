"""The local web UI: ``create_app(tracking_uri)`` builds the ASGI app, ``serve()`` runs it.

Importing this package imports Starlette and Jinja2; ``import autolog`` never imports it.
"""

from autolog.ui._app import create_app
from autolog.ui._server import DEFAULT_HOST, DEFAULT_PORT, PortInUseError, serve

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "PortInUseError", "create_app", "serve"]
