"""scikit-learn's own tests pass with ``autolog()`` on in strict mode exactly as without it.

A representative selection that fits CI's time: each group below once failed under autolog
(searches with ``refit=False``, metadata routing, steps given as classes, unfitted pipelines,
multi-output and mixed-type targets, scorer callables, voting and stacking ensembles). The
selection runs twice in subprocesses, without and with autolog, and the outcome of every test
must be the same. The full module runs are recorded in docs/sklearn.md.
"""

import json
import os
import subprocess
import sys

import pytest

PLUGIN = "tests.integrations.sklearn.strict_autolog_plugin"
MODULES = [
    "sklearn.tests.test_pipeline",
    "sklearn.model_selection.tests.test_search",
    "sklearn.ensemble.tests.test_voting",
    "sklearn.ensemble.tests.test_stacking",
]
# One -k over all modules: the pipeline and search tests of those groups, the ensembles whole.
KEYWORDS = (
    "class_not_instance or metadata_routing_for_pipeline or transform_input or transform_tuple "
    "or test_pipeline_methods or score_samples or fit_predict or missing_values_leniency "
    "or refit or multimetric or scorer or multioutput or multilabel or test_voting or test_stacking"
)
SELECTION = ["-k", KEYWORDS, *MODULES]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def outcomes(tmp_path, enable: bool) -> dict:
    target = tmp_path / f"outcomes-{enable}.json"
    env = dict(
        os.environ,
        AUTOLOG_PLUGIN_ENABLE="1" if enable else "0",
        AUTOLOG_PLUGIN_OUTCOMES=str(target),
        AUTOLOG_PLUGIN_LOG_MODELS="1",
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
    )
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        PLUGIN,
        "-W",
        "ignore",
        "--pyargs",
        *SELECTION,
    ]
    finished = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert target.exists(), finished.stdout[-3000:] + finished.stderr[-3000:]
    return json.loads(target.read_text())


@pytest.mark.slow
def test_sklearn_tests_pass_with_autolog_as_without(tmp_path):
    without = outcomes(tmp_path, enable=False)
    with_autolog = outcomes(tmp_path, enable=True)
    assert sum(outcome == "passed" for outcome in without.values()) > 100
    changed = {
        test: (without.get(test), outcome)
        for test, outcome in with_autolog.items()
        if without.get(test) != outcome
    }
    assert changed == {}
