import os

import pytest

os.environ.setdefault("AUTOLOG_STRICT", "1")


@pytest.fixture(autouse=True)
def _autolog_off_afterwards():
    yield
    from autolog.engine import autolog

    autolog(disable=True)
