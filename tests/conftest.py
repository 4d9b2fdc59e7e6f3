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

from tests._moto import MotoServer, moto_available  # noqa: E402
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
