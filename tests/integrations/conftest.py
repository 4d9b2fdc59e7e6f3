"""Fixtures of the integration tests (the scikit-learn folder overrides ``store``)."""

import pytest

import autolog
from autolog import autolog as enable_autolog


@pytest.fixture
def store(tracking_dir):
    """Autologging on (models included) with a fresh SQLite store; a Client on it."""
    autolog.set_tracking_uri(str(tracking_dir))
    enable_autolog()
    yield autolog.Client(str(tracking_dir))
    enable_autolog(disable=True)
    autolog.set_tracking_uri(None)
