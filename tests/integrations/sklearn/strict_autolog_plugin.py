"""pytest plugin: scikit-learn's own tests with ``autolog()`` on, in strict mode.

``python -m pytest -p tests.integrations.sklearn.strict_autolog_plugin --pyargs sklearn.tests.test_pipeline``
runs those tests with every autologged fit recording into a throwaway store, and autolog's
internal errors raised (``AUTOLOG_STRICT=1``) instead of warned about: a test that passes
without autolog and fails with it is an autolog bug. ``AUTOLOG_PLUGIN_LOG_MODELS=0`` turns
model saving off (faster).
"""

import os
import shutil
import tempfile

_STORE: list[str] = []


def pytest_configure(config):
    os.environ["AUTOLOG_STRICT"] = "1"
    import autolog

    store = tempfile.mkdtemp(prefix="autolog-sklearn-tests-")
    _STORE.append(store)
    autolog.set_tracking_uri(store)
    autolog.autolog(log_models=os.environ.get("AUTOLOG_PLUGIN_LOG_MODELS", "1") != "0", silent=False)


def pytest_unconfigure(config):
    import autolog

    autolog.autolog(disable=True)
    autolog.set_tracking_uri(None)
    for store in _STORE:
        shutil.rmtree(store, ignore_errors=True)
