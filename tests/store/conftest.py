"""The ``store`` fixture: every contract test runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import pytest

from autolog.store import SqlStore, open_store


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def make_store(request, backend: str, directory) -> SqlStore:
    """A new empty store on ``backend``, its files under ``directory``."""
    if backend == "sqlite":
        return open_store(str(directory / "store"))
    server = request.getfixturevalue("postgres_server")
    return open_store(server.create_database(), artifact_root=str(directory / "artifacts"))


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path) -> SqlStore:
    store = make_store(request, request.param, tmp_path)
    yield store
    store.close()


@pytest.fixture
def run_id(store) -> str:
    return store.create_run("0", run_name="r").info.run_id
