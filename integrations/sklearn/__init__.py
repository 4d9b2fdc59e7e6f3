"""scikit-learn autologging: every estimator's ``fit``, ``fit_transform`` and ``fit_predict``.

Found by the engine through the entry point ``autolog.integrations: sklearn``. Importing this
package imports no scikit-learn; :meth:`SklearnIntegration.patch` runs once ``sklearn`` is
imported and patches each submodule as it is imported.
"""

from __future__ import annotations

import sys
from typing import Any

from autolog.engine import Integration, Patcher


class SklearnIntegration(Integration):
    """Autologging for scikit-learn estimators, pipelines and hyperparameter searches."""

    identifier = "sklearn"
    module = "sklearn"
    distribution = "scikit-learn"
    min_version = "1.3"
    max_version = "1.9"

    def patch(self, patcher: Patcher) -> None:
        """Patch scikit-learn's training methods (and the companion modules) via ``patcher``."""
        from autolog.integrations.sklearn._patching import install

        from autolog.context import prefetch

        # git state in a background thread, ready for the first fit. The store needs no such
        # head start: its first write goes through stdlib sqlite3, without SQLAlchemy.
        prefetch()
        install(patcher)

    def evaluates(self, model: object) -> bool:
        """Fitted scikit-learn estimators and models with its interface (XGBClassifier ...)."""
        base = sys.modules.get("sklearn.base")
        return base is not None and isinstance(model, base.BaseEstimator)

    def evaluate(self, model: Any, X: Any, y: Any, **options: Any) -> dict[str, float]:
        """Log metrics and evaluation plot data on ``(X, y)``; see :func:`autolog.evaluate`."""
        from autolog.integrations.sklearn._evaluate import evaluate

        return evaluate(model, X, y, **options)
