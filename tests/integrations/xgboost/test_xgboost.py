"""XGBoost autologging: xgboost.train and the scikit-learn wrappers against a real SQLite store."""

from __future__ import annotations

import hashlib
import json
import pickle

import numpy as np
import pytest

from tests.integrations._framework_fixtures import require

xgb = require("xgboost")

import sklearn.metrics  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

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
PARAMS = {"objective": "binary:logistic", "eval_metric": ["logloss", "auc"], "max_depth": 2, "nthread": 1}


def _dmatrices():
    return xgb.DMatrix(X_train, y_train), xgb.DMatrix(X_valid, y_valid)


def _train(rounds=8, **kwargs):
    dtrain, dvalid = _dmatrices()
    evals_result = {}
    booster = xgb.train(
        PARAMS,
        dtrain,
        rounds,
        evals=[(dtrain, "train"), (dvalid, "eval")],
        evals_result=evals_result,
        verbose_eval=False,
        **kwargs,
    )
    return booster, evals_result, dvalid


class CountingCallback(xgb.callback.TrainingCallback):
    def __init__(self):
        super().__init__()
        self.iterations = []

    def after_iteration(self, model, epoch, evals_log):
        self.iterations.append(epoch)
        return False


# -- xgboost.train ----------------------------------------------------------------------------


def test_train_makes_one_finished_run_with_params_and_tags(store):
    _train(rounds=8)
    run = only_run(store)
    assert run.info.status == "FINISHED" and run.info.run_name == "xgboost.train"
    params = run.data.params
    assert params["objective"] == "binary:logistic" and params["max_depth"] == "2"
    assert params["eval_metric"] == "[logloss, auc]"
    assert params["num_boost_round"] == "8" and params["early_stopping_rounds"] == "None"
    assert params["evals"] == "[train, eval]"
    tags = run.data.tags
    assert tags["autolog.framework"] == "xgboost" and tags["autolog.framework.version"] == xgb.__version__
    assert tags["autolog.data.shape"] == f"{len(X_train)}x{X.shape[1]}"


def test_train_metric_histories_equal_evals_result_step_by_step(store):
    _, evals_result, _ = _train(rounds=8)
    run = only_run(store)
    assert_history_equals_evals_result(store, run.info.run_id, evals_result)
    assert "best_iteration" not in run.data.metrics  # no early stopping


def test_train_early_stopping_records_best_iteration_and_score(store):
    booster, evals_result, _ = _train(rounds=200, early_stopping_rounds=3)
    run = only_run(store)
    metrics = run.data.metrics
    assert booster.best_iteration < 199  # it did stop early
    assert metrics["best_iteration"] == booster.best_iteration
    assert metrics["best_score"] == pytest.approx(booster.best_score)
    assert metrics["stopped_iteration"] == booster.num_boosted_rounds() - 1
    assert metrics["best_eval-auc"] == pytest.approx(evals_result["eval"]["auc"][booster.best_iteration])
    steps = [step for step, _ in history(store, run.info.run_id, "eval-auc")]
    assert steps == list(range(len(evals_result["eval"]["auc"])))
    assert run.data.params["early_stopping_rounds"] == "3"


def test_train_logs_feature_importance_json(store):
    booster, _, _ = _train()
    run = only_run(store)
    importance = read_json_artifact(store, run.info.run_id, "feature_importance.json")
    assert set(importance) == {"weight", "gain", "cover"}
    for kind, values in importance.items():
        assert values == pytest.approx(booster.get_score(importance_type=kind))


def test_train_model_is_native_json_with_sha256_and_reloads_as_booster(store):
    booster, _, dvalid = _train()
    run = only_run(store)
    files = model_directory_files(store, run.info.run_id)
    assert set(files) == {"model.json", "autolog-model.json"}
    assert not files["model.json"].startswith(b"\x80")  # not a pickle
    assert json.loads(files["model.json"])["learner"]  # XGBoost's own JSON model
    metadata = read_metadata(artifact_path(store, run.info.run_id, "model"))
    assert metadata.flavor == "xgboost" and metadata.serialization_format == "json"
    assert metadata.sha256 == hashlib.sha256(files["model.json"]).hexdigest()
    assert metadata.model_class == "xgboost.core.Booster" and metadata.framework_version == xgb.__version__
    loaded = autolog.load_model(f"runs:/{run.info.run_id}/model")
    assert isinstance(loaded, xgb.Booster)
    np.testing.assert_array_equal(loaded.predict(dvalid), booster.predict(dvalid))


def test_a_modified_model_file_is_refused(store):
    _train()
    run = only_run(store)
    path = artifact_path(store, run.info.run_id, "model/model.json")
    with open(path, "ab") as f:
        f.write(b" ")
    with pytest.raises(ModelIntegrityError):
        autolog.load_model(f"runs:/{run.info.run_id}/model")


def test_user_callbacks_run_and_their_list_is_not_mutated(store):
    user_callback = CountingCallback()
    callbacks = [user_callback]
    _train(rounds=5, callbacks=callbacks)
    assert callbacks == [user_callback] and len(callbacks) == 1
    assert user_callback.iterations == [0, 1, 2, 3, 4]
    assert len(history(store, only_run(store).info.run_id, "eval-auc")) == 5


def test_an_exception_in_training_propagates_unchanged_and_fails_the_run(store):
    error = RuntimeError("boom in iteration 2")

    class Failing(xgb.callback.TrainingCallback):
        def after_iteration(self, model, epoch, evals_log):
            if epoch == 2:
                raise error
            return False

    run_ended_by(store, lambda: _train(rounds=5, callbacks=[Failing()]), error, "FAILED")


def test_a_failure_in_our_callback_leaves_training_unaffected(store, monkeypatch):
    with autolog.disabled():
        expected, _, dvalid = _train(rounds=5)
    (booster, evals_result, _), caught = train_with_broken_metric_history(
        monkeypatch, lambda: _train(rounds=5)
    )
    np.testing.assert_array_equal(booster.predict(dvalid), expected.predict(dvalid))
    assert len(evals_result["eval"]["auc"]) == 5
    assert any(issubclass(w.category, AutologWarning) for w in caught)
    assert only_run(store).info.status == "FINISHED"


def test_no_run_under_disabled(store):
    with autolog.disabled():
        _train()
    assert runs_of(store) == []


def test_train_inside_a_user_run_logs_into_it(store):
    with autolog.start_run() as user_run:
        _train(rounds=3)
    run = only_run(store)
    assert run.info.run_id == user_run.info.run_id
    assert len(history(store, run.info.run_id, "train-logloss")) == 3


# -- the scikit-learn wrappers -------------------------------------------------------------------


def test_classifier_fit_makes_exactly_one_run(store):
    model = xgb.XGBClassifier(n_estimators=6, max_depth=2, n_jobs=1, eval_metric="logloss")
    result = model.fit(X_train, y_train, eval_set=[(X_train, y_train), (X_valid, y_valid)], verbose=False)
    assert result is model
    run = only_run(store)
    assert run.info.run_name == "XGBClassifier" and run.info.status == "FINISHED"
    assert run.data.params["n_estimators"] == "6" and run.data.params["max_depth"] == "2"
    assert run.data.tags["estimator_class"] == "xgboost.sklearn.XGBClassifier"
    assert "autolog.data.digest" in run.data.tags
    assert {"training_accuracy_score", "training_log_loss", "training_roc_auc"} <= set(run.data.metrics)
    assert_history_equals_evals_result(store, run.info.run_id, model.evals_result())


def test_classifier_early_stopping_and_reload_as_the_wrapper(store):
    model = xgb.XGBClassifier(n_estimators=200, early_stopping_rounds=3, max_depth=2, n_jobs=1)
    model.fit(X_train, y_train, eval_set=[(X_valid, y_valid)], verbose=False)
    run = only_run(store)
    assert run.data.metrics["best_iteration"] == model.best_iteration
    assert run.data.metrics["best_score"] == pytest.approx(model.best_score)
    loaded = assert_reloads_with_the_same_predictions(
        run.info.run_id, model, X_valid, ("predict_proba", "predict")
    )
    assert type(loaded) is xgb.XGBClassifier
    assert set(model_directory_files(store, run.info.run_id)) == {"model.json", "autolog-model.json"}


def test_regressor_and_ranker_fits_make_one_run_each(store):
    Xd, yd = load_diabetes(return_X_y=True)
    regressor = xgb.XGBRegressor(n_estimators=5, n_jobs=1).fit(Xd, yd)
    groups = np.repeat(np.arange(4), 100)
    ranker = xgb.XGBRanker(n_estimators=5, n_jobs=1).fit(X_train, y_train, qid=groups)
    runs = {run.info.run_name: run for run in runs_of(store)}
    assert set(runs) == {"XGBRegressor", "XGBRanker"}
    assert {"training_mean_squared_error", "training_r2_score"} <= set(runs["XGBRegressor"].data.metrics)
    for name, model, data in (("XGBRegressor", regressor, Xd), ("XGBRanker", ranker, X_train)):
        assert_reloads_with_the_same_predictions(runs[name].info.run_id, model, data)


def test_wrapper_user_callbacks_still_run_and_are_not_mutated(store):
    user_callback = CountingCallback()
    callbacks = [user_callback]
    model = xgb.XGBClassifier(n_estimators=4, n_jobs=1, callbacks=callbacks)
    model.fit(X_train, y_train, eval_set=[(X_valid, y_valid)], verbose=False)
    assert callbacks == [user_callback] and model.get_params()["callbacks"] is callbacks
    assert user_callback.iterations == [0, 1, 2, 3]
    assert len(history(store, only_run(store).info.run_id, "validation_0-logloss")) == 4
    pickle.loads(pickle.dumps(model))  # nothing of ours left on the estimator


def test_a_search_over_a_wrapper_makes_only_the_search_runs(store):
    search = GridSearchCV(xgb.XGBClassifier(n_estimators=3, n_jobs=1), {"max_depth": [1, 2]}, cv=2)
    search.fit(X_train, y_train)
    top_level = [run for run in runs_of(store) if run.info.parent_run_id is None]
    assert [run.info.run_name for run in top_level] == ["GridSearchCV"]
    assert not any(run.info.run_name.startswith("xgboost") for run in runs_of(store))


def test_post_training_metrics_land_on_the_wrapper_run(store):
    model = xgb.XGBClassifier(n_estimators=3, n_jobs=1).fit(X_train, y_train)
    sklearn.metrics.accuracy_score(y_valid, model.predict(X_valid))  # looked up now: patched
    assert "accuracy_score_X_valid" in only_run(store).data.metrics


# -- patching ----------------------------------------------------------------------------------------


def _patched_attributes():
    import xgboost.sklearn
    import xgboost.training

    owners = [(xgb, "train"), (xgboost.training, "train"), (xgboost.sklearn, "train")]
    owners += [
        (cls, "fit")
        for cls in (xgb.XGBModel, xgb.XGBClassifier, xgb.XGBRanker, xgb.XGBRFClassifier, xgb.XGBRFRegressor)
    ]
    return owners


def test_disable_restores_every_patched_attribute(tracking_dir):
    assert_autolog_wraps_once_and_disable_restores(_patched_attributes())
    assert "fit" not in vars(xgb.XGBRegressor)


def test_autolog_imports_no_xgboost_and_patches_it_on_import():
    result = run_python(
        "import sys\n"
        "from autolog import autolog\n"
        "autolog()\n"
        "assert 'xgboost' not in sys.modules, 'autolog() imported xgboost'\n"
        "import xgboost, xgboost.training\n"
        "from autolog.engine import is_autolog_wrapper\n"
        "assert is_autolog_wrapper(vars(xgboost.training)['train'])\n"
        "assert is_autolog_wrapper(vars(xgboost.XGBModel)['fit'])\n"
    )
    assert result.returncode == 0, result.stderr


def test_load_model_finds_the_flavor_in_a_fresh_process(store, tmp_path):
    _, _, dvalid = _train()
    run = only_run(store)
    code = (
        "import sys, autolog\n"
        f"autolog.set_tracking_uri({str(store.tracking_uri)!r})\n"
        f"model = autolog.load_model('runs:/{run.info.run_id}/model')\n"
        "print(type(model).__name__)\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Booster"
