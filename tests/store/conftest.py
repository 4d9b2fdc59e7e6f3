"""Fixtures of the store tests. The ``store`` fixture itself (one per implementation of the
``Store`` contract) and ``sql_store`` live in ``tests/conftest.py``."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def run_id(store) -> str:
    return store.create_run("0", run_name="r").info.run_id


def _upgrade_to(db_uri: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    from autolog.store import _engine, _sqlite

    path = _engine.sqlite_path(db_uri)
    if path:
        os.makedirs(os.path.dirname(path), exist_ok=True)
    engine = _engine.create_engine(_sqlite.normalize_db_uri(db_uri))
    with _engine.write_transaction(engine) as connection:
        config = Config()
        config.set_main_option("script_location", _engine._MIGRATIONS_DIR)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


@pytest.fixture
def upgrade_schema_to():
    """``upgrade(db_uri, revision)``: build (or upgrade) a database's schema up to ``revision``
    with the migration chain, as that version of autolog left it."""
    return _upgrade_to
