"""Evaluation plot data equals scikit-learn's own curves; ``autolog.evaluate`` logs held-out data."""

import json

import numpy as np
import pytest
from autolog.integrations.sklearn._evaluation import MAX_CURVE_POINTS, evaluation_data, search_data
from autolog.integrations.sklearn._metrics import training_metrics
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve
from sklearn.datasets import load_diabetes, load_iris, make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import autolog
from autolog.exceptions import InvalidInputError
from tests.integrations.sklearn._fixtures import runs_of


def plots_of(model, X, y, w=None):
    collected = {}
    training_metrics(model, X, y, w, collected=collected)
    return evaluation_data(model, X, collected)


@pytest.mark.parametrize("weighted", [False, True])
def test_binary_curves_equal_sklearn(weighted):
    X, y = make_classification(n_samples=400, n_features=6, random_state=0)
    w = np.random.default_rng(0).uniform(0.2, 2.0, size=len(y)) if weighted else None
    model = LogisticRegression().fit(X, y, sample_weight=w)
    data = plots_of(model, X, y, w)
    score = model.predict_proba(X)[:, 1]
    (roc,) = data["roc_curve"]
    assert roc["label"] == "1" and len(roc["x"]) <= MAX_CURVE_POINTS
    assert roc["auc"] == pytest.approx(skm.roc_auc_score(y, score, sample_weight=w), rel=1e-9)
    fpr, tpr, _ = skm.roc_curve(y, score, sample_weight=w, drop_intermediate=False)
    # every drawn point lies on sklearn's curve
    on_curve = {(round(a, 6), round(b, 6)) for a, b in zip(fpr, tpr)}
    assert all((a, b) in on_curve for a, b in zip(roc["x"], roc["y"]))
    if not weighted:  # only the bends are drawn: scikit-learn's default (drop_intermediate) curve
        fpr, tpr, _ = skm.roc_curve(y, score)
        assert len(fpr) < len(on_curve) and np.allclose(roc["x"], fpr, atol=1e-6)
        assert np.allclose(roc["y"], tpr, atol=1e-6)
    (pr,) = data["precision_recall_curve"]
    assert pr["average_precision"] == pytest.approx(
        skm.average_precision_score(y, score, sample_weight=w), rel=1e-9
    )
    precision, recall, _ = skm.precision_recall_curve(y, score, sample_weight=w, drop_intermediate=False)
    on_pr_curve = {(round(a, 6), round(b, 6)) for a, b in zip(recall, precision)}
    drawn = list(zip(pr["x"], pr["y"]))
    assert all(point in on_pr_curve for point in drawn[1:]) and drawn[0] == (0.0, 1.0)
    expected_cm = skm.confusion_matrix(y, model.predict(X), sample_weight=w)
    assert np.allclose(data["confusion_matrix"]["counts"], expected_cm)
    if not weighted:
        true, predicted = calibration_curve(y, score, n_bins=10)
        assert np.allclose(data["calibration_curve"]["y"], true, atol=1e-6)
        assert np.allclose(data["calibration_curve"]["x"], predicted, atol=1e-6)


def test_precision_recall_points_left_out_lie_on_a_drawn_vertical_segment():
    X, y = make_classification(n_samples=150, n_features=4, flip_y=0.2, random_state=3)
    model = LogisticRegression().fit(X, y)
    (pr,) = plots_of(model, X, y)["precision_recall_curve"]
    precision, recall, _ = skm.precision_recall_curve(
        y, model.predict_proba(X)[:, 1], drop_intermediate=False
    )
    every = {(round(a, 6), round(b, 6)) for a, b in zip(recall, precision)}
    drawn = set(zip(pr["x"], pr["y"]))
    left_out = every - drawn
    assert drawn <= every and len(left_out) > 10
    for a, b in left_out:  # same recall: between the lowest and highest drawn precision there
        assert min(p for r, p in drawn if r == a) <= b <= max(p for r, p in drawn if r == a)


def test_multiclass_one_curve_per_class_and_importances_by_feature_name():
    import pandas as pd

    X, y = load_iris(return_X_y=True, as_frame=True)
    model = make_pipeline(StandardScaler(), RandomForestClassifier(n_estimators=5, random_state=0)).fit(X, y)
    data = plots_of(model, X, y)
    assert [curve["label"] for curve in data["roc_curve"]] == ["0", "1", "2"]
    proba = model.predict_proba(X)
    for column, curve in enumerate(data["roc_curve"]):
        assert curve["auc"] == pytest.approx(skm.roc_auc_score(y == column, proba[:, column]))
    importance = data["feature_importance"]
    forest = model[-1]
    expected = pd.Series(forest.feature_importances_, index=list(X.columns)).sort_values(ascending=False)
    assert importance["features"] == list(expected.index)
    assert importance["values"] == pytest.approx(expected.to_numpy(), abs=1e-6)


def test_regressor_sample_histogram_and_coefficients():
    X, y = load_diabetes(return_X_y=True)
    model = Ridge().fit(X, y)
    data = plots_of(model, X, y)
    sample = data["predicted_vs_actual"]
    assert len(sample["actual"]) == 200 and sample["rows"] == len(y)
    predicted = model.predict(X)
    index = int(np.flatnonzero(np.isclose(y, sample["actual"][1]))[0])
    assert sample["predicted"][1] == pytest.approx(predicted[index], abs=1e-5)
    histogram = data["residual_histogram"]
    counts, edges = np.histogram(y - predicted, bins=30)
    assert histogram["counts"] == counts.tolist() and histogram["edges"] == pytest.approx(edges, abs=1e-5)
    assert data["feature_importance"]["kind"] == "coefficient"
    assert sorted(data["feature_importance"]["features"]) == [f"x{i}" for i in range(10)]


def test_a_fit_logs_the_plot_data_and_a_search_its_candidates(store):
    X, y = load_iris(return_X_y=True)
    search = GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.1, 1.0, 10.0]}, cv=3).fit(X, y)
    (parent,) = [run for run in runs_of(store) if run.info.parent_run_id is None]
    files = sorted(a.path for a in store.list_artifacts(parent.info.run_id, "evaluation"))
    assert files == ["evaluation/search.json", "evaluation/training.json"]
    with open(store.download_artifacts(parent.info.run_id, "evaluation/search.json")) as handle:
        logged = json.load(handle)
    assert logged == search_data(search)
    assert logged["params"]["C"] == {"type": "number", "values": [0.1, 1.0, 10.0]}
    assert logged["scores"] == pytest.approx(search.cv_results_["mean_test_score"], abs=1e-6)


def test_evaluate_logs_metrics_and_plots_into_the_active_or_a_new_run(store):
    X, y = load_iris(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    with autolog.disabled():
        model = LogisticRegression(max_iter=500).fit(X_train, y_train)
    metrics = autolog.evaluate(model, X_test, y_test)
    assert metrics["holdout_accuracy_score"] == skm.accuracy_score(y_test, model.predict(X_test))
    (run,) = runs_of(store)
    assert run.info.run_name == "evaluate-holdout" and run.info.status == "FINISHED"
    assert run.data.metrics == pytest.approx(metrics)
    with autolog.start_run() as active:
        autolog.evaluate(model, X_test, y_test, name="test-set")
    logged = autolog.get_run(active.info.run_id)
    assert "test-set_f1_score" in logged.data.metrics
    assert [a.path for a in store.list_artifacts(active.info.run_id, "evaluation")] == [
        "evaluation/test-set.json"
    ]
    with pytest.raises(InvalidInputError, match="name"):
        autolog.evaluate(model, X_test, y_test, name="../escape")


def test_evaluate_names_a_model_no_integration_evaluates(store):
    X, y = load_iris(return_X_y=True)
    with pytest.raises(InvalidInputError, match="builtins.dict"):
        autolog.evaluate({"not": "a model"}, X, y)
    assert runs_of(store) == []


def test_runs_plot_writes_an_image_per_plot(store, tmp_path, capsys):
    from autolog.cli import main

    X, y = load_iris(return_X_y=True)
    GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.1, 1.0]}, cv=3).fit(X, y)
    (parent,) = [run for run in runs_of(store) if run.info.parent_run_id is None]
    out = tmp_path / "plots"
    assert (
        main(
            [
                "--store",
                store.tracking_uri,
                "runs",
                "plot",
                parent.info.run_id,
                "-o",
                str(out),
                "--format",
                "svg",
            ]
        )
        == 0
    )
    written = sorted(path.name for path in out.iterdir())
    assert written == sorted(
        [
            "search_parallel_coordinates.svg",
            "search_param_vs_score.svg",
            "training_confusion_matrix.svg",
            "training_roc_curve.svg",
            "training_precision_recall_curve.svg",
            "training_feature_importance.svg",
        ]
    )
    assert all((out / name).read_text().lstrip().startswith("<?xml") for name in written)
    (child,) = [run for run in runs_of(store) if run.info.parent_run_id][:1]
    assert main(["--store", store.tracking_uri, "runs", "plot", child.info.run_id, "-o", str(out)]) == 1
    assert "no evaluation plot data" in capsys.readouterr().err


def test_zero_weight_samples_are_no_curve_points(store):
    # scikit-learn's check_sample_weight_equivalence: a zero-weight sample scores highest.
    X, y = load_iris(return_X_y=True)
    X, y = np.vstack([X, X[y == 2].max(axis=0) * 3]), np.r_[y, 2]
    w = np.r_[np.full(len(y) - 1, 2.0), 0.0]
    model = LogisticRegression(max_iter=500).fit(X, y, sample_weight=w)  # strict mode: must not raise
    data = plots_of(model, X, y, w)
    proba = model.predict_proba(X)
    for column, (roc, pr) in enumerate(zip(data["roc_curve"], data["precision_recall_curve"])):
        assert roc["auc"] == pytest.approx(skm.roc_auc_score(y == column, proba[:, column], sample_weight=w))
        assert pr["average_precision"] == pytest.approx(
            skm.average_precision_score(y == column, proba[:, column], sample_weight=w)
        )
    (run,) = runs_of(store)
    with open(store.download_artifacts(run.info.run_id, "evaluation/training.json")) as handle:
        assert json.load(handle)["precision_recall_curve"] == data["precision_recall_curve"]
