"""The ``pytorch`` model flavor: a module's state dict written with ``torch.save``, never pickle.

The model file ``model.pt`` holds one dict that ``torch.load(weights_only=True)`` reads without
running any pickled code::

    {"format": 1, "model_class": "pkg.module.LitModel", "init_kwargs": "<JSON or null>",
     "state_dict": {...}}

The class name and constructor arguments are inside the model file, so the sha256 recorded in
``autolog-model.json`` covers them: what gets imported and constructed on load is exactly what
was saved. ``init_kwargs`` are the hyperparameters from ``save_hyperparameters`` (``{}`` for a
module without them), or null when they are not JSON-representable.
"""

from __future__ import annotations

import importlib
import io
import json
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from autolog.models import Flavor, SavedModelFile

MODEL_FILE_NAME = "model.pt"
FORMAT_VERSION = 1


class PyTorchFlavor(Flavor):
    """Saves a ``torch.nn.Module`` (e.g. a ``LightningModule``) as its state dict.

    ``load`` returns the module, rebuilt as ``cls(**hparams)`` with the weights loaded and in
    eval mode, when its class is importable and can be constructed from the recorded
    hyperparameters; otherwise the state dict, with a warning saying why and how to rebuild it.
    """

    name = "pytorch"
    framework = "torch"
    serialization_formats = ("state_dict",)

    def save(self, model: Any, directory: str, serialization_format: str) -> SavedModelFile:
        """Write ``model.pt``."""
        import torch

        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"the pytorch flavor saves a torch.nn.Module, not {type(model).__name__}")
        payload = {
            "format": FORMAT_VERSION,
            "model_class": f"{type(model).__module__}.{type(model).__qualname__}",
            "init_kwargs": init_kwargs_json(model),
            "state_dict": model.state_dict(),
        }
        return self.write_model_file(directory, MODEL_FILE_NAME, lambda file: torch.save(payload, file))

    prediction_methods = ("predict",)

    def available_methods(self, model: Any) -> list[str]:
        """A rebuilt module predicts by its forward pass; a bare state dict cannot predict."""
        import torch

        return ["predict"] if isinstance(model, torch.nn.Module) else []

    def predict(self, model: Any, X: Any, method: str = "predict") -> Any:
        """The module's forward pass on ``X`` as float32, in eval mode and without gradients."""
        if method not in self.available_methods(model):
            return super().predict(model, X, method)  # names what the model answers
        import numpy
        import torch

        values = X.to_numpy() if hasattr(X, "to_numpy") else X
        with torch.no_grad():
            output = model.eval()(torch.as_tensor(numpy.asarray(values, dtype="float32")))
        return output.numpy()

    def load_bytes(
        self, data: bytes, metadata: Any, *, path: str, trusted_types: Sequence[str] | None = None
    ) -> Any:
        """The rebuilt module, or its state dict when it cannot be rebuilt here."""
        import torch

        payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        return rebuild_module(payload)


def init_kwargs_json(model: Any) -> str | None:
    """The module's ``hparams`` as JSON (``"{}"`` without any), or None when not representable."""
    hparams = dict(getattr(model, "hparams", None) or {})
    try:
        text = json.dumps(hparams, allow_nan=True)
    except (TypeError, ValueError):
        return None
    return text if json.loads(text) == hparams else None  # tuples would come back as lists


def rebuild_module(payload: dict) -> Any:
    """``cls(**init_kwargs)`` with the state dict loaded, or the state dict with a warning."""
    state_dict = payload["state_dict"]
    class_name = payload["model_class"]
    cls, why = _module_class(class_name)
    if cls is None:
        return _state_dict_instead(state_dict, class_name, why)
    if payload.get("init_kwargs") is None:
        return _state_dict_instead(state_dict, class_name, "its hyperparameters are not JSON-representable")
    init_kwargs = json.loads(payload["init_kwargs"])
    try:
        module = cls(**init_kwargs)
    except Exception as error:
        return _state_dict_instead(state_dict, class_name, f"{class_name}(**hparams) failed: {error!r}")
    module.load_state_dict(state_dict)
    return module.eval()


def _module_class(qualified_name: str) -> tuple[type | None, str]:
    import torch

    module_name, _, class_name = qualified_name.rpartition(".")
    try:
        module = sys.modules.get(module_name) or importlib.import_module(module_name)
    except ImportError as error:
        return None, f"its module is not importable ({error})"
    cls = module
    for part in class_name.split("."):
        cls = getattr(cls, part, None)
    if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
        return None, f"{module_name} has no torch.nn.Module class {class_name}"
    return cls, ""


def _state_dict_instead(state_dict: Any, class_name: str, why: str) -> Any:
    warnings.warn(
        f"autolog: returning the state dict of {class_name}, not the module: {why}. Rebuild it with "
        f"`model = {class_name.rpartition('.')[2]}(...); model.load_state_dict(state_dict)`.",
        UserWarning,
        stacklevel=5,
    )
    return state_dict
