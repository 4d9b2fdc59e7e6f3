"""SQLite stores on stdlib ``sqlite3``: connections, the schema lock, and opening without SQLAlchemy.

A process's first autologged fit opens (or creates) the store and writes one run. Importing
SQLAlchemy alone costs more than that fit's whole overhead budget, so for a SQLite database
file this module does that first part itself: :func:`open_at_head` creates a brand-new store from
the pre-rendered SQL of :mod:`autolog.store._sqlite_sql` (generated from the SQLAlchemy tables,
see :mod:`autolog.store._sqlite_codegen`) or checks that an existing one is at the head revision;
:func:`connect` gives the hot path's connections. The result is the store that
``_engine.upgrade_to_head`` builds through SQLAlchemy (``tests/store/test_sqlite_light.py``
compares them). An older revision still migrates through Alembic on the SQLAlchemy path.

Connections run in WAL mode with a 30 s busy timeout, ``synchronous=NORMAL`` and foreign keys
on, in autocommit mode: writers emit ``BEGIN IMMEDIATE`` themselves, so a writer takes the write
lock up front and concurrent processes queue on the busy timeout instead of failing with a
lock-upgrade deadlock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator

from autolog._core._exceptions import InvalidInputError
from autolog._core._redact import redact_uri

MMAP_SIZE_BYTES = 256 * 1024 * 1024
BUSY_TIMEOUT_S = 30


def normalize_db_uri(db_uri: str) -> str:
    """Map ``postgresql://`` and ``postgres://`` to the psycopg 3 driver; check the scheme."""
    for prefix in ("postgresql://", "postgres://"):
        if db_uri.startswith(prefix):
            return "postgresql+psycopg://" + db_uri[len(prefix) :]
    if db_uri.startswith(("sqlite:", "postgresql+psycopg:")):
        return db_uri
    raise InvalidInputError(
        f"unsupported database URI {redact_uri(db_uri)!r}: expected sqlite:///PATH or postgresql://..."
    )


def sqlite_path(db_uri: str) -> str | None:
    """The database file of a SQLite URI, ``None`` for in-memory or non-SQLite databases."""
    simple = db_uri.startswith("sqlite:///") and "?" not in db_uri and "%" not in db_uri
    if simple:  # the common case, parsed as SQLAlchemy's make_url would, without importing it
        database = db_uri[len("sqlite:///") :]
    else:
        from sqlalchemy.engine import make_url

        url = make_url(db_uri)
        if url.get_backend_name() != "sqlite":
            return None
        database = url.database or ""
    if database in ("", ":memory:"):
        return None
    return os.path.abspath(database)


def configure_connection(connection: sqlite3.Connection) -> None:
    """Autocommit (``BEGIN`` is ours to emit), busy timeout, ``synchronous``, foreign keys, mmap."""
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    # Reads through the OS page cache instead of SQLite's 2 MB one: a filtered count or search
    # over 100,000 runs took 160-180 ms without, about 100 ms with. WAL mode already requires a
    # local filesystem, which is where memory-mapped I/O is safe.
    cursor.execute(f"PRAGMA mmap_size = {MMAP_SIZE_BYTES}")
    cursor.close()


def connect(path: str) -> sqlite3.Connection:
    """A configured connection to the database file ``path`` (usable from any thread)."""
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    configure_connection(connection)
    return connection


@contextlib.contextmanager
def file_lock(path: str) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` (created if missing): serializes schema creation."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def schema_lock_path(path: str) -> str:
    """The lock file that serializes creating or migrating the store at ``path``."""
    return path + ".lock"


def open_at_head(path: str, *, default_artifact_location: str) -> bool:
    """Make the store at ``path`` ready for writing at the head revision, without SQLAlchemy.

    Creates a missing or empty database (head schema, ``alembic_version``, WAL mode) and the
    default experiment, under the same cross-process lock as ``_engine.upgrade_to_head``.

    Returns
    -------
    bool
        ``False`` when the database needs a migration (an older revision, or tables without a
        revision): nothing was written, and the caller goes through SQLAlchemy and Alembic.
    """
    if os.path.exists(path) and _is_at_head(path):
        return True
    with file_lock(schema_lock_path(path)):
        connection = connect(path)
        try:
            # WAL is a persistent property of the file; it cannot change inside a transaction.
            connection.execute("PRAGMA journal_mode = WAL")
            return _create_or_check(connection, default_artifact_location)
        finally:
            connection.close()


def _create_or_check(connection: sqlite3.Connection, default_artifact_location: str) -> bool:
    # imported here, not at the top: the generator imports this module to write that one
    from autolog.store import _sqlite_sql

    cursor = connection.cursor()
    cursor.execute("BEGIN IMMEDIATE")
    try:
        revision = _current_revision(cursor)
        if revision is None and _is_empty(cursor):
            for statement in _sqlite_sql.CREATE_SCHEMA:
                cursor.execute(statement)
            cursor.execute(_sqlite_sql.INSERT_REVISION, {"version_num": _sqlite_sql.HEAD_REVISION})
        elif revision != _sqlite_sql.HEAD_REVISION:
            connection.rollback()
            return False
        now = int(time.time() * 1000)
        cursor.execute(
            _sqlite_sql.INSERT_DEFAULT_EXPERIMENT,
            {
                "experiment_id": 0,
                "name": "Default",
                "artifact_location": default_artifact_location,
                "lifecycle_stage": "active",
                "creation_time": now,
                "last_update_time": now,
            },
        )
        connection.commit()
        return True
    except BaseException:
        connection.rollback()
        raise


def _is_at_head(path: str) -> bool:
    from autolog.store import _sqlite_sql

    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
    try:
        cursor = connection.cursor()
        if _current_revision(cursor) != _sqlite_sql.HEAD_REVISION:
            return False
        cursor.execute("SELECT experiment_id FROM experiments WHERE experiment_id = 0")
        return cursor.fetchone() is not None
    finally:
        connection.close()


def _current_revision(cursor: sqlite3.Cursor) -> str | None:
    cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'")
    if cursor.fetchone() is None:
        return None
    cursor.execute("SELECT version_num FROM alembic_version")
    row = cursor.fetchone()
    return row[0] if row else None


def _is_empty(cursor: sqlite3.Cursor) -> bool:
    cursor.execute("SELECT count(*) FROM sqlite_master")
    return cursor.fetchone()[0] == 0
