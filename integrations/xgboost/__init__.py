"""XGBoost autologging: ``xgboost.train`` and the scikit-learn wrappers' ``fit``.

Found by the engine through the entry point ``autolog.integrations: xgboost``; the model flavor
through ``autolog.flavors: xgboost``. Importing this package imports no XGBoost:
:meth:`XGBoostIntegration.patch` runs once ``xgboost`` is imported.

A run records the booster params (or the wrapper's ``get_params``), the number of rounds and
early-stopping rounds, per-iteration metrics ``{eval_name}-{metric}`` (step = iteration) collected
by an ``xgboost.callback.TrainingCallback`` injected into the call, ``best_iteration`` /
``best_score`` under early stopping, ``training_*`` metrics for wrappers, feature importance
(``feature_importance.json``: weight, gain, cover) and the model in XGBoost's JSON format.
"""

from __future__ import annotations

from typing import Any

from autolog.integrations._framework import installed_version

from autolog.engine import Integration, Patcher

# The full xgboost wheel and the CPU-only one install the same module.
DISTRIBUTIONS = ("xgboost", "xgboost-cpu")


class XGBoostIntegration(Integration):
    """Autologging for ``xgboost.train`` and ``XGBClassifier``/``XGBRegressor``/``XGBRanker``."""

    identifier = "xgboost"
    module = "xgboost"
    distribution = "xgboost"
    min_version = "2.1"
    max_version = "3"

    def installed_version(self) -> str | None:
        """XGBoost's version, whichever of its distributions is installed."""
        return installed_version(DISTRIBUTIONS)

    def patch(self, patcher: Patcher) -> None:
        """Wrap ``xgboost.train`` (where the package and its wrappers call it) and the wrappers' ``fit``."""
        from autolog.integrations.xgboost._flavor import XGBoostFlavor
        from autolog.integrations.xgboost._patching import install

        from autolog.models import register_flavor

        register_flavor(XGBoostFlavor())
        install(patcher)


def __getattr__(name: str) -> Any:
    # The flavor (entry point ``autolog.flavors: xgboost``) imports autolog.models: only on demand,
    # so that ``autolog()`` finding this integration stays cheap.
    if name == "XGBoostFlavor":
        from autolog.integrations.xgboost._flavor import XGBoostFlavor

        return XGBoostFlavor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["DISTRIBUTIONS", "XGBoostFlavor", "XGBoostIntegration"]
