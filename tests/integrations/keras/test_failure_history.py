"""A FAILED or KILLED Keras fit keeps the per-epoch history it collected before the exception."""

from __future__ import annotations

import numpy as np
import pytest

from tests.integrations._framework_fixtures import require

keras = require("keras")

from tests.integrations._framework_fixtures import (  # noqa: E402
    assert_history,
    assert_one_warning_and_same_error,
    only_run,
    run_ended_by,
)

rng = np.random.default_rng(0)
X = rng.normal(size=(64, 4)).astype("float32")
y = (X.sum(axis=1) > 0).astype("int32")
FAIL_AT_EPOCH = 3


@pytest.fixture(autouse=True)
def _fresh_keras_names():
    yield
    keras.backend.clear_session()  # auto-names ("adam", "adam_1"...) of later tests start over


class RaisesAtEpoch(keras.callbacks.Callback):
    """Keeps every epoch's logs; raises ``error`` at the end of epoch ``FAIL_AT_EPOCH``."""

    def __init__(self, error):
        super().__init__()
        self.error, self.epochs = error, {}

    def on_epoch_end(self, epoch, logs=None):
        self.epochs[epoch] = {key: float(value) for key, value in (logs or {}).items()}
        if epoch == FAIL_AT_EPOCH:
            raise self.error


def _fit(callback):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(X, y, epochs=8, batch_size=16, validation_split=0.25, verbose=0, callbacks=[callback])


def _assert_epochs_0_to_3(client, run_id, callback):
    # Our callback runs before the user's: the epoch that raised is recorded too.
    assert sorted(callback.epochs) == [0, 1, 2, 3]
    keys = set(callback.epochs[0])
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= keys
    for key in keys:
        assert_history(
            client, run_id, key, [(epoch, logs[key]) for epoch, logs in sorted(callback.epochs.items())]
        )


def test_callback_raising_at_epoch_3_is_failed_with_epochs_0_to_3_and_steps(store):
    error = RuntimeError("diverged at epoch 3")
    callback = RaisesAtEpoch(error)
    run = run_ended_by(store, lambda: _fit(callback), error, "FAILED")
    params = run.data.params
    assert params["epochs"] == "8" and params["optimizer"] == "keras.optimizers.Adam"
    assert params["steps"] == "3"  # known once fit began: logged on failure too
    _assert_epochs_0_to_3(store, run.info.run_id, callback)


def test_keyboard_interrupt_is_killed_with_the_history(store):
    callback = RaisesAtEpoch(KeyboardInterrupt())
    run = run_ended_by(store, lambda: _fit(callback), callback.error, "KILLED")
    _assert_epochs_0_to_3(store, run.info.run_id, callback)


def test_a_failure_in_our_on_failure_is_one_warning_and_the_error_is_unchanged(store, monkeypatch):
    error = RuntimeError("user")
    assert_one_warning_and_same_error(monkeypatch, lambda: _fit(RaisesAtEpoch(error)), error)
    assert only_run(store).info.status == "FAILED"
