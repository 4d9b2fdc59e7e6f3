"""The serialization formats of Python-object models: pickle, cloudpickle, joblib, skops.

Each format writes through a writer that computes the sha256 while the bytes go to disk (no
second read), and loads from bytes whose sha256 has already been checked, so the file cannot be
swapped between the check and the deserialization.
"""

from __future__ import annotations

import hashlib
import io
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any, Protocol

from autolog._core._exceptions import AutologError, InvalidInputError


class BinaryWriter(Protocol):
    """What ``dump`` writes to: a binary file, or the :class:`HashingWriter` over one."""

    def write(self, data: bytes, /) -> int: ...

    def tell(self) -> int: ...


class MissingDependencyError(AutologError, ImportError):
    """An optional package needed for a serialization format or flavor is not installed."""


class UntrustedTypesError(AutologError, ValueError):
    """A skops file holds types the caller did not list in ``trusted_types``."""


class DisallowedFormatError(AutologError, ValueError):
    """A model's serialization format is not in the caller's ``allowed_formats``."""


#: Formats whose loading runs code named by the file (pickle opcodes): never load them from
#: files you do not trust. ``load_model(..., allowed_formats=...)`` can exclude them.
PICKLE_FORMATS = frozenset({"pickle", "cloudpickle", "joblib"})


@dataclass(frozen=True)
class SerializationFormat:
    """How one format writes and reads a model.

    ``package`` is the distribution pinned in the model's requirements (None: the stdlib).
    ``dump`` writes to a binary file object; ``loads`` reads verified bytes.
    """

    name: str
    file_name: str
    package: str | None
    dump: Callable[[Any, BinaryWriter], None]
    loads: Callable[[bytes, Sequence[str] | None], Any]


def _require(module_name: str, package: str, purpose: str):
    try:
        return __import__(module_name, fromlist=["_"])
    except ImportError as exc:
        raise MissingDependencyError(
            f"{purpose} needs the {package!r} package, which is not installed: pip install {package}"
        ) from exc


def _dump_pickle(model: Any, file: BinaryWriter) -> None:
    pickle.dump(model, file, protocol=pickle.HIGHEST_PROTOCOL)


def _loads_pickle(data: bytes, trusted_types: Sequence[str] | None) -> Any:
    return pickle.loads(data)


def _dump_cloudpickle(model: Any, file: BinaryWriter) -> None:
    cloudpickle = _require("cloudpickle", "cloudpickle", "serialization_format='cloudpickle'")
    cloudpickle.dump(model, file, protocol=pickle.HIGHEST_PROTOCOL)


def _loads_cloudpickle(data: bytes, trusted_types: Sequence[str] | None) -> Any:
    # cloudpickle output is read by plain pickle, but it refers to cloudpickle's own functions
    # for classes defined by value: check it is there to give a clear error.
    _require("cloudpickle", "cloudpickle", "a model saved with cloudpickle")
    return pickle.loads(data)


def _dump_joblib(model: Any, file: BinaryWriter) -> None:
    joblib = _require("joblib", "joblib", "serialization_format='joblib'")
    joblib.dump(model, file)


def _loads_joblib(data: bytes, trusted_types: Sequence[str] | None) -> Any:
    joblib = _require("joblib", "joblib", "a model saved with joblib")
    return joblib.load(io.BytesIO(data))


def _dump_skops(model: Any, file: BinaryWriter) -> None:
    skops_io = _require("skops.io", "skops", "serialization_format='skops'")
    file.write(skops_io.dumps(model))  # the zip writer seeks, so build it in memory


def _loads_skops(data: bytes, trusted_types: Sequence[str] | None) -> Any:
    skops_io = _require("skops.io", "skops", "a model saved with skops")
    untrusted = skops_io.get_untrusted_types(data=data)
    refused = sorted(set(untrusted) - set(trusted_types or ()))
    if refused:
        raise UntrustedTypesError(
            "refusing to load a skops model with types that are not trusted by default: "
            f"{', '.join(refused)}. If you trust the file's origin, pass "
            f"load_model(..., trusted_types={refused!r})"
        )
    return skops_io.loads(data, trusted=list(untrusted))


SERIALIZATION_FORMATS: dict[str, SerializationFormat] = {
    fmt.name: fmt
    for fmt in (
        SerializationFormat("pickle", "model.pkl", None, _dump_pickle, _loads_pickle),
        SerializationFormat(
            "cloudpickle", "model.cloudpickle", "cloudpickle", _dump_cloudpickle, _loads_cloudpickle
        ),
        SerializationFormat("joblib", "model.joblib", "joblib", _dump_joblib, _loads_joblib),
        SerializationFormat("skops", "model.skops", "skops", _dump_skops, _loads_skops),
    )
}


def get_serialization_format(name: str) -> SerializationFormat:
    """Return the format called ``name``; InvalidInputError listing the valid names otherwise."""
    fmt = SERIALIZATION_FORMATS.get(name) if isinstance(name, str) else None
    if fmt is None:
        raise InvalidInputError(
            f"unknown serialization_format {name!r}; valid formats: "
            f"{', '.join(repr(n) for n in SERIALIZATION_FORMATS)}"
        )
    return fmt


class HashingWriter:
    """A write-only file wrapper that computes sha256 and size of what passes through it."""

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file
        self._sha256 = hashlib.sha256()
        self.size_bytes = 0

    def write(self, data) -> int:
        view = memoryview(data)
        self._sha256.update(view)
        self.size_bytes += view.nbytes
        return self._file.write(view)

    def tell(self) -> int:  # joblib aligns numpy arrays on tell()
        return self._file.tell()

    def flush(self) -> None:
        self._file.flush()

    def hexdigest(self) -> str:
        return self._sha256.hexdigest()


def sha256_of_file(path: str) -> tuple[str, int]:
    """Return ``(hex sha256, size in bytes)`` of a file."""
    with open(path, "rb") as f:
        digest = hashlib.file_digest(f, "sha256") if hasattr(hashlib, "file_digest") else None
        if digest is None:
            digest = hashlib.sha256(f.read())
        return digest.hexdigest(), f.tell()
