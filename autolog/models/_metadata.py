"""The ``autolog-model.json`` file: what a model directory holds and how to load it."""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from autolog._core._constants import MODEL_METADATA_FILE as METADATA_FILE_NAME
from autolog._core._exceptions import InvalidInputError, NotFoundError
from autolog._core._json import MAX_METADATA_BYTES, loads_bounded
from autolog._files import open_new, open_no_follow, write_new

_REQUIRED_FIELDS = ("flavor", "model_class", "serialization_format", "model_file", "sha256")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class ModelMetadata:
    """Everything recorded about a saved model.

    Attributes
    ----------
    flavor : str
        Name of the flavor that wrote the model (``"sklearn"``).
    model_class : str
        ``module.qualname`` of the model's class.
    serialization_format : str
        ``"pickle"``, ``"cloudpickle"``, ``"joblib"``, ``"skops"`` or a flavor's native format.
    model_file : str
        Name of the model file inside the model directory.
    sha256 : str
        Hex sha256 of the model file, verified before loading.
    size_bytes : int
        Size of the model file.
    framework_version : str or None
        Installed version of the flavor's framework when saved (e.g. scikit-learn's).
    python_version, autolog_version : str
        Versions of Python and autolog when saved.
    created : int
        Milliseconds since the epoch.
    signature : dict or None
        ``{"inputs": ..., "outputs": ...}``, see :func:`autolog.models.infer_signature`.
    requirements : list of str
        ``name==version`` pins needed to load the model.
    input_example : str or None
        Name of the input example file, when one was saved.
    """

    flavor: str
    model_class: str
    serialization_format: str
    model_file: str
    sha256: str
    size_bytes: int = 0
    framework_version: str | None = None
    python_version: str = ""
    autolog_version: str = ""
    created: int = 0
    signature: dict | None = None
    requirements: list = field(default_factory=list)
    input_example: str | None = None

    def to_dict(self) -> dict:
        """Return the JSON-serializable dict written to ``autolog-model.json``."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any, *, source: str = METADATA_FILE_NAME) -> ModelMetadata:
        """Validate ``data`` (read from ``source``) and build the metadata; unknown keys are ignored."""
        if not isinstance(data, dict):
            raise InvalidInputError(f"model metadata {source} is not a JSON object")
        missing = [name for name in _REQUIRED_FIELDS if not data.get(name)]
        if missing:
            raise InvalidInputError(f"model metadata {source} lacks required field(s): {', '.join(missing)}")
        known = {f.name for f in fields(cls)}
        metadata = cls(**{key: value for key, value in data.items() if key in known})
        _check_file_name(metadata.model_file, "model_file", source)
        if metadata.input_example is not None:
            _check_file_name(metadata.input_example, "input_example", source)
        if not isinstance(metadata.sha256, str) or not _SHA256.match(metadata.sha256):
            raise InvalidInputError(
                f"model metadata {source}: sha256 {metadata.sha256!r} is not 64 hex digits"
            )
        return metadata


def _check_file_name(name: Any, key: str, source: str) -> None:
    # The metadata names a file in its own directory, never a path elsewhere.
    if not isinstance(name, str) or name in ("", ".", "..") or "/" in name or "\\" in name or "\x00" in name:
        raise InvalidInputError(
            f"model metadata {source}: {key} {name!r} must be a plain file name in the model directory"
        )


def write_metadata(directory: str, metadata: ModelMetadata, *, atomic: bool = True) -> str:
    """Write ``autolog-model.json`` into ``directory``.

    ``atomic`` (default): through a temp file and ``os.replace``, for a directory others may be
    reading. ``atomic=False`` writes the file directly: for a private staging directory that is
    itself renamed into place once complete (see ``autolog.models._api``).
    """
    path = os.path.join(directory, METADATA_FILE_NAME)
    # Compact separators and no indent keep json on its C encoder (indent= selects the
    # pure-Python one); fields are shallow-copied (asdict deep-copies every nested value).
    data = {f.name: getattr(metadata, f.name) for f in fields(metadata)}
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False) + "\n"
    if not atomic:
        write_new(path, text.encode("utf-8"))
        return path
    temporary = os.path.join(directory, f".{METADATA_FILE_NAME}.{secrets.token_hex(6)}.tmp")
    try:
        with open_new(temporary, "x", encoding="utf-8") as f:
            f.write(text)
        os.replace(temporary, path)
    except BaseException:
        _remove_quietly(temporary)
        raise
    return path


def read_metadata(directory: str) -> ModelMetadata:
    """Read and validate ``autolog-model.json`` from a model directory."""
    path = os.path.join(directory, METADATA_FILE_NAME)
    if os.path.islink(path):
        raise InvalidInputError(f"model metadata {path} is a symlink; it is never followed")
    try:
        with open_no_follow(path) as f:
            raw = f.read(MAX_METADATA_BYTES + 1)
    except FileNotFoundError:
        raise NotFoundError(
            f"no model metadata file {path}: {directory} is not a model directory saved by autolog"
        ) from None
    except IsADirectoryError:
        raise InvalidInputError(f"model metadata {path} is a directory, not a file") from None
    if len(raw) > MAX_METADATA_BYTES:
        raise InvalidInputError(
            f"model metadata {path} is larger than {MAX_METADATA_BYTES // (1024 * 1024)} MB, the most autolog reads"
        )
    try:
        data = loads_bounded(raw, what=f"model metadata {path}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"model metadata {path} is not valid JSON: {exc}") from None
    return ModelMetadata.from_dict(data, source=path)


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
