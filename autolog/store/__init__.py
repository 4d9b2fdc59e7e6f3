"""The metadata store (SQLite or PostgreSQL) and local artifact storage.

Public names: :class:`Store` (the contract every store implements), :class:`SqlStore` (SQLite
and PostgreSQL), :func:`open_store`, :class:`ArtifactRepository`. They are re-exported lazily so
that ``import autolog.store`` does not import SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["ArtifactRepository", "SqlStore", "Store", "artifact_repository", "open_store"]

_EXPORTS = {
    "SqlStore": "autolog.store._sql_store",
    "Store": "autolog.store._contract",
    "open_store": "autolog.store._open",
    "ArtifactRepository": "autolog.store._artifacts",
    "artifact_repository": "autolog.store._repositories",
}

if TYPE_CHECKING:
    from autolog.store._artifacts import ArtifactRepository
    from autolog.store._contract import Store
    from autolog.store._open import open_store
    from autolog.store._repositories import artifact_repository
    from autolog.store._sql_store import SqlStore


def __getattr__(name: str):
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'autolog.store' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
