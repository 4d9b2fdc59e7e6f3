"""PyTorch Lightning autologging: Trainer.fit of lightning.pytorch and pytorch_lightning, real store."""

from __future__ import annotations

import json
import logging
import signal
import warnings

import pytest

from tests.integrations._framework_fixtures import require

torch = require("torch")
pl = require("lightning.pytorch")

from autolog.integrations.lightning import configure  # noqa: E402
from lightning.pytorch.callbacks import Callback, Checkpoint, EarlyStopping  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

import autolog  # noqa: E402
from autolog import autolog as enable_autolog  # noqa: E402
from autolog.engine import AutologWarning, is_autolog_wrapper  # noqa: E402
from autolog.models import read_metadata  # noqa: E402
from tests.integrations._framework_fixtures import (  # noqa: E402
    artifact_path,
    history,
    model_directory_files,
    only_run,
    run_python,
    runs_of,
)

logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)  # "GPU available: False" and tips
torch.manual_seed(0)
X = torch.randn(64, 3)
Y = X.sum(1, keepdim=True)


class Regressor(pl.LightningModule):
    """Logs a step metric, a validation metric and one from its own on_train_epoch_end."""

    def __init__(self, hidden: int = 4, lr: float = 0.05, fail_at_step: int = -1):
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(3, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
        )
        self.step_losses: list[tuple[int, float]] = []

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        if self.global_step == self.hparams.fail_at_step:
            raise ValueError("boom in training_step")
        x, y = batch
        loss = torch.nn.functional.mse_loss(self(x), y)
        self.log("train_loss", loss)
        self.log("loss", loss, on_step=True, on_epoch=True)
        self.step_losses.append((self.global_step, loss.item()))
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self(x), y))
        self.log("val_epoch_index", float(self.current_epoch))  # rises: stops an EarlyStopping(mode="min")

    def on_train_epoch_end(self):
        self.log("epoch_end_metric", float(self.current_epoch) * 10)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr, momentum=0.5)


class Unrebuildable(torch.nn.Module):
    """A plain module whose constructor needs an argument that no hparams record."""

    def __init__(self, width):
        super().__init__()
        self.linear = torch.nn.Linear(3, width)


class EpochSnapshots(Checkpoint):
    """A user callback that sees callback_metrics after the module's on_train_epoch_end.

    Lightning runs Checkpoint subclasses (monitoring callbacks) after the module's hook.
    """

    def __init__(self):
        self.epochs: dict[int, dict[str, float]] = {}

    def on_train_epoch_end(self, trainer, pl_module):
        self.epochs[trainer.current_epoch] = {k: float(v) for k, v in trainer.callback_metrics.items()}


class CountingCallback(Callback):
    def __init__(self):
        self.epochs_started = 0

    def on_train_epoch_start(self, trainer, pl_module):
        self.epochs_started += 1


def _loaders(batch_size=16):
    dataset = TensorDataset(X, Y)
    return DataLoader(dataset, batch_size=batch_size), DataLoader(dataset, batch_size=64)


def _trainer(module=pl, max_epochs=3, callbacks=None, **kwargs):
    return module.Trainer(
        max_epochs=max_epochs,
        callbacks=callbacks,
        logger=False,
        # A Checkpoint subclass among the callbacks replaces the default ModelCheckpoint (no files).
        enable_checkpointing=any(isinstance(cb, Checkpoint) for cb in callbacks or ()),
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        accelerator="cpu",
        **kwargs,
    )


def _fit(model=None, callbacks=None, max_epochs=3, **trainer_kwargs):
    model = model if model is not None else Regressor()
    trainer = _trainer(max_epochs=max_epochs, callbacks=callbacks, **trainer_kwargs)
    trainer.fit(model, *_loaders())
    return trainer, model


# -- the run -----------------------------------------------------------------------------------


def test_fit_makes_one_finished_run_with_hparams_trainer_settings_and_optimizer(store):
    _fit(Regressor(hidden=5, lr=0.03), accumulate_grad_batches=2)
    run = only_run(store)
    assert run.info.status == "FINISHED" and run.info.run_name == "Regressor"
    params = run.data.params
    assert params["hidden"] == "5" and params["lr"] == "0.03" and params["fail_at_step"] == "-1"
    assert params["trainer.max_epochs"] == "3" and params["trainer.precision"] == "32-true"
    assert params["trainer.accumulate_grad_batches"] == "2"
    assert params["optimizer"] == "torch.optim.sgd.SGD"
    assert params["optimizer.lr"] == "0.03" and params["optimizer.momentum"] == "0.5"
    assert "optimizer.params" not in params
    tags = run.data.tags
    assert tags["autolog.framework"] == "lightning" and tags["autolog.framework.version"] == pl.__version__
    assert tags["estimator_class"] == f"{__name__}.Regressor"


def test_datamodule_hyperparameters_are_params_too(store):
    class Data(pl.LightningDataModule):
        def __init__(self, batch_size: int = 16):
            super().__init__()
            self.save_hyperparameters()

        def train_dataloader(self):
            return DataLoader(TensorDataset(X, Y), batch_size=self.hparams.batch_size)

    _trainer(max_epochs=1).fit(Regressor(), datamodule=Data(batch_size=8))
    params = only_run(store).data.params
    assert params["batch_size"] == "8" and params["hidden"] == "4"


def test_epoch_metric_histories_equal_callback_metrics_epoch_by_epoch(store):
    snapshots = EpochSnapshots()
    _fit(callbacks=[snapshots], max_epochs=3)
    run_id = only_run(store).info.run_id
    assert sorted(snapshots.epochs) == [0, 1, 2]
    keys = set(snapshots.epochs[0])
    assert {"train_loss", "loss_step", "loss_epoch", "val_loss", "epoch_end_metric"} <= keys
    for key in keys:
        expected = [(epoch, pytest.approx(values[key])) for epoch, values in sorted(snapshots.epochs.items())]
        assert history(store, run_id, key) == expected, key


def test_log_every_n_step_records_what_the_steps_logged(store):
    configure(log_every_n_step=2)
    try:
        _, model = _fit(max_epochs=2)
    finally:
        configure(log_every_n_step=None)
    run_id = only_run(store).info.run_id
    # global_step counts optimizer steps: after the step at index i it is i + 1.
    expected = [(step + 1, pytest.approx(loss)) for step, loss in model.step_losses if (step + 1) % 2 == 0]
    assert expected and history(store, run_id, "step/train_loss") == expected
    assert history(store, run_id, "step/loss_step") == expected
    assert not history(store, run_id, "step/val_loss")  # epoch-level values are not step values


def test_early_stopping_records_settings_stopped_epoch_and_best_score(store):
    early_stopping = EarlyStopping(monitor="val_epoch_index", mode="min", patience=1, min_delta=0.01)
    trainer, _ = _fit(callbacks=[early_stopping], max_epochs=20)
    run = only_run(store)
    assert 0 < early_stopping.stopped_epoch < 19  # it did stop early
    assert run.data.metrics["stopped_epoch"] == early_stopping.stopped_epoch
    assert run.data.metrics["best_score"] == pytest.approx(float(early_stopping.best_score))
    params = run.data.params
    assert params["early_stopping.monitor"] == "val_epoch_index" and params["early_stopping.patience"] == "1"
    assert params["early_stopping.mode"] == "min" and params["early_stopping.min_delta"] == "0.01"
    assert len(history(store, run.info.run_id, "val_loss")) == trainer.current_epoch


def test_early_stopping_from_configure_callbacks_is_recorded_and_kept_by_the_trainer(store):
    class WithOwnCallbacks(Regressor):
        def configure_callbacks(self):
            return [EarlyStopping(monitor="val_epoch_index", mode="min", patience=1)]

    trainer, _ = _fit(WithOwnCallbacks(), max_epochs=20)
    run = only_run(store)
    assert run.data.params["early_stopping.monitor"] == "val_epoch_index"
    assert run.data.metrics["stopped_epoch"] == trainer.early_stopping_callback.stopped_epoch > 0
    assert not any(type(cb).__module__.startswith("autolog.integrations.") for cb in trainer.callbacks)


def test_model_summary_artifact(store):
    _fit(max_epochs=1)
    run_id = only_run(store).info.run_id
    with open(artifact_path(store, run_id, "model_summary.txt"), encoding="utf-8") as f:
        summary = f.read()
    assert "net" in summary and "Sequential" in summary and "Trainable params" in summary


# -- the model -------------------------------------------------------------------------------


def test_weights_reload_as_the_module_with_equal_predictions(store):
    _, model = _fit(Regressor(hidden=6), max_epochs=2)
    run_id = only_run(store).info.run_id
    files = model_directory_files(store, run_id)
    assert set(files) == {"model.pt", "autolog-model.json"}
    metadata = read_metadata(artifact_path(store, run_id, "model"))
    assert metadata.flavor == "pytorch" and metadata.serialization_format == "state_dict"
    assert metadata.model_class == f"{__name__}.Regressor"
    loaded = autolog.load_model(f"runs:/{run_id}/model")
    assert type(loaded) is Regressor and loaded.hparams.hidden == 6 and not loaded.training
    with torch.no_grad():
        assert torch.equal(loaded(X), model.eval()(X))


def test_reload_in_a_fresh_process_imports_the_recorded_class(tmp_path):
    from tests.integrations.lightning._modules import TinyMlp

    module = TinyMlp(width=5)
    autolog.models.save_model(module, tmp_path / "model", flavor="pytorch", serialization_format="state_dict")
    with torch.no_grad():
        expected = module(X[:4]).flatten().tolist()
    result = run_python(
        "import json, torch, autolog; "
        f"model = autolog.load_model({str(tmp_path / 'model')!r}); "
        f"print(type(model).__module__, type(model).__name__, model.hparams['width']); "
        f"print(json.dumps(model(torch.tensor({X[:4].tolist()!r})).flatten().tolist()))"
    )
    assert result.returncode == 0, result.stderr
    description, predictions = result.stdout.strip().splitlines()
    assert description.split() == ["tests.integrations.lightning._modules", "TinyMlp", "5"]
    assert json.loads(predictions) == pytest.approx(expected)


def test_module_that_cannot_be_rebuilt_reloads_as_its_state_dict_with_a_warning(tmp_path):
    module = Unrebuildable(2)
    autolog.models.save_model(module, tmp_path / "model", flavor="pytorch", serialization_format="state_dict")
    with pytest.warns(UserWarning, match=r"state dict of .*Unrebuildable.*failed"):
        loaded = autolog.load_model(tmp_path / "model")
    assert set(loaded) == {"linear.weight", "linear.bias"}
    assert torch.equal(loaded["linear.weight"], module.linear.weight)


# -- the user's trainer, callbacks and exceptions ------------------------------------------------


def test_trainer_callbacks_are_left_as_the_user_made_them_and_still_called(store):
    counting = CountingCallback()
    trainer = _trainer(callbacks=[counting], max_epochs=2)
    before = trainer.callbacks
    contents = list(before)
    trainer.fit(Regressor(), *_loaders())
    assert trainer.callbacks is before and trainer.callbacks == contents
    assert counting.epochs_started == 2
    assert len(runs_of(store)) == 1


def test_exception_in_training_marks_the_run_failed_and_propagates_unchanged(store):
    trainer = _trainer(max_epochs=2)
    before = trainer.callbacks
    with pytest.raises(ValueError, match="boom in training_step") as raised:
        trainer.fit(Regressor(fail_at_step=2), *_loaders())
    assert raised.value.__traceback__ is not None
    run = only_run(store)
    assert run.info.status == "FAILED"
    assert trainer.callbacks is before


def test_keyboard_interrupt_marks_the_run_killed(store):
    class Interrupting(Callback):
        def on_train_epoch_end(self, trainer, pl_module):
            raise KeyboardInterrupt

    handler = signal.getsignal(signal.SIGINT)
    try:
        with pytest.raises(SystemExit):  # Lightning's graceful shutdown turns it into exit(1)
            _fit(callbacks=[Interrupting()], max_epochs=2)
    finally:
        signal.signal(signal.SIGINT, handler)
    assert only_run(store).info.status == "KILLED"


def test_nested_fit_inside_a_fit_makes_no_run_of_its_own(store):
    class FitsAnotherModel(Callback):
        def on_train_start(self, trainer, pl_module):
            _fit(max_epochs=1)

    _fit(callbacks=[FitsAnotherModel()], max_epochs=1)
    assert len(runs_of(store)) == 1


def test_disabled_block_and_disable_make_no_run(store):
    with autolog.disabled():
        _fit(max_epochs=1)
    assert runs_of(store) == []


def test_failure_inside_autolog_leaves_training_unaffected(store, monkeypatch):
    import autolog.integrations.lightning._callback as callback_module

    def broken(metrics):
        raise RuntimeError("injected failure in autolog's callback")

    monkeypatch.setenv("AUTOLOG_STRICT", "0")
    monkeypatch.setattr(callback_module, "scalar_metrics", broken)
    torch.manual_seed(1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, autologged = _fit(max_epochs=2)
    with autolog.disabled():
        torch.manual_seed(1)
        _, plain = _fit(max_epochs=2)
    assert autologged.step_losses == plain.step_losses
    assert any(issubclass(w.category, AutologWarning) for w in caught)
    assert only_run(store).info.status == "FINISHED"


def test_the_injected_callback_pickles_for_spawning_strategies():
    import pickle

    from autolog.integrations.lightning._callback import new_callback

    callback = new_callback("lightning.pytorch", log_every_n_step=3)
    copy = pickle.loads(pickle.dumps(callback))
    assert type(copy) is type(callback) and isinstance(copy, Callback) and copy.log_every_n_step == 3


# -- patches ---------------------------------------------------------------------------------


def test_disable_restores_trainer_fit_of_both_packages(tracking_dir):
    pytorch_lightning = require("pytorch_lightning")
    originals = {module: vars(module.Trainer)["fit"] for module in (pl, pytorch_lightning)}
    enable_autolog()
    enable_autolog()  # idempotent
    try:
        for module, original in originals.items():
            patched = vars(module.Trainer)["fit"]
            assert is_autolog_wrapper(patched) and patched.__wrapped__ is original
    finally:
        enable_autolog(disable=True)
    for module, original in originals.items():
        assert vars(module.Trainer)["fit"] is original


def test_pytorch_lightning_package_records_its_own_runs(store):
    pytorch_lightning = require("pytorch_lightning")

    class StandaloneRegressor(pytorch_lightning.LightningModule):
        def __init__(self, lr=0.05):
            super().__init__()
            self.save_hyperparameters()
            self.linear = torch.nn.Linear(3, 1)

        def training_step(self, batch, batch_idx):
            loss = torch.nn.functional.mse_loss(self.linear(batch[0]), batch[1])
            self.log("train_loss", loss)
            return loss

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)

    trainer = _trainer(module=pytorch_lightning, max_epochs=2)
    trainer.fit(StandaloneRegressor(), _loaders()[0])
    run = only_run(store)
    assert run.data.tags["autolog.framework"] == "pytorch_lightning"
    assert run.data.params["optimizer"] == "torch.optim.adam.Adam" and run.data.params["lr"] == "0.05"
    assert [step for step, _ in history(store, run.info.run_id, "train_loss")] == [0, 1]


def test_autolog_imports_no_framework():
    result = run_python(
        "import sys, autolog; autolog.autolog(); "
        "print(sorted(m for m in ('torch', 'lightning', 'pytorch_lightning', 'keras') if m in sys.modules))"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
