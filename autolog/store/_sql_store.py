"""``SqlStore``: the :class:`~autolog.store.Store` contract on SQLite or PostgreSQL.

One module per concern: ``_experiments``, ``_runs`` (runs and logging), ``_run_search``,
``_purge`` and ``_model_registry`` hold the methods as mixins; ``_hot_path`` the statements of
the logging hot path; ``_sql_common`` what they share. This module composes them and owns the
engines. Adding a concern is one more mixin in the bases of :class:`SqlStore`.
"""

from __future__ import annotations

import os
import socket
import threading

import sqlalchemy as sa

from autolog._core._exceptions import StoreError
from autolog._core._redact import redact_text, redact_uri
from autolog.store import (
    _engine,
    _server_schema,  # noqa: F401 - registers the server's tables on the shared metadata
)
from autolog.store._artifact_locations import join_location, store_root_of, to_stored
from autolog.store._artifact_records import ArtifactRecordsMixin
from autolog.store._artifacts import make_dirs, normalize_artifact_root
from autolog.store._contract import Store
from autolog.store._experiments import ExperimentsMixin
from autolog.store._history import HistoryMixin
from autolog.store._hot_path import HotStatements
from autolog.store._model_records import ModelRecordsMixin
from autolog.store._model_registry import ModelRegistryMixin
from autolog.store._purge import PurgeMixin
from autolog.store._run_search import RunSearchMixin
from autolog.store._runs import RunsMixin


class SqlStore(
    ExperimentsMixin,
    RunsMixin,
    RunSearchMixin,
    PurgeMixin,
    ModelRegistryMixin,
    HistoryMixin,
    ModelRecordsMixin,
    ArtifactRecordsMixin,
    Store,
):
    """The :class:`~autolog.store.Store` of SQLite and PostgreSQL databases.

    The methods come from one mixin per concern (experiments, runs and logging, run search,
    purge, model registry, metric histories for charts); this class owns what they share: the engines, the hot-path
    statements and connections, and the cache of artifact URIs.

    Parameters
    ----------
    db_uri : str
        ``sqlite:///PATH`` or ``postgresql://...`` (psycopg 3 is used for PostgreSQL).
    artifact_root : str
        Local directory, ``file:`` URI or fsspec URL (``s3://bucket/prefix``) under which
        experiments keep their artifacts, as ``<artifact_root>/<experiment_id>/<run_id>/artifacts``.
        Locations inside a SQLite store's directory are stored relative to it, so the directory
        can be copied or moved.

    Notes
    -----
    Nothing is created until the first write: reading a SQLite store whose file does not exist
    yet sees an empty store holding only the default experiment. On first use the schema is
    created or migrated to the newest revision, serialized across processes.
    """

    def __init__(self, db_uri: str, artifact_root: str):
        self.db_uri = _engine.normalize_db_uri(db_uri)
        self.artifact_root = normalize_artifact_root(artifact_root)
        self._db_path = _engine.sqlite_path(self.db_uri)
        self._store_root = store_root_of(self._db_path)
        self._engine: sa.Engine | None = None
        self._placeholder_engine: sa.Engine | None = None
        # self._hot and self._hot_connections are set by _initialize() (see SqlStoreParts)
        self._ready = False
        self._init_lock = threading.Lock()
        self._host = socket.gethostname()
        self._artifact_uris: dict[str, str] = {}  # run_id -> artifact URI, oldest first
        self._artifact_uris_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SqlStore({redact_uri(self.db_uri)!r}, artifact_root={self.artifact_root!r})"

    def close(self) -> None:
        """Release pooled connections (the store can still be used afterwards)."""
        hot_connections = getattr(self, "_hot_connections", None)
        if hot_connections is not None:
            hot_connections.close_current_thread()
        for engine in (self._engine, self._placeholder_engine):
            if engine is not None:
                engine.dispose()

    # --- engines -------------------------------------------------------------------------------

    def _writer(self) -> sa.Engine:
        if self._ready:
            assert self._engine is not None  # _initialize() set it before _ready
            return self._engine
        return self._initialize()

    def _reader(self) -> sa.Engine:
        if self._ready:
            assert self._engine is not None  # _initialize() set it before _ready
            return self._engine
        if self._db_path is not None and not os.path.exists(self._db_path):
            return self._placeholder()
        return self._initialize()

    def _initialize(self) -> sa.Engine:
        with self._init_lock:
            if self._ready:
                assert self._engine is not None  # set before _ready
                return self._engine
            if self._db_path is not None:
                make_dirs(os.path.dirname(self._db_path))
            if self._engine is None:
                self._engine = _engine.create_engine(self.db_uri)
            try:
                if not _engine.is_at_head(self._engine):
                    _engine.upgrade_to_head(self._engine, default_artifact_location=self._default_location(0))
            except sa.exc.SQLAlchemyError as exc:
                raise StoreError(redact_text(f"cannot open the store at {self._safe_uri()}: {exc}")) from exc
            self._hot = HotStatements(self._engine.dialect)
            self._hot_connections = _engine.HotConnections(self._engine)
            self._ready = True
            return self._engine

    def _placeholder(self) -> sa.Engine:
        """An in-memory empty store that answers reads until the database file exists."""
        with self._init_lock:
            if self._placeholder_engine is None:
                engine = _engine.create_engine("sqlite://")
                _engine.create_schema_without_migrations(
                    engine, default_artifact_location=self._default_location(0)
                )
                self._placeholder_engine = engine
            return self._placeholder_engine

    def _safe_uri(self) -> str:
        return redact_uri(self.db_uri)

    def _default_location(self, experiment_id: int) -> str:
        return to_stored(join_location(self.artifact_root, str(experiment_id)), self._store_root)
