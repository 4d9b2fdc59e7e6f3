"""Flavors: how a kind of model is written to and read from a model directory.

A flavor is a small object with a ``name``, the ``framework`` distribution whose version is recorded
(and checked on load), the serialization formats it accepts, ``save`` and ``load``. Integrations add
native formats (XGBoost JSON, LightGBM text, ``.keras``, torch state dicts) by registering their own
flavor, in code with :func:`register_flavor` or through the ``autolog.flavors`` entry-point group
(consulted when a model names a flavor nobody registered), without touching this package.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from autolog._core._exceptions import InvalidInputError
from autolog._core._process import PROCESS, StatePart
from autolog._files import open_new
from autolog.models._serialization import (
    SERIALIZATION_FORMATS,
    HashingWriter,
    get_serialization_format,
)

FLAVOR_ENTRY_POINT_GROUP = "autolog.flavors"
PREDICTION_METHODS = (
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "transform",
    "score_samples",
)
"""The methods :meth:`Flavor.predict` may call, and the only ones a model server exposes."""


@dataclass(frozen=True)
class SavedModelFile:
    """The model file a flavor wrote: its name inside the directory, sha256 and size."""

    file_name: str
    sha256: str
    size_bytes: int


class Flavor:
    """Base class of flavors; the default implementation serializes Python objects.

    Subclasses set ``name``, ``framework`` and ``serialization_formats`` and may override
    :meth:`save` and :meth:`load_bytes` (or :meth:`load`) for a native format;
    :meth:`write_model_file` writes a model file the way :meth:`save` reports it.

    Attributes
    ----------
    name : str
        Recorded as ``flavor`` in the model metadata.
    prediction_methods : tuple of str
        Methods :meth:`predict` may call when the model has them (``predict`` first).
    framework : str or None
        Distribution whose installed version is recorded as ``framework_version``.
    serialization_formats : tuple of str
        Values accepted for ``serialization_format``; the first is the default.
    """

    name: str = ""
    framework: str | None = None
    serialization_formats: tuple = tuple(SERIALIZATION_FORMATS)

    def check_format(self, serialization_format: str) -> None:
        """Raise InvalidInputError when this flavor cannot write ``serialization_format``."""
        if serialization_format not in self.serialization_formats:
            get_serialization_format(serialization_format)  # unknown everywhere: list all
            raise InvalidInputError(
                f"flavor {self.name!r} does not support serialization_format "
                f"{serialization_format!r}; valid formats: {', '.join(self.serialization_formats)}"
            )

    def save(self, model: Any, directory: str, serialization_format: str) -> SavedModelFile | str:
        """Write ``model`` into ``directory`` (existing, empty) and describe the file written.

        May return just the file name; the sha256 is then computed by reading the file back.
        """
        fmt = get_serialization_format(serialization_format)
        return self.write_model_file(directory, fmt.file_name, lambda file: fmt.dump(model, file))

    def load(
        self,
        path: str,
        metadata: Any,
        *,
        data: bytes | None = None,
        trusted_types: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Read the model saved at ``path`` (the model file) as described by ``metadata``.

        ``data`` holds the file's bytes, already checked against the recorded sha256; when it is
        None the file is read. Either way the bytes go to :meth:`load_bytes`.
        """
        if data is None:
            with open(path, "rb") as f:
                data = f.read()
        return self.load_bytes(data, metadata, path=path, trusted_types=trusted_types)

    def load_bytes(
        self, data: bytes, metadata: Any, *, path: str, trusted_types: Sequence[str] | None = None
    ) -> Any:
        """The model deserialized from ``data``, the verified bytes of the model file ``path``.

        Parameters
        ----------
        data : bytes
            The model file's content; deserialize these rather than read ``path`` again.
        metadata : ModelMetadata
            The model's recorded metadata (``model_class``, ``serialization_format``, ...).
        path : str
            Where the model file is (e.g. to find files saved beside it).
        trusted_types : sequence of str, optional
            Types a pickle-based format may construct besides its defaults.
        """
        fmt = get_serialization_format(metadata.serialization_format)
        return fmt.loads(data, trusted_types)

    prediction_methods: tuple = PREDICTION_METHODS

    def available_methods(self, model: Any) -> list[str]:
        """The prediction methods ``model`` answers, in :attr:`prediction_methods` order."""
        return [name for name in self.prediction_methods if callable(getattr(model, name, None))]

    def predict(self, model: Any, X: Any, method: str = "predict") -> Any:
        """Call ``model``'s prediction ``method`` on ``X`` (a DataFrame or an array).

        Serving and batch scoring go through here, so a flavor whose models are not called as
        ``model.predict(X)`` (a native booster, a torch module) overrides it.
        """
        if method not in self.available_methods(model):
            raise InvalidInputError(
                f"the model has no method {method!r}; it answers: {', '.join(self.available_methods(model))}"
            )
        return getattr(model, method)(X)

    @staticmethod
    def write_model_file(
        directory: str, file_name: str, write: Callable[[HashingWriter], Any]
    ) -> SavedModelFile:
        """Create ``directory/file_name`` (never world-writable), let ``write`` fill it, describe it.

        Parameters
        ----------
        directory : str
            The model directory :meth:`save` was given.
        file_name : str
            The model file's name.
        write : callable
            Called with the new file opened for binary writing (a :class:`HashingWriter`, which
            takes the sha256 and size of what passes through it).

        Returns
        -------
        SavedModelFile
            What :meth:`save` returns for the file.
        """
        with open_new(os.path.join(directory, file_name), "xb") as f:
            writer = HashingWriter(f)
            write(writer)
        return SavedModelFile(file_name, writer.hexdigest(), writer.size_bytes)


class SklearnFlavor(Flavor):
    """scikit-learn estimators (and any other picklable Python object)."""

    name = "sklearn"
    framework = "scikit-learn"


class _FlavorTable(StatePart):
    """The flavors known by name; the built-in scikit-learn flavor is always there."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_name: dict[str, Flavor] = {SklearnFlavor.name: SklearnFlavor()}


_flavors = PROCESS.part("models.flavors", _FlavorTable)


def register_flavor(flavor: Flavor, *, replace: bool = False) -> None:
    """Make ``flavor`` available to ``save_model``/``log_model``/``load_model`` under its name.

    Parameters
    ----------
    flavor : Flavor
        An instance with a non-empty ``name``.
    replace : bool, default False
        Allow replacing an already registered flavor of the same name.
    """
    if not isinstance(flavor, Flavor) or not flavor.name:
        raise InvalidInputError(f"register_flavor expects a Flavor with a name, got {flavor!r}")
    with _flavors.lock:
        if flavor.name in _flavors.by_name and not replace:
            if type(_flavors.by_name[flavor.name]) is type(flavor):
                return
            raise InvalidInputError(
                f"flavor {flavor.name!r} is already registered; pass replace=True to override it"
            )
        _flavors.by_name[flavor.name] = flavor


def get_flavor(name: str) -> Flavor:
    """Return the flavor registered as ``name``, looking in the entry-point group if needed."""
    flavor = _flavors.by_name.get(name)
    if flavor is None:
        flavor = _flavor_from_entry_point(name)
    if flavor is None:
        raise InvalidInputError(
            f"unknown model flavor {name!r}; registered flavors: {', '.join(sorted(_flavors.by_name))}. "
            f"A flavor added by an integration is registered when that integration is imported."
        )
    return flavor


def _flavor_from_entry_point(name: str) -> Flavor | None:
    from importlib.metadata import entry_points

    for entry_point in entry_points(group=FLAVOR_ENTRY_POINT_GROUP, name=name):
        loaded = entry_point.load()
        flavor = loaded() if isinstance(loaded, type) else loaded
        register_flavor(flavor, replace=True)
        return flavor
    return None
