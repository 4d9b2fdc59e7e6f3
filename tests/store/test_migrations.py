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


def test_migrated_schema_matches_the_tables_used_by_queries(sql_store):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    store = sql_store
    store.create_experiment("x")  # creates the schema through the migrations
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
