"""Hyperparameter searches: one parent, top-k children, best params, cv_results artifact."""

import csv

import pytest
from sklearn.datasets import load_iris
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, HalvingGridSearchCV, RandomizedSearchCV

from autolog import autolog as enable_autolog
from tests.integrations.sklearn._fixtures import runs_of

X, y = load_iris(return_X_y=True)
GRID = {"C": [0.01, 0.1, 1.0, 10.0], "fit_intercept": [True, False]}


def parent_and_children(client):
    runs = runs_of(client)
    (parent,) = [run for run in runs if run.info.parent_run_id is None]
    children = [run for run in runs if run.info.parent_run_id == parent.info.run_id]
    return parent, children


def test_grid_search_parent_and_top_five_children(store):
    search = GridSearchCV(LogisticRegression(max_iter=500), GRID, cv=3).fit(X, y)
    parent, children = parent_and_children(store)
    assert parent.info.run_name == "GridSearchCV" and parent.info.status == "FINISHED"
    assert parent.data.params["best_C"] == repr(search.best_params_["C"])
    # MLflow's layout: the search's own params (deep=False), the estimator as stable text
    assert parent.data.params["estimator"] == "LogisticRegression(max_iter=500)"
    assert parent.data.params["cv"] == "3" and "estimator__max_iter" not in parent.data.params
    assert parent.data.metrics["best_cv_score"] == pytest.approx(search.best_score_)
    assert len(children) == 5
    ranks = sorted(int(child.data.tags["autolog.search.rank"]) for child in children)
    assert ranks == sorted(search.cv_results_["rank_test_score"])[:5]
    for child in children:
        index = int(child.data.tags["autolog.search.candidate_index"])
        assert child.data.params["C"] == repr(search.cv_results_["params"][index]["C"])
        assert child.data.metrics["mean_test_score"] == pytest.approx(
            search.cv_results_["mean_test_score"][index]
        )
        assert child.data.metrics["mean_fit_time"] == pytest.approx(
            search.cv_results_["mean_fit_time"][index]
        )
        assert child.data.metrics["rank_test_score"] == search.cv_results_["rank_test_score"][index]
        assert not any(key.startswith(("split", "param")) for key in child.data.metrics)
        assert child.data.params["max_iter"] == "500"
        assert child.data.tags["estimator_name"] == "LogisticRegression"
        assert child.data.tags["estimator_class"] == "sklearn.linear_model._logistic.LogisticRegression"
        assert child.data.tags["autolog.user"] == parent.data.tags["autolog.user"]
        assert child.data.tags["autolog.source.name"] == parent.data.tags["autolog.source.name"]
        assert child.info.status == "FINISHED"


def test_cv_results_artifact_is_a_csv_table(store):
    search = GridSearchCV(LogisticRegression(max_iter=500), GRID, cv=3).fit(X, y)
    parent, _ = parent_and_children(store)
    path = store.download_artifacts(parent.info.run_id, "cv_results.csv")
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(search.cv_results_["params"])
    assert float(rows[0]["mean_test_score"]) == pytest.approx(search.cv_results_["mean_test_score"][0])


@pytest.mark.parametrize("max_tuning_runs, expected", [(None, 8), (0, 0), (2, 2)])
def test_max_tuning_runs(store, max_tuning_runs, expected):
    enable_autolog(log_models=False, max_tuning_runs=max_tuning_runs)
    GridSearchCV(LogisticRegression(max_iter=500), GRID, cv=3).fit(X, y)
    _, children = parent_and_children(store)
    assert len(children) == expected


@pytest.mark.parametrize(
    "search",
    [
        RandomizedSearchCV(LogisticRegression(max_iter=500), GRID, n_iter=3, cv=3, random_state=0),
        HalvingGridSearchCV(LogisticRegression(max_iter=500), GRID, cv=3, random_state=0),
    ],
    ids=["randomized", "halving"],
)
def test_other_searches(store, search):
    search.fit(X, y)
    parent, children = parent_and_children(store)
    assert parent.info.run_name == type(search).__name__
    assert 1 <= len(children) <= 5
    assert "best_C" in parent.data.params


def test_search_model_is_the_search_and_best_estimator_a_second_artifact(store):
    import autolog

    enable_autolog()
    search = GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.1, 1.0]}, cv=3).fit(X, y)
    parent, _ = parent_and_children(store)
    model = autolog.load_model(f"runs:/{parent.info.run_id}/model")
    assert type(model) is GridSearchCV
    assert (model.predict(X) == search.predict(X)).all()
    best = autolog.load_model(f"runs:/{parent.info.run_id}/best_estimator")
    assert type(best) is LogisticRegression
    assert (best.predict(X) == search.best_estimator_.predict(X)).all()
    assert parent.data.metrics["training_accuracy_score"] == pytest.approx(search.score(X, y))


def test_search_with_refit_false_records_without_training_metrics(store):
    import autolog

    enable_autolog(log_models=True)
    search = GridSearchCV(LogisticRegression(max_iter=500), GRID, cv=3, refit=False).fit(X, y)
    parent, children = parent_and_children(store)
    assert parent.info.status == "FINISHED" and len(children) == 5
    assert "best_C" in parent.data.params and "best_cv_score" in parent.data.metrics
    assert not any(key.startswith("training_") for key in parent.data.metrics)
    assert type(autolog.load_model(f"runs:/{parent.info.run_id}/model")) is GridSearchCV
    assert not hasattr(search, "best_estimator_")
    assert [a.path for a in store.list_artifacts(parent.info.run_id) if a.path == "best_estimator"] == []
