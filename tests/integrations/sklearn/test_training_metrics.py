"""Training metrics equal scikit-learn's own functions on the same data."""

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.datasets import load_diabetes, load_iris, make_classification
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.svm import SVC

from integrations.sklearn._metrics import training_metrics

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
    binary_positive = 1 if set(np.unique(y)) == {0, 1} else None
    average = dict(average="binary", pos_label=1) if binary_positive is not None else dict(average="weighted")
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
    else:
        expected["training_roc_auc"] = skm.roc_auc_score(
            y, proba, sample_weight=w, multi_class="ovr", average="weighted"
        )
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key


def test_pos_label_option_selects_the_positive_class():
    X, y = make_classification(n_samples=100, n_features=4, random_state=1)
    labels = np.array(["neg", "pos"])[y]
    model = LogisticRegression().fit(X, labels)
    got = training_metrics(model, X, labels, pos_label="neg")
    y_pred = model.predict(X)
    assert got["training_precision_score"] == pytest.approx(skm.precision_score(labels, y_pred, pos_label="neg"))
    assert got["training_roc_auc"] == pytest.approx(skm.roc_auc_score(labels == "neg", model.predict_proba(X)[:, 0]))


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
