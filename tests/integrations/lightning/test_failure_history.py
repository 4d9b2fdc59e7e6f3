"""A FAILED or KILLED Lightning fit keeps its per-epoch history, optimizer params and hparams."""

from __future__ import annotations

import signal

import pytest

from tests.integrations._framework_fixtures import require

torch = require("torch")
pl = require("lightning.pytorch")

from tests.integrations._framework_fixtures import (  # noqa: E402
    assert_history,
    assert_one_warning_and_same_error,
    only_run,
)
from tests.integrations.lightning.test_lightning import EpochSnapshots, Regressor, _loaders, _trainer  # noqa: E402

FAIL_AT_EPOCH = 3


class RaisesAtEpoch(Regressor):
    """Raises ``error`` in the first training step of epoch ``FAIL_AT_EPOCH``."""

    def __init__(self, error=None, **kwargs):
        super().__init__(**kwargs)
        self.error = error

    def training_step(self, batch, batch_idx):
        if self.current_epoch == FAIL_AT_EPOCH:
            raise self.error
        return super().training_step(batch, batch_idx)


def _fit_until_it_raises(error, snapshots, *, lr=0.04):
    trainer = _trainer(max_epochs=6, callbacks=[snapshots])
    trainer.fit(RaisesAtEpoch(error, hidden=6, lr=lr), *_loaders())


def _assert_epochs_0_to_2(client, run_id, snapshots):
    assert sorted(snapshots.epochs) == [0, 1, 2]
    keys = set(snapshots.epochs[0])
    assert {"train_loss", "loss_epoch", "val_loss", "epoch_end_metric"} <= keys
    for key in keys:
        expected = [(epoch, values[key]) for epoch, values in sorted(snapshots.epochs.items())]
        assert_history(client, run_id, key, expected)


def test_module_raising_at_epoch_3_is_failed_with_epochs_0_to_2_optimizer_params_and_hparams(store):
    error, snapshots = ValueError("diverged at epoch 3"), EpochSnapshots()
    with pytest.raises(ValueError) as raised:
        _fit_until_it_raises(error, snapshots)
    assert raised.value is error and raised.value.__traceback__ is not None
    run = only_run(store)
    assert run.info.status == "FAILED"
    params = run.data.params
    assert params["hidden"] == "6" and params["lr"] == "0.04"  # hparams
    assert params["optimizer"] == "torch.optim.sgd.SGD"  # created inside fit: logged on failure
    assert params["optimizer.lr"] == "0.04" and params["optimizer.momentum"] == "0.5"
    _assert_epochs_0_to_2(store, run.info.run_id, snapshots)


def test_keyboard_interrupt_is_killed_with_the_history_and_optimizer_params(store):
    snapshots = EpochSnapshots()
    handler = signal.getsignal(signal.SIGINT)
    try:
        with pytest.raises(SystemExit):  # Lightning's graceful shutdown turns Ctrl-C into exit(1)
            _fit_until_it_raises(KeyboardInterrupt(), snapshots)
    finally:
        signal.signal(signal.SIGINT, handler)
    run = only_run(store)
    assert run.info.status == "KILLED"
    assert run.data.params["optimizer.lr"] == "0.04"
    _assert_epochs_0_to_2(store, run.info.run_id, snapshots)


def test_an_exception_before_the_optimizers_exist_still_fails_cleanly(store):
    class NoOptimizer(Regressor):
        def configure_optimizers(self):
            raise RuntimeError("bad optimizer config")

    with pytest.raises(RuntimeError, match="bad optimizer config"):
        _trainer(max_epochs=2).fit(NoOptimizer(), *_loaders())
    run = only_run(store)
    assert run.info.status == "FAILED"
    assert "optimizer" not in run.data.params and run.data.params["hidden"] == "4"


def test_a_failure_in_our_on_failure_is_one_warning_and_the_error_is_unchanged(store, monkeypatch):
    error = ValueError("user")
    assert_one_warning_and_same_error(
        monkeypatch, lambda: _fit_until_it_raises(error, EpochSnapshots()), error
    )
    assert only_run(store).info.status == "FAILED"
