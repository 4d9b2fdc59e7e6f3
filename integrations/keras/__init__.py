"""Keras 3 autologging: ``keras.Model.fit``, on any backend.

Found by the engine through the entry point ``autolog.integrations: keras``; the model flavor
through ``autolog.flavors: keras``. Importing this package imports no Keras:
:meth:`KerasIntegration.patch` runs once ``keras`` is imported.

A run (named after the model class, e.g. ``Sequential``) records

- params: the ``fit`` arguments (epochs, batch_size, validation_split, shuffle, ...), ``steps``
  per epoch, the optimizer class ``optimizer`` and its ``get_config()`` as ``optimizer.*``, the
  ``loss``, ``EarlyStopping`` settings ``early_stopping.*``;
- metrics: each epoch's logs under Keras' names (``loss``, ``accuracy``, ``val_loss``...; step =
  epoch), equal to ``History.history``; under early stopping ``stopped_epoch`` (0: not stopped
  early), ``best_score`` and ``best_epoch``;
- artifacts: ``model_summary.txt`` and the model as ``model`` (``keras`` flavor: a ``.keras``
  archive, reloaded with ``keras.saving.load_model``).
"""

from __future__ import annotations

from typing import Any

from autolog.engine import Integration, Patcher


class KerasIntegration(Integration):
    """Autologging for ``keras.Model.fit`` (Keras 3)."""

    identifier = "keras"
    module = "keras"
    distribution = "keras"
    min_version = "3.0"
    max_version = "3"

    def patch(self, patcher: Patcher) -> None:
        """Wrap ``keras.Model.fit``."""
        import keras
        from autolog.integrations.keras._flavor import KerasFlavor
        from autolog.integrations.keras._patching import install

        from autolog.models import register_flavor

        register_flavor(KerasFlavor())
        install(patcher, keras)


def __getattr__(name: str) -> Any:
    # The flavor (entry point ``autolog.flavors: keras``) imports autolog.models: only on demand,
    # so that ``autolog()`` finding this integration stays cheap.
    if name == "KerasFlavor":
        from autolog.integrations.keras._flavor import KerasFlavor

        return KerasFlavor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["KerasFlavor", "KerasIntegration"]
