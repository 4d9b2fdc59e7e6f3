"""The ``xgboost`` model flavor: XGBoost's own JSON (or UBJ) model format, never pickle.

A ``Booster`` (from ``xgboost.train``) is reloaded as a ``Booster``; a scikit-learn wrapper as
its class, through XGBoost's ``save_model``/``load_model``, which keep the wrapper's metadata
(estimator type, classes) inside the model file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from autolog.integrations._framework import installed_distribution, recorded_class
from autolog.integrations.xgboost import DISTRIBUTIONS

from autolog._core._exceptions import InvalidInputError
from autolog.engine import warn_once
from autolog.models import Flavor

_BOOSTER_CLASS = "xgboost.core.Booster"
_WRAPPER_BY_ESTIMATOR_TYPE = {
    "classifier": "XGBClassifier",
    "regressor": "XGBRegressor",
    "ranker": "XGBRanker",
}


class XGBoostFlavor(Flavor):
    """Saves a ``Booster`` or an ``XGBModel`` wrapper in XGBoost's native format.

    Formats: ``"json"`` (default: portable, readable) and ``"ubj"`` (binary JSON, smaller).
    """

    name = "xgboost"
    serialization_formats = ("json", "ubj")

    @property
    def framework(self) -> str:  # type: ignore[override]
        """The installed XGBoost distribution (``xgboost`` or ``xgboost-cpu``)."""
        return installed_distribution(DISTRIBUTIONS)

    def save(self, model: Any, directory: str, serialization_format: str) -> str:
        """Write ``model.json`` / ``model.ubj``; returns the file name (hashed by the caller)."""
        _check_model(model)
        file_name = f"model.{serialization_format}"
        model.save_model(os.path.join(directory, file_name))  # the extension picks the format
        return file_name

    def available_methods(self, model: Any) -> list[str]:
        """A ``Booster`` answers ``predict`` (through a DMatrix); a wrapper its own methods."""
        if type(model).__name__ == "Booster":
            return ["predict"]
        return super().available_methods(model)

    def predict(self, model: Any, X: Any, method: str = "predict") -> Any:
        """A ``Booster`` predicts from a ``DMatrix`` of ``X``; a wrapper as scikit-learn does."""
        if type(model).__name__ != "Booster":
            return super().predict(model, X, method)
        if method != "predict":
            raise InvalidInputError(f"an XGBoost Booster has no method {method!r}; it answers: predict")
        import xgboost

        return model.predict(xgboost.DMatrix(X))

    def load_bytes(
        self, data: bytes, metadata: Any, *, path: str, trusted_types: Sequence[str] | None = None
    ) -> Any:
        """A ``Booster``, or the wrapper class the model was fitted as, loaded from ``data``."""
        if metadata.model_class == _BOOSTER_CLASS:
            return _booster_from(data)
        model = _wrapper_class(metadata.model_class, data)()
        model.load_model(bytearray(data))
        return model


def _check_model(model: Any) -> None:
    import xgboost

    if not isinstance(model, (xgboost.Booster, xgboost.XGBModel)):
        raise TypeError(
            f"the xgboost flavor saves an xgboost.Booster or an XGBModel wrapper, not {type(model).__name__}"
        )


def _booster_from(data: bytes) -> Any:
    import xgboost

    booster = xgboost.Booster()
    booster.load_model(bytearray(data))
    return booster


def _wrapper_class(qualified_name: str, data: bytes) -> type:
    """The recorded wrapper class; XGBoost's own class for the estimator type if unavailable."""
    import xgboost

    cls = recorded_class(qualified_name, "xgboost", xgboost.XGBModel)
    if cls is not None:
        return cls
    fallback = getattr(xgboost, _WRAPPER_BY_ESTIMATOR_TYPE.get(_estimator_type(data), "XGBModel"))
    warn_once(
        f"xgboost: wrapper class {qualified_name}",
        f"autolog: {qualified_name} is not importable here (import its module first); "
        f"loading the model as {fallback.__name__}.",
    )
    return fallback


def _estimator_type(data: bytes) -> str:
    import json

    meta = _booster_from(data).attr("scikit_learn")
    return json.loads(meta).get("_estimator_type", "") if meta else ""
