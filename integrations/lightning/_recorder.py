"""What an autologged ``Trainer.fit`` records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autolog.integrations._framework import FrameworkRecorder, MetricHistory
from autolog.integrations.lightning._params import (
    early_stopping_metrics,
    early_stopping_params,
    hyperparameters,
    trainer_settings,
)

from autolog.engine import RunHandle, attempt, qualified_name

SUMMARY_ARTIFACT = "model_summary.txt"
SUMMARY_MAX_DEPTH = 2


@dataclass(frozen=True)
class LightningPackage:
    """One of the two import names Lightning ships under.

    Attributes
    ----------
    import_name : str
        ``"lightning.pytorch"`` or ``"pytorch_lightning"``.
    distribution : str
        The distribution that installs it (``"lightning"``, ``"pytorch-lightning"``).
    framework : str
        The ``autolog.framework`` tag of its runs.
    """

    import_name: str
    distribution: str
    framework: str


LIGHTNING = LightningPackage("lightning.pytorch", "lightning", "lightning")
PYTORCH_LIGHTNING = LightningPackage("pytorch_lightning", "pytorch-lightning", "pytorch_lightning")


class LightningRecorder(FrameworkRecorder):
    """One ``Trainer.fit``: hyperparameters, trainer settings, optimizer, per-epoch metrics,
    early stopping, a model summary and the trained weights (``pytorch`` flavor).

    Parameters
    ----------
    package : LightningPackage
    trainer : Trainer
    model : LightningModule
    datamodule : LightningDataModule, optional
    callback : the autolog callback injected into the trainer (holds the history).
    """

    flavor = "pytorch"
    serialization_format = "state_dict"

    def __init__(self, package: LightningPackage, trainer: Any, model: Any, datamodule: Any, callback: Any):
        self.framework = package.framework
        self.framework_distributions = (package.distribution,)
        self.package = package
        self.trainer = trainer
        self.model = model
        self.callback = callback
        params = {**hyperparameters(model, datamodule), **trainer_settings(trainer)}
        self.early_stopping = self._early_stopping_callback()
        if self.early_stopping is not None:
            params.update(early_stopping_params(self.early_stopping))
        history: MetricHistory = callback.history
        super().__init__(type(model).__name__, params, history)

    def extra_tags(self) -> dict[str, str]:
        cls = type(self.model)
        return {"estimator_name": cls.__name__, "estimator_class": qualified_name(cls)}

    def model_of(self, result: Any) -> Any:
        return self.model  # Trainer.fit returns None; the module was trained in place

    def early_stopping_metrics(self, model: Any) -> dict[str, float]:
        callback = self.early_stopping or self._early_stopping_callback()  # or from configure_callbacks
        return early_stopping_metrics(callback) if callback is not None else {}

    def log_results(self, run: RunHandle, result: Any) -> None:
        super().log_results(run, result)
        attempt(f"{self.framework}: model summary", self._log_summary, run)

    # internals ------------------------------------------------------------------------------------

    def _early_stopping_callback(self) -> Any | None:
        import importlib

        early_stopping = importlib.import_module(f"{self.package.import_name}.callbacks").EarlyStopping
        return next((cb for cb in self.trainer.callbacks if isinstance(cb, early_stopping)), None)

    def log_late_params(self, run: RunHandle) -> None:
        """The optimizers (created inside fit) and an EarlyStopping added by ``configure_callbacks``
        (after a failure too, when training got that far)."""
        params = dict(self.callback.optimizer_params)
        if self.early_stopping is None:
            callback = self._early_stopping_callback()
            if callback is not None:
                params.update(early_stopping_params(callback))
        if params:
            run.log_params_and_tags(params, {})

    def _log_summary(self, run: RunHandle) -> None:
        import importlib

        summary = importlib.import_module(f"{self.package.import_name}.utilities.model_summary")
        text = str(summary.ModelSummary(self.model, max_depth=SUMMARY_MAX_DEPTH))
        run.log_text(text, SUMMARY_ARTIFACT)
