"""Optuna: real studies (in-memory and SQLite RDB storage) recorded into a real store."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest

optuna = pytest.importorskip("optuna")

from autolog.integrations._trials import ROLE_TAG  # noqa: E402
from autolog.integrations._tuning_history import HISTORY_ARTIFACT  # noqa: E402

import autolog  # noqa: E402
from autolog import autolog as enable_autolog  # noqa: E402
from tests.integrations._framework_fixtures import assert_autolog_wraps_once_and_disable_restores  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture
def store(tracking_dir):
    autolog.set_tracking_uri(str(tracking_dir))
    enable_autolog(log_models=False)
    yield autolog.Client(str(tracking_dir))
    enable_autolog(disable=True)
    autolog.set_tracking_uri(None)


def _runs(client):
    return list(client.search_runs(["0"], max_results=1000))


def _children(client, parent_id):
    return sorted(
        (r for r in _runs(client) if r.info.parent_run_id == parent_id), key=lambda r: r.info.start_time
    )


def _objective(trial):
    x = trial.suggest_float("x", -4.0, 4.0)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    for step in range(3):
        trial.report(x * x + step, step)
    if trial.number == 1:
        raise optuna.TrialPruned()
    if trial.number == 2:
        raise ValueError("caught by optuna")
    return (x - 1.0) ** 2 + (kind == "b")


def test_study_parent_and_one_child_per_trial_with_states_history_and_summary(store):
    study = optuna.create_study(study_name="quad", sampler=optuna.samplers.RandomSampler(seed=3))
    study.optimize(_objective, n_trials=5, n_jobs=2, catch=(ValueError,))
    runs = _runs(store)
    (parent,) = [r for r in runs if r.info.parent_run_id is None]
    assert parent.info.run_name == "quad" and parent.info.status == "FINISHED"
    assert parent.data.tags[ROLE_TAG] == "study"
    assert parent.data.params["sampler"] == "RandomSampler" and parent.data.params["directions"] == "minimize"
    assert parent.data.params["pruner"] == "MedianPruner" and parent.data.params["n_jobs"] == "2"
    assert parent.data.metrics["trials_complete"] == 3
    assert parent.data.metrics["trials_pruned"] == 1 and parent.data.metrics["trials_failed"] == 1
    assert parent.data.metrics["best_value"] == pytest.approx(study.best_value)
    assert parent.data.params["best_x"] == str(study.best_params["x"])
    trials = {int(r.data.tags["autolog.tuning.trial"]): r for r in _children(store, parent.info.run_id)}
    assert sorted(trials) == [0, 1, 2, 3, 4]
    for frozen in study.trials:
        run = trials[frozen.number]
        assert run.data.tags["optuna.trial.state"] == frozen.state.name
        assert run.info.status == ("FAILED" if frozen.state.name == "FAIL" else "FINISHED")
        assert (
            run.data.params["x"] == str(frozen.params["x"])
            and run.data.params["kind"] == frozen.params["kind"]
        )
        history = store.get_metric_history(run.info.run_id, "intermediate_value")
        assert [(m.step, m.value) for m in sorted(history, key=lambda m: m.step)] == sorted(
            frozen.intermediate_values.items()
        )
        assert run.data.metrics["duration_seconds"] >= 0
        if frozen.state.name == "COMPLETE":
            assert run.data.metrics["value"] == pytest.approx(frozen.value)
    document = json.loads(_artifact_text(store, parent.info.run_id))
    assert [row["number"] for row in document["trials"]] == [0, 1, 2, 3, 4]
    assert {row["run_id"] for row in document["trials"]} == {r.info.run_id for r in trials.values()}
    assert set(document["param_importances"]) <= {"x", "kind"} and document["direction"] == "minimize"


def _artifact_text(client, run_id):
    import pathlib
    import tempfile

    target = client.download_artifacts(run_id, HISTORY_ARTIFACT, tempfile.mkdtemp())
    return pathlib.Path(target).read_text()


def test_a_fit_inside_the_objective_is_a_child_of_the_trial_run(store):
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)

    def objective(trial):
        model = LogisticRegression(C=trial.suggest_float("C", 0.1, 10.0, log=True), max_iter=300).fit(X, y)
        autolog.log_metric("from_user", 1.0)  # the trial's run is the active run here
        return model.score(X, y)

    optuna.create_study(direction="maximize").optimize(objective, n_trials=2)
    runs = _runs(store)
    (parent,) = [r for r in runs if r.info.parent_run_id is None]
    trials = _children(store, parent.info.run_id)
    assert [r.info.run_name for r in trials] == ["trial-0", "trial-1"]
    for trial in trials:
        (fit,) = _children(store, trial.info.run_id)
        assert fit.info.run_name == "LogisticRegression" and "training_accuracy_score" in fit.data.metrics
        assert trial.data.metrics["from_user"] == 1.0 and "C" in trial.data.params
    assert len(runs) == 5  # no stray run


def test_a_short_trial_is_written_when_it_ends_and_a_nested_start_run_writes_it_first(store):
    in_store_during_trial = {}
    nested = {}

    def objective(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        run_id = autolog.active_run().info.run_id
        if trial.number == 1:
            with autolog.start_run(nested=True, run_name="manual") as child:
                nested[run_id] = child.info.run_id
        in_store_during_trial[trial.number] = run_id in {r.info.run_id for r in _runs(store)}
        trial.report(x, 0)
        return x

    optuna.create_study().optimize(objective, n_trials=2)
    assert in_store_during_trial == {0: False, 1: True}
    (parent,) = [r for r in _runs(store) if r.info.parent_run_id is None]
    first, second = _children(store, parent.info.run_id)
    for trial in (first, second):
        assert trial.info.status == "FINISHED" and trial.info.end_time >= trial.info.start_time
        assert set(trial.data.params) == {"x"} and trial.data.tags["optuna.trial.state"] == "COMPLETE"
        assert trial.data.metrics["value"] == trial.data.metrics["intermediate_value"]
    (child,) = _children(store, second.info.run_id)
    assert nested == {second.info.run_id: child.info.run_id} and child.info.run_name == "manual"


def test_a_long_trial_shows_running_while_it_runs(store, monkeypatch):
    from autolog.integrations import _trials

    monkeypatch.setattr(_trials, "WRITE_RUNNING_AFTER_SECONDS", 0.2)
    monkeypatch.setattr(_trials._LongTrials, "TICK_SECONDS", 0.05)
    seen = []

    def objective(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        run_id = autolog.active_run().info.run_id
        deadline = time.monotonic() + 10
        while not seen and time.monotonic() < deadline:
            seen.extend(r.info.status for r in _runs(store) if r.info.run_id == run_id)
            time.sleep(0.05)
        trial.report(x, 1)
        return x

    optuna.create_study().optimize(objective, n_trials=1)
    assert seen == ["RUNNING"]
    (parent,) = [r for r in _runs(store) if r.info.parent_run_id is None]
    (trial,) = _children(store, parent.info.run_id)
    assert trial.info.status == "FINISHED" and set(trial.data.params) == {"x"}
    assert [(m.step, m.value) for m in store.get_metric_history(trial.info.run_id, "intermediate_value")] == [
        (1, trial.data.metrics["value"])
    ]


def test_an_uncaught_error_propagates_unchanged_and_ends_the_runs_failed(store):
    error = RuntimeError("boom")

    def objective(trial):
        trial.suggest_int("n", 0, 3)
        if trial.number == 1:
            raise error
        return 1.0

    with pytest.raises(RuntimeError) as raised:
        optuna.create_study().optimize(objective, n_trials=4)
    assert raised.value is error
    (parent,) = [r for r in _runs(store) if r.info.parent_run_id is None]
    assert parent.info.status == "FAILED"
    trials = _children(store, parent.info.run_id)
    assert [(r.info.run_name, r.info.status) for r in trials] == [
        ("trial-0", "FINISHED"),
        ("trial-1", "FAILED"),
    ]
    assert trials[1].data.tags["optuna.trial.state"] == "FAIL"


def test_no_runs_when_disabled_and_the_patch_is_idempotent_and_reversible(store):
    with autolog.disabled():
        optuna.create_study().optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert _runs(store) == []
    enable_autolog(disable=True)
    assert_autolog_wraps_once_and_disable_restores([(optuna.study.Study, "optimize")])


WORKER = """
import sys, optuna, autolog
optuna.logging.set_verbosity(optuna.logging.WARNING)
autolog.set_tracking_uri(sys.argv[1])
autolog.autolog()
study = optuna.load_study(study_name="shared", storage=sys.argv[2])
study.optimize(lambda t: (t.suggest_float("x", -3, 3) - 1) ** 2, n_trials=3)
"""


@pytest.mark.slow
def test_two_processes_sharing_one_rdb_study_each_write_a_parent_and_their_trials(
    store, tracking_dir, tmp_path
):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    optuna.create_study(study_name="shared", storage=storage)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(WORKER), str(tracking_dir), storage],
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for worker in workers:
        _, stderr = worker.communicate(timeout=180)
        assert worker.returncode == 0, stderr
    runs = _runs(store)
    parents = [r for r in runs if r.info.parent_run_id is None]
    assert len(parents) == 2 and {p.data.tags["optuna.study_name"] for p in parents} == {"shared"}
    numbers = []
    for parent in parents:
        trials = _children(store, parent.info.run_id)
        assert len(trials) == 3 and parent.data.metrics["trials_complete"] == 3
        numbers += [int(t.data.tags["autolog.tuning.trial"]) for t in trials]
    assert sorted(numbers) == list(range(6))  # every trial of the study once, in its process's parent
    best = optuna.load_study(study_name="shared", storage=storage).best_value
    assert min(p.data.metrics["best_value"] for p in parents) == pytest.approx(best)


@pytest.mark.parametrize("framework", ["xgboost", "lightgbm"])
def test_a_boosting_fit_inside_the_objective_nests_under_its_trial(store, framework):
    module = pytest.importorskip(framework)
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    model_class = module.XGBClassifier if framework == "xgboost" else module.LGBMClassifier
    extra = {"verbosity": 0} if framework == "xgboost" else {"verbose": -1}

    def objective(trial):
        model = model_class(n_estimators=trial.suggest_int("n_estimators", 2, 4), **extra).fit(X, y)
        return model.score(X, y)

    optuna.create_study(direction="maximize").optimize(objective, n_trials=2)
    runs = _runs(store)
    (parent,) = [r for r in runs if r.info.parent_run_id is None]
    trials = _children(store, parent.info.run_id)
    assert len(trials) == 2 and len(runs) == 5
    for trial in trials:
        (fit,) = _children(store, trial.info.run_id)
        assert (
            fit.info.run_name == model_class.__name__
            and fit.data.params["n_estimators"] == trial.data.params["n_estimators"]
        )
