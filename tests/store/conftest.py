"""The ``store`` fixture: every contract test runs on SQLite, on a real PostgreSQL server, and on
the HTTP store talking to a real ``autolog server`` application (uvicorn) over PostgreSQL."""

from __future__ import annotations

import pytest

from autolog.store import SqlStore, open_store


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
# HTTP: a server per test (~1-3 s each on the shared CI box), hence also marked slow.
STORE_BACKENDS = [*BACKENDS, pytest.param("http", marks=[pytest.mark.postgres, pytest.mark.slow])]


def make_store(request, backend: str, directory) -> SqlStore:
    """A new empty store on ``backend``, its files under ``directory``."""
    if backend == "sqlite":
        return open_store(str(directory / "store"))
    server = request.getfixturevalue("postgres_server")
    if backend == "http":
        return make_http_store(request, server.create_database(), directory)
    return open_store(server.create_database(), artifact_root=str(directory / "artifacts"))


def make_http_store(request, backend_uri: str, directory):
    """An :class:`HttpStore` of a fresh server (uvicorn in a thread) over ``backend_uri``."""
    from autolog.store._http import HttpStore
    from tests._tracking_server import ThreadServer

    server = ThreadServer(backend_uri, str(directory / "artifacts"))
    request.addfinalizer(server.stop)
    return HttpStore(server.url)


@pytest.fixture(params=STORE_BACKENDS)
def store(request, tmp_path) -> SqlStore:
    store = make_store(request, request.param, tmp_path)
    yield store
    store.close()


@pytest.fixture
def sql_store(store):
    """The ``store`` when the test reaches below the contract (SQL internals); skips for HTTP."""
    if not isinstance(store, SqlStore):
        pytest.skip("reaches into SqlStore internals")
    return store


@pytest.fixture
def run_id(store) -> str:
    return store.create_run("0", run_name="r").info.run_id
