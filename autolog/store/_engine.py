"""SQLAlchemy engines, write transactions, the cross-dialect upsert, and schema creation/migration.

SQLite connections are configured as :mod:`autolog.store._sqlite` describes (WAL, busy timeout,
``BEGIN IMMEDIATE`` for writes); PostgreSQL goes through psycopg 3. A SQLite store that is new or
at the head revision is opened without this module (``_sqlite.open_at_head``); this one serves
everything else, and the store's methods beyond the hot path.
"""

from __future__ import annotations

import contextlib
import os
import weakref
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import StaticPool

from autolog._core._exceptions import StoreError
from autolog.store import _schema, _sqlite
from autolog.store._sqlite import configure_connection, file_lock, schema_lock_path, sqlite_path

_WRITE_OPTION = "autolog_write"
# An arbitrary constant naming the schema-creation lock among PostgreSQL advisory locks.
_PG_ADVISORY_LOCK_KEY = 0x6175746F6C6F67  # "autolog"
_MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), "migrations")

_live_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


def create_engine(db_uri: str) -> Engine:
    """Create the engine for a normalized database URI, configured as described above."""
    url = make_url(db_uri)
    try:
        if url.get_backend_name() == "sqlite":
            engine = _create_sqlite_engine(url)
        else:
            engine = sa.create_engine(url, pool_size=5, max_overflow=20)
    except Exception as exc:
        raise StoreError(f"cannot open database {url.render_as_string()}: {exc}") from exc
    _live_engines.add(engine)
    return engine


def _create_sqlite_engine(url) -> Engine:
    in_memory = url.database in (None, "", ":memory:")
    options: dict = {
        "connect_args": {"timeout": _sqlite.BUSY_TIMEOUT_S, "check_same_thread": False},
        # Named parameters let the hot paths hand the same dicts to sqlite3 and psycopg.
        "paramstyle": "named",
    }
    if in_memory:
        options["poolclass"] = StaticPool
    engine = sa.create_engine(url, **options)
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_sqlite_transaction)
    return engine


def _configure_sqlite_connection(dbapi_connection, _record) -> None:
    configure_connection(dbapi_connection)


def _begin_sqlite_transaction(connection: Connection) -> None:
    is_write = connection.get_execution_options().get(_WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if is_write else "BEGIN")


@contextlib.contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One write transaction (``BEGIN IMMEDIATE`` on SQLite); commits, or rolls back on error."""
    with engine.connect() as connection:
        connection.execution_options(**{_WRITE_OPTION: True})
        with connection.begin():
            yield connection


def detached_connection(engine: Engine) -> tuple:
    """A DB-API connection taken from the engine's pool and detached from it, for
    ``_hot_path.HotConnections``: ``(closeable, driver connection)``."""
    proxied = engine.raw_connection()
    driver_connection = proxied.driver_connection
    proxied.detach()
    return proxied, driver_connection


def insert_for(engine_or_dialect, table: sa.Table):
    """The dialect's ``insert`` construct, which offers ``on_conflict_do_update/nothing``."""
    name = getattr(engine_or_dialect, "dialect", engine_or_dialect).name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def upsert(dialect, table: sa.Table, keys: list[str], *, where=None):
    """``INSERT .. ON CONFLICT (keys) DO UPDATE SET <other columns> = excluded.<column>``."""
    statement = insert_for(dialect, table)
    updates = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
    where_clause = where(table, statement.excluded) if where is not None else None
    return statement.on_conflict_do_update(index_elements=keys, set_=updates, where=where_clause)


def dispose_after_fork() -> None:
    """Drop pooled connections inherited from the parent process (never share them)."""
    for engine in list(_live_engines):
        engine.dispose(close=False)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=dispose_after_fork)


# --- schema creation and migration -------------------------------------------------------------


def current_revision(connection: Connection) -> str | None:
    """The revision recorded in ``alembic_version``, ``None`` when the table does not exist."""
    if not connection.dialect.has_table(connection, "alembic_version"):
        return None
    row = connection.exec_driver_sql("SELECT version_num FROM alembic_version").first()
    return row[0] if row else None


def is_at_head(engine: Engine) -> bool:
    """Whether the schema is at ``HEAD_REVISION`` and the default experiment exists."""
    with engine.connect() as connection:
        if current_revision(connection) != _schema.HEAD_REVISION:
            return False
        table = _schema.experiments
        found = connection.execute(sa.select(table.c.experiment_id).where(table.c.experiment_id == 0)).first()
        return found is not None


def upgrade_to_head(engine: Engine, *, default_artifact_location: str) -> None:
    """Create or upgrade the schema and insert the default experiment, under a cross-process lock.

    A brand-new SQLite database gets the head schema directly from :data:`_schema.metadata`
    (Alembic's import and five migrations cost ~0.4 s of a process's first autologged fit);
    anything else (an older revision, a database holding other tables, PostgreSQL, whose
    migrations create key-only text indexes the metadata does not describe) migrates through
    Alembic, so callers check :func:`is_at_head` first.
    """
    with _schema_lock(engine):
        if engine.dialect.name == "sqlite":
            _enable_wal(engine)
        with write_transaction(engine) as connection:
            revision = current_revision(connection)
            if revision is None and _is_empty_sqlite_database(connection):
                create_head_schema(connection)
            elif revision != _schema.HEAD_REVISION:
                _run_alembic_upgrade(connection, revision)
            _insert_default_experiment(connection, default_artifact_location)


def _enable_wal(engine: Engine) -> None:
    # WAL is a persistent property of the database file; it cannot change inside a transaction.
    connection = engine.raw_connection()
    try:
        assert connection.driver_connection is not None  # a checked-out connection has one
        connection.driver_connection.execute("PRAGMA journal_mode = WAL")
    finally:
        connection.close()


def _is_empty_sqlite_database(connection: Connection) -> bool:
    if connection.dialect.name != "sqlite":
        return False
    return connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar() == 0


def create_head_schema(connection: Connection) -> None:
    """Create every table of :data:`_schema.metadata` and record ``HEAD_REVISION`` as Alembic would.

    Runs inside the caller's transaction, on a database without tables; the result is the schema
    the migrations build (``tests/store/test_migrations.py`` compares the two), and the one
    ``_sqlite.open_at_head`` creates from the same statements rendered to text.
    """
    _schema.metadata.create_all(connection, checkfirst=False)
    version_table = alembic_version_table()
    version_table.create(connection)
    connection.execute(version_table.insert().values(version_num=_schema.HEAD_REVISION))


def alembic_version_table() -> sa.Table:
    """Alembic's own version table, spelled as ``alembic.runtime.migration`` creates it."""
    return sa.Table(
        "alembic_version",
        sa.MetaData(),
        sa.Column("version_num", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
    )


def _run_alembic_upgrade(connection: Connection, revision: str | None) -> None:
    from alembic import command
    from alembic.config import Config
    from alembic.util import CommandError

    config = Config()
    config.set_main_option("script_location", _MIGRATIONS_DIR)
    config.attributes["connection"] = connection
    try:
        command.upgrade(config, "head")
    except CommandError as exc:
        raise StoreError(
            f"cannot migrate the store from schema revision {revision!r}: {exc} "
            "(a store written by a newer autolog needs that newer version)"
        ) from exc


def _insert_default_experiment(connection: Connection, artifact_location: str) -> None:
    import time

    now = int(time.time() * 1000)
    values = {
        "experiment_id": 0,
        "name": "Default",
        "artifact_location": artifact_location,
        "lifecycle_stage": "active",
        "creation_time": now,
        "last_update_time": now,
    }
    connection.execute(default_experiment_insert(connection.dialect, values))


def default_experiment_insert(dialect, values: dict):
    """``INSERT INTO experiments .. ON CONFLICT DO NOTHING`` of the default experiment's row."""
    return insert_for(dialect, _schema.experiments).values(values).on_conflict_do_nothing()


@contextlib.contextmanager
def _schema_lock(engine: Engine) -> Iterator[None]:
    path = sqlite_path(engine.url.render_as_string(hide_password=False))
    if engine.dialect.name == "postgresql":
        with _postgres_advisory_lock(engine):
            yield
    elif path is not None:
        with file_lock(schema_lock_path(path)):
            yield
    else:
        yield


@contextlib.contextmanager
def _postgres_advisory_lock(engine: Engine) -> Iterator[None]:
    with engine.connect() as connection:
        connection.execute(sa.select(sa.func.pg_advisory_lock(_PG_ADVISORY_LOCK_KEY)))
        connection.commit()
        try:
            yield
        finally:
            connection.execute(sa.select(sa.func.pg_advisory_unlock(_PG_ADVISORY_LOCK_KEY)))
            connection.commit()


def create_schema_without_migrations(engine: Engine, *, default_artifact_location: str) -> None:
    """Create the head schema directly (for the throw-away in-memory engine that serves reads)."""
    _schema.metadata.create_all(engine)
    with write_transaction(engine) as connection:
        _insert_default_experiment(connection, default_artifact_location)
