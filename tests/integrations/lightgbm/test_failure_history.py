"""A FAILED or KILLED LightGBM training keeps the metric history it collected before the exception."""

from __future__ import annotations

import pytest

from tests.integrations._framework_fixtures import require

lgb = require("lightgbm")

from sklearn.datasets import load_breast_cancer  # noqa: E402

from tests.integrations._framework_fixtures import (  # noqa: E402
    assert_history,
    assert_one_warning_and_same_error,
    only_run,
    run_ended_by,
)

X, y = load_breast_cancer(return_X_y=True)
PARAMS = {
    "objective": "binary",
    "metric": ["binary_logloss", "auc"],
    "num_leaves": 4,
    "verbose": -1,
    "num_threads": 1,
}
FAIL_AT = 5


class RaisesAt:
    """Records every iteration's evaluation results and raises ``error`` at iteration ``at``.

    ``order`` after ours (25): LightGBM gives a callback without one a negative order, which
    runs it before ours, so the iteration it raises at is not recorded (history ends at ``at - 1``).
    """

    def __init__(self, error, at=FAIL_AT, order=30):
        self.error, self.at = error, at
        if order is not None:
            self.order = order
        self.seen: dict[str, list[tuple[int, float]]] = {}

    def __call__(self, env):
        for data_name, metric, value, *_ in env.evaluation_result_list:
            self.seen.setdefault(f"{data_name}-{metric}", []).append((env.iteration, value))
        if env.iteration == self.at:
            raise self.error


def _train(callback, rounds=20):
    train_set = lgb.Dataset(X[:400], y[:400])
    valid_set = lgb.Dataset(X[400:], y[400:], reference=train_set)
    return lgb.train(
        PARAMS,
        train_set,
        rounds,
        valid_sets=[train_set, valid_set],
        valid_names=["train", "valid"],
        callbacks=[callback],
    )


def _assert_history_up_to_the_failure(client, run_id, callback, last=FAIL_AT):
    assert set(callback.seen) == {"train-binary_logloss", "train-auc", "valid-binary_logloss", "valid-auc"}
    for key, points in callback.seen.items():
        assert [step for step, _ in points] == list(range(last + 1))
        assert_history(client, run_id, key, points)


def test_train_raising_at_iteration_5_is_failed_with_iterations_0_to_5(store):
    error = RuntimeError("diverged at iteration 5")
    callback = RaisesAt(error)
    run = run_ended_by(store, lambda: _train(callback), error, "FAILED")
    assert run.data.params["num_leaves"] == "4"
    _assert_history_up_to_the_failure(store, run.info.run_id, callback)


def test_a_callback_without_order_runs_before_ours_so_the_failing_iteration_is_not_recorded(store):
    callback = RaisesAt(ValueError("stop"), order=None)
    with pytest.raises(ValueError):
        _train(callback)
    run = only_run(store)
    assert run.info.status == "FAILED"
    for key, points in callback.seen.items():
        assert_history(store, run.info.run_id, key, points[:FAIL_AT])  # iterations 0 .. 4


def test_keyboard_interrupt_is_killed_with_the_history(store):
    callback = RaisesAt(KeyboardInterrupt())
    run = run_ended_by(store, lambda: _train(callback), callback.error, "KILLED")
    _assert_history_up_to_the_failure(store, run.info.run_id, callback)


def test_wrapper_fit_raising_keeps_its_history(store):
    error = ValueError("stop")
    callback = RaisesAt(error)
    model = lgb.LGBMClassifier(n_estimators=20, num_leaves=4, verbose=-1, n_jobs=1)
    run = run_ended_by(
        store,
        lambda: model.fit(X[:400], y[:400], eval_set=[(X[400:], y[400:])], callbacks=[callback]),
        error,
        "FAILED",
    )
    (key,) = callback.seen
    assert len(callback.seen[key]) == FAIL_AT + 1
    assert_history(store, run.info.run_id, key, callback.seen[key])


def test_a_failure_in_our_on_failure_is_one_warning_and_the_error_is_unchanged(store, monkeypatch):
    error = RuntimeError("user")
    assert_one_warning_and_same_error(monkeypatch, lambda: _train(RaisesAt(error)), error)
    assert only_run(store).info.status == "FAILED"
