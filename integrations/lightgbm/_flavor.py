"""The ``lightgbm`` model flavor: LightGBM's own text model format, never pickle.

The model file is ``model.txt`` (``Booster.model_to_string``, which keeps the iterations up to the
best one, as ``Booster.save_model`` does). A ``lightgbm.train`` model reloads as a ``Booster``.
A scikit-learn wrapper has no loader of its own in LightGBM, so its fitted state beyond the
booster (constructor params, classes, objective, best iteration and score) is written beside
it as ``lightgbm_wrapper.json``, which names the sha256 of the model file it belongs to; the
wrapper is rebuilt around the reloaded booster.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from autolog.integrations._framework import recorded_class

from autolog._core._exceptions import ModelIntegrityError
from autolog.engine import warn_once
from autolog.models import Flavor, SavedModelFile

MODEL_FILE_NAME = "model.txt"
WRAPPER_FILE_NAME = "lightgbm_wrapper.json"
_BOOSTER_CLASS = "lightgbm.basic.Booster"


class LightGBMFlavor(Flavor):
    """Saves a ``Booster`` or an ``LGBMModel`` wrapper in LightGBM's text format."""

    name = "lightgbm"
    framework = "lightgbm"
    serialization_formats = ("text",)

    def save(self, model: Any, directory: str, serialization_format: str) -> SavedModelFile:
        """Write ``model.txt`` (and ``lightgbm_wrapper.json`` for a wrapper)."""
        booster = _booster_of(model)
        data = booster.model_to_string().encode("utf-8")
        saved = self.write_model_file(directory, MODEL_FILE_NAME, lambda file: file.write(data))
        if booster is not model:
            _write_json(os.path.join(directory, WRAPPER_FILE_NAME), wrapper_state(model, saved.sha256))
        return saved

    def load_bytes(
        self, data: bytes, metadata: Any, *, path: str, trusted_types: Sequence[str] | None = None
    ) -> Any:
        """A ``Booster``, or the wrapper rebuilt around it, from the verified ``data``."""
        import lightgbm

        booster = lightgbm.Booster(model_str=data.decode("utf-8"))
        if metadata.model_class == _BOOSTER_CLASS:
            return booster
        state = _read_wrapper_state(os.path.join(os.path.dirname(path), WRAPPER_FILE_NAME), metadata.sha256)
        return rebuild_wrapper(state, booster, metadata.model_class)


def _booster_of(model: Any) -> Any:
    import lightgbm

    if isinstance(model, lightgbm.Booster):
        return model
    if isinstance(model, lightgbm.LGBMModel):
        return model.booster_
    raise TypeError(
        f"the lightgbm flavor saves a lightgbm.Booster or an LGBMModel wrapper, not {type(model).__name__}"
    )


# -- the wrapper's state ---------------------------------------------------------------------


def wrapper_state(model: Any, model_sha256: str) -> dict:
    """What rebuilding ``model`` around its booster needs, as JSON-representable values."""
    params, dropped = _json_params(model.get_params(deep=False))
    classes = getattr(model, "_classes", None)
    objective = getattr(model, "_objective", None)
    return {
        "model_sha256": model_sha256,
        "base_class": _nearest_lightgbm_class(type(model)),
        "params": params,
        "dropped_params": dropped,
        "classes": None if classes is None else list(classes.tolist()),
        "objective": objective if isinstance(objective, str) else None,
        "n_features_in": int(model.n_features_in_),
        "fitted_with_feature_names": bool(getattr(model, "_fitted_with_feature_names", False)),
        "best_iteration": int(model.best_iteration_),
        "best_score": {k: {m: float(v) for m, v in s.items()} for k, s in model.best_score_.items()},
    }


def _json_params(params: dict) -> tuple[dict, list]:
    kept, dropped = {}, []
    for key, value in params.items():
        try:
            same = json.loads(json.dumps(value)) == value
        except (TypeError, ValueError):
            same = False
        if same:
            kept[key] = value
        else:
            dropped.append(key)
    return kept, sorted(dropped)


def _nearest_lightgbm_class(cls: type) -> str:
    for klass in cls.__mro__:
        if klass.__module__.startswith("lightgbm."):
            return f"{klass.__module__}.{klass.__qualname__}"
    return "lightgbm.sklearn.LGBMModel"


def _write_json(path: str, data: dict) -> None:
    with open(path, "x", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True, allow_nan=False)


def _read_wrapper_state(path: str, model_sha256: str) -> dict:
    with open(path, encoding="utf-8") as f:
        state = json.load(f)
    if not isinstance(state, dict) or state.get("model_sha256") != model_sha256:
        raise ModelIntegrityError(
            f"{path} does not belong to the model file (sha256 {model_sha256}); refusing to rebuild the wrapper"
        )
    return state


def rebuild_wrapper(state: dict, booster: Any, model_class: str) -> Any:
    """The fitted wrapper ``model_class`` around ``booster``, from :func:`wrapper_state`.

    Sets the attributes LightGBM's ``fit`` sets (tested against the declared version window).
    """
    import lightgbm

    cls = recorded_class(model_class, "lightgbm", lightgbm.LGBMModel)
    if cls is None:
        cls = recorded_class(state["base_class"], "lightgbm", lightgbm.LGBMModel) or lightgbm.LGBMModel
        warn_once(
            f"lightgbm: wrapper class {model_class}",
            f"autolog: {model_class} is not importable here (import its module first); loading the model as {cls.__name__}.",
        )
    if state["dropped_params"]:
        warn_once(
            f"lightgbm: dropped params {model_class}",
            f"autolog: params {', '.join(state['dropped_params'])} of the {cls.__name__} model were not "
            f"JSON-representable and have their defaults in the reloaded model (predictions are unaffected).",
        )
    model = cls(**state["params"])
    model._Booster = booster
    model._n_features = booster.num_feature()
    model._n_features_in = state["n_features_in"]
    model._fitted_with_feature_names = state["fitted_with_feature_names"]
    model._best_iteration = state["best_iteration"]
    model._best_score = state["best_score"]
    if state["objective"] is not None:
        model._objective = state["objective"]
    if state["classes"] is not None:
        _restore_classes(model, state["classes"])
    model.fitted_ = True
    return model


def _restore_classes(model: Any, classes: list) -> None:
    import numpy as np
    from sklearn.preprocessing import LabelEncoder

    encoder = LabelEncoder().fit(np.asarray(classes))
    model._le = encoder
    model._classes = encoder.classes_
    model._n_classes = len(encoder.classes_)
    model._class_map = dict(zip(encoder.classes_, encoder.transform(encoder.classes_)))
