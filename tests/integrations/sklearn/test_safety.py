"""The safety contract on real scikit-learn: results unchanged, patches reversible, estimators intact."""

import inspect
import json
import os
import pickle
import threading
import warnings

import numpy as np
import pytest
from autolog.integrations.sklearn import _run_recorder
from autolog.integrations.sklearn._patching import TRAINING_METHODS, defining_class
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.datasets import load_iris, make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils import all_estimators
from sklearn.utils.estimator_checks import check_estimator

import autolog
from autolog import autolog as enable_autolog
from autolog._core._process import PROCESS
from autolog.engine import AutologWarning, is_autolog_wrapper
from tests.integrations.sklearn._fixtures import runs_of

X, y = load_iris(return_X_y=True)


@pytest.fixture
def lenient(monkeypatch):
    monkeypatch.setenv("AUTOLOG_STRICT", "0")
    PROCESS.reset("engine.reported_failures")


def test_injected_internal_failure_leaves_the_result_unchanged_and_warns_once(store, lenient, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("injected")

    monkeypatch.setattr(_run_recorder, "stable_params", broken)
    expected = LogisticRegression(max_iter=300, random_state=0)
    with autolog.disabled():
        expected.fit(X, y)
    with pytest.warns(AutologWarning, match="injected") as record:
        models = [LogisticRegression(max_iter=300, random_state=0).fit(X, y) for _ in range(3)]
    assert len([w for w in record if issubclass(w.category, AutologWarning)]) == 1
    for model in models:
        assert isinstance(model, LogisticRegression)
        np.testing.assert_array_equal(model.coef_, expected.coef_)
    assert runs_of(store) == []  # the run spec failed before any run was created


def test_failure_after_the_fit_still_ends_the_run_finished(store, lenient, monkeypatch):
    from autolog.integrations.sklearn import _run_recorder

    monkeypatch.setattr(_run_recorder, "training_metrics", lambda *a, **k: 1 / 0)
    with pytest.warns(AutologWarning, match="ZeroDivisionError"):
        model = LinearRegression().fit(X, y)
    assert model.coef_.shape == (4,)
    (run,) = runs_of(store)
    assert run.info.status == "FINISHED"


def test_unwritable_store_never_breaks_the_fit(tmp_path, lenient):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the store directory should be")
    autolog.set_tracking_uri(str(blocked / "store"))
    enable_autolog(log_models=False)
    try:
        with pytest.warns(AutologWarning):
            model = LinearRegression().fit(X, y)
        assert model.coef_.shape == (4,)
    finally:
        enable_autolog(disable=True)
        autolog.set_tracking_uri(None)


def test_the_users_exception_is_the_same_object(store):
    with autolog.disabled(), pytest.raises(ValueError) as plain:
        LogisticRegression().fit(X, y[:10])
    with pytest.raises(ValueError) as info:
        LogisticRegression().fit(X, y[:10])
    assert str(info.value) == str(plain.value)
    # The traceback still ends where scikit-learn raised it.
    assert (info.traceback[-1].path, info.traceback[-1].name) == (
        plain.traceback[-1].path,
        plain.traceback[-1].name,
    )
    (run,) = runs_of(store)
    assert run.info.status == "FAILED"


def test_disable_restores_every_original_object():
    import sklearn.base
    import sklearn.linear_model
    import sklearn.utils.parallel

    originals = {
        (owner, name): owner.__dict__.get(name, "ABSENT")
        for owner in (LogisticRegression, LinearRegression, sklearn.base.TransformerMixin, KMeans, SVC)
        for name in TRAINING_METHODS
    }
    parallel_call = sklearn.utils.parallel.Parallel.__dict__["__call__"]
    enable_autolog(log_models=False)
    assert is_autolog_wrapper(LogisticRegression.__dict__["fit"])
    assert is_autolog_wrapper(sklearn.base.TransformerMixin.__dict__["fit_transform"])
    enable_autolog(disable=True)
    for (owner, name), original in originals.items():
        assert owner.__dict__.get(name, "ABSENT") is original, (owner, name)
    assert sklearn.utils.parallel.Parallel.__dict__["__call__"] is parallel_call


def test_every_estimator_of_all_estimators_is_covered():
    enable_autolog(log_models=False)
    try:
        uncovered = []
        for name, cls in all_estimators():
            for method in TRAINING_METHODS:
                owner = defining_class(cls, method)
                if (
                    owner is not None
                    and owner.__module__.startswith("sklearn")
                    and not is_autolog_wrapper(owner.__dict__[method])
                ):
                    uncovered.append(f"{name}.{method}")
        assert uncovered == []
    finally:
        enable_autolog(disable=True)


def test_patched_methods_keep_signature_and_docstring():
    before = {
        m: (inspect.signature(getattr(KMeans, m)), getattr(KMeans, m).__doc__) for m in ("fit", "fit_predict")
    }
    enable_autolog(log_models=False)
    try:
        after = {
            m: (inspect.signature(getattr(KMeans, m)), getattr(KMeans, m).__doc__)
            for m in ("fit", "fit_predict")
        }
        assert after == before
    finally:
        enable_autolog(disable=True)


def test_patched_estimators_pickle_clone_and_repr_as_before(store):
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300)).fit(X, y)
    with autolog.disabled():
        reference = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300)).fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), reference.predict(X))
    assert repr(clone(model)) == repr(reference)
    assert pickle.loads(pickle.dumps(model.fit)).__self__.steps[1][0] == "logisticregression"


def test_reload_equality_for_each_serialization_format(store, tmp_path):
    for fmt in ("pickle", "cloudpickle", "joblib", "skops"):
        enable_autolog(serialization_format=fmt)
        model = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
        run_id = autolog.last_active_run().info.run_id
        kwargs = {"trusted_types": None}
        if fmt == "skops":
            # skops trusts no sklearn.tree._tree.Tree by default: list the file's types, as a
            # user who made the file would, and pass them explicitly.
            from skops.io import get_untrusted_types

            local = store.download_artifacts(run_id, "model", str(tmp_path / "skops-model"))
            (model_file,) = [
                os.path.join(local, name) for name in os.listdir(local) if name.endswith(".skops")
            ]
            untrusted = get_untrusted_types(file=model_file)
            assert "sklearn.tree._tree.Tree" in untrusted
            with pytest.raises(Exception, match="not trusted"):
                autolog.load_model(f"runs:/{run_id}/model")
            kwargs = {"trusted_types": untrusted}
        reloaded = autolog.load_model(f"runs:/{run_id}/model", **kwargs)
        np.testing.assert_array_equal(reloaded.predict(X), model.predict(X)), fmt


def test_unserializable_model_warns_and_the_run_is_recorded(store, monkeypatch):
    monkeypatch.setenv("AUTOLOG_STRICT", "0")
    PROCESS.reset("engine.reported_failures")
    enable_autolog()
    model = LinearRegression().fit(X, y)
    model.unpicklable = lambda: None  # set after fit, so refit to log it

    class Locked(LinearRegression):
        def fit(self, X, y, sample_weight=None):
            self.lock = threading.Lock()  # neither pickle nor cloudpickle saves a lock
            return super().fit(X, y, sample_weight)

    with pytest.warns(AutologWarning, match="could not be saved"):
        Locked().fit(X, y)
    assert {run.info.run_name for run in runs_of(store)} == {"LinearRegression", "Locked"}


@pytest.mark.parametrize(
    "estimator",
    [
        LogisticRegression(max_iter=500),
        RandomForestClassifier(n_estimators=5),
        SVC(),
        KMeans(n_clusters=3, n_init=2),
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)),
        GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.1, 1.0]}, cv=2),
    ],
    ids=lambda est: type(est).__name__,
)
def test_check_estimator_passes_with_autolog_on(store, estimator):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # scikit-learn's own list of checks known to fail for an estimator (also without autolog).
        from sklearn.utils._test_common.instance_generator import _get_expected_failed_checks

        check_estimator(estimator, expected_failed_checks=_get_expected_failed_checks(estimator))
    assert all(run.info.status in ("FINISHED", "FAILED") for run in runs_of(store))


def test_a_3d_regression_target_costs_only_the_metrics(store):
    # scikit-learn's test_transform_target_regressor_3d_target: y of shape (n, 3, 2).
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.preprocessing import FunctionTransformer

    rng = np.random.RandomState(0)
    X, y = rng.randn(20, 4), rng.randn(20, 3, 2)
    flatten = FunctionTransformer(
        func=lambda t: t.reshape(t.shape[0], -1), inverse_func=lambda t: t.reshape(t.shape[0], 3, 2)
    )
    model = TransformedTargetRegressor(regressor=LinearRegression(), transformer=flatten)
    assert model.fit(X, y).predict(X).shape == (20, 3, 2)  # strict mode: must not raise
    (run,) = runs_of(store)
    assert run.info.status == "FINISHED" and "training_r2_score" not in run.data.metrics


@pytest.mark.parametrize("weight", [1.0, 123.0])
def test_a_scalar_sample_weight_weights_every_sample_alike(store, weight):
    # scikit-learn's linear_model sample-weight tests pass sample_weight=1.0 (a scalar).
    from sklearn import metrics
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    X, y = load_diabetes(return_X_y=True)
    model = Ridge().fit(X, y, sample_weight=weight)  # strict mode: must not raise
    (run,) = runs_of(store)
    assert run.info.status == "FINISHED"
    y_pred = model.predict(X)  # every sample weighted alike: the unweighted metrics
    assert run.data.metrics["training_r2_score"] == pytest.approx(metrics.r2_score(y, y_pred), rel=1e-9)
    expected_mse = metrics.mean_squared_error(y, y_pred)
    assert run.data.metrics["training_mean_squared_error"] == pytest.approx(expected_mse, rel=1e-9)


def test_weights_of_another_shape_cost_only_the_metrics():
    from autolog.integrations.sklearn._metrics import training_metrics

    X, y = np.arange(20.0).reshape(10, 2), np.arange(10.0)
    model = LinearRegression().fit(X, y)
    assert training_metrics(model, X, y, np.ones((10, 2))) == {}
    assert training_metrics(model, X, y, np.ones(3)) == {}
    assert "training_r2_score" in training_metrics(model, X, y, np.ones(10))


def test_a_users_scorer_is_not_called_for_the_training_score(store):
    # scikit-learn's test_logistic_cv_mock_scorer counts the calls of its scorer.
    from sklearn.linear_model import LogisticRegressionCV

    class CountingScorer:
        def __init__(self):
            self.calls = 0

        def __call__(self, estimator, X, y):
            self.calls += 1
            return 0.5

    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    counts = []
    for enabled in (False, True):
        enable_autolog(disable=not enabled, log_models=False)
        scorer = CountingScorer()
        LogisticRegressionCV(Cs=[1, 2], cv=2, scoring=scorer).fit(X, y)
        counts.append(scorer.calls)
    assert counts[0] == counts[1] == 4
    (run,) = runs_of(store)
    assert "training_score" not in run.data.metrics and "training_accuracy_score" in run.data.metrics


def test_nan_probabilities_cost_only_the_probability_metrics_and_curves(store):
    # scikit-learn's test_kneighbors_classifier[_weight_func]: weights 1/distance on the training
    # points themselves (distance 0) give NaN probabilities; the plot JSON refused them.
    from sklearn.neighbors import KNeighborsClassifier

    def inverse_distance(distances):
        with np.errstate(divide="ignore"):
            return 1.0 / distances

    X2, y2 = make_classification(n_samples=40, n_features=5, random_state=0)
    model = KNeighborsClassifier(n_neighbors=5, weights=inverse_distance).fit(X2, y2)  # strict: no raise
    assert np.isnan(model.predict_proba(X2)).any()
    (run,) = runs_of(store)
    assert run.info.status == "FINISHED" and "training_accuracy_score" in run.data.metrics
    assert "training_log_loss" not in run.data.metrics and "training_roc_auc" not in run.data.metrics
    with open(store.download_artifacts(run.info.run_id, "evaluation/training.json")) as handle:
        plots = json.load(handle)
    assert "confusion_matrix" in plots and "roc_curve" not in plots and "calibration_curve" not in plots


def test_a_mock_param_is_logged_by_its_type_and_never_called(store):
    # scikit-learn's test_raw_predict_is_called_with_custom_scorer: scoring=Mock(...). A Mock
    # answers get_params too (with another Mock), which broke the params' stable text.
    from unittest.mock import Mock

    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.metrics import get_scorer

    from autolog.engine import stable_repr

    scorer = Mock(side_effect=get_scorer("neg_median_absolute_error"))
    assert stable_repr(scorer) == "unittest.mock.Mock()"
    rng = np.random.RandomState(0)
    X2, y2 = rng.randn(100, 4), rng.randn(100)
    HistGradientBoostingRegressor(max_iter=2, early_stopping=True, random_state=0, scoring=scorer).fit(X2, y2)
    assert scorer.call_count == 6  # scikit-learn's own calls only (train and validation, 3 times)
    (run,) = runs_of(store)
    assert run.info.status == "FINISHED" and run.data.params["scoring"] == "unittest.mock.Mock()"


def test_a_subclass_counting_its_predict_calls_sees_none_of_autologs(store):
    # scikit-learn's test_multimetric_scorer_calls_method_once_*: a subclass counts its calls.
    from sklearn.tree import DecisionTreeRegressor

    calls = []

    class CountingTree(DecisionTreeRegressor):
        def predict(self, X, check_input=True):
            calls.append(len(X))
            return super().predict(X, check_input)

    X2, y2 = np.arange(10.0).reshape(5, 2), np.array([0.0, 1, 1, 1, 0])
    CountingTree().fit(X2, y2)
    assert calls == []
    (run,) = runs_of(store)
    assert run.info.status == "FINISHED" and run.data.params["criterion"] == "squared_error"
    assert not any(key.startswith("training_") for key in run.data.metrics)


def test_a_users_own_estimator_class_keeps_its_training_metrics(store):
    # Only test doubles (classes of test modules) are spared autolog's calls: a class of the
    # user's own package that overrides predict gets its metrics, as under MLflow.
    from sklearn.tree import DecisionTreeRegressor

    class RoundedTree(DecisionTreeRegressor):
        def predict(self, X, check_input=True):
            return np.round(super().predict(X, check_input), 3)

    RoundedTree.__module__ = "mylab.models"
    X2, y2 = np.arange(10.0).reshape(5, 2), np.array([0.0, 1, 1, 1, 0])
    RoundedTree().fit(X2, y2)
    (run,) = runs_of(store)
    assert "training_r2_score" in run.data.metrics


def test_a_method_mocked_on_the_instance_sees_none_of_autologs_calls(store):
    # scikit-learn's test_early_stopping_with_sample_weights: est._raw_predict = Mock(...).
    from unittest.mock import Mock

    from sklearn.ensemble import HistGradientBoostingRegressor

    rng = np.random.RandomState(0)
    X2, y2 = rng.randn(100, 4), rng.randn(100)
    model = HistGradientBoostingRegressor(max_iter=2, random_state=0)
    model._raw_predict = Mock(side_effect=model._raw_predict)
    model.fit(X2, y2)
    assert model._raw_predict.call_count == 0
    (run,) = runs_of(store)
    assert not any(key.startswith("training_") for key in run.data.metrics)
    HistGradientBoostingRegressor(max_iter=2, random_state=0).fit(X2, y2)  # no Mock: metrics
    assert sorted("training_r2_score" in run.data.metrics for run in runs_of(store)) == [False, True]


def test_a_scikit_learn_estimator_unchanged_still_gets_training_metrics():
    from autolog.integrations.sklearn._metrics import user_code_sees_calls
    from sklearn.svm import SVC

    assert not user_code_sees_calls(make_pipeline(StandardScaler(), LogisticRegression()))
    from sklearn.linear_model import SGDClassifier

    assert not user_code_sees_calls(SGDClassifier(loss="log_loss").fit(X, y))  # available_if
    assert not user_code_sees_calls(GridSearchCV(SVC(), {"C": [1]}, cv=2).fit(X, y))


def test_metadata_requested_for_predict_means_no_training_metrics(store):
    # scikit-learn's test_setting_request_on_sub_estimator_removes_error[BaggingRegressor]: a
    # sub-estimator requests sample_weight in predict and records every predict call.
    import sklearn
    from sklearn.ensemble import BaggingRegressor
    from sklearn.tests.metadata_routing_common import ConsumingRegressor, _Registry

    rng = np.random.RandomState(0)
    X2, y2 = rng.randn(30, 3), rng.randn(30)
    registry = _Registry()
    with sklearn.config_context(enable_metadata_routing=True):
        inner = ConsumingRegressor(registry=registry).set_predict_request(sample_weight=True)
        BaggingRegressor(inner, n_estimators=2, random_state=0).fit(X2, y2)
        assert registry and all("predict" not in getattr(e, "_records", {}) for e in registry)
        BaggingRegressor(LinearRegression(), n_estimators=2, random_state=0).fit(X2, y2)  # requests none
    runs = runs_of(store)
    assert sorted("training_r2_score" in run.data.metrics for run in runs) == [False, True]
