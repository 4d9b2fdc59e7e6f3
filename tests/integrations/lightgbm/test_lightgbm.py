"""LightGBM autologging: lightgbm.train and the scikit-learn wrappers against a real SQLite store."""

from __future__ import annotations

import hashlib
import json
import pickle

import numpy as np
import pytest

from tests.integrations._framework_fixtures import require

lgb = require("lightgbm")

import sklearn.metrics  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris  # noqa: E402

import autolog  # noqa: E402
from autolog.engine import AutologWarning  # noqa: E402
from autolog.exceptions import ModelIntegrityError  # noqa: E402
from autolog.models import read_metadata  # noqa: E402
from tests.integrations._framework_fixtures import (  # noqa: E402
    artifact_path,
    assert_autolog_wraps_once_and_disable_restores,
    assert_history_equals_evals_result,
    assert_reloads_with_the_same_predictions,
    history,
    model_directory_files,
    only_run,
    read_json_artifact,
    run_ended_by,
    run_python,
    runs_of,
    train_with_broken_metric_history,
)

X, y = load_breast_cancer(return_X_y=True)
X_train, y_train, X_valid, y_valid = X[:400], y[:400], X[400:], y[400:]
PARAMS = {
    "objective": "binary",
    "metric": ["binary_logloss", "auc"],
    "num_leaves": 4,
    "verbose": -1,
    "num_threads": 1,
}


def _train(rounds=8, **kwargs):
    train_set = lgb.Dataset(X_train, y_train)
    valid_set = lgb.Dataset(X_valid, y_valid, reference=train_set)
    evals_result = {}
    callbacks = kwargs.pop("callbacks", [])
    booster = lgb.train(
        PARAMS,
        train_set,
        rounds,
        valid_sets=[train_set, valid_set],
        valid_names=["train", "valid"],
        callbacks=callbacks + [lgb.record_evaluation(evals_result)],
        **kwargs,
    )
    return booster, evals_result


def _classifier(**params):
    return lgb.LGBMClassifier(num_leaves=4, verbose=-1, n_jobs=1, **params)


class CountingCallback:
    def __init__(self):
        self.iterations = []

    def __call__(self, env):
        self.iterations.append(env.iteration)


# -- lightgbm.train -----------------------------------------------------------------------------


def test_train_makes_one_finished_run_with_params_and_tags(store):
    _train(rounds=8)
    run = only_run(store)
    assert run.info.status == "FINISHED" and run.info.run_name == "lightgbm.train"
    params = run.data.params
    assert params["objective"] == "binary" and params["num_leaves"] == "4"
    assert params["metric"] == "[binary_logloss, auc]" and params["num_boost_round"] == "8"
    assert params["valid_names"] == "[train, valid]"
    tags = run.data.tags
    assert tags["autolog.framework"] == "lightgbm" and tags["autolog.framework.version"] == lgb.__version__
    assert tags["autolog.data.shape"] == f"{len(X_train)}x{X.shape[1]}" and "autolog.data.digest" in tags


def test_train_metric_histories_equal_evals_result_step_by_step(store):
    _, evals_result = _train(rounds=8)
    run = only_run(store)
    assert set(evals_result) == {"train", "valid"}
    assert_history_equals_evals_result(store, run.info.run_id, evals_result)
    assert "best_iteration" not in run.data.metrics


def test_train_early_stopping_records_best_iteration_and_scores(store):
    booster, evals_result = _train(rounds=300, callbacks=[lgb.early_stopping(3, verbose=False)])
    run = only_run(store)
    metrics = run.data.metrics
    assert 0 < booster.best_iteration < 300
    assert metrics["best_iteration"] == booster.best_iteration
    assert metrics["stopped_iteration"] == len(evals_result["valid"]["auc"]) - 1 > booster.best_iteration
    for eval_name, scores in booster.best_score.items():
        for metric_name, value in scores.items():
            assert metrics[f"best_{eval_name}-{metric_name}"] == pytest.approx(value)
    # LightGBM counts the best iteration from 1: its values sit at step best_iteration - 1.
    assert metrics["best_valid-auc"] == pytest.approx(
        evals_result["valid"]["auc"][booster.best_iteration - 1]
    )
    assert len(history(store, run.info.run_id, "valid-auc")) == len(evals_result["valid"]["auc"])


def test_train_logs_split_and_gain_importance(store):
    booster, _ = _train()
    run = only_run(store)
    importance = read_json_artifact(store, run.info.run_id, "feature_importance.json")
    assert set(importance) == {"split", "gain"}
    names = booster.feature_name()
    for kind in ("split", "gain"):
        expected = dict(zip(names, booster.feature_importance(importance_type=kind).tolist()))
        assert importance[kind] == pytest.approx(expected)


def test_train_model_is_native_text_with_sha256_and_reloads_as_booster(store):
    booster, _ = _train()
    run = only_run(store)
    files = model_directory_files(store, run.info.run_id)
    assert set(files) == {"model.txt", "autolog-model.json"}
    assert files["model.txt"].startswith(b"tree\nversion=")  # LightGBM's own text format
    metadata = read_metadata(artifact_path(store, run.info.run_id, "model"))
    assert metadata.flavor == "lightgbm" and metadata.serialization_format == "text"
    assert metadata.sha256 == hashlib.sha256(files["model.txt"]).hexdigest()
    assert metadata.framework_version == lgb.__version__
    loaded = autolog.load_model(f"runs:/{run.info.run_id}/model")
    assert isinstance(loaded, lgb.Booster)
    np.testing.assert_array_equal(loaded.predict(X_valid), booster.predict(X_valid))


def test_a_modified_model_file_is_refused(store):
    _train()
    run = only_run(store)
    with open(artifact_path(store, run.info.run_id, "model/model.txt"), "ab") as f:
        f.write(b"\n")
    with pytest.raises(ModelIntegrityError):
        autolog.load_model(f"runs:/{run.info.run_id}/model")


def test_user_callbacks_run_and_their_list_is_not_mutated(store):
    user_callback = CountingCallback()
    callbacks = [user_callback]
    lgb.train(PARAMS, lgb.Dataset(X_train, y_train), 5, callbacks=callbacks)
    assert callbacks == [user_callback] and len(callbacks) == 1
    assert user_callback.iterations == [0, 1, 2, 3, 4]
    # LightGBM gives a callback without ``order`` one by position: the same as without autolog.
    assert user_callback.order == -1
    assert only_run(store).info.status == "FINISHED"


def test_an_exception_in_training_propagates_unchanged_and_fails_the_run(store):
    error = RuntimeError("boom in iteration 2")

    def failing(env):
        if env.iteration == 2:
            raise error

    run_ended_by(store, lambda: _train(rounds=5, callbacks=[failing]), error, "FAILED")


def test_a_failure_in_our_callback_leaves_training_unaffected(store, monkeypatch):
    with autolog.disabled():
        expected, _ = _train(rounds=5)
    (booster, evals_result), caught = train_with_broken_metric_history(monkeypatch, lambda: _train(rounds=5))
    np.testing.assert_array_equal(booster.predict(X_valid), expected.predict(X_valid))
    assert len(evals_result["valid"]["auc"]) == 5
    assert any(issubclass(w.category, AutologWarning) for w in caught)
    assert only_run(store).info.status == "FINISHED"


def test_no_run_under_disabled(store):
    with autolog.disabled():
        _train()
    assert runs_of(store) == []


# -- the scikit-learn wrappers ----------------------------------------------------------------


def test_classifier_fit_makes_exactly_one_run(store):
    model = _classifier(n_estimators=6)
    result = model.fit(X_train, y_train, eval_X=(X_valid,), eval_y=(y_valid,))
    assert result is model
    run = only_run(store)
    assert run.info.run_name == "LGBMClassifier" and run.info.status == "FINISHED"
    assert run.data.params["n_estimators"] == "6" and run.data.params["num_leaves"] == "4"
    assert run.data.tags["estimator_class"] == "lightgbm.sklearn.LGBMClassifier"
    assert {"training_accuracy_score", "training_log_loss", "training_roc_auc"} <= set(run.data.metrics)
    assert_history_equals_evals_result(store, run.info.run_id, model.evals_result_)


def test_classifier_early_stopping_and_reload_as_the_wrapper(store):
    model = _classifier(n_estimators=300)
    model.fit(
        X_train,
        y_train,
        eval_X=(X_valid,),
        eval_y=(y_valid,),
        callbacks=[lgb.early_stopping(3, verbose=False)],
    )
    run = only_run(store)
    assert run.data.metrics["best_iteration"] == model.best_iteration_ < 300
    loaded = assert_reloads_with_the_same_predictions(
        run.info.run_id, model, X_valid, ("predict_proba", "predict")
    )
    assert type(loaded) is lgb.LGBMClassifier
    assert loaded.best_iteration_ == model.best_iteration_ and loaded.get_params()["num_leaves"] == 4
    files = model_directory_files(store, run.info.run_id)
    assert set(files) == {"model.txt", "lightgbm_wrapper.json", "autolog-model.json"}
    assert (
        json.loads(files["lightgbm_wrapper.json"])["model_sha256"]
        == hashlib.sha256(files["model.txt"]).hexdigest()
    )


def test_string_labels_and_multiclass_reload_with_equal_predictions(store):
    Xi, yi = load_iris(return_X_y=True)
    labels = np.array(["setosa", "versicolor", "virginica"])[yi]
    model = _classifier(n_estimators=5).fit(Xi, labels)
    loaded = autolog.load_model(f"runs:/{only_run(store).info.run_id}/model")
    np.testing.assert_array_equal(loaded.predict(Xi), model.predict(Xi))
    np.testing.assert_array_equal(loaded.classes_, model.classes_)


def test_a_wrapper_file_from_another_model_is_refused(store):
    _classifier(n_estimators=3).fit(X_train, y_train)
    _classifier(n_estimators=4).fit(X_train, y_train)
    first, second = runs_of(store)
    wrapper_file = artifact_path(store, first.info.run_id, "model/lightgbm_wrapper.json")
    with open(artifact_path(store, second.info.run_id, "model/lightgbm_wrapper.json"), "rb") as f:
        other = f.read()
    with open(wrapper_file, "wb") as f:
        f.write(other)
    with pytest.raises(ModelIntegrityError):
        autolog.load_model(f"runs:/{first.info.run_id}/model")


def test_regressor_and_ranker_fits_make_one_run_each(store):
    Xd, yd = load_diabetes(return_X_y=True)
    regressor = lgb.LGBMRegressor(n_estimators=5, verbose=-1, n_jobs=1).fit(Xd, yd)
    ranker = lgb.LGBMRanker(n_estimators=5, verbose=-1, n_jobs=1).fit(X_train, y_train, group=[100] * 4)
    runs = {run.info.run_name: run for run in runs_of(store)}
    assert set(runs) == {"LGBMRegressor", "LGBMRanker"}
    assert {"training_mean_squared_error", "training_r2_score"} <= set(runs["LGBMRegressor"].data.metrics)
    for name, model, data in (("LGBMRegressor", regressor, Xd), ("LGBMRanker", ranker, X_train)):
        assert_reloads_with_the_same_predictions(runs[name].info.run_id, model, data)


def test_wrapper_user_callbacks_still_run_and_are_not_mutated(store):
    user_callback = CountingCallback()
    callbacks = [user_callback]
    model = _classifier(n_estimators=4)
    model.fit(X_train, y_train, eval_X=(X_valid,), eval_y=(y_valid,), callbacks=callbacks)
    assert callbacks == [user_callback]
    assert user_callback.iterations == [0, 1, 2, 3]
    assert len(history(store, only_run(store).info.run_id, "valid_0-binary_logloss")) == 4
    pickle.loads(pickle.dumps(model))


def test_post_training_metrics_land_on_the_wrapper_run(store):
    model = _classifier(n_estimators=3).fit(X_train, y_train)
    sklearn.metrics.accuracy_score(y_valid, model.predict(X_valid))
    assert "accuracy_score_X_valid" in only_run(store).data.metrics


# -- patching ----------------------------------------------------------------------------------


def _patched_attributes():
    import lightgbm.engine

    owners = [(lgb, "train"), (lightgbm.engine, "train")]
    owners += [(cls, "fit") for cls in (lgb.LGBMModel, lgb.LGBMClassifier, lgb.LGBMRegressor, lgb.LGBMRanker)]
    return owners


def test_disable_restores_every_patched_attribute(tracking_dir):
    import lightgbm.sklearn

    untouched = vars(lightgbm.sklearn)["train"]
    assert_autolog_wraps_once_and_disable_restores(_patched_attributes())
    assert vars(lightgbm.sklearn)["train"] is untouched


def test_autolog_imports_no_lightgbm_and_patches_it_on_import():
    result = run_python(
        "import sys\n"
        "from autolog import autolog\n"
        "autolog()\n"
        "assert 'lightgbm' not in sys.modules, 'autolog() imported lightgbm'\n"
        "import lightgbm, lightgbm.engine\n"
        "from autolog.engine import is_autolog_wrapper\n"
        "assert is_autolog_wrapper(vars(lightgbm.engine)['train'])\n"
        "assert is_autolog_wrapper(vars(lightgbm.LGBMModel)['fit'])\n"
    )
    assert result.returncode == 0, result.stderr
