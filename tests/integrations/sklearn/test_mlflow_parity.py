"""Round 2 of MLflow parity: what runs exist, one bad key costs one key, data as passed,
failures named, models plain pickle cannot save."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_selection import SelectKBest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

import autolog
from autolog import autolog as enable_autolog
from autolog._core._process import PROCESS
from autolog.engine import AutologWarning
from tests.integrations.sklearn._fixtures import runs_of

X, y = load_iris(return_X_y=True)


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch):
    PROCESS.reset("engine.reported_failures")


# -- A4: preprocessing alone makes no run; include/exclude by public dotted path ---------------------


def test_standalone_preprocessing_makes_no_run(store):
    ColumnTransformer([("s", StandardScaler(), [0, 1])]).fit_transform(X)
    PCA(n_components=2).fit(X)
    SelectKBest(k=2).fit(X, y)
    assert runs_of(store) == []
    make_pipeline(PCA(n_components=2), LogisticRegression(max_iter=300)).fit(X, y)
    assert [run.info.run_name for run in runs_of(store)] == ["Pipeline"]


def test_include_and_exclude_take_public_dotted_paths(store):
    enable_autolog(log_models=False, exclude=["sklearn.ensemble.RandomForestClassifier"])
    RandomForestClassifier(n_estimators=3).fit(X, y)
    LogisticRegression(max_iter=300).fit(X, y)
    assert [run.info.run_name for run in runs_of(store)] == ["LogisticRegression"]
    enable_autolog(log_models=False, include=["sklearn.decomposition.PCA"])
    PCA(n_components=2).fit(X)
    assert sorted(run.info.run_name for run in runs_of(store)) == ["LogisticRegression", "PCA"]


def test_a_name_that_matches_nothing_warns_once(store):
    enable_autolog(
        log_models=False, exclude=["sklearn.ensemble.RandomForestClasifier", "xgboost", "sklearn.tree"]
    )
    with pytest.warns(AutologWarning, match="RandomForestClasifier") as caught:
        LogisticRegression(max_iter=300).fit(X, y)
        LogisticRegression(max_iter=300).fit(X, y)
    assert len([w for w in caught if issubclass(w.category, AutologWarning)]) == 1
    assert len(runs_of(store)) == 2


# -- A5: one bad key costs one key -------------------------------------------------------------------


class LongNamed(BaseEstimator, TransformerMixin):
    def __init__(self, **kwargs):
        self.kwargs = kwargs

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X

    def get_params(self, deep=True):
        return {"x" * 300: 1, "fine": 2}


def test_an_over_long_param_key_is_left_out_with_one_warning(store):
    enable_autolog(log_models=True)
    pipeline = Pipeline([("long", LongNamed()), ("lr", LogisticRegression(max_iter=300))])
    with pytest.warns(AutologWarning, match="over 250 characters"):
        pipeline.fit(X, y)
    (run,) = runs_of(store)
    assert run.info.status == "FINISHED"
    assert run.data.params["long__fine"] == "2" and run.data.params["lr__max_iter"] == "300"
    assert not any(len(key) > 250 for key in run.data.params)
    assert "training_accuracy_score" in run.data.metrics
    assert autolog.load_model(f"runs:/{run.info.run_id}/model").predict(X[:3]).shape == (3,)


# -- A6: metrics and signature from the data as passed ------------------------------------------------


class AddsAColumnInPlace(BaseEstimator, TransformerMixin):
    """A step that writes a new column into the caller's DataFrame during fit."""

    def fit(self, X, y=None):
        X["added"] = 1.0
        return self

    def transform(self, X):
        return X.drop(columns=["added"], errors="ignore")


def test_a_step_that_adds_a_column_in_place_does_not_cost_metrics_or_signature(store):
    enable_autolog(log_models=True)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    pipeline = make_pipeline(AddsAColumnInPlace(), LogisticRegression(max_iter=300))
    pipeline.fit(frame, y)
    assert "added" in frame.columns  # the user's frame did change
    (run,) = runs_of(store)
    assert run.data.metrics["training_accuracy_score"] == pytest.approx(
        pipeline.score(frame[["a", "b", "c", "d"]], y)
    )
    from autolog.models import read_metadata

    local = autolog.Client().download_artifacts(run.info.run_id, "model")
    inputs = read_metadata(local).signature["inputs"]
    assert [column["name"] for column in inputs] == ["a", "b", "c", "d"]


# -- A7: failures named; models plain pickle cannot save ----------------------------------------------


def test_a_failed_run_records_the_exception(store):
    from sklearn.linear_model import LinearRegression

    with pytest.raises(ValueError) as raised:
        LinearRegression().fit([["a"], ["b"]], [0, 1])
    (run,) = runs_of(store)
    assert run.info.status == "FAILED"
    assert run.data.tags["autolog.error"] == f"ValueError: {raised.value}"


def test_a_lambda_in_a_function_transformer_is_saved_with_cloudpickle(store):
    enable_autolog(log_models=True)
    pipeline = make_pipeline(FunctionTransformer(lambda values: values * 2), LogisticRegression(max_iter=300))
    with warnings.catch_warnings():
        warnings.simplefilter("error", AutologWarning)
        pipeline.fit(X, y)
    (run,) = runs_of(store)
    loaded = autolog.load_model(f"runs:/{run.info.run_id}/model")
    assert np.array_equal(loaded.predict(X), pipeline.predict(X))


def test_manual_runs_get_the_context_tags_and_list_artifacts_takes_a_run_id(store):
    with autolog.start_run(tags={"autolog.user": "someone-else"}) as run:
        autolog.log_text("hello", "notes/a.txt")
    with autolog.start_run():
        pass
    tags = autolog.get_run(run.info.run_id).data.tags
    assert "autolog.source.name" in tags and "autolog.python.version" in tags
    assert tags["autolog.user"] == "someone-else"  # the caller's tags win
    assert [info.path for info in autolog.list_artifacts(run.info.run_id)] == ["notes"]
    assert [info.path for info in autolog.list_artifacts("notes", run_id=run.info.run_id)] == ["notes/a.txt"]


def test_disable_restores_only_what_autolog_itself_replaced(store):
    from sklearn.linear_model import Ridge

    enable_autolog(disable=True)
    original = Ridge.__dict__["fit"]

    def other_tools_fit(self, *args, **kwargs):
        return original(self, *args, **kwargs)

    Ridge.fit = other_tools_fit  # another tool patches; autolog then wraps its patch
    try:
        enable_autolog(log_models=False)
        assert Ridge.__dict__["fit"] is not other_tools_fit
        Ridge.fit = original  # the other tool un-patches, putting back what it had captured
        enable_autolog(disable=True)
        assert Ridge.__dict__["fit"] is original  # not the other tool's stale patch
        Ridge.fit = other_tools_fit  # patched again by the other tool, then autolog on and off
        enable_autolog(log_models=False)
        enable_autolog(disable=True)
        assert Ridge.__dict__["fit"] is other_tools_fit
    finally:
        Ridge.fit = original


def test_post_training_metrics_work_outside_the_repository_root(tmp_path):
    """The post-training hook once imported the bare ``integrations`` package (only importable
    from the repository root): from anywhere else every ``predict`` failed inside autolog."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(f"""
        import autolog
        from sklearn.datasets import load_iris
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import accuracy_score
        autolog.set_tracking_uri({str(tmp_path / "store")!r})
        autolog.autolog(log_models=False)
        X, y = load_iris(return_X_y=True)
        model = LogisticRegression(max_iter=300).fit(X, y)
        accuracy_score(y, model.predict(X))
        print(sorted(autolog.get_run(autolog.last_active_run().info.run_id).data.metrics))
    """)
    import os

    env = {**os.environ, "AUTOLOG_STRICT": "1", "PYTHONPATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "accuracy_score_X" in done.stdout
