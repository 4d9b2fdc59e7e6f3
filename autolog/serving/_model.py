"""The model a server or a batch job predicts with: loaded once, with what was recorded about it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from autolog._core._exceptions import InvalidInputError
from autolog.models import Flavor, ModelMetadata, get_flavor, load_model_with_metadata
from autolog.serving._plan import InputPlan, plan_inputs


@dataclass(frozen=True)
class ServedModel:
    """A loaded model ready to predict.

    Attributes
    ----------
    uri : str
        The model URI it was loaded from.
    model : object
    metadata : ModelMetadata
        What ``autolog-model.json`` recorded (flavor, sha256, signature, ...).
    flavor : Flavor
        How to call the model (``predict`` of a booster, a torch module's forward pass, ...).
    methods : list of str
        The prediction methods this model answers; ``methods[0]`` is the default.
    plan : InputPlan
        How request data becomes the model's input (decided once, at load).
    """

    uri: str
    model: Any
    metadata: ModelMetadata
    flavor: Flavor
    methods: list = field(default_factory=list)
    plan: InputPlan = field(default_factory=lambda: InputPlan(None))

    def predict(self, data: Any, method: str | None = None) -> Any:
        """Predictions for ``data`` (conformed to the signature first) with ``method``."""
        method = method or self.methods[0]
        if method not in self.methods:
            raise InvalidInputError(
                f"unknown method {method!r}; this model answers: {', '.join(self.methods)}"
            )
        inputs = self.plan.conform(data)
        try:
            return self.flavor.predict(self.model, inputs, method)
        except (ValueError, TypeError) as error:
            message = str(error).splitlines()[0][:300] if str(error) else type(error).__name__
            raise InvalidInputError(
                f"the model could not {method} this input: {message}{_culprit(inputs, self.plan.names)}"
            ) from None


def load_served_model(
    model_uri: str, *, trusted_types: Sequence[str] | None = None, owns_process: bool = False
) -> ServedModel:
    """Load ``model_uri`` with the usual integrity checks; refuse a model that cannot predict.

    Parameters
    ----------
    model_uri : str
        ``runs:/...``, ``models:/name@alias``, ``models:/name/N`` or a local model directory.
    trusted_types : sequence of str, optional
        Types a pickle-based format may construct besides its defaults.
    owns_process : bool, default False
        True for a process that only serves or scores this model (``autolog models serve`` and
        ``predict``): a scikit-learn model fitted on named columns may then take its checked
        input as an array, with scikit-learn's per-call warning about it silenced process-wide.
    """
    model, metadata = load_model_with_metadata(model_uri, trusted_types=trusted_types)
    flavor = get_flavor(metadata.flavor)
    methods = flavor.available_methods(model)
    if not methods:
        raise InvalidInputError(
            f"the model at {model_uri} ({metadata.model_class}) has none of the prediction methods "
            f"{', '.join(flavor.prediction_methods)}; it cannot be served"
        )
    plan = plan_inputs(
        model, metadata.flavor, metadata.signature, method=methods[0], owns_process=owns_process
    )
    return ServedModel(model_uri, model, metadata, flavor, methods, plan)


def jsonable(predictions: Any) -> list:
    """Predictions as JSON values: arrays to nested lists, NaN and infinities to null."""
    import numpy

    values = predictions.to_numpy() if hasattr(predictions, "to_numpy") else numpy.asarray(predictions)
    if values.dtype.kind in "fc":
        finite = numpy.isfinite(values)
        if not finite.all():
            values = values.astype(object)
            values[~finite] = None
    elif values.dtype.kind == "M":
        values = values.astype(str)
    return values.tolist()


def _culprit(data: Any, names: tuple) -> str:
    """Name the first empty cell or text among numbers, the usual reasons a model refuses a table."""
    if getattr(data, "ndim", 0) == 2 and data.dtype.kind == "f" and data.shape[1] == len(names):
        import numpy

        rows, columns = numpy.nonzero(numpy.isnan(data))
        return f" (column {names[columns[0]]!r}, row {int(rows[0])}, is empty)" if len(rows) else ""
    for name in getattr(data, "columns", ()):
        column = data[name]
        missing = column.isna().to_numpy()
        if missing.any():
            return f" (column {str(name)!r}, row {int(missing.argmax())}, is empty)"
        if column.dtype.kind == "O":
            for row, value in enumerate(column.tolist()):
                if isinstance(value, str):
                    try:
                        float(value)
                    except ValueError:
                        return f" (column {str(name)!r}, row {row}, holds {value!r})"
    return ""
