"""Training metrics equal scikit-learn's own functions called the way MLflow calls them."""

import numpy as np
import pytest
from autolog.integrations.sklearn._metrics import training_metrics
from sklearn import metrics as skm
from sklearn.datasets import load_diabetes, load_iris, make_classification
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.svm import SVC

from autolog._core._process import PROCESS

RNG = np.random.default_rng(0)


def classification_cases():
    X, y = load_iris(return_X_y=True)
    Xb, yb = make_classification(n_samples=120, n_features=5, random_state=0)
    weights = RNG.uniform(0.1, 3.0, size=len(y))
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    return {
        "multiclass": (X, y, None),
        "multiclass_weighted": (X, y, weights),
        "string_labels": (X, names, None),
        "binary": (Xb, yb, None),
        "binary_weighted": (Xb, yb, RNG.uniform(0.1, 3.0, size=len(yb))),
        "binary_strings": (Xb, np.array(["no", "yes"])[yb], None),
    }


@pytest.mark.parametrize("case", list(classification_cases()))
def test_classifier_metrics_equal_sklearn(case):
    X, y, w = classification_cases()[case]
    model = LogisticRegression(max_iter=500).fit(X, y, sample_weight=w)
    got = training_metrics(model, X, y, w)
    y_pred, proba = model.predict(X), model.predict_proba(X)
    average = dict(average="weighted")  # MLflow's default (no pos_label)
    expected = {
        "training_accuracy_score": skm.accuracy_score(y, y_pred, sample_weight=w),
        "training_precision_score": skm.precision_score(y, y_pred, sample_weight=w, **average),
        "training_recall_score": skm.recall_score(y, y_pred, sample_weight=w, **average),
        "training_f1_score": skm.f1_score(y, y_pred, sample_weight=w, **average),
        "training_log_loss": skm.log_loss(y, proba, sample_weight=w, labels=model.classes_),
        "training_score": model.score(X, y, sample_weight=w),
    }
    if len(model.classes_) == 2:
        expected["training_roc_auc"] = skm.roc_auc_score(y, proba[:, 1], sample_weight=w)
    elif w is None:
        expected["training_roc_auc"] = skm.roc_auc_score(y, proba, multi_class="ovo", average="weighted")
    # else: MLflow's roc_auc_score(multi_class="ovo", sample_weight=w) raises: no metric
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key


def test_pos_label_option_selects_the_positive_class():
    X, y = make_classification(n_samples=100, n_features=4, random_state=1)
    labels = np.array(["neg", "pos"])[y]
    model = LogisticRegression().fit(X, labels)
    got = training_metrics(model, X, labels, pos_label="neg")
    y_pred = model.predict(X)
    for name in ("precision", "recall", "f1"):
        function = getattr(skm, f"{name}_score")
        assert got[f"training_{name}_score"] == pytest.approx(
            function(labels, y_pred, pos_label="neg", average="binary")
        )
    # ROC AUC is MLflow's whatever pos_label says: the greater label's column
    assert got["training_roc_auc"] == pytest.approx(skm.roc_auc_score(labels, model.predict_proba(X)[:, 1]))


def test_binary_default_is_weighted_like_mlflow_breast_cancer():
    """The issue's case: MLflow logs 0.9600-ish weighted F1 where class-1 binary F1 differs."""
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    got = training_metrics(model, X, y)
    y_pred = model.predict(X)
    weighted = skm.f1_score(y, y_pred, average="weighted")
    assert got["training_f1_score"] == pytest.approx(weighted, rel=1e-12)
    assert weighted != pytest.approx(skm.f1_score(y, y_pred), rel=1e-6)


@pytest.mark.parametrize("target", ["multiclass", "multilabel", "absent"])
def test_an_unusable_pos_label_warns_and_leaves_out_precision(target, monkeypatch):
    from autolog.engine import AutologWarning

    PROCESS.reset("engine.reported_failures")
    X, y = load_iris(return_X_y=True)
    if target == "multilabel":
        from sklearn.neighbors import KNeighborsClassifier

        y = np.column_stack([y == 1, y == 2]).astype(int)
        model = KNeighborsClassifier().fit(X, y)
    else:
        y = y if target == "multiclass" else (y > 0).astype(int)
        model = LogisticRegression(max_iter=500).fit(X, y)
    with pytest.warns(AutologWarning, match="pos_label"):
        got = training_metrics(model, X, y, pos_label=7)
    assert "training_precision_score" not in got and "training_score" in got


def test_no_labels_no_training_metrics():
    from sklearn.cluster import KMeans

    X, _ = load_iris(return_X_y=True)
    assert training_metrics(KMeans(n_clusters=3, n_init=1, random_state=0).fit(X), X, None) == {}


def test_tied_scores_give_sklearns_auc():
    X = np.repeat(np.arange(5.0), 8).reshape(-1, 1)
    y = (RNG.uniform(size=len(X)) < X.ravel() / 5).astype(int)
    model = LogisticRegression().fit(X, y)
    got = training_metrics(model, X, y)
    assert got["training_roc_auc"] == pytest.approx(skm.roc_auc_score(y, model.predict_proba(X)[:, 1]))


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("multioutput", [False, True])
def test_regressor_metrics_equal_sklearn(weighted, multioutput):
    X, y = load_diabetes(return_X_y=True)
    if multioutput:
        y = np.column_stack([y, y * 0.5 + X[:, 0]])
    w = RNG.uniform(0.1, 2.0, size=len(X)) if weighted else None
    model = Ridge().fit(X, y, sample_weight=w)
    got = training_metrics(model, X, y, w)
    y_pred = model.predict(X)
    expected = {
        "training_mean_squared_error": skm.mean_squared_error(y, y_pred, sample_weight=w),
        "training_root_mean_squared_error": skm.root_mean_squared_error(y, y_pred, sample_weight=w),
        "training_mean_absolute_error": skm.mean_absolute_error(y, y_pred, sample_weight=w),
        "training_r2_score": skm.r2_score(y, y_pred, sample_weight=w),
        "training_score": model.score(X, y, sample_weight=w),
    }
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-12), key


def test_constant_target_r2_follows_sklearn():
    X = np.arange(10.0).reshape(-1, 1)
    y = np.full(10, 3.0)
    model = LinearRegression().fit(X, y)
    assert training_metrics(model, X, y)["training_r2_score"] == skm.r2_score(y, model.predict(X))


def test_undefined_metrics_are_skipped_not_nan():
    X = np.arange(20.0).reshape(-1, 1)
    y = np.zeros(20, dtype=int)
    from sklearn.dummy import DummyClassifier

    model = DummyClassifier().fit(X, y)
    got = training_metrics(model, X, y)
    assert got == {"training_accuracy_score": 1.0, "training_score": 1.0}


def test_classifier_without_predict_proba_has_no_probability_metrics():
    X, y = load_iris(return_X_y=True)
    got = training_metrics(SVC().fit(X, y), X, y)
    assert "training_log_loss" not in got and "training_roc_auc" not in got
    assert "training_f1_score" in got


# -- one predict_proba pass for classes whose predict is its argmax; Pipelines transform once ------

from autolog.integrations.sklearn._metrics import _predict, _predict_is_argmax_of_proba  # noqa: E402
from sklearn.calibration import CalibratedClassifierCV  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    BaggingClassifier,
    ExtraTreesClassifier,
    RandomForestClassifier,
    VotingClassifier,
)
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.tree import DecisionTreeClassifier, ExtraTreeClassifier  # noqa: E402

ARGMAX_MODELS = {
    "random_forest": lambda: RandomForestClassifier(n_estimators=7, max_depth=3, random_state=0),
    "extra_trees": lambda: ExtraTreesClassifier(n_estimators=7, max_depth=3, random_state=0),
    "decision_tree": lambda: DecisionTreeClassifier(max_depth=3, random_state=0),
    "extra_tree": lambda: ExtraTreeClassifier(max_depth=3, random_state=0),
    "bagging": lambda: BaggingClassifier(DecisionTreeClassifier(max_depth=2), n_estimators=4, random_state=0),
    "voting_soft": lambda: VotingClassifier(
        [("lr", LogisticRegression(max_iter=500)), ("dt", DecisionTreeClassifier(max_depth=2))], voting="soft"
    ),
    "calibrated": lambda: CalibratedClassifierCV(DecisionTreeClassifier(max_depth=2), cv=3),
}


def _tied_case():
    """Duplicated rows with different labels: leaves (and forest averages) with tied probabilities."""
    X = np.repeat(np.arange(6.0), 6).reshape(-1, 1)
    y = np.tile(np.array([0, 1, 2]), 12)
    return X, y, None


def _expected(model, X, y, w):
    y_pred, proba = model.predict(X), model.predict_proba(X)
    average = dict(average="weighted")
    expected = {
        "training_accuracy_score": skm.accuracy_score(y, y_pred, sample_weight=w),
        "training_precision_score": skm.precision_score(
            y, y_pred, sample_weight=w, zero_division=0, **average
        ),
        "training_recall_score": skm.recall_score(y, y_pred, sample_weight=w, zero_division=0, **average),
        "training_f1_score": skm.f1_score(y, y_pred, sample_weight=w, zero_division=0, **average),
        "training_log_loss": skm.log_loss(y, proba, sample_weight=w, labels=model.classes_),
        "training_score": model.score(X, y, sample_weight=w),
    }
    if len(model.classes_) == 2:
        expected["training_roc_auc"] = skm.roc_auc_score(y, proba[:, 1], sample_weight=w)
    elif w is None:
        expected["training_roc_auc"] = skm.roc_auc_score(y, proba, multi_class="ovo", average="weighted")
    return expected


def _assert_equal_metrics(got, expected):
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key


@pytest.mark.parametrize("case", [*classification_cases(), "ties"])
@pytest.mark.parametrize("name", list(ARGMAX_MODELS))
def test_argmax_of_proba_classes_equal_sklearn(name, case):
    X, y, w = _tied_case() if case == "ties" else classification_cases()[case]
    model = ARGMAX_MODELS[name]()
    model.fit(X, y, sample_weight=w) if name != "voting_soft" or w is None else model.fit(X, y)
    assert _predict_is_argmax_of_proba(model)
    y_pred, proba = _predict(model, X)
    assert proba is not None
    expected_pred = model.predict(X)
    assert y_pred.dtype == expected_pred.dtype and np.array_equal(y_pred, expected_pred)
    _assert_equal_metrics(training_metrics(model, X, y, w), _expected(model, X, y, w))


def test_ties_really_tie():
    X, y, _ = _tied_case()
    proba = DecisionTreeClassifier().fit(X, y).predict_proba(X)
    assert np.all(proba == proba[:, :1])  # every row is a three-way tie: argmax takes the first class


def test_a_forest_runs_one_predict_proba_and_no_predict_even_when_patched(monkeypatch):
    """Patched methods (autolog's post-training wrappers keep ``__wrapped__``) still qualify."""
    import functools

    from sklearn.ensemble._forest import ForestClassifier

    X, y = make_classification(n_samples=200, n_features=5, random_state=0)
    model = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    calls = []
    original_proba, original_predict = ForestClassifier.predict_proba, ForestClassifier.predict

    @functools.wraps(original_proba)
    def counting_proba(self, X):
        calls.append("predict_proba")
        return original_proba(self, X)

    @functools.wraps(original_predict)
    def counting_predict(self, X):
        calls.append("predict")
        return original_predict(self, X)

    monkeypatch.setattr(ForestClassifier, "predict_proba", counting_proba)
    monkeypatch.setattr(ForestClassifier, "predict", counting_predict)
    got = training_metrics(model, X, y)
    assert calls == ["predict_proba"]
    monkeypatch.undo()
    _assert_equal_metrics(got, _expected(model, X, y, None))


class _OverridingForest(RandomForestClassifier):
    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_subclass_overriding_predict_is_not_derived():
    X, y = make_classification(n_samples=100, n_features=4, random_state=0)
    model = _OverridingForest(n_estimators=3, random_state=0).fit(X, y)
    assert not _predict_is_argmax_of_proba(model)
    got = training_metrics(model, X, y)
    assert got["training_accuracy_score"] == skm.accuracy_score(y, model.predict(X))


def test_classes_not_listed_call_predict():
    X, y = load_iris(return_X_y=True)
    assert not _predict_is_argmax_of_proba(LogisticRegression(max_iter=500).fit(X, y))
    hard = VotingClassifier([("lr", LogisticRegression(max_iter=500))], voting="hard").fit(X, y)
    assert not _predict_is_argmax_of_proba(hard)


@pytest.mark.parametrize("case", list(classification_cases()))
def test_pipeline_metrics_equal_sklearn_on_the_pipeline(case, monkeypatch):
    X, y, w = classification_cases()[case]
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    pipeline.fit(X, y, logisticregression__sample_weight=w)
    expected = _expected(pipeline, X, y, w)
    calls = []
    original = StandardScaler.transform
    monkeypatch.setattr(
        StandardScaler, "transform", lambda self, X, copy=None: calls.append(1) or original(self, X)
    )
    _assert_equal_metrics(training_metrics(pipeline, X, y, w), expected)
    assert len(calls) == 1


def test_pipeline_of_a_forest_and_a_regressor_pipeline_equal_sklearn():
    X, y = make_classification(n_samples=150, n_features=5, random_state=0)
    pipeline = make_pipeline(
        StandardScaler(), "passthrough", RandomForestClassifier(n_estimators=5, random_state=0)
    )
    pipeline.fit(X, y)
    _assert_equal_metrics(training_metrics(pipeline, X, y), _expected(pipeline, X, y, None))
    Xr, yr = load_diabetes(return_X_y=True)
    w = RNG.uniform(0.1, 2.0, size=len(Xr))
    regressor = make_pipeline(StandardScaler(), Ridge()).fit(Xr, yr, ridge__sample_weight=w)
    got = training_metrics(regressor, Xr, yr, w)
    assert got["training_r2_score"] == pytest.approx(
        skm.r2_score(yr, regressor.predict(Xr), sample_weight=w), rel=1e-12
    )
    assert got["training_score"] == pytest.approx(regressor.score(Xr, yr, sample_weight=w), rel=1e-12)


def test_label_columns_match_a_lookup_and_unknown_labels_give_none():
    from autolog.integrations.sklearn._metrics import _column_of_each_label

    classes = np.array(["a", "b", "c"])
    assert _column_of_each_label(classes, np.array(["c", "a", "b", "a"])).tolist() == [2, 0, 1, 0]
    assert _column_of_each_label(classes, np.array(["a", "d"])) is None
    assert _column_of_each_label(classes, np.array(["a", "0"])) is None
    assert _column_of_each_label(np.array([0, 1]), np.array(["a", "b"], dtype=object)) is None
    assert _column_of_each_label(np.array([1, 0]), np.array([0, 1, 1])).tolist() == [1, 0, 0]  # unsorted


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n_classes", [2, 3, 5])
@pytest.mark.parametrize("weighted", [False, True])
def test_auc_with_heavy_ties_and_weights_equals_sklearn(seed, n_classes, weighted):
    from autolog.integrations.sklearn._metrics import _roc_auc

    rng = np.random.default_rng(seed)
    n = 200
    y = rng.integers(0, n_classes, size=n)
    y[:n_classes] = np.arange(n_classes)
    raw = rng.integers(0, 4, size=(n, n_classes)).astype(float) + 0.1  # few distinct values: many ties
    proba = raw / raw.sum(axis=1, keepdims=True)
    w = rng.uniform(0.1, 3.0, size=n) if weighted else None
    classes = np.arange(n_classes)
    got = _roc_auc(proba, y, classes, w)
    if n_classes == 2:
        expected = skm.roc_auc_score(y, proba[:, 1], sample_weight=w)
    elif w is None:
        expected = skm.roc_auc_score(y, proba, multi_class="ovo", average="weighted")
    else:
        with pytest.raises(ValueError):  # MLflow's call fails: no metric
            skm.roc_auc_score(y, proba, sample_weight=w, multi_class="ovo", average="weighted")
        expected = None
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12) if expected is not None else got is None


def test_labels_of_mixed_types_are_counted_not_sorted():
    from sklearn.base import BaseEstimator, ClassifierMixin

    class Echo(ClassifierMixin, BaseEstimator):
        def fit(self, X, y):
            return self

        def predict(self, X):
            return np.array([1 if row[0] > 5.5 else "small" for row in X], dtype=object)

    X, _ = load_iris(return_X_y=True)
    y = np.array([1 if row[0] > 5.0 else "small" for row in X], dtype=object)
    got = training_metrics(Echo().fit(X, y), X, y)
    y_pred = Echo().predict(X)
    assert got["training_accuracy_score"] == pytest.approx(np.mean(y_pred == y))
    assert got["training_score"] == pytest.approx(np.mean(y_pred == y))
    assert "training_f1_score" in got


@pytest.mark.parametrize("seed", range(6))
def test_one_vs_one_auc_equals_sklearn_with_ties(seed):
    from autolog.integrations.sklearn._metrics import _ovo_weighted_auc

    rng = np.random.default_rng(seed)
    classes = 3 + seed % 3
    y = np.r_[np.arange(classes), rng.integers(0, classes, 120)]
    proba = rng.random((len(y), classes)) + 0.05
    if seed % 2:
        proba = np.round(proba, 1)  # many tied scores
    proba /= proba.sum(axis=1, keepdims=True)
    expected = skm.roc_auc_score(y, proba, multi_class="ovo", average="weighted")
    assert _ovo_weighted_auc(proba, y, classes) == pytest.approx(expected, abs=1e-12)


def test_logistic_regression_predictions_come_from_its_probabilities_exactly(monkeypatch):
    """predict is the argmax of predict_proba wherever a row's greatest probability is strictly
    greatest; only the rows with a shared one are left to predict itself."""
    import functools

    from autolog.integrations.sklearn._metrics import _predict

    calls = []
    original = LogisticRegression.predict

    @functools.wraps(original)
    def counted(self, X):
        calls.append(len(X))
        return original(self, X)

    monkeypatch.setattr(LogisticRegression, "predict", counted)
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    Xb, yb = make_classification(n_samples=120, n_features=5, random_state=0)
    for data, labels in ((X, y), (X, names), (Xb, yb)):
        model = LogisticRegression(max_iter=500).fit(data, labels)
        predicted, proba = _predict(model, data)
        assert proba is not None and calls == []
        expected = original(model, data)
        assert predicted.dtype == expected.dtype and (predicted == expected).all()
    model = LogisticRegression().fit(Xb, yb)
    model.coef_[:] = 0.0
    model.intercept_[:] = 0.0
    model.coef_[0, 0] = 1e-300  # equal probabilities, unequal scores on the rows with X[:, 0] != 0
    Xb[:3, 0] = 0.0  # three rows with equal scores too
    predicted, _ = _predict(model, Xb)
    assert calls == [len(Xb)] and (predicted == original(model, Xb)).all()


def test_rows_sum_to_one_answers_as_numpys_allclose():
    from autolog.integrations.sklearn._metrics import _rows_sum_to_one

    rng = np.random.default_rng(0)
    base = rng.random((6, 3))
    base /= base.sum(axis=1, keepdims=True)
    for delta in (0.0, 1e-9, 1e-6, 9e-6, 1.1e-5, 1e-4, np.nan, np.inf, -np.inf):
        proba = base.copy()
        proba[2, 0] += delta
        assert _rows_sum_to_one(proba) == np.allclose(1, proba.sum(axis=1)), delta
