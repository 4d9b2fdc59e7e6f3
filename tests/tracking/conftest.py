"""Fixtures of the tracking tests: clean module state, and a Client per backend."""

from __future__ import annotations

import pytest

from autolog._core._process import PROCESS


@pytest.fixture(autouse=True)
def clean_tracking_state(monkeypatch):
    """Each test starts without an active run, experiment, explicit URI or cached store."""
    monkeypatch.delenv("AUTOLOG_EXPERIMENT_NAME", raising=False)
    monkeypatch.delenv("AUTOLOG_EXPERIMENT_ID", raising=False)
    _reset()
    yield
    _reset()


def _reset() -> None:
    PROCESS.reset("tracking.fluent", "tracking.uri", "tracking.heartbeat")


@pytest.fixture(params=["directory", "postgres"])
def client(request, tmp_path):
    """A Client on a fresh directory store (SQLite) and on a fresh PostgreSQL database."""
    from autolog import Client

    if request.param == "postgres":
        uri = request.getfixturevalue("fresh_postgres_uri")
        return Client(uri, artifact_root=str(tmp_path / "artifacts"))
    return Client(str(tmp_path / "store"))


@pytest.fixture
def sqlite_client(tmp_path):
    from autolog import Client

    return Client(str(tmp_path / "store"))
