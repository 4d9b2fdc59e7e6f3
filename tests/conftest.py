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

from tests._postgres import PostgresServer, find_postgres_bin  # noqa: E402

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
