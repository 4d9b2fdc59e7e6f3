"""Evaluation metrics after training: ``sklearn.metrics`` calls, scorers and ``model.score``.

Real scikit-learn, a real SQLite store in a temporary directory, strict mode (conftest).
"""

from __future__ import annotations

import copy
import gc
import inspect
import pickle
import warnings
import weakref

import numpy as np
import pytest
import sklearn.metrics
from autolog.integrations.sklearn import _post_training
from autolog.integrations.sklearn._post_training import IdentityWeakMap
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_diabetes, load_iris, make_classification
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import _scorer
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

import autolog
from autolog import autolog as enable_autolog


@pytest.fixture
def client(tracking_dir):
    """Autologging on (no model artifacts, to keep tests fast) with a fresh SQLite store."""
    autolog.set_tracking_uri(str(tracking_dir))
    enable_autolog(log_models=False)
    yield autolog.Client(str(tracking_dir))
    enable_autolog(disable=True)
    autolog.set_tracking_uri(None)


@pytest.fixture
def iris():
    X, y = load_iris(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=0)


@pytest.fixture
def binary():
    X, y = make_classification(n_samples=200, n_features=6, random_state=0)
    return train_test_split(X, y, test_size=0.3, random_state=0)


def all_runs(client):
    return list(client.search_runs(["0"]))


def only_run(client):
    runs = all_runs(client)
    assert len(runs) == 1, [run.info.run_name for run in runs]
    return runs[0]


def post_training_metrics(client, run_id):
    """The run's metrics minus the training ones (the fit integration's ``training_*``)."""
    metrics = client.get_run(run_id).data.metrics
    return {key: value for key, value in metrics.items() if not key.startswith("training_")}


# -- names and values -----------------------------------------------------------------------


def test_metric_on_predictions_is_logged_with_the_callers_variable_name(client, iris):
    X_train, X_test, y_train, y_test = iris
    model = LogisticRegression(max_iter=300).fit(X_train, y_train)
    y_pred = model.predict(X_test)

    accuracy = sklearn.metrics.accuracy_score(y_test, y_pred)
    f1 = sklearn.metrics.f1_score(y_test, y_pred, average="macro")
    proba = model.predict_proba(X_test)
    loss = sklearn.metrics.log_loss(y_test, proba)

    run = only_run(client)
    assert post_training_metrics(client, run.info.run_id) == {
        "accuracy_score_X_test": pytest.approx(accuracy, abs=0),
        "f1_score_X_test": pytest.approx(f1, abs=0),
        "log_loss_X_test": pytest.approx(loss, abs=0),
    }


def test_metric_return_value_is_unchanged(client, iris):
    X_train, X_test, y_train, y_test = iris
    model = LogisticRegression(max_iter=300).fit(X_train, y_train)
    y_pred = model.predict(X_test)
    with autolog.disabled():
        expected = sklearn.metrics.precision_score(y_test, y_pred, average=None)
    returned = sklearn.metrics.precision_score(y_test, y_pred, average=None)
    np.testing.assert_array_equal(returned, expected)  # an array: returned, not logged
    assert post_training_metrics(client, only_run(client).info.run_id) == {}
    value = sklearn.metrics.accuracy_score(y_test, y_pred)
    assert type(value) is type(sklearn.metrics._classification.accuracy_score.__wrapped__(y_test, y_pred))


def test_regression_metrics(client):
    X, y = load_diabetes(return_X_y=True)
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, random_state=0)
    model = LinearRegression().fit(X_train, y_train)
    predictions = model.predict(X_valid)
    values = {
        "mean_squared_error_X_valid": sklearn.metrics.mean_squared_error(y_valid, predictions),
        "mean_absolute_error_X_valid": sklearn.metrics.mean_absolute_error(y_valid, predictions),
        "r2_score_X_valid": sklearn.metrics.r2_score(y_valid, predictions),
        "root_mean_squared_error_X_valid": sklearn.metrics.root_mean_squared_error(y_valid, predictions),
    }
    assert post_training_metrics(client, only_run(client).info.run_id) == pytest.approx(values, abs=0)


def test_roc_auc_on_a_column_view_of_predict_proba(client, binary):
    X_train, X_test, y_train, y_test = binary
    model = LogisticRegression().fit(X_train, y_train)
    auc = sklearn.metrics.roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
    decision_auc = sklearn.metrics.roc_auc_score(y_test, model.decision_function(X_test))
    metrics = post_training_metrics(client, only_run(client).info.run_id)
    assert metrics == {"roc_auc_score_X_test": auc, "roc_auc_score_X_test-2": decision_auc}


def test_repeated_metric_gets_numbered_suffixes(client, iris):
    X_train, X_test, y_train, y_test = iris
    model = LogisticRegression(max_iter=300).fit(X_train, y_train)
    for _ in range(3):
        sklearn.metrics.accuracy_score(y_test, model.predict(X_test))
    metrics = post_training_metrics(client, only_run(client).info.run_id)
    assert sorted(metrics) == ["accuracy_score_X_test", "accuracy_score_X_test-2", "accuracy_score_X_test-3"]


def test_another_object_under_the_same_name_is_a_new_dataset(client, iris):
    X_train, X_test, y_train, y_test = iris
    model = LogisticRegression(max_iter=300).fit(X_train, y_train)
    first = sklearn.metrics.accuracy_score(y_test, model.predict(X_test))
    X_test = X_test[::-1].copy()
    second = sklearn.metrics.accuracy_score(y_test[::-1], model.predict(X_test))
    metrics = post_training_metrics(client, only_run(client).info.run_id)
    assert metrics == {"accuracy_score_X_test": first, "accuracy_score_X_test-2": second}


def test_unnamed_data_falls_back_to_dataset(client, iris):
    X_train, X_test, y_train, y_test = iris
    model = LogisticRegression(max_iter=300).fit(X_train, y_train)
    sklearn.metrics.accuracy_score(y_test[:10], model.predict(X_test[:10]))
    sklearn.metrics.accuracy_score(y_test[10:], model.predict(X_test[10:]))
    metrics = post_training_metrics(client, only_run(client).info.run_id)
    assert sorted(metrics) == ["accuracy_score_dataset", "accuracy_score_dataset-2"]


def evaluate(model, features, labels):
    return sklearn.metrics.accuracy_score(labels, model.predict(features))


def test_name_comes_from_the_innermost_user_frame(client, iris):
    X_train, X_test, y_train, y_test = iris
    model = LogisticRegression(max_iter=300).fit(X_train, y_train)
    evaluate(model, X_test, y_test)
    assert list(post_training_metrics(client, only_run(client).info.run_id)) == ["accuracy_score_features"]


def test_model_score_is_logged_without_the_metric_inside_it(client, iris):
    X_train, X_test, y_train, y_test = iris
    model = LogisticRegression(max_iter=300).fit(X_train, y_train)
    score = model.score(X_test, y_test)
    metrics = post_training_metrics(client, only_run(client).info.run_id)
    assert metrics == {"LogisticRegression_score_X_test": score}


def test_scorers_are_logged(client, iris):
    X_train, X_test, y_train, y_test = iris
    model = LogisticRegression(max_iter=300).fit(X_train, y_train)
    accuracy = sklearn.metrics.get_scorer("accuracy")(model, X_test, y_test)
    neg_loss = sklearn.metrics.get_scorer("neg_log_loss")(model, X_test, y_test)
    f1 = sklearn.metrics.make_scorer(sklearn.metrics.f1_score, average="macro")(model, X_test, y_test)
    metrics = post_training_metrics(client, only_run(client).info.run_id)
    assert metrics == {
        "accuracy_score_X_test": accuracy,
        "log_loss_X_test": pytest.approx(-neg_loss, abs=0),
        "f1_score_X_test": f1,
    }


def test_pipeline_predictions_are_logged_on_the_pipeline_run(client, iris):
    X_train, X_test, y_train, y_test = iris
    pipeline = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
    accuracy = sklearn.metrics.accuracy_score(y_test, pipeline.predict(X_test))
    assert post_training_metrics(client, only_run(client).info.run_id) == {"accuracy_score_X_test": accuracy}


def test_two_models_each_get_their_own_metrics(client, iris):
    X_train, X_test, y_train, y_test = iris
    linear = LogisticRegression(max_iter=300).fit(X_train, y_train)
    tree = DecisionTreeClassifier(random_state=0).fit(X_train, y_train)
    tree_accuracy = sklearn.metrics.accuracy_score(y_test, tree.predict(X_test))
    linear_accuracy = sklearn.metrics.accuracy_score(y_test, linear.predict(X_test))
    runs = {run.info.run_name: run.info.run_id for run in all_runs(client)}
    assert len(runs) == 2
    by_class = {name: post_training_metrics(client, run_id) for name, run_id in runs.items()}
    assert sorted(by_class.values(), key=str) == sorted(
        [{"accuracy_score_X_test": linear_accuracy}, {"accuracy_score_X_test": tree_accuracy}], key=str
    )
    linear_run = next(run_id for name, run_id in runs.items() if "LogisticRegression" in str(name))
    assert post_training_metrics(client, linear_run) == {"accuracy_score_X_test": linear_accuracy}


def test_refit_model_logs_on_its_latest_run(client, iris):
    X_train, X_test, y_train, y_test = iris
    model = LogisticRegression(max_iter=300).fit(X_train, y_train)
    first_run = only_run(client).info.run_id
    model.fit(X_train[:60], y_train[:60])
    second_run = next(run.info.run_id for run in all_runs(client) if run.info.run_id != first_run)
    accuracy = sklearn.metrics.accuracy_score(y_test, model.predict(X_test))
    assert post_training_metrics(client, first_run) == {}
    assert post_training_metrics(client, second_run) == {"accuracy_score_X_test": accuracy}


# -- when nothing is logged -----------------------------------------------------------------


def test_predictions_of_a_model_fitted_without_autolog_are_not_logged(client, iris):
    X_train, X_test, y_train, y_test = iris
    with autolog.disabled():
        model = LogisticRegression(max_iter=300).fit(X_train, y_train)
    sklearn.metrics.accuracy_score(y_test, model.predict(X_test))
    model.score(X_test, y_test)
    assert all_runs(client) == []


def test_nothing_logged_when_the_option_is_off(client, iris):
    X_train, X_test, y_train, y_test = iris
    enable_autolog(log_models=False, log_post_training_metrics=False)
    model = LogisticRegression(max_iter=300).fit(X_train, y_train)
    sklearn.metrics.accuracy_score(y_test, model.predict(X_test))
    model.score(X_test, y_test)
    assert post_training_metrics(client, only_run(client).info.run_id) == {}


def test_nothing_logged_inside_autolog_disabled(client, iris):
    X_train, X_test, y_train, y_test = iris
    model = LogisticRegression(max_iter=300).fit(X_train, y_train)
    y_pred = model.predict(X_test)
    with autolog.disabled():
        sklearn.metrics.accuracy_score(y_test, y_pred)
    assert post_training_metrics(client, only_run(client).info.run_id) == {}


def test_nothing_logged_after_autolog_is_disabled(client, iris):
    X_train, X_test, y_train, y_test = iris
    model = LogisticRegression(max_iter=300).fit(X_train, y_train)
    accuracy_score = sklearn.metrics.accuracy_score  # a reference taken while patched
    y_pred = model.predict(X_test)
    enable_autolog(disable=True)
    accuracy_score(y_test, y_pred)
    assert post_training_metrics(client, only_run(client).info.run_id) == {}


class FitUsesAnotherModel(ClassifierMixin, BaseEstimator):
    """An estimator whose fit evaluates another (autologged) model: a metric inside training."""

    def __init__(self, other=None, X_eval=None, y_eval=None):
        self.other = other
        self.X_eval = X_eval
        self.y_eval = y_eval

    def fit(self, X, y):
        self.other_accuracy_ = sklearn.metrics.accuracy_score(self.y_eval, self.other.predict(self.X_eval))
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_nothing_logged_inside_a_fit(client, iris):
    X_train, X_test, y_train, y_test = iris
    model = LogisticRegression(max_iter=300).fit(X_train, y_train)
    # Pipeline.fit is an autologged training call; the step's fit runs inside it.
    make_pipeline(FitUsesAnotherModel(model, X_test, y_test)).fit(X_train, y_train)
    model_run = next(
        run for run in all_runs(client) if run.info.run_name and "LogisticRegression" in run.info.run_name
    )
    assert post_training_metrics(client, model_run.info.run_id) == {}


def test_nothing_logged_inside_cross_validation(client, iris):
    X_train, X_test, y_train, y_test = iris
    model = LogisticRegression(max_iter=300).fit(X_train, y_train)
    model_run = only_run(client).info.run_id

    def scoring(estimator, X, y):
        return sklearn.metrics.accuracy_score(y_test, model.predict(X_test))

    cross_val_score(LogisticRegression(max_iter=300), X_train, y_train, cv=3, scoring=scoring)
    assert post_training_metrics(client, model_run) == {}


# -- patch hygiene --------------------------------------------------------------------------


def test_patched_metric_functions_pickle_and_keep_signature_and_doc(client, iris):
    original = sklearn.metrics._classification.accuracy_score.__wrapped__
    patched = sklearn.metrics.accuracy_score
    assert patched is not original and patched is sklearn.metrics._classification.accuracy_score
    # The hook lives in the validate_params wrapper's closure cell, not on the module.
    assert _post_training.validated_inner_function(patched) is original
    assert pickle.loads(pickle.dumps(patched)) is patched
    assert inspect.signature(patched) == inspect.signature(original)
    assert patched.__doc__ == original.__doc__ and patched.__name__ == "accuracy_score"
    scorer = sklearn.metrics.make_scorer(sklearn.metrics.f1_score, average="macro")
    assert pickle.loads(pickle.dumps(scorer))._score_func is sklearn.metrics.f1_score
    assert copy.deepcopy(sklearn.metrics.get_scorer("accuracy"))._score_func is patched


def metric_attribute_snapshot():
    """Every attribute this integration may touch, by identity."""
    snapshot = {}
    for name, value in vars(sklearn.metrics).items():
        snapshot[("sklearn.metrics", name)] = value
        module_name = getattr(value, "__module__", None)
        if inspect.isfunction(value) and module_name and module_name.startswith("sklearn.metrics."):
            module = __import__(module_name, fromlist=["_"])
            snapshot[(module_name, name)] = vars(module).get(name)
    for key, scorer in _scorer._SCORERS.items():
        snapshot[("_SCORERS", key)] = vars(scorer).get("_score_func")
    for name, function in _post_training.metric_functions(sklearn.metrics).items():
        if function.__closure__ and "func" in function.__code__.co_freevars:
            cell = function.__closure__[function.__code__.co_freevars.index("func")]
            snapshot[("cell", name)] = cell.cell_contents
    for cls in (LogisticRegression, LinearRegression, DecisionTreeClassifier):
        for klass in cls.__mro__:
            for method in _post_training.PREDICTION_METHODS + ("score",):
                snapshot[(klass.__qualname__, method)] = vars(klass).get(method, "<absent>")
    return snapshot


def test_unpatch_restores_every_attribute_identically(tracking_dir, iris):
    X_train, X_test, y_train, y_test = iris
    autolog.set_tracking_uri(str(tracking_dir))
    before = metric_attribute_snapshot()
    try:
        enable_autolog(log_models=False)
        for cls in (LogisticRegression, DecisionTreeClassifier):
            model = cls().fit(X_train, y_train)
            sklearn.metrics.accuracy_score(y_test, model.predict(X_test))
        LinearRegression().fit(X_train, y_train)
        patched = metric_attribute_snapshot()
        assert any(patched[key] is not before[key] for key in before)
        assert patched[("cell", "accuracy_score")] is not before[("cell", "accuracy_score")]
    finally:
        enable_autolog(disable=True)
        autolog.set_tracking_uri(None)
    after = metric_attribute_snapshot()
    assert after.keys() == before.keys()
    changed = [key for key in before if after[key] is not before[key]]
    assert changed == []


def test_identity_map_never_returns_a_value_for_a_new_object_with_a_reused_id():
    remembered = IdentityWeakMap()
    stale_ids = set()
    for _ in range(200):
        array = np.arange(8.0)
        remembered.set(array, "old")
        stale_ids.add(id(array))
        del array
    reused = 0
    for _ in range(2000):
        array = np.arange(8.0)
        if id(array) in stale_ids:
            reused += 1
            assert remembered.get(array) is None
    assert reused > 0, "CPython did not reuse an id: the test proved nothing"
    assert len(remembered) == 0


def test_a_new_array_at_a_dead_predictions_address_is_not_logged(client, iris):
    X_train, X_test, y_train, y_test = iris
    model = LogisticRegression(max_iter=300).fit(X_train, y_train)
    dead_ids = set()
    for _ in range(50):
        dead_ids.add(id(model.predict(X_test)))  # the prediction dies at once
    candidates = [np.array(y_test) for _ in range(500)]
    reused = [array for array in candidates if id(array) in dead_ids]
    assert reused, "no id was reused: the test proved nothing"
    for array in reused:
        sklearn.metrics.accuracy_score(y_test, array)
    assert post_training_metrics(client, only_run(client).info.run_id) == {}


def fit_predict_and_score(X, y, cycles, alive):
    """A user's training loop: fit, predict, metric, many times in one function frame."""
    for _ in range(cycles):
        model = LogisticRegression().fit(X, y)
        sklearn.metrics.accuracy_score(y, model.predict(X))
        alive.add(model)
    # Python < 3.13: reading this frame's locals for the dataset name leaves CPython's snapshot
    # of them on the frame until it returns, so at most the latest model is still referenced.
    return len(alive)


def test_memory_stays_flat_over_300_fit_predict_metric_cycles(client):
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    models = weakref.WeakSet()
    gc.collect()
    alive_inside_the_loop = fit_predict_and_score(X, y, 300, models)
    gc.collect()
    assert alive_inside_the_loop <= 2
    assert len(models) == 0
    assert len(_post_training._STATE.runs_by_model) == 0
    assert len(_post_training._STATE.origins) == 0
    assert len(all_runs(client)) == 300


def test_logging_failure_warns_once_and_keeps_the_result(client, iris, monkeypatch):
    X_train, X_test, y_train, y_test = iris
    model = LogisticRegression(max_iter=300).fit(X_train, y_train)
    y_pred = model.predict(X_test)

    def broken_log_batch(*args, **kwargs):
        raise RuntimeError("store is down")

    monkeypatch.setenv("AUTOLOG_STRICT", "0")
    monkeypatch.setattr(autolog.Client, "log_batch", broken_log_batch)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = sklearn.metrics.accuracy_score(y_test, y_pred)
        second = sklearn.metrics.accuracy_score(y_test, y_pred)
    assert first == second == sklearn.metrics._classification.accuracy_score.__wrapped__(y_test, y_pred)
    assert len([w for w in caught if "store is down" in str(w.message)]) <= 1


def test_strict_mode_reraises_logging_failures(client, iris, monkeypatch):
    X_train, X_test, y_train, y_test = iris
    model = LogisticRegression(max_iter=300).fit(X_train, y_train)
    y_pred = model.predict(X_test)

    def broken_log_batch(*args, **kwargs):
        raise RuntimeError("store is down")

    monkeypatch.setattr(autolog.Client, "log_batch", broken_log_batch)
    with pytest.raises(RuntimeError, match="store is down"):
        sklearn.metrics.accuracy_score(y_test, y_pred)


def test_dataframe_input_and_keyword_argument(client, iris):
    pandas = pytest.importorskip("pandas")
    X_train, X_test, y_train, y_test = iris
    columns = ["a", "b", "c", "d"]
    model = LogisticRegression(max_iter=300).fit(pandas.DataFrame(X_train, columns=columns), y_train)
    holdout = pandas.DataFrame(X_test, columns=columns)
    accuracy = sklearn.metrics.accuracy_score(y_test, model.predict(X=holdout))
    assert post_training_metrics(client, only_run(client).info.run_id) == {"accuracy_score_holdout": accuracy}


def test_metric_with_keyword_prediction_argument(client, iris):
    X_train, X_test, y_train, y_test = iris
    model = LogisticRegression(max_iter=300).fit(X_train, y_train)
    predicted = model.predict(X_test)
    recall = sklearn.metrics.recall_score(y_true=y_test, y_pred=predicted, average="micro")
    assert post_training_metrics(client, only_run(client).info.run_id) == {"recall_score_X_test": recall}
