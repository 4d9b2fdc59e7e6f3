"""Keras 3 autologging: Model.fit on the PyTorch backend against a real SQLite store."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from tests.integrations._framework_fixtures import require

keras = require("keras")

import autolog  # noqa: E402
from autolog import autolog as enable_autolog  # noqa: E402
from autolog.engine import AutologWarning, is_autolog_wrapper  # noqa: E402
from autolog.models import read_metadata  # noqa: E402
from tests.integrations._framework_fixtures import (  # noqa: E402
    artifact_path,
    history,
    model_directory_files,
    only_run,
    runs_of,
)

rng = np.random.default_rng(0)
X = rng.normal(size=(64, 4)).astype("float32")
y = (X.sum(axis=1) > 0).astype("int32")


def _model(learning_rate=0.01):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy", metrics=["accuracy"]
    )
    return model


def _fit(model=None, epochs=3, **kwargs):
    model = model if model is not None else _model()
    fit_history = model.fit(X, y, epochs=epochs, batch_size=16, verbose=0, **kwargs)
    return model, fit_history


class CountingCallback(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(epoch)


# -- the run -----------------------------------------------------------------------------------


def test_fit_makes_one_finished_run_with_fit_params_and_optimizer_config(store):
    model, _ = _fit(_model(learning_rate=0.02), epochs=2, validation_split=0.25)
    run = only_run(store)
    assert run.info.status == "FINISHED" and run.info.run_name == "Sequential"
    params = run.data.params
    assert params["epochs"] == "2" and params["batch_size"] == "16" and params["validation_split"] == "0.25"
    assert params["shuffle"] == "True" and params["steps"] == "3"  # 48 training rows / 16
    assert params["optimizer"] == "keras.optimizers.Adam" and params["optimizer.name"] == "adam"
    config = model.optimizer.get_config()
    assert float(params["optimizer.learning_rate"]) == pytest.approx(config["learning_rate"])
    assert params["optimizer.beta_1"] == str(config["beta_1"]) and params["loss"] == "binary_crossentropy"
    tags = run.data.tags
    assert tags["autolog.framework"] == "keras" and tags["autolog.framework.version"] == keras.__version__
    assert tags["autolog.data.shape"] == "64x4"


def test_metric_histories_equal_history_epoch_by_epoch(store):
    _, fit_history = _fit(epochs=3, validation_split=0.25)
    run_id = only_run(store).info.run_id
    assert set(fit_history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    for key, values in fit_history.history.items():
        assert history(store, run_id, key) == [(epoch, pytest.approx(v)) for epoch, v in enumerate(values)], (
            key
        )


def test_early_stopping_records_settings_stopped_epoch_and_best(store):
    class RisingMetric(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["rising"] = float(epoch)  # worse every epoch for mode="min"

    early_stopping = keras.callbacks.EarlyStopping(monitor="rising", mode="min", patience=1)
    _, fit_history = _fit(epochs=20, callbacks=[RisingMetric(), early_stopping])
    run = only_run(store)
    assert 0 < early_stopping.stopped_epoch < 19  # it did stop early
    metrics = run.data.metrics
    assert metrics["stopped_epoch"] == early_stopping.stopped_epoch
    assert metrics["best_score"] == early_stopping.best and metrics["best_epoch"] == early_stopping.best_epoch
    params = run.data.params
    assert params["early_stopping.monitor"] == "rising" and params["early_stopping.patience"] == "1"
    assert params["early_stopping.mode"] == "min"
    assert len(history(store, run.info.run_id, "loss")) == len(fit_history.history["loss"])


def test_model_summary_artifact(store):
    _fit(epochs=1)
    run_id = only_run(store).info.run_id
    with open(artifact_path(store, run_id, "model_summary.txt"), encoding="utf-8") as f:
        summary = f.read()
    assert "dense" in summary and "Total params" in summary


def test_model_reloads_from_keras_file_with_equal_predictions(store):
    model, _ = _fit(epochs=2)
    run_id = only_run(store).info.run_id
    files = model_directory_files(store, run_id)
    assert set(files) == {"model.keras", "autolog-model.json"}
    assert files["model.keras"][:2] == b"PK"  # Keras' zip archive
    metadata = read_metadata(artifact_path(store, run_id, "model"))
    assert metadata.flavor == "keras" and metadata.serialization_format == "keras"
    loaded = autolog.load_model(f"runs:/{run_id}/model")
    assert isinstance(loaded, keras.Model)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_model_keras_cannot_serialize_leaves_a_run_without_model_and_one_warning(store):
    class WithCallableArgument(keras.Model):
        def __init__(self, transform, **kwargs):
            super().__init__(**kwargs)
            self.transform = transform
            self.dense = keras.layers.Dense(1, activation="sigmoid")

        def call(self, inputs):
            return self.dense(inputs)

    model = WithCallableArgument(transform=lambda x: x)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    with pytest.warns(AutologWarning, match="could not be saved"):
        _fit(model, epochs=1)
    run = only_run(store)
    assert run.info.status == "FINISHED" and "loss" in run.data.metrics
    assert "model" not in [info.path for info in store.list_artifacts(run.info.run_id)]


# -- the user's callbacks and exceptions ---------------------------------------------------------


def test_user_callbacks_are_untouched_and_still_called_positional_or_keyword(store):
    counting = CountingCallback()
    callbacks = [counting]
    _model().fit(X, y, 16, 2, 0, callbacks)  # callbacks passed by position
    assert callbacks == [counting] and counting.epochs == [0, 1]
    keyword = CountingCallback()
    keyword_list = [keyword]
    _fit(epochs=2, callbacks=keyword_list)
    assert keyword_list == [keyword] and keyword.epochs == [0, 1]
    assert len(runs_of(store)) == 2
    assert all(len(history(store, run.info.run_id, "loss")) == 2 for run in runs_of(store))


def test_exception_in_training_marks_the_run_failed_and_propagates_unchanged(store):
    error = ValueError("boom in a user callback")

    class Failing(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise error

    with pytest.raises(ValueError) as raised:
        _fit(epochs=3, callbacks=[Failing()])
    assert raised.value is error
    assert only_run(store).info.status == "FAILED"


def test_keyboard_interrupt_marks_the_run_killed(store):
    class Interrupting(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _fit(epochs=2, callbacks=[Interrupting()])
    assert only_run(store).info.status == "KILLED"


def test_nested_fit_inside_a_fit_makes_no_run_of_its_own(store):
    class FitsAnotherModel(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            _fit(epochs=1)

    _fit(epochs=1, callbacks=[FitsAnotherModel()])
    assert len(runs_of(store)) == 1


def test_autologged_sklearn_fit_inside_a_keras_fit_makes_no_run(store):
    from sklearn.linear_model import LogisticRegression

    class FitsScikitLearn(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            LogisticRegression().fit(X, y)

    _fit(epochs=2, callbacks=[FitsScikitLearn()])
    (run,) = runs_of(store)
    assert run.info.run_name == "Sequential"


def test_disabled_block_makes_no_run(store):
    with autolog.disabled():
        _fit(epochs=1)
    assert runs_of(store) == []


def test_failure_inside_autolog_leaves_training_unaffected(store, monkeypatch):
    import autolog.integrations.keras._recorder as recorder_module

    def broken(logs):
        raise RuntimeError("injected failure in autolog's callback")

    monkeypatch.setenv("AUTOLOG_STRICT", "0")
    monkeypatch.setattr(recorder_module, "scalar_logs", broken)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        autologged, autologged_history = _fit(epochs=2)
    with autolog.disabled():
        plain, plain_history = _fit(epochs=2)
    assert autologged_history.history == plain_history.history
    np.testing.assert_array_equal(autologged.predict(X, verbose=0), plain.predict(X, verbose=0))
    assert any(issubclass(w.category, AutologWarning) for w in caught)
    assert only_run(store).info.status == "FINISHED"


# -- patches ---------------------------------------------------------------------------------


def test_disable_restores_model_fit(tracking_dir):
    original = keras.Model.fit
    assert "fit" not in vars(keras.Model)  # inherited from the backend's trainer
    enable_autolog()
    enable_autolog()  # idempotent
    try:
        patched = vars(keras.Model)["fit"]
        assert is_autolog_wrapper(patched) and patched.__wrapped__ is original
    finally:
        enable_autolog(disable=True)
    assert "fit" not in vars(keras.Model) and keras.Model.fit is original
