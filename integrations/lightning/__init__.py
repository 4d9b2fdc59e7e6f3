"""PyTorch Lightning autologging: ``Trainer.fit`` of ``lightning.pytorch`` and ``pytorch_lightning``.

Found by the engine through the entry points ``autolog.integrations: lightning`` and
``pytorch_lightning`` (one per import name, each patching only its own ``Trainer``); the model
flavor through ``autolog.flavors: pytorch``. Importing this package imports neither Lightning nor
torch: :meth:`LightningIntegration.patch` runs once ``lightning.pytorch`` is imported.

A run (named after the ``LightningModule`` class) records

- params: the module's ``save_hyperparameters`` values (and the datamodule's), trainer settings
  ``trainer.*`` (max_epochs, precision, accumulate_grad_batches, ...), the optimizer class
  ``optimizer`` and its hyperparameters ``optimizer.*`` (lr, betas, weight_decay, ...),
  ``EarlyStopping`` settings ``early_stopping.*``;
- metrics: ``trainer.callback_metrics`` after each epoch (step = epoch); with
  :func:`configure` ``(log_every_n_step=n)`` also what every n-th step logged, as ``step/{name}``
  (step = global step); under early stopping ``stopped_epoch`` (0: not stopped early) and
  ``best_score``;
- artifacts: ``model_summary.txt`` and the trained weights as ``model`` (``pytorch`` flavor:
  ``load_model`` rebuilds the module as ``cls(**hparams)`` with the weights loaded).

The autolog ``Callback`` is in ``trainer.callbacks`` only during the fit.
"""

from __future__ import annotations

from typing import Any

from autolog.integrations.lightning._recorder import LIGHTNING, PYTORCH_LIGHTNING, LightningPackage

from autolog._core._exceptions import InvalidInputError
from autolog.engine import Integration, Patcher


def configure(*, log_every_n_step: int | None = None) -> None:
    """Lightning-specific autolog settings for later fits, until the next ``autolog()`` call.

    Call it after ``autolog()``: like every autolog option, each ``autolog()`` call puts these
    back to their defaults.

    Parameters
    ----------
    log_every_n_step : int, optional
        Also record the metrics logged by every n-th optimizer step (``step/{name}``, step =
        ``trainer.global_step``). None (default): per-epoch metrics only.
    """
    if log_every_n_step is not None and (
        isinstance(log_every_n_step, bool) or not isinstance(log_every_n_step, int) or log_every_n_step < 1
    ):
        raise InvalidInputError(f"log_every_n_step must be None or an integer >= 1, got {log_every_n_step!r}")
    from autolog.integrations.lightning._patching import set_log_every_n_step

    set_log_every_n_step(log_every_n_step)


class _LightningIntegrationBase(Integration):
    package: LightningPackage

    min_version = "2.0"
    max_version = "2"

    def patch(self, patcher: Patcher) -> None:
        """Wrap ``Trainer.fit`` of this package."""
        import importlib

        from autolog.integrations.lightning._flavor import PyTorchFlavor
        from autolog.integrations.lightning._patching import install

        from autolog.models import register_flavor

        register_flavor(PyTorchFlavor())
        install(patcher, self.package, importlib.import_module(self.package.import_name))


class LightningIntegration(_LightningIntegrationBase):
    """Autologging for ``lightning.pytorch.Trainer.fit`` (the ``lightning`` distribution)."""

    identifier = "lightning"
    module = LIGHTNING.import_name
    distribution = LIGHTNING.distribution
    package = LIGHTNING


class PytorchLightningIntegration(_LightningIntegrationBase):
    """Autologging for ``pytorch_lightning.Trainer.fit`` (the ``pytorch-lightning`` distribution)."""

    identifier = "pytorch_lightning"
    module = PYTORCH_LIGHTNING.import_name
    distribution = PYTORCH_LIGHTNING.distribution
    package = PYTORCH_LIGHTNING


def __getattr__(name: str) -> Any:
    # The flavor (entry point ``autolog.flavors: pytorch``) imports autolog.models: only on
    # demand, so that ``autolog()`` finding this integration stays cheap.
    if name == "PyTorchFlavor":
        from autolog.integrations.lightning._flavor import PyTorchFlavor

        return PyTorchFlavor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["LightningIntegration", "PyTorchFlavor", "PytorchLightningIntegration", "configure"]
