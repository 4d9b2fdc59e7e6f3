"""One run per cross-validation call, per-fold history, mean and std; no runs for the folds.

Real scikit-learn, a real SQLite store in a temporary directory, strict mode (conftest).
"""

from __future__ import annotations

import pickle

import joblib
import numpy as np
import pytest
import sklearn.model_selection
from autolog.integrations.sklearn._cv_functions import CV_FUNCTIONS
from sklearn.datasets import load_iris
from sklearn.ensemble import StackingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import _validation
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

import autolog
from autolog import autolog as enable_autolog

FINISHED, FAILED = "FINISHED", "FAILED"


@pytest.fixture
def client(tracking_dir):
    """Autologging on (no model artifacts) with a fresh SQLite store."""
    autolog.set_tracking_uri(str(tracking_dir))
    enable_autolog(log_models=False)
    yield autolog.Client(str(tracking_dir))
    enable_autolog(disable=True)
    autolog.set_tracking_uri(None)


@pytest.fixture
def data():
    return load_iris(return_X_y=True)


def only_run(client):
    runs = list(client.search_runs(["0"]))
    assert len(runs) == 1, [
        (run.info.run_name, run.data.tags.get("autolog.sklearn.function")) for run in runs
    ]
    return runs[0]


def history(client, run_id, key):
    points = sorted(client.get_metric_history(run_id, key), key=lambda metric: metric.step)
    return [metric.step for metric in points], [metric.value for metric in points]


def unpatched(function_name, *args, **kwargs):
    with autolog.disabled():
        return getattr(sklearn.model_selection, function_name)(*args, **kwargs)


def test_cross_val_score_makes_one_run_with_fold_history_and_summary(client, data):
    X, y = data
    scores = sklearn.model_selection.cross_val_score(LogisticRegression(C=0.5, max_iter=300), X, y, cv=5)
    run = only_run(client)
    assert run.info.status == FINISHED
    assert run.data.tags["autolog.sklearn.function"] == "cross_val_score"
    assert run.data.params["C"] == "0.5"
    steps, values = history(client, run.info.run_id, "cv_test_score")
    assert steps == [0, 1, 2, 3, 4]
    assert values == scores.tolist()
    assert run.data.metrics["cv_test_score_mean"] == np.mean(scores)
    assert run.data.metrics["cv_test_score_std"] == np.std(scores)
    np.testing.assert_array_equal(
        scores, unpatched("cross_val_score", LogisticRegression(C=0.5, max_iter=300), X, y, cv=5)
    )


def test_cross_val_score_names_metrics_after_the_scoring(client, data):
    X, y = data
    scores = sklearn.model_selection.cross_val_score(
        DecisionTreeClassifier(random_state=0), X, y, cv=3, scoring="accuracy"
    )
    run = only_run(client)
    assert history(client, run.info.run_id, "cv_test_accuracy") == ([0, 1, 2], scores.tolist())
    assert run.data.metrics["cv_test_accuracy_mean"] == np.mean(scores)


def test_cross_validate_with_several_scorers_and_train_scores(client, data):
    X, y = data
    result = sklearn.model_selection.cross_validate(
        LogisticRegression(max_iter=300),
        X,
        y,
        cv=4,
        scoring=["accuracy", "f1_macro"],
        return_train_score=True,
    )
    run = only_run(client)
    for key in (
        "test_accuracy",
        "test_f1_macro",
        "train_accuracy",
        "train_f1_macro",
        "fit_time",
        "score_time",
    ):
        steps, values = history(client, run.info.run_id, f"cv_{key}")
        assert steps == [0, 1, 2, 3]
        assert values == result[key].tolist()
        assert run.data.metrics[f"cv_{key}_mean"] == np.mean(result[key])
        assert run.data.metrics[f"cv_{key}_std"] == np.std(result[key])


def test_cross_validate_single_string_scoring(client, data):
    X, y = data
    result = sklearn.model_selection.cross_validate(
        LogisticRegression(max_iter=300), X, y, cv=3, scoring="f1_macro"
    )
    assert set(result) == {"fit_time", "score_time", "test_score"}
    run = only_run(client)
    assert history(client, run.info.run_id, "cv_test_f1_macro")[1] == result["test_score"].tolist()


def test_cross_val_predict_makes_one_run_and_returns_the_same_predictions(client, data):
    X, y = data
    predictions = sklearn.model_selection.cross_val_predict(
        LogisticRegression(max_iter=300), X, y, cv=3, method="predict_proba"
    )
    run = only_run(client)
    assert run.data.tags["autolog.cv.method"] == "predict_proba"
    assert run.data.params["max_iter"] == "300"
    np.testing.assert_array_equal(
        predictions,
        unpatched("cross_val_predict", LogisticRegression(max_iter=300), X, y, cv=3, method="predict_proba"),
    )


def test_learning_curve_steps_are_train_sizes(client, data):
    X, y = data
    sizes, train_scores, test_scores = sklearn.model_selection.learning_curve(
        DecisionTreeClassifier(random_state=0),
        X,
        y,
        cv=3,
        train_sizes=[0.3, 0.6, 1.0],
        shuffle=True,
        random_state=0,
    )
    run = only_run(client)
    steps, means = history(client, run.info.run_id, "cv_test_score_mean")
    assert steps == sizes.tolist()
    assert means == np.mean(test_scores, axis=1).tolist()
    assert history(client, run.info.run_id, "cv_train_score_std")[1] == np.std(train_scores, axis=1).tolist()


def test_learning_curve_with_times(client, data):
    X, y = data
    result = sklearn.model_selection.learning_curve(
        DecisionTreeClassifier(random_state=0),
        X,
        y,
        cv=3,
        train_sizes=[0.5, 1.0],
        return_times=True,
        shuffle=True,
        random_state=0,
    )
    assert len(result) == 5
    run = only_run(client)
    assert history(client, run.info.run_id, "cv_fit_time_mean")[0] == result[0].tolist()


def test_validation_curve_steps_are_param_indices(client, data):
    X, y = data
    param_range = [0.01, 0.1, 1.0, 10.0]
    train_scores, test_scores = sklearn.model_selection.validation_curve(
        LogisticRegression(max_iter=500), X, y, param_name="C", param_range=param_range, cv=3
    )
    run = only_run(client)
    assert run.data.tags["autolog.cv.param_name"] == "C"
    steps, means = history(client, run.info.run_id, "cv_test_score_mean")
    assert steps == [0, 1, 2, 3]
    assert means == np.mean(test_scores, axis=1).tolist()
    assert (
        history(client, run.info.run_id, "cv_train_score_mean")[1] == np.mean(train_scores, axis=1).tolist()
    )


def test_permutation_test_score(client, data):
    X, y = data
    score, permutation_scores, pvalue = sklearn.model_selection.permutation_test_score(
        DecisionTreeClassifier(random_state=0), X, y, cv=3, n_permutations=5, random_state=0
    )
    run = only_run(client)
    assert run.data.metrics["cv_test_score"] == score
    assert run.data.metrics["pvalue"] == pvalue
    assert history(client, run.info.run_id, "permutation_score") == (
        [0, 1, 2, 3, 4],
        permutation_scores.tolist(),
    )
    assert run.data.metrics["permutation_score_mean"] == np.mean(permutation_scores)


@pytest.mark.parametrize("backend", ["loky", "threading"])
def test_n_jobs_2_still_makes_one_run(client, data, backend):
    X, y = data
    with joblib.parallel_backend(backend):
        scores = sklearn.model_selection.cross_val_score(
            LogisticRegression(max_iter=300), X, y, cv=4, n_jobs=2
        )
    run = only_run(client)
    assert history(client, run.info.run_id, "cv_test_score") == ([0, 1, 2, 3], scores.tolist())


def test_failed_cross_validation_marks_the_run_failed_and_reraises_the_same_error(client, data):
    X, y = data
    with pytest.raises(ValueError) as raised:
        sklearn.model_selection.cross_val_score(SVC(C=-1.0), X, y, cv=3, error_score="raise")
    run = only_run(client)
    assert run.info.status == FAILED
    assert "C" in str(raised.value)


def test_cross_validation_inside_a_fit_makes_no_run_of_its_own(client, data):
    X, y = data
    StackingClassifier(
        [("tree", DecisionTreeClassifier(random_state=0)), ("lr", LogisticRegression(max_iter=300))], cv=3
    ).fit(X, y)
    run = only_run(client)
    assert "autolog.sklearn.function" not in run.data.tags


def test_no_run_under_autolog_disabled(client, data):
    X, y = data
    with autolog.disabled():
        sklearn.model_selection.cross_val_score(LogisticRegression(max_iter=300), X, y, cv=3)
    assert list(client.search_runs(["0"])) == []


def test_patched_functions_pickle_and_unpatch_restores_them(tracking_dir):
    originals = {
        (module.__name__, name): vars(module)[name]
        for module in (sklearn.model_selection, _validation)
        for name in CV_FUNCTIONS
    }
    enable_autolog(log_models=False)
    try:
        for module_name, name in originals:
            patched = getattr(__import__(module_name, fromlist=["_"]), name)
            assert patched is not originals[(module_name, name)]
            assert pickle.loads(pickle.dumps(patched)) is patched
            assert patched.__doc__ == originals[(module_name, name)].__doc__
    finally:
        enable_autolog(disable=True)
    for (module_name, name), original in originals.items():
        assert vars(__import__(module_name, fromlist=["_"]))[name] is original


class _BadType:
    """Like scikit-learn's test_public_functions.BadType: a local-ish class plain pickle refuses."""

    def __reduce__(self):
        raise pickle.PicklingError("not picklable")


@pytest.mark.parametrize("function_name", CV_FUNCTIONS)
@pytest.mark.parametrize("param", ["X", "cv", "param_range"])
def test_an_invalid_parameter_raises_scikit_learns_own_error_and_makes_no_run(
    client, data, function_name, param
):
    # scikit-learn's test_function_param_validation: each param of a wrong type in turn.
    from sklearn.utils._param_validation import InvalidParameterError

    X, y = data
    kwargs = {"estimator": LogisticRegression(), "X": X, "y": y, param: _BadType()}
    if function_name == "validation_curve":
        kwargs.setdefault("param_name", "C")
        kwargs.setdefault("param_range", [1.0, 2.0])
    elif param == "param_range":
        return
    with pytest.raises(InvalidParameterError) as with_autolog:
        getattr(sklearn.model_selection, function_name)(**kwargs)
    with pytest.raises(InvalidParameterError) as without:
        unpatched(function_name, **kwargs)
    assert str(with_autolog.value) == str(without.value)
    assert list(client.search_runs(["0"])) == []
