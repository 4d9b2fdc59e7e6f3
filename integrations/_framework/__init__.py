"""Pieces shared by the training-framework integrations (XGBoost, LightGBM, Lightning, Keras).

What every framework integration needs and scikit-learn's does not: collecting per-iteration
metrics inside the framework's own callback and logging them in one batch (``_history``),
injecting that callback into the user's call without touching the user's list and handing it
from an outer wrapper (``XGBClassifier.fit``) to the entry point it calls (``_callbacks``),
patching ``train``/``fit`` entry points and reading installed versions (``_patching``), feature
importance artifacts (``_importance``), the class recorded with a model (``_loading``), and
:class:`FrameworkRecorder` (``_recorder``), the :class:`autolog.engine.FitRecorder` that
assembles the run the same way for every framework.

Importing this package imports no framework, numpy or matplotlib.
"""

from autolog.integrations._framework._callbacks import CallbackHandoff, callbacks_with
from autolog.integrations._framework._history import (
    METRICS_PER_BATCH,
    MetricHistory,
    history_from_evals_result,
    metric_key,
)
from autolog.integrations._framework._importance import (
    IMPORTANCE_ARTIFACT,
    IMPORTANCE_PLOT_ARTIFACT,
    log_feature_importance,
)
from autolog.integrations._framework._loading import recorded_class
from autolog.integrations._framework._patching import (
    installed_distribution,
    installed_version,
    patch_train_and_fit,
)
from autolog.integrations._framework._recorder import FrameworkRecorder, link_post_training_metrics

__all__ = [
    "IMPORTANCE_ARTIFACT",
    "IMPORTANCE_PLOT_ARTIFACT",
    "METRICS_PER_BATCH",
    "CallbackHandoff",
    "FrameworkRecorder",
    "MetricHistory",
    "callbacks_with",
    "history_from_evals_result",
    "installed_distribution",
    "installed_version",
    "link_post_training_metrics",
    "log_feature_importance",
    "metric_key",
    "patch_train_and_fit",
    "recorded_class",
]
