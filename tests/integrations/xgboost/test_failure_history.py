"""A FAILED or KILLED XGBoost training keeps the metric history it collected before the exception."""

from __future__ import annotations

import pytest

from tests.integrations._framework_fixtures import require

xgb = require("xgboost")

from autolog.integrations._framework import MetricHistory  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402

from tests.integrations._framework_fixtures import (  # noqa: E402
    assert_history,
    assert_one_warning_and_same_error,
    history,
    only_run,
    run_ended_by,
)

X, y = load_breast_cancer(return_X_y=True)
PARAMS = {"objective": "binary:logistic", "eval_metric": ["logloss", "auc"], "max_depth": 2, "nthread": 1}
FAIL_AT = 5


class RaisesAt(xgb.callback.TrainingCallback):
    """Raises ``error`` after iteration ``at``; keeps the evaluation log it saw then."""

    def __init__(self, error, at=FAIL_AT):
        super().__init__()
        self.error, self.at, self.seen = error, at, None

    def after_iteration(self, model, epoch, evals_log):
        if epoch == self.at:
            self.seen = {
                name: {m: list(v) for m, v in metrics.items()} for name, metrics in evals_log.items()
            }
            raise self.error
        return False


def _train(callback, rounds=20):
    dtrain, dvalid = xgb.DMatrix(X[:400], y[:400]), xgb.DMatrix(X[400:], y[400:])
    return xgb.train(
        PARAMS,
        dtrain,
        rounds,
        evals=[(dtrain, "train"), (dvalid, "eval")],
        verbose_eval=False,
        callbacks=[callback],
    )


def _assert_history_up_to_the_failure(client, run_id, seen):
    for eval_name in ("train", "eval"):
        for metric in ("logloss", "auc"):
            expected = list(enumerate(seen[eval_name][metric]))
            assert len(expected) == FAIL_AT + 1
            assert_history(client, run_id, f"{eval_name}-{metric}", expected)


def test_train_raising_at_iteration_5_is_failed_with_iterations_0_to_5(store):
    error = RuntimeError("diverged at iteration 5")
    callback = RaisesAt(error)
    run = run_ended_by(store, lambda: _train(callback), error, "FAILED")
    assert run.data.params["max_depth"] == "2"
    _assert_history_up_to_the_failure(store, run.info.run_id, callback.seen)


def test_keyboard_interrupt_is_killed_with_the_history(store):
    callback = RaisesAt(KeyboardInterrupt())
    run = run_ended_by(store, lambda: _train(callback), callback.error, "KILLED")
    _assert_history_up_to_the_failure(store, run.info.run_id, callback.seen)


def test_wrapper_fit_raising_keeps_its_history(store):
    error = ValueError("stop")
    callback = RaisesAt(error)
    model = xgb.XGBClassifier(
        n_estimators=20, max_depth=2, n_jobs=1, eval_metric="logloss", callbacks=[callback]
    )
    run = run_ended_by(
        store,
        lambda: model.fit(X[:400], y[:400], eval_set=[(X[400:], y[400:])], verbose=False),
        error,
        "FAILED",
    )
    expected = list(enumerate(callback.seen["validation_0"]["logloss"]))
    assert_history(store, run.info.run_id, "validation_0-logloss", expected)


def test_a_failure_in_our_on_failure_is_one_warning_and_the_error_is_unchanged(store, monkeypatch):
    error = RuntimeError("user")
    assert_one_warning_and_same_error(monkeypatch, lambda: _train(RaisesAt(error)), error)
    assert only_run(store).info.status == "FAILED"


# -- live curves: the history is written while a long training runs ----------------------------


class ReadsTheStore(xgb.callback.TrainingCallback):
    def __init__(self, client):
        super().__init__()
        self.client, self.steps_in_store = client, {}

    def after_iteration(self, model, epoch, evals_log):
        (run,) = self.client.search_runs(["0"])
        self.steps_in_store[epoch] = [
            m.step for m in self.client.get_metric_history(run.info.run_id, "eval-auc")
        ]
        return False


def test_periodic_flush_writes_the_curve_during_training_without_duplicates(store, monkeypatch):
    monkeypatch.setattr(MetricHistory, "FLUSH_EVERY_SECONDS", 0.0)  # every iteration is "5 s later"
    reader = ReadsTheStore(store)
    booster = _train(reader, rounds=6)
    # Our callback runs first: iteration k is already in the store when the user's callback sees it.
    assert reader.steps_in_store[3] == [0, 1, 2, 3]
    run = only_run(store)
    assert run.info.status == "FINISHED"
    assert [step for step, _ in history(store, run.info.run_id, "eval-auc")] == list(range(6))
    assert booster.num_boosted_rounds() == 6


def test_a_store_failure_during_training_stops_periodic_writes_and_the_end_writes_all(store, monkeypatch):
    monkeypatch.setenv("AUTOLOG_STRICT", "0")
    monkeypatch.setattr(MetricHistory, "FLUSH_EVERY_SECONDS", 0.0)
    from autolog._core._process import PROCESS

    PROCESS.reset("engine.reported_failures")
    calls = {"n": 0}
    original_write = MetricHistory._write

    def flaky_write(self, run):
        calls["n"] += 1
        if calls["n"] == 2:  # the second periodic write fails
            raise OSError("disk full")
        original_write(self, run)

    monkeypatch.setattr(MetricHistory, "_write", flaky_write)
    with pytest.warns(Warning, match="disk full"):
        _train(CountingNothing(), rounds=6)
    run = only_run(store)
    assert run.info.status == "FINISHED"
    assert [step for step, _ in history(store, run.info.run_id, "eval-auc")] == list(range(6))
    assert calls["n"] == 3  # two periodic writes (the second failed), then the final one


class CountingNothing(xgb.callback.TrainingCallback):
    def after_iteration(self, model, epoch, evals_log):
        return False
