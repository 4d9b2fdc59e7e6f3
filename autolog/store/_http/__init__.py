"""The HTTP client store: :class:`HttpStore` talks to ``autolog server`` (``/api/v1``)."""

from autolog.store._http._store import HttpStore
from autolog.store._http._transport import AccessDeniedError, ServerUnreachableError

__all__ = ["AccessDeniedError", "HttpStore", "ServerUnreachableError"]
