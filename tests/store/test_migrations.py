import os
import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa

from autolog.store import SqlStore, _engine, _schema

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_store_made_at_revision_1_opens_and_reads_back(sql_store, upgrade_schema_to):
    store = sql_store
    upgrade_schema_to(store.db_uri, "0001")  # the schema as revision 1 wrote it, no default experiment
    store.close()
    reopened = SqlStore(store.db_uri, store.artifact_root)
    run = reopened.create_run("0", params={"a": 1})
    reopened.log_metric(run.info.run_id, "m", 2.0)
    again = SqlStore(store.db_uri, store.artifact_root)
    assert again.get_run(run.info.run_id).data.metrics == {"m": 2.0}
    assert again.get_experiment("0").name == "Default"
    with again._writer().connect() as connection:
        assert _engine.current_revision(connection) == _schema.HEAD_REVISION


def test_migrated_schema_matches_the_tables_used_by_queries(sql_store, upgrade_schema_to):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    store = sql_store
    upgrade_schema_to(store.db_uri, "head")  # the schema as the migrations build it
    store.create_experiment("x")
    with store._writer().connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), _schema.metadata)
    # Only the PostgreSQL-specific (key)-only text indexes may differ (see the migration).
    unexpected = [d for d in differences if not (d[0].endswith("_index") and "key_value" in d[1].name)]
    assert unexpected == []


def test_head_revision_constant_matches_the_migrations():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", _engine._MIGRATIONS_DIR)
    assert ScriptDirectory.from_config(config).get_current_head() == _schema.HEAD_REVISION


def _schema_description(engine: sa.Engine) -> dict:
    """Every table's columns (type, nullability, default, key), indexes, unique constraints and
    foreign keys as SQLAlchemy reads them back, plus SQLite's own DDL text."""
    inspector = sa.inspect(engine)
    tables = {}
    for table in sorted(inspector.get_table_names()):
        columns = [
            (c["name"], str(c["type"]), c["nullable"], c["default"], c.get("autoincrement"))
            for c in inspector.get_columns(table)
        ]
        tables[table] = {
            "columns": columns,
            "primary_key": inspector.get_pk_constraint(table),
            "indexes": sorted(inspector.get_indexes(table), key=lambda index: index["name"]),
            "unique": sorted(inspector.get_unique_constraints(table), key=lambda u: u["column_names"]),
            "foreign_keys": sorted(
                inspector.get_foreign_keys(table), key=lambda fk: fk["constrained_columns"]
            ),
        }
    with engine.connect() as connection:
        ddl = connection.exec_driver_sql("SELECT type, name, sql FROM sqlite_master ORDER BY name").all()
    return {"tables": tables, "sqlite_master": [tuple(row) for row in ddl]}


def test_new_sqlite_store_gets_the_schema_the_migrations_build(tmp_path, upgrade_schema_to):
    direct = SqlStore(f"sqlite:///{tmp_path}/direct/a.db", str(tmp_path / "direct"))
    direct.create_experiment("x")  # a brand-new database: the head schema straight from _schema
    migrated_uri = f"sqlite:///{tmp_path}/migrated/a.db"
    upgrade_schema_to(migrated_uri, "head")
    migrated = SqlStore(migrated_uri, str(tmp_path / "migrated"))
    migrated.create_experiment("x")
    described = [_schema_description(store._writer()) for store in (direct, migrated)]
    assert described[0] == described[1]
    assert "alembic_version" in described[0]["tables"] and "server_batches" in described[0]["tables"]
    for store in (direct, migrated):
        with store._writer().connect() as connection:
            assert _engine.current_revision(connection) == _schema.HEAD_REVISION
        store.close()


def test_new_sqlite_store_never_imports_alembic(tmp_path):
    code = textwrap.dedent(f"""
        import sys
        from autolog.store import SqlStore
        store = SqlStore("sqlite:///{tmp_path}/new.db", "{tmp_path}")
        run = store.create_run("0")
        store.log_metric(run.info.run_id, "m", 1.0)
        assert store.get_experiment("0").name == "Default"
        assert "alembic" not in sys.modules, sorted(name for name in sys.modules if "alembic" in name)
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.stdout.strip() == "ok", done.stderr


def test_sqlite_database_holding_other_tables_is_migrated_not_recreated(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path}/a.db")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE notes (body TEXT)")
    engine.dispose()
    store = SqlStore(f"sqlite:///{tmp_path}/a.db", str(tmp_path))
    store.create_run("0")
    with store._writer().connect() as connection:
        assert _engine.current_revision(connection) == _schema.HEAD_REVISION
        assert connection.exec_driver_sql("SELECT count(*) FROM notes").scalar() == 0
    store.close()


def test_opening_a_store_at_head_does_not_import_alembic(tmp_path):
    SqlStore(f"sqlite:///{tmp_path}/a.db", str(tmp_path)).create_run("0")
    code = textwrap.dedent(f"""
        import sys
        from autolog.store import SqlStore
        store = SqlStore("sqlite:///{tmp_path}/a.db", "{tmp_path}")
        store.create_run("0")
        assert store.search_runs("0") and "alembic" not in sys.modules, sorted(sys.modules)
        import autolog.store, autolog
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.stdout.strip() == "ok", done.stderr


def test_importing_the_store_package_imports_no_sqlalchemy():
    code = "import sys, autolog.store; assert 'sqlalchemy' not in sys.modules; print('ok')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.stdout.strip() == "ok", done.stderr


def test_newer_schema_is_refused(tmp_path):
    store = SqlStore(f"sqlite:///{tmp_path}/a.db", str(tmp_path))
    store.create_run("0")
    engine = sa.create_engine(f"sqlite:///{tmp_path}/a.db")
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    engine.dispose()
    from autolog.exceptions import StoreError

    with pytest.raises(StoreError, match="9999"):
        SqlStore(f"sqlite:///{tmp_path}/a.db", str(tmp_path)).search_runs("0")


def test_sqlite_pragmas(tmp_path):
    store = SqlStore(f"sqlite:///{tmp_path}/a.db", str(tmp_path))
    store.create_run("0")
    with store._writer().connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("busy_timeout") == 30000
        assert pragma("foreign_keys") == 1
        assert pragma("synchronous") == 1  # NORMAL
