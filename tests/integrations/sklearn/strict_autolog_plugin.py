"""pytest plugin: scikit-learn's own tests with ``autolog()`` on, in strict mode.

``python -m pytest -p tests.integrations.sklearn.strict_autolog_plugin --pyargs sklearn.tests.test_pipeline``
runs those tests with every autologged fit recording into a throwaway store, and autolog's
internal errors raised (``AUTOLOG_STRICT=1``) instead of warned about: a test that passes
without autolog and fails with it is an autolog bug.

Environment: ``AUTOLOG_PLUGIN_ENABLE=0`` loads the plugin without enabling autolog (the
reference run); ``AUTOLOG_PLUGIN_LOG_MODELS=0`` turns model saving off;
``AUTOLOG_PLUGIN_OUTCOMES=FILE`` writes ``{test id: outcome}`` as JSON at the end.
"""

import json
import os
import shutil
import tempfile

_STORE: list[str] = []
_OUTCOMES: dict[str, str] = {}


def pytest_configure(config):
    if os.environ.get("AUTOLOG_PLUGIN_ENABLE", "1") == "0":
        return
    os.environ["AUTOLOG_STRICT"] = "1"
    import autolog

    store = tempfile.mkdtemp(prefix="autolog-sklearn-tests-")
    _STORE.append(store)
    autolog.set_tracking_uri(store)
    autolog.autolog(log_models=os.environ.get("AUTOLOG_PLUGIN_LOG_MODELS", "1") != "0")


def pytest_runtest_logreport(report):
    if report.when == "call" or report.outcome != "passed":
        previous = _OUTCOMES.get(report.nodeid)
        if previous in (None, "passed"):
            _OUTCOMES[report.nodeid] = report.outcome


def pytest_unconfigure(config):
    path = os.environ.get("AUTOLOG_PLUGIN_OUTCOMES")
    if path:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(_OUTCOMES, handle, indent=0, sort_keys=True)
    if _STORE:
        import autolog

        autolog.autolog(disable=True)
        autolog.set_tracking_uri(None)
        for store in _STORE:
            shutil.rmtree(store, ignore_errors=True)
