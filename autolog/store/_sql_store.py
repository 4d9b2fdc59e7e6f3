"""``SqlStore``: the :class:`~autolog.store.Store` contract on SQLite or PostgreSQL.

One module per concern: ``_experiments``, ``_runs`` (runs and logging), ``_run_search``,
``_purge`` and ``_model_registry`` hold the methods as mixins; ``_hot_path`` the statements of
the logging hot path; ``_sql_common`` what they share. This module composes them and owns the
engines. Adding a concern is one more mixin in the bases of :class:`SqlStore`.

None of these modules imports SQLAlchemy when imported (see ``_lazy``): a SQLite store opens for
the hot path (creating a run, logging, artifact and model records: all a fit writes) through
stdlib ``sqlite3`` and pre-rendered SQL (``_sqlite``), and builds its SQLAlchemy engine the first
time another method needs it.
"""

from __future__ import annotations

import functools
import os
import socket
import sqlite3
import threading
from typing import TYPE_CHECKING

from autolog._core._exceptions import StoreError
from autolog._core._redact import redact_text, redact_uri
from autolog.store import _sqlite
from autolog.store._artifact_locations import join_location, store_root_of, to_stored
from autolog.store._artifact_records import ArtifactRecordsMixin
from autolog.store._artifacts import make_dirs, normalize_artifact_root
from autolog.store._checkpoints import CHECKPOINTS, defer_checkpoints
from autolog.store._contract import Store
from autolog.store._experiments import ExperimentsMixin
from autolog.store._history import HistoryMixin
from autolog.store._hot_path import HotConnections, HotStatements
from autolog.store._model_records import ModelRecordsMixin
from autolog.store._model_registry import ModelRegistryMixin
from autolog.store._purge import PurgeMixin
from autolog.store._run_search import RunSearchMixin
from autolog.store._runs import RunsMixin

if TYPE_CHECKING:
    import sqlalchemy as sa

    from autolog.store import _engine
else:
    from autolog.store._lazy import engine_module as _engine
    from autolog.store._lazy import sa


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
        self.db_uri = _sqlite.normalize_db_uri(db_uri)
        self.artifact_root = normalize_artifact_root(artifact_root)
        self._db_path = _sqlite.sqlite_path(self.db_uri)
        self._store_root = store_root_of(self._db_path)
        self._engine: sa.Engine | None = None
        self._placeholder_engine: sa.Engine | None = None
        # self._hot and self._hot_connections are set by _hot_path_ready() or _initialize()
        self._hot_ready = False  # the schema is at head, _hot and _hot_connections are set
        self._ready = False  # and the engine too
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

    def _hot_writer(self) -> None:
        """Make ``_hot`` and ``_hot_connections`` ready: the schema is created or at head.

        A SQLite database file that is new or at the head revision needs no SQLAlchemy for
        this (``_sqlite.open_at_head``); anything else goes through :meth:`_initialize`.
        """
        if self._hot_ready:
            return
        if self._db_path is not None and self._open_sqlite_at_head(self._db_path):
            return
        self._initialize()

    def _open_sqlite_at_head(self, path: str) -> bool:
        with self._init_lock:
            if self._hot_ready:
                return True
            make_dirs(os.path.dirname(path))
            try:
                at_head = _sqlite.open_at_head(path, default_artifact_location=self._default_location(0))
            except sqlite3.Error as exc:
                raise StoreError(redact_text(f"cannot open the store at {self._safe_uri()}: {exc}")) from exc
            if not at_head:
                return False  # an older revision: Alembic migrates it
            self._hot = HotStatements.for_sqlite()
            self._hot_connections = HotConnections(
                lambda: _same_twice(defer_checkpoints(_sqlite.connect(path))),
                "BEGIN IMMEDIATE",
                after_commit=functools.partial(CHECKPOINTS.written, path),
            )
            self._hot_ready = True
            return True

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
            if not self._hot_ready:
                self._hot, self._hot_connections = _hot_parts(self._engine, self._db_path)
                self._hot_ready = True
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


def _same_twice(connection: sqlite3.Connection) -> tuple[sqlite3.Connection, sqlite3.Connection]:
    return connection, connection


def _hot_parts(engine: sa.Engine, db_path: str | None) -> tuple[HotStatements, HotConnections]:
    """The hot path's statements and connections on an engine (``db_path``: its SQLite file)."""
    if engine.dialect.name != "sqlite":
        connections = HotConnections(lambda: _engine.detached_connection(engine), None)
        return HotStatements.compiled(engine.dialect), connections
    if db_path is None:  # in memory: no WAL
        return HotStatements.for_sqlite(), HotConnections(
            lambda: _engine.detached_connection(engine), "BEGIN IMMEDIATE"
        )

    def connect() -> tuple:
        closeable, connection = _engine.detached_connection(engine)
        return closeable, defer_checkpoints(connection)

    connections = HotConnections(
        connect, "BEGIN IMMEDIATE", after_commit=functools.partial(CHECKPOINTS.written, db_path)
    )
    return HotStatements.for_sqlite(), connections
