"""The recorder base every integration shares: what a fit's run is tagged with, and the model.

:class:`FitRecorder` is a :class:`TrainingRecorder` holding the training data as the user passed
it, and doing the parts that are the same for scikit-learn and for the training frameworks:
framework/estimator/run-context/dataset tags, the input example, logging the model (and
registering it under ``registered_model_name``), and the git diff of a dirty checkout.
"""

from __future__ import annotations

from typing import Any, Optional

from autolog._core._constants import (
    TAG_ESTIMATOR_CLASS,
    TAG_ESTIMATOR_NAME,
    TAG_FRAMEWORK,
    TAG_FRAMEWORK_VERSION,
    TAG_REGISTERED_MODEL_NAME,
)
from autolog.engine._contract import attempt, report_internal_error, warn_once
from autolog.engine._git_diff import log_git_diff
from autolog.engine._registration import register_autologged_model
from autolog.engine._runs import RunHandle
from autolog.engine._state import get_options
from autolog.engine._training import TrainingRecorder

INPUT_EXAMPLE_ROWS = 5
MODEL_ARTIFACT = "model"


class FitRecorder(TrainingRecorder):
    """Base of the recorders of scikit-learn and of the training frameworks.

    Parameters
    ----------
    estimator : object, optional
        The estimator (or scikit-learn-style wrapper) being fitted, if any.
    X, y, sample_weight : optional
        The training data as the user passed it (fingerprint, input example, training metrics).

    Class attributes a subclass sets: ``framework`` (``"sklearn"``, ``"xgboost"`` ...), ``flavor``
    and ``serialization_format`` of the logged model (empty: ``log_model``'s flavor and the
    ``serialization_format`` option), and ``unsaveable_errors``: what saving the model raises when
    the model (not autolog) cannot be saved; one warning, the run is kept without it.
    """

    framework: str = ""
    flavor: str = ""
    serialization_format: str = ""
    unsaveable_errors: tuple[type[BaseException], ...] = (TypeError, ValueError)

    def __init__(self, *, estimator: Any = None, X: Any = None, y: Any = None, sample_weight: Any = None):
        self.estimator = estimator
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.options = get_options()

    def framework_version(self) -> str:
        """The version of the framework being recorded (``""`` when unknown)."""
        return ""

    def extra_tags(self) -> dict[str, str]:
        """Tags of this integration only (e.g. the data's shape when it is not fingerprintable)."""
        return {}

    def common_tags(self) -> dict[str, str]:
        """Framework, estimator, run context, extra, dataset and registered-model tags."""
        tags = {TAG_FRAMEWORK: self.framework, TAG_FRAMEWORK_VERSION: self.framework_version()}
        if self.estimator is not None:
            cls = type(self.estimator)
            tags[TAG_ESTIMATOR_NAME] = cls.__name__
            tags[TAG_ESTIMATOR_CLASS] = f"{cls.__module__}.{cls.__qualname__}"
        for kind, collect in (("run context", _run_context_tags), ("tags", self.extra_tags)):
            ok, collected = attempt(f"{self.framework}: {kind}", collect)
            if ok:
                tags.update(collected)
        if self.options.log_datasets and self.X is not None:
            ok, data_tags = attempt(f"{self.framework}: dataset fingerprint", _dataset_tags, self.X, self.y)
            if ok:
                tags.update(data_tags)
        if self.options.registered_model_name and self.options.log_models:
            tags[TAG_REGISTERED_MODEL_NAME] = self.options.registered_model_name
        return tags

    def input_example(self) -> Any:
        """The first rows of ``X`` when ``log_input_examples`` is on, else None."""
        if not self.options.log_input_examples or self.X is None:
            return None
        return first_rows(self.X)

    def log_model(self, run: RunHandle, model: Any) -> None:
        """Log ``model`` as the run's ``model`` artifact, then register it if asked to.

        A model that cannot be saved (``unsaveable_errors``) is the user's concern: one warning,
        the run stays. Any other failure goes through the safety contract.
        """
        from autolog.models import log_model

        flavor = {"flavor": self.flavor} if self.flavor else {}
        try:
            log_model(
                model,
                MODEL_ARTIFACT,
                run_id=run.run_id,
                serialization_format=self.serialization_format or self.options.serialization_format,
                input_example=self.input_example(),
                signature=self.options.log_model_signatures,
                **flavor,
            )
        except self.unsaveable_errors as error:
            warn_once(
                f"{self.framework}: model not saved {type(model).__name__}",
                f"autolog: the {type(model).__name__} model could not be saved "
                f"({type(error).__name__}: {error}); the run is recorded without it.",
            )
        except Exception as error:  # noqa: BLE001 - contract: report, never break the training call
            report_internal_error(f"{self.framework}: logging the model", error)
        else:
            register_autologged_model(run, MODEL_ARTIFACT)

    def log_git_diff(self, run: RunHandle) -> None:
        """Record the uncommitted changes of a dirty checkout (once per store and diff)."""
        attempt(f"{self.framework}: git diff", log_git_diff, run)


def first_rows(X: Any, rows: int = INPUT_EXAMPLE_ROWS) -> Optional[Any]:
    """The first ``rows`` rows of ``X`` (None when ``X`` cannot be sliced)."""
    if hasattr(X, "iloc"):
        return X.iloc[:rows]
    try:
        return X[:rows]
    except Exception:  # noqa: BLE001 - an input that cannot be sliced has no example
        return None


def _run_context_tags() -> dict[str, str]:
    from autolog.context import collect_run_context

    return collect_run_context()


def _dataset_tags(X: Any, y: Any) -> dict[str, str]:
    from autolog.context import fingerprint

    return fingerprint(X, y).to_tags()
