"""The ``keras`` model flavor: Keras 3's own ``.keras`` archive (config, weights, optimizer state).

Loading goes through ``keras.saving.load_model`` with Keras' ``safe_mode`` on (no lambda
deserialization), from a private copy of the bytes whose sha256 was verified.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from typing import Any

from autolog.models import Flavor

MODEL_FILE_NAME = "model.keras"


class KerasFlavor(Flavor):
    """Saves a ``keras.Model`` as ``model.keras``; loads it back as a Keras model."""

    name = "keras"
    framework = "keras"
    serialization_formats = ("keras",)

    def save(self, model: Any, directory: str, serialization_format: str) -> str:
        """Write ``model.keras``; returns the file name (hashed by the caller)."""
        import keras

        if not isinstance(model, keras.Model):
            raise TypeError(f"the keras flavor saves a keras.Model, not {type(model).__name__}")
        try:
            model.save(os.path.join(directory, MODEL_FILE_NAME))
        except NotImplementedError as error:  # a subclassed model Keras cannot describe (get_config)
            raise TypeError(f"Keras cannot serialize this {type(model).__name__}: {error}") from error
        return MODEL_FILE_NAME

    prediction_methods = ("predict",)

    def predict(self, model: Any, X: Any, method: str = "predict") -> Any:
        """``model.predict`` without Keras' progress bar (a server's log is no terminal)."""
        if method != "predict":
            return super().predict(model, X, method)
        return model.predict(_as_array(X), verbose=0)

    def load_bytes(
        self, data: bytes, metadata: Any, *, path: str, trusted_types: Sequence[str] | None = None
    ) -> Any:
        """The Keras model, loaded from the verified ``data``."""
        import keras

        with tempfile.TemporaryDirectory(prefix="autolog-keras-") as directory:
            private_copy = os.path.join(directory, MODEL_FILE_NAME)
            with open(private_copy, "xb") as f:
                f.write(data)
            return keras.saving.load_model(private_copy)


def _as_array(X: Any) -> Any:
    """Keras takes arrays: a DataFrame becomes its float32 values (column order as given)."""
    import numpy

    values = X.to_numpy() if hasattr(X, "to_numpy") else X
    return numpy.asarray(values, dtype="float32")
