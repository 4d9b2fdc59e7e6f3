"""``open_store``: from a tracking URI to a :class:`SqlStore`."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from autolog._core._exceptions import InvalidInputError
from autolog._core._redact import redact_uri
from autolog._core._validation import storable_text

if TYPE_CHECKING:
    from autolog.store._contract import Store

DB_FILE_NAME = "autolog.db"
ARTIFACTS_DIR_NAME = "artifacts"
DEFAULT_ARTIFACT_ROOT = "./autolog-artifacts"
_DATABASE_SCHEMES = ("sqlite", "postgresql", "postgres", "postgresql+psycopg")


def open_store(tracking_uri: str, artifact_root: str | None = None) -> Store:
    """Turn a tracking URI into a store.

    Parameters
    ----------
    tracking_uri : str
        A directory (plain path or ``file:`` URI) holding ``autolog.db`` and ``artifacts/``;
        or ``sqlite:///PATH`` / ``postgresql://...`` naming a database directly.
    artifact_root : str, optional
        Where artifacts go: a directory, ``file:`` URI or fsspec URL such as
        ``s3://bucket/prefix``. Default: ``AUTOLOG_ARTIFACT_ROOT``, else the directory store's
        ``artifacts/`` folder (for a database URI, ``./autolog-artifacts``).

    Returns
    -------
    Store
        A :class:`SqlStore` for these URIs. Nothing is created on disk until the first write.
    """
    from autolog.store._sql_store import SqlStore

    if not isinstance(tracking_uri, str) or not tracking_uri.strip():
        raise InvalidInputError(
            f"tracking URI must be a non-empty string, got {type(tracking_uri).__name__} "
            f"{redact_uri(str(tracking_uri))!r}"
        )
    storable_text(tracking_uri, "tracking URI")
    if artifact_root is not None:
        storable_text(artifact_root, "artifact root")
    scheme = urlparse(tracking_uri).scheme.lower()
    artifact_root = artifact_root or os.environ.get("AUTOLOG_ARTIFACT_ROOT") or None
    if scheme in _DATABASE_SCHEMES:
        return SqlStore(tracking_uri, artifact_root or DEFAULT_ARTIFACT_ROOT)
    directory = _directory_of(tracking_uri, scheme)
    db_uri = "sqlite:///" + os.path.join(directory, DB_FILE_NAME)
    return SqlStore(db_uri, artifact_root or os.path.join(directory, ARTIFACTS_DIR_NAME))


def _directory_of(tracking_uri: str, scheme: str) -> str:
    if scheme == "file":
        parsed = urlparse(tracking_uri)
        if parsed.netloc not in ("", "localhost"):
            raise InvalidInputError(f"tracking URI {redact_uri(tracking_uri)!r} names a remote host")
        return os.path.abspath(unquote(parsed.path))
    if len(scheme) > 1:
        raise InvalidInputError(
            f"unsupported tracking URI {redact_uri(tracking_uri)!r}: use a directory, file:, sqlite:/// "
            "or postgresql://"
        )
    return os.path.abspath(os.path.expanduser(tracking_uri))
