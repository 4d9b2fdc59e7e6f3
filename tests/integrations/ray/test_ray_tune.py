"""Ray Tune: a real local Ray cluster (2 CPUs); trial runs written from the trials' worker processes."""

from __future__ import annotations

import os

import pytest

ray = pytest.importorskip("ray")
from autolog.integrations._trials import ROLE_TAG, TRIAL_TAG  # noqa: E402
from autolog.integrations.ray._worker import CHECKPOINT_TAG, STATUS_TAG, remote_node_refusal  # noqa: E402
from ray import tune  # noqa: E402

import autolog  # noqa: E402
from autolog import autolog as enable_autolog  # noqa: E402
from tests.integrations._framework_fixtures import assert_autolog_wraps_once_and_disable_restores  # noqa: E402


def train(config):
    import tempfile

    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    if config["x"] == 3:
        raise ValueError("trial failure")
    X, y = load_iris(return_X_y=True)
    LogisticRegression(C=config["x"], max_iter=200).fit(X, y)  # autologged in the worker
    for step in range(3):
        if step == 2:
            with tempfile.TemporaryDirectory() as folder:
                open(os.path.join(folder, "state.txt"), "w").write(str(step))
                tune.report(
                    {"loss": config["x"] * (3 - step)}, checkpoint=tune.Checkpoint.from_directory(folder)
                )
        else:
            tune.report({"loss": config["x"] * (3 - step)})


@pytest.mark.slow
def test_tuner_fit_parent_and_trial_runs_from_the_workers(tracking_dir, tmp_path):
    autolog.set_tracking_uri(str(tracking_dir))
    enable_autolog(log_models=False)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        tuner = tune.Tuner(
            train,
            param_space={"x": tune.grid_search([1, 2, 3])},
            tune_config=tune.TuneConfig(metric="loss", mode="min"),
            run_config=tune.RunConfig(name="tiny", storage_path=str(tmp_path / "ray"), verbose=0),
        )
        grid = tuner.fit()
    finally:
        ray.shutdown()
        enable_autolog(disable=True)
        autolog.set_tracking_uri(None)
    assert len(grid) == 3
    client = autolog.Client(str(tracking_dir))
    runs = list(client.search_runs(["0"]))
    (parent,) = [r for r in runs if r.info.parent_run_id is None]
    assert parent.info.run_name == "tiny" and parent.data.tags[ROLE_TAG] == "tune"
    assert parent.data.metrics == {"trials_terminated": 2.0, "trials_errored": 1.0, "best_loss": 1.0}
    assert parent.data.params["best_x"] == "1" and parent.data.params["mode"] == "min"
    trials = {r.data.params["x"]: r for r in runs if r.info.parent_run_id == parent.info.run_id}
    assert sorted(trials) == ["1", "2", "3"]
    for x in ("1", "2"):
        trial = trials[x]
        assert trial.info.status == "FINISHED" and trial.data.tags[STATUS_TAG] == "TERMINATED"
        assert int(trial.data.tags["ray.worker_pid"]) != os.getpid()
        history = sorted(client.get_metric_history(trial.info.run_id, "loss"), key=lambda m: m.step)
        assert [(m.step, m.value) for m in history] == [(1, 3 * int(x)), (2, 2 * int(x)), (3, int(x))]
        assert trial.data.tags[CHECKPOINT_TAG].endswith("checkpoint_000000") and trial.data.tags[TRIAL_TAG]
        (fit,) = [r for r in runs if r.info.parent_run_id == trial.info.run_id]
        assert fit.info.run_name == "LogisticRegression" and fit.data.params["C"] == x
    assert trials["3"].info.status == "FAILED" and trials["3"].data.tags[STATUS_TAG] == "ERROR"
    assert len(runs) == 1 + 3 + 2  # no stray run


def test_a_local_store_is_refused_for_a_trial_on_another_node():
    message = remote_node_refusal("/data/autolog", "node-a", "node-b")
    assert "node-b" in message and "postgresql://" in message and "/data/autolog" in message
    assert remote_node_refusal("/data/autolog", "node-a", "node-a") is None
    assert remote_node_refusal("postgresql://db/autolog", "node-a", "node-b") is None


def test_the_patches_are_idempotent_and_reversible():
    from ray.train._internal.session import _TrainSession
    from ray.tune.impl.tuner_internal import TunerInternal

    assert_autolog_wraps_once_and_disable_restores(
        [(TunerInternal, "_fit_internal"), (_TrainSession, "report")]
    )
