"""Run counts, statuses, params and tags of autologged fits."""

import pytest
from joblib import parallel_backend
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris
from sklearn.ensemble import BaggingClassifier, RandomForestClassifier, VotingClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import LabelEncoder, StandardScaler

import autolog
from autolog import autolog as enable_autolog
from autolog.engine import is_autolog_wrapper
from tests.integrations.sklearn._fixtures import runs_of, top_level_runs

X, y = load_iris(return_X_y=True)


def test_one_fit_one_finished_run_with_params_tags_and_metrics(store):
    LogisticRegression(C=0.5, max_iter=300).fit(X, y)
    (run,) = runs_of(store)
    assert run.info.status == "FINISHED"
    assert run.info.run_name == "LogisticRegression"
    assert run.data.params["C"] == "0.5" and run.data.params["max_iter"] == "300"
    assert run.data.tags["estimator_name"] == "LogisticRegression"
    assert run.data.tags["estimator_class"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert run.data.tags["autolog.framework"] == "sklearn"
    assert "autolog.version" in run.data.tags and "autolog.data.digest" in run.data.tags
    assert {"training_accuracy_score", "training_log_loss", "training_score"} <= set(run.data.metrics)


def test_a_pipeline_fit_makes_one_run_with_nested_params(store):
    make_pipeline(StandardScaler(), LogisticRegression(max_iter=300)).fit(X, y)
    (run,) = runs_of(store)
    assert run.info.run_name == "Pipeline"
    assert run.data.params["logisticregression__max_iter"] == "300"
    assert "StandardScaler()" in run.data.params["steps"]


@pytest.mark.parametrize(
    "estimator",
    [
        BaggingClassifier(LogisticRegression(max_iter=300), n_estimators=3),
        VotingClassifier([("a", LogisticRegression(max_iter=300)), ("b", RandomForestClassifier(5))]),
        RandomForestClassifier(n_estimators=5),
        make_pipeline(ColumnTransformer([("s", StandardScaler(), [0, 1])]), LogisticRegression(max_iter=300)),
    ],
    ids=["bagging", "voting", "forest", "pipeline_with_column_transformer"],
)
def test_meta_estimators_and_ensembles_make_one_run(store, estimator):
    estimator.fit(X, y)
    assert len(runs_of(store)) == 1


@pytest.mark.parametrize("backend", ["threading", "loky"])
def test_parallel_inner_fits_make_no_runs(store, backend):
    with parallel_backend(backend, n_jobs=2):
        RandomForestClassifier(n_estimators=4, n_jobs=2).fit(X, y)
        GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.1, 1.0]}, cv=2, n_jobs=2).fit(X, y)
    names = sorted(run.info.run_name for run in top_level_runs(store))
    assert names == ["GridSearchCV", "RandomForestClassifier"]


def test_fit_predict_calling_fit_and_super_fit_make_one_run(store):
    KMeans(n_clusters=2, n_init=1).fit_predict(X)

    class MyRegression(LinearRegression):
        def fit(self, X, y, sample_weight=None):
            return super().fit(X, y, sample_weight)

    MyRegression().fit(X, y)
    assert sorted(run.info.run_name for run in runs_of(store)) == ["KMeans", "MyRegression"]


def test_pure_transformers_are_excluded_by_default_and_can_be_included(store):
    StandardScaler().fit(X)
    LabelEncoder().fit(y)
    assert runs_of(store) == []
    enable_autolog(log_models=False, include=["StandardScaler"])
    StandardScaler().fit(X)
    LabelEncoder().fit(y)
    assert [run.info.run_name for run in runs_of(store)] == ["StandardScaler"]


def test_exclude_by_class_name_module_or_integration(store):
    enable_autolog(log_models=False, exclude=["LogisticRegression", "sklearn.tree"])
    LogisticRegression(max_iter=300).fit(X, y)
    from sklearn.tree import DecisionTreeClassifier

    DecisionTreeClassifier().fit(X, y)
    assert runs_of(store) == []
    enable_autolog(log_models=False, exclude=["sklearn"])
    LinearRegression().fit(X, y)
    assert runs_of(store) == []
    assert not is_autolog_wrapper(LinearRegression.__dict__["fit"])


class Exploding(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        raise ValueError("bad data")


def test_a_failing_fit_ends_failed_and_the_exception_propagates(store):
    with pytest.raises(ValueError, match="could not convert|bad"):
        LogisticRegression().fit([["a"], ["b"]], [0, 1])
    (run,) = runs_of(store)
    assert run.info.status == "FAILED"


def test_keyboard_interrupt_ends_killed(store, monkeypatch):
    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(LogisticRegression, "_validate_params", interrupted)
    with pytest.raises(KeyboardInterrupt):
        LogisticRegression().fit(X, y)
    (run,) = runs_of(store)
    assert run.info.status == "KILLED"


def test_the_users_active_run_receives_the_fit_and_stays_open(store):
    with autolog.start_run() as user_run:
        LogisticRegression(max_iter=300).fit(X, y)
        LinearRegression().fit(X, y)  # a second fit becomes a child: no param conflict
        current = store.get_run(user_run.info.run_id)
        assert current.info.status == "RUNNING"
        assert current.data.params["max_iter"] == "300"
        assert "training_accuracy_score" in current.data.metrics
    children = [run for run in runs_of(store) if run.info.parent_run_id == user_run.info.run_id]
    assert [run.info.run_name for run in children] == ["LinearRegression"]


def test_exclusive_skips_the_users_run(store):
    enable_autolog(log_models=False, exclusive=True)
    with autolog.start_run() as user_run:
        LogisticRegression(max_iter=300).fit(X, y)
    (run,) = runs_of(store)
    assert run.info.run_id == user_run.info.run_id and run.data.params == {}


def test_disabled_block_and_disable_option(store):
    with autolog.disabled():
        LogisticRegression(max_iter=300).fit(X, y)
    assert runs_of(store) == []
    enable_autolog(disable=True)
    LogisticRegression(max_iter=300).fit(X, y)
    assert runs_of(store) == []


def test_extra_tags_and_last_active_run(store):
    enable_autolog(log_models=False, extra_tags={"team": "ml"})
    LinearRegression().fit(X, y)
    run = autolog.last_active_run()
    assert run.info.run_name == "LinearRegression" and run.data.tags["team"] == "ml"


def test_calling_autolog_again_does_not_patch_twice(store):
    enable_autolog(log_models=False)
    enable_autolog(log_models=False)
    LinearRegression().fit(X, y)
    assert len(runs_of(store)) == 1
    assert not is_autolog_wrapper(LinearRegression.__dict__["fit"].__wrapped__)


def test_git_diff_of_a_dirty_checkout_is_written_once_and_referenced_by_sha(store, tmp_path, monkeypatch):
    import hashlib
    import shutil
    import subprocess
    import sys

    from autolog import context
    from autolog._core._process import PROCESS

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-C", str(repo)]
    subprocess.run(git + ["init", "-q"], check=True)
    (repo / "train.py").write_text("C = 1.0\n")
    subprocess.run(git + ["add", "train.py"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "init"], check=True)
    (repo / "train.py").write_text("C = 0.5\n")  # dirty
    monkeypatch.chdir(repo)
    monkeypatch.setattr(sys, "argv", ["-c"])
    PROCESS.reset("engine.git_diff")
    context.refresh()
    try:
        diff = context.git_diff()
        for _ in range(3):
            LogisticRegression(max_iter=300).fit(X, y)
    finally:
        context.refresh()
    runs = runs_of(store)
    assert len(runs) == 3
    digest = hashlib.sha256(diff.encode("utf-8")).hexdigest()
    with_artifacts = [run.info.run_id for run in runs if store.list_artifacts(run.info.run_id, "code")]
    assert len(with_artifacts) == 1
    holder = with_artifacts[0]
    for run in runs:
        assert run.data.tags["autolog.git.dirty"] == "true"
        assert run.data.tags["autolog.git.diff_sha256"] == digest
        assert run.data.tags["autolog.git.diff_artifact"] == f"runs:/{holder}/code/git_diff.patch"
    # One copy of the text, in the first run; its bytes hash to the tag.
    assert [f.path for f in store.list_artifacts(holder, "code")] == ["code/git_diff.patch"]
    path = store.download_artifacts(holder, "code/git_diff.patch", str(tmp_path / "dl"))
    with open(path, "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == digest
