"""scikit-learn's own tests pass with ``autolog()`` on in strict mode exactly as without it.

A representative selection that fits CI's time: each group below once failed under autolog
(searches with ``refit=False``, metadata routing, steps given as classes, unfitted pipelines,
multi-output and mixed-type targets, scorer callables, voting and stacking ensembles, zero
sample weights in ``test_common``'s weight checks), plus cross-validation functions and a spread
of ``test_common``'s estimator checks. The selection runs twice in subprocesses, without and with autolog, and the outcome of every test
must be the same. The full module runs are recorded in docs/sklearn.md.
"""

import json
import os
import subprocess
import sys

import pytest

PLUGIN = "tests.integrations.sklearn.strict_autolog_plugin"
# The pipeline and search tests of those groups.
PIPELINE_AND_SEARCH = (
    "class_not_instance or metadata_routing_for_pipeline or transform_input or transform_tuple "
    "or test_pipeline_methods or score_samples or fit_predict or missing_values_leniency "
    "or refit or multimetric or scorer or multioutput or multilabel"
)
# test_common: scikit-learn's estimator checks on a spread of estimators (the ids of
# meta-estimators name their inner estimator too: searches, pipelines, one-vs-rest, ...).
COMMON_ESTIMATORS = (
    "LogisticRegression or RandomForestClassifier or HistGradientBoostingRegressor or MultinomialNB "
    "or MLPClassifier or KMeans or SVC or DecisionTreeRegressor or IsolationForest or StackingClassifier"
)
COMMON_CHECKS = (
    "check_sample_weight_equivalence or check_regressors_train or check_clustering "
    "or check_fit2d_1sample or check_supervised_y_2d or check_classifier_multioutput "
    "or check_regressor_multioutput or check_outliers_train"
)
VALIDATION = (
    "routing or cross_val_predict_with_method or permutation_test or fit_params or failing "
    "or learning_curve_incremental or multimetric or score_func"
)
# module -> -k expression over its tests (None: the whole module)
SELECTIONS = {
    "sklearn.tests.test_pipeline": PIPELINE_AND_SEARCH,
    "sklearn.model_selection.tests.test_search": PIPELINE_AND_SEARCH,
    "sklearn.ensemble.tests.test_voting": None,
    "sklearn.ensemble.tests.test_stacking": None,
    "sklearn.model_selection.tests.test_validation": VALIDATION,
    "sklearn.tests.test_common": f"test_estimators and ({COMMON_ESTIMATORS}) and ({COMMON_CHECKS})",
}


def keyword_expression(selections: dict) -> str:
    """One ``-k`` over all modules: each module's own expression, scoped by its file name."""
    parts = []
    for module, keywords in selections.items():
        file = module.rsplit(".", 1)[1] + ".py"
        parts.append(file if keywords is None else f"({file} and ({keywords}))")
    return " or ".join(parts)


SELECTION = ["-k", keyword_expression(SELECTIONS), *SELECTIONS]
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
        "-o",
        "addopts=",  # scikit-learn's markers are not ours: no --strict-markers
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
