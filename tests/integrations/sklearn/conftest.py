"""The scikit-learn tests' ``store``: autolog on without models (a test turns them on), fresh store."""

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
