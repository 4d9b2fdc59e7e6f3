"""Which store the tracking API talks to: tracking URI and artifact root resolution.

Precedence for the tracking URI: :func:`set_tracking_uri`, else the environment variable
``AUTOLOG_TRACKING_URI``, else the directory ``./autolog-runs`` resolved against the working
directory at first use. Stores are opened once per ``(uri, artifact_root)`` and cached.
"""

from __future__ import annotations

import os
import re
import threading
from typing import TYPE_CHECKING

from autolog._core._exceptions import InvalidInputError
from autolog._core._process import PROCESS, StatePart
from autolog._core._redact import redact_uri

if TYPE_CHECKING:  # the store pulls in SQLAlchemy: import it only when a store is opened
    from autolog.store import Store

TRACKING_URI_ENV = "AUTOLOG_TRACKING_URI"
ARTIFACT_ROOT_ENV = "AUTOLOG_ARTIFACT_ROOT"
DEFAULT_TRACKING_DIR = "autolog-runs"

_KNOWN_SCHEMES = frozenset({"file", "sqlite", "postgresql", "postgres", "http", "https"})
TRACKING_TOKEN_ENV = "AUTOLOG_TRACKING_TOKEN"
# A one-letter "scheme" is a Windows drive letter, i.e. a plain path.
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+):")


class _UriState(StatePart):
    """The URI set by ``set_tracking_uri``, the default one, and the stores opened per URI."""

    def __init__(self) -> None:
        self.explicit_uri: str | None = None
        self.default_uri: str | None = None
        self.stores: dict = {}
        self.stores_lock = threading.Lock()


_state = PROCESS.part("tracking.uri", _UriState)


def normalize_tracking_uri(uri: str) -> str:
    """Validate a tracking URI and make a plain directory path absolute.

    Parameters
    ----------
    uri : str
        A directory path, a ``file:`` URI, a ``sqlite:///`` / ``postgresql://`` database URL,
        or the ``http(s)://host:port`` of an ``autolog server`` (token from
        ``AUTOLOG_TRACKING_TOKEN``).

    Returns
    -------
    str
        The URI to open; plain paths become absolute so that a later ``chdir`` changes nothing.

    Raises
    ------
    InvalidInputError
        If the URI is empty or names an unknown scheme.
    """
    if not isinstance(uri, (str, os.PathLike)):
        raise InvalidInputError(
            f"invalid tracking URI of type {type(uri).__name__}: expected a string or a path"
        )
    uri = os.fspath(uri)
    if not uri.strip():
        raise InvalidInputError(f"invalid tracking URI {uri!r}: it is empty")
    match = _SCHEME_RE.match(uri)
    if match is None:
        return os.path.abspath(os.path.expanduser(uri))
    scheme = match.group(1).lower().split("+", 1)[0]
    if scheme not in _KNOWN_SCHEMES:
        known = ", ".join(sorted(_KNOWN_SCHEMES))
        raise InvalidInputError(
            f"invalid tracking URI {redact_uri(uri)!r}: unknown scheme {match.group(1)!r} "
            f"(use a directory path or one of: {known})"
        )
    return uri


def set_tracking_uri(uri: str | None) -> None:
    """Set the tracking URI for this process; ``None`` returns to the environment/default.

    Parameters
    ----------
    uri : str or None
        A directory path, ``file:`` URI, ``sqlite:///`` or ``postgresql://`` URL.
    """
    _state.explicit_uri = None if uri is None else normalize_tracking_uri(uri)


def get_tracking_uri() -> str:
    """Return the tracking URI in effect (explicit, then environment, then ``./autolog-runs``)."""
    explicit = _state.explicit_uri
    if explicit is not None:
        return explicit
    from_env = os.environ.get(TRACKING_URI_ENV)
    if from_env is not None:
        return normalize_tracking_uri(from_env)
    return _default_tracking_uri()


def _default_tracking_uri() -> str:
    if _state.default_uri is None:
        _state.default_uri = os.path.abspath(DEFAULT_TRACKING_DIR)
    return _state.default_uri


def resolve_tracking_uri(uri: str | None = None) -> str:
    """Return ``uri`` validated, or the URI in effect when it is ``None``."""
    return get_tracking_uri() if uri is None else normalize_tracking_uri(uri)


def resolve_artifact_root(artifact_root: str | None = None) -> str | None:
    """Return the artifact root from the argument, else ``AUTOLOG_ARTIFACT_ROOT``, else ``None``.

    ``None`` lets the store pick its default (``artifacts/`` inside a directory store).
    """
    if artifact_root is None:
        artifact_root = os.environ.get(ARTIFACT_ROOT_ENV) or None
    if artifact_root is None:
        return None
    artifact_root = os.fspath(artifact_root)
    if not artifact_root.strip():
        raise InvalidInputError(f"invalid artifact root {artifact_root!r}: it is empty")
    if _SCHEME_RE.match(artifact_root) is None:
        return os.path.abspath(os.path.expanduser(artifact_root))
    return artifact_root


def get_store(tracking_uri: str | None = None, artifact_root: str | None = None) -> Store:
    """Return the store for a tracking URI (default: the one in effect), opened once per process.

    Parameters
    ----------
    tracking_uri : str, optional
        Defaults to :func:`get_tracking_uri`.
    artifact_root : str, optional
        Defaults to ``AUTOLOG_ARTIFACT_ROOT``, else the store's own default.

    Returns
    -------
    autolog.store.Store
        The same object for the same ``(uri, artifact_root)``, also across threads.
    """
    key = (resolve_tracking_uri(tracking_uri), resolve_artifact_root(artifact_root))
    store = _state.stores.get(key)
    if store is not None:
        return store
    with _state.stores_lock:
        store = _state.stores.get(key)
        if store is None:
            store = _open(key[0], key[1])
            _state.stores[key] = store
    return store


def _open(uri: str, artifact_root: str | None):
    if uri.lower().startswith(("http://", "https://")):
        from autolog.store._http import HttpStore

        return HttpStore(uri, os.environ.get(TRACKING_TOKEN_ENV) or None)
    from autolog.store import open_store

    return open_store(uri, artifact_root)
