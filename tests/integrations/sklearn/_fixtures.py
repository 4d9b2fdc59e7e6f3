"""Shared fixtures of the fit/search/safety tests: autolog on, a fresh SQLite store."""

import pytest

import autolog
from autolog import autolog as enable_autolog


@pytest.fixture
def store(tracking_dir):
    """Autologging on (models off unless a test turns them on) with a fresh store; a Client on it."""
    autolog.set_tracking_uri(str(tracking_dir))
    enable_autolog(log_models=False)
    yield autolog.Client(str(tracking_dir))
    enable_autolog(disable=True)
    autolog.set_tracking_uri(None)


def runs_of(client):
    return list(client.search_runs(["0"]))


def top_level_runs(client):
    return [run for run in runs_of(client) if run.info.parent_run_id is None]
