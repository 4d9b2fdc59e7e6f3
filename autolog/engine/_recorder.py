"""The recorder base every integration shares: what a fit's run is tagged with, and the model.

:class:`FitRecorder` is a :class:`TrainingRecorder` holding the training data as the user passed
it, and doing the parts that are the same for scikit-learn and for the training frameworks:
framework/estimator/run-context/dataset tags, the input example, logging the model (and
registering it under ``registered_model_name``), and the git diff of a dirty checkout.
"""

from __future__ import annotations

from typing import Any

from autolog._core._constants import (
    TAG_ESTIMATOR_CLASS,
    TAG_ESTIMATOR_NAME,
    TAG_FRAMEWORK,
    TAG_FRAMEWORK_VERSION,
    TAG_REGISTERED_MODEL_NAME,
)
from autolog.engine._contract import attempt, report_internal_error, warn_once
from autolog.engine._git_diff import log_git_diff, recorded_context
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
        self.context_tags: dict[str, str] = {}  # the run-context tags of the run, once made

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
        ok, context = attempt(f"{self.framework}: run context", _run_context_tags)
        if ok:
            tags.update(context)
            self.context_tags = context
        ok, extra = attempt(f"{self.framework}: tags", self.extra_tags)
        if ok:
            tags.update(extra)
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

    def serialization_formats(self) -> list[str]:
        """The formats to save the model in, tried in order until one can save it."""
        return [self.serialization_format or self.options.serialization_format]

    def log_model(
        self, run: RunHandle, model: Any, name: str = MODEL_ARTIFACT, *, signature: Any = None
    ) -> None:
        """Log ``model`` as the run's artifact ``name``; the ``model`` artifact is then registered
        if asked to.

        A model that cannot be saved in any of :meth:`serialization_formats`
        (``unsaveable_errors``) is the user's concern: one warning, the run stays. Any other
        failure goes through the safety contract. ``signature`` overrides the one inferred.
        """
        try:
            self._save_model(
                run, model, name, self.options.log_model_signatures if signature is None else signature
            )
        except self.unsaveable_errors as error:
            warn_once(
                f"{self.framework}: model not saved {type(model).__name__}",
                f"autolog: the {type(model).__name__} model could not be saved "
                f"({type(error).__name__}: {error}); the run is recorded without it.",
            )
        except Exception as error:
            report_internal_error(f"{self.framework}: logging the model", error)
        else:
            if name == MODEL_ARTIFACT:
                register_autologged_model(run, MODEL_ARTIFACT)

    def _save_model(self, run: RunHandle, model: Any, name: str, signature: Any) -> None:
        from autolog.models import log_model

        flavor = {"flavor": self.flavor} if self.flavor else {}
        formats = self.serialization_formats()
        for position, serialization_format in enumerate(formats):
            try:
                # wait=False: a remote artifact root uploads in the background, not in the fit
                log_model(
                    model,
                    name,
                    run_id=run.run_id,
                    serialization_format=serialization_format,
                    input_example=self.input_example(),
                    signature=signature,
                    wait=False,
                    **flavor,
                )
                return
            except self.unsaveable_errors:
                if position == len(formats) - 1:
                    raise

    def log_git_diff(self, run: RunHandle) -> None:
        """Record the uncommitted changes of a dirty checkout (once per store and diff)."""
        attempt(f"{self.framework}: git diff", log_git_diff, run)


def first_rows(X: Any, rows: int = INPUT_EXAMPLE_ROWS) -> Any | None:
    """The first ``rows`` rows of ``X`` (None when ``X`` cannot be sliced)."""
    if hasattr(X, "iloc"):
        return X.iloc[:rows]
    try:
        return X[:rows]
    except Exception:
        return None


def _run_context_tags() -> dict[str, str]:
    from autolog.context import collect_run_context

    return recorded_context(collect_run_context())


def _dataset_tags(X: Any, y: Any) -> dict[str, str]:
    from autolog.context import fingerprint

    return fingerprint(X, y).to_tags()
