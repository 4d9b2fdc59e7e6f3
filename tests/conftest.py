"""Fixtures shared by the whole suite.

Every test runs in autolog's strict mode: an internal error re-raises instead of becoming a
warning, so a bug in autolog cannot hide behind the safety contract.
"""

from __future__ import annotations

import os

import pytest

os.environ["AUTOLOG_STRICT"] = "1"
# Tests never write into the developer's working directory by accident.
os.environ.pop("AUTOLOG_TRACKING_URI", None)
os.environ.pop("AUTOLOG_ARTIFACT_ROOT", None)

from tests._moto import MotoServer, moto_available
from tests._postgres import PostgresServer, find_postgres_bin

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server for the session; skipped locally when the binaries are missing.

    In CI (``CI=true``) a missing or broken server fails the tests instead of skipping them.
    """
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        if IN_CI:
            pytest.fail("PostgreSQL binaries not found; CI must run the PostgreSQL cases")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql to run these cases)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        if IN_CI:
            pytest.fail("psycopg is not installed; CI must run the PostgreSQL cases")
        pytest.skip("psycopg is not installed (pip install -e '.[test]')")
    server = PostgresServer.start(bin_dir)
    yield server
    server.stop()


@pytest.fixture
def fresh_postgres_uri(postgres_server) -> str:
    """The URI of a new, empty PostgreSQL database."""
    return postgres_server.create_database()


@pytest.fixture
def tracking_dir(tmp_path, monkeypatch):
    """A fresh directory store, set as the tracking URI for this test."""
    store_dir = tmp_path / "store"
    monkeypatch.setenv("AUTOLOG_TRACKING_URI", str(store_dir))
    return store_dir


# --- stores under test -----------------------------------------------------------------------------
# The store-contract suite runs against every implementation of ``autolog.store.Store`` listed
# here. An entry maps a name to ``factory(request) -> make``, called at fixture setup (it may
# request other fixtures, e.g. a server), where ``make(directory)`` returns a new, empty store
# keeping its files under ``directory``. Plugging in another implementation is one more entry.


def _sqlite_store_factory(request):
    from autolog.store import open_store

    return lambda directory: open_store(str(directory / "store"))


def _postgresql_store_factory(request):
    from autolog.store import open_store

    server = request.getfixturevalue("postgres_server")
    return lambda directory: open_store(server.create_database(), artifact_root=str(directory / "artifacts"))


def _http_store_factory(request):
    """An ``HttpStore`` talking to a fresh ``autolog server`` application (uvicorn in a thread)
    over its own PostgreSQL database."""
    from autolog.store._http import HttpStore
    from tests._tracking_server import ThreadServer

    postgres = request.getfixturevalue("postgres_server")

    def make(directory):
        server = ThreadServer(postgres.create_database(), str(directory / "artifacts"))
        request.addfinalizer(server.stop)
        return HttpStore(server.url)

    return make


STORE_FACTORIES = {
    "sqlite": _sqlite_store_factory,
    "postgresql": _postgresql_store_factory,
    "http": _http_store_factory,
}
# The entries whose stores are ``SqlStore``s: for tests of SQL-specific behaviour (schema,
# migrations, raw rows, several store objects on one database).
SQL_STORES = ("sqlite", "postgresql")
# HTTP: a server per store (1-3 s each on a 2-core machine), hence also marked slow.
_STORE_MARKS = {"postgresql": [pytest.mark.postgres], "http": [pytest.mark.postgres, pytest.mark.slow]}


def _store_params(names) -> list:
    return [pytest.param(name, marks=_STORE_MARKS.get(name, ()), id=name) for name in names]


def _store_maker(request, tmp_path_factory):
    """``make() -> Store`` for the implementation named by ``request.param``; closes them all."""
    factory = STORE_FACTORIES[request.param](request)
    made = []

    def make():
        made.append(factory(tmp_path_factory.mktemp(request.param)))
        return made[-1]

    yield make
    for store in made:
        store.close()


@pytest.fixture(scope="module", params=_store_params(STORE_FACTORIES))
def make_store(request, tmp_path_factory):
    """A function making new, empty stores of the implementation under test (each of
    ``STORE_FACTORIES`` in turn); module scoped so that a module can seed a store once."""
    yield from _store_maker(request, tmp_path_factory)


@pytest.fixture(scope="module", params=_store_params(SQL_STORES))
def make_sql_store(request, tmp_path_factory):
    """Like ``make_store``, for the implementations that are ``SqlStore``s."""
    yield from _store_maker(request, tmp_path_factory)


@pytest.fixture
def store(make_store):
    """A new, empty store of the implementation under test (the store-contract fixture)."""
    store = make_store()
    yield store
    store.close()


@pytest.fixture
def sql_store(make_sql_store):
    """A new, empty ``SqlStore`` (SQLite, then PostgreSQL)."""
    store = make_sql_store()
    yield store
    store.close()


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server on 127.0.0.1 for the session, with the client environment pointing at it.

    Skipped locally when ``moto[server]``/s3fs are missing; in CI a missing one fails the tests.
    """
    if not moto_available():
        if IN_CI:
            pytest.fail("moto[server], boto3 and s3fs must be installed in CI (pip install -e '.[test]')")
        pytest.skip("moto[server] or s3fs is not installed (pip install -e '.[test]')")
    server = MotoServer.start()
    saved = {key: os.environ.get(key) for key in server.environment()}
    os.environ.update(server.environment())
    yield server
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    server.stop()


ARTIFACT_BACKENDS = ["local", pytest.param("s3", marks=pytest.mark.s3)]


@pytest.fixture(params=ARTIFACT_BACKENDS)
def artifact_backend(request, tmp_path, monkeypatch) -> str:
    """Runs a test with artifacts on local disk and again on the S3 endpoint (moto).

    For "s3", ``AUTOLOG_ARTIFACT_ROOT`` is a fresh ``s3://`` prefix and the read cache is private
    to the test.
    """
    if request.param == "s3":
        server = request.getfixturevalue("s3_server")
        monkeypatch.setenv("AUTOLOG_ARTIFACT_ROOT", server.new_root())
        monkeypatch.setenv("AUTOLOG_ARTIFACT_CACHE_DIR", str(tmp_path / "artifact-cache"))
    return request.param


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module (see tests/_browser.py)."""
    from tests._browser import launched_chromium

    with launched_chromium() as chromium:
        yield chromium
