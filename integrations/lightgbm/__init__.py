"""LightGBM autologging: ``lightgbm.train`` and the scikit-learn wrappers' ``fit``.

Found by the engine through the entry point ``autolog.integrations: lightgbm``; the model flavor
through ``autolog.flavors: lightgbm``. Importing this package imports no LightGBM:
:meth:`LightGBMIntegration.patch` runs once ``lightgbm`` is imported.

A run records the params (or the wrapper's ``get_params``), the number of rounds, per-iteration
metrics ``{eval_name}-{metric}`` (step = iteration) collected by a LightGBM callback injected into
the call, ``best_iteration`` and ``best_{eval_name}-{metric}`` under early stopping,
``training_*`` metrics for wrappers, split and gain importance (``feature_importance.json``) and
the model in LightGBM's text format.
"""

from __future__ import annotations

from typing import Any

from autolog.engine import Integration, Patcher


class LightGBMIntegration(Integration):
    """Autologging for ``lightgbm.train`` and ``LGBMClassifier``/``LGBMRegressor``/``LGBMRanker``."""

    identifier = "lightgbm"
    module = "lightgbm"
    distribution = "lightgbm"
    min_version = "4.0"
    max_version = "4"

    def patch(self, patcher: Patcher) -> None:
        """Wrap ``lightgbm.train`` and the wrappers' ``fit``."""
        from autolog.integrations.lightgbm._flavor import LightGBMFlavor
        from autolog.integrations.lightgbm._patching import install

        from autolog.models import register_flavor

        register_flavor(LightGBMFlavor())
        install(patcher)


def __getattr__(name: str) -> Any:
    # The flavor (entry point ``autolog.flavors: lightgbm``) imports autolog.models: only on
    # demand, so that ``autolog()`` finding this integration stays cheap.
    if name == "LightGBMFlavor":
        from autolog.integrations.lightgbm._flavor import LightGBMFlavor

        return LightGBMFlavor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["LightGBMFlavor", "LightGBMIntegration"]
