"""save_model, log_model, load_model.

A model directory holds the model file and ``autolog-model.json`` (plus ``input_example.json``
when asked for). It is written into a hidden staging directory next to its destination and
renamed into place, so a reader sees either no model or a complete one; the metadata records the
sha256 of the model file, and loading checks it before deserializing anything.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import secrets
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from autolog._core._constants import AUTOLOG_VERSION as _autolog_version
from autolog._core._exceptions import (
    AutologError,
    ConflictError,
    InvalidInputError,
    ModelIntegrityError,
    NotFoundError,
)
from autolog._core._process import PROCESS, StatePart
from autolog._files import DIR_MODE, make_dirs, open_no_follow
from autolog.context import package_versions, requirements_for
from autolog.models._flavors import Flavor, SavedModelFile, get_flavor
from autolog.models._metadata import METADATA_FILE_NAME, ModelMetadata, read_metadata, write_metadata
from autolog.models._serialization import (
    SERIALIZATION_FORMATS,
    DisallowedFormatError,
    sha256_of_file,
)
from autolog.models._signature import infer_signature, read_input_example, write_input_example
from autolog.tracking import active_run, get_store, resolve_model_version

_URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]+:")  # 2+ letters: "C:\..." is a path
_STAGING_MARKER = ".autolog-tmp-"


class _VersionWarnings(StatePart):
    """(framework, recorded, installed) version pairs already warned about on load."""

    def __init__(self) -> None:
        self.seen: set = set()


_version_warnings = PROCESS.part("models.version_warnings", _VersionWarnings)


@dataclass(frozen=True)
class ModelInfo:
    """A model logged on a run.

    Attributes
    ----------
    run_id : str
    artifact_path : str
        Where the model directory sits among the run's artifacts (the ``name`` given).
    model_uri : str
        ``runs:/<run_id>/<artifact_path>``, accepted by :func:`load_model`.
    metadata : ModelMetadata
    """

    run_id: str
    artifact_path: str
    model_uri: str
    metadata: ModelMetadata


# ---------------------------------------------------------------------------------------------
# save


def save_model(
    model: Any,
    path: str | os.PathLike,
    *,
    flavor: str = "sklearn",
    serialization_format: str = "pickle",
    input_example: Any = None,
    signature: bool | dict | None = True,
) -> ModelMetadata:
    """Save ``model`` into a new model directory.

    Parameters
    ----------
    model : object
        The fitted model.
    path : str or os.PathLike
        Directory to create; it must not exist or be empty.
    flavor : str, default "sklearn"
        A registered flavor (see :func:`register_flavor`).
    serialization_format : {"pickle", "cloudpickle", "joblib", "skops"}, default "pickle"
        How the model object is written. Use "skops" for models that others will load
        without trusting you; "cloudpickle" for classes defined in ``__main__`` or notebooks.
    input_example : DataFrame, array or list, optional
        Its first 5 rows are saved as ``input_example.json`` and used to infer the signature.
    signature : bool or dict, default True
        True infers it (from ``input_example``, else from ``feature_names_in_`` /
        ``n_features_in_``), False or None records none, a dict is recorded as given.

    Returns
    -------
    ModelMetadata
        What was written to ``autolog-model.json``.

    Raises
    ------
    InvalidInputError
        Unknown flavor or format, bad signature, or ``path`` is a file or a non-empty
        directory. Nothing is written.
    MissingDependencyError
        The format's package (cloudpickle, skops) is not installed.
    """
    flavor_object = _checked_options(flavor, serialization_format, signature)
    target = _checked_new_directory(os.fspath(path))
    return _save_into_place(target, model, flavor_object, serialization_format, input_example, signature)


def log_model(
    model: Any,
    name: str = "model",
    *,
    run_id: str | None = None,
    flavor: str = "sklearn",
    serialization_format: str = "pickle",
    input_example: Any = None,
    signature: bool | dict | None = True,
    wait: bool = True,
) -> ModelInfo:
    """Save ``model`` as the artifact directory ``name`` of a run.

    Parameters
    ----------
    model : object
        The fitted model.
    name : str, default "model"
        Artifact path of the model directory inside the run.
    run_id : str, optional
        The run; by default this thread's active run.
    flavor, serialization_format, input_example, signature
        As for :func:`save_model`.
    wait : bool, default True
        False returns once the model is written locally when the run's artifacts are remote
        (``s3://``...): the upload finishes in a background thread, and reads in this process
        and its exit wait for it. Autologging uses False so a fit never waits on the network.

    Returns
    -------
    ModelInfo
        With ``model_uri`` = ``runs:/<run_id>/<name>``.

    Raises
    ------
    InvalidInputError
        No run given and none active, or a bad option; nothing is written.
    ConflictError
        The run already has artifacts under ``name``.
    """
    flavor_object = _checked_options(flavor, serialization_format, signature)
    _check_artifact_name(name)

    if run_id is None:
        run_id = _active_run_id()
    repository = get_store().artifacts(run_id)  # NotFoundError for an unknown run
    options = (flavor_object, serialization_format, input_example, signature)
    target = repository.local_path(name)
    if target is not None:
        if _is_occupied(target):
            raise ConflictError(f"run {run_id} already has artifacts under {name!r}")
        metadata = _save_into_place(target, model, *options)
        # Size and sha256 of each file, in the metadata store (the model file's are known).
        repository.record_tree(name, known={metadata.model_file: (metadata.sha256, metadata.size_bytes)})
    else:
        # A file or a non-empty directory. Without waiting, the store's records answer (no
        # network round trip): they list every file autolog wrote there.
        taken = repository.list_files(name) if wait else repository.recorded_files(name)
        if taken:
            raise ConflictError(f"run {run_id} already has artifacts under {name!r}")
        with tempfile.TemporaryDirectory(prefix="autolog-model-") as staging:
            metadata = _write_model_directory(staging, model, *options)
            repository.log_artifacts(staging, name, wait=wait)
    get_store().record_logged_model(run_id, name, model_record(metadata))
    return ModelInfo(run_id, name, f"runs:/{run_id}/{name}", metadata)


def model_record(metadata: ModelMetadata):
    """The store's record (``autolog.store._model_records.ModelRecord``) of a model's files."""
    from autolog._core._entities import ModelRecord

    return ModelRecord(
        flavor=metadata.flavor,
        serialization_format=metadata.serialization_format,
        model_file=metadata.model_file,
        sha256=metadata.sha256,
        size_bytes=int(metadata.size_bytes),
    )


def _checked_options(flavor: str, serialization_format: str, signature: Any) -> Flavor:
    flavor_object = get_flavor(flavor)
    flavor_object.check_format(serialization_format)
    if not (signature is None or isinstance(signature, (bool, dict))):
        raise InvalidInputError(
            f"signature must be True, False, None or a dict, got {type(signature).__name__}"
        )
    return flavor_object


def _checked_new_directory(path: str) -> str:
    target = os.path.abspath(path)
    if os.path.isfile(target):
        raise InvalidInputError(f"cannot save a model to {target}: it is an existing file")
    if _is_non_empty_directory(target):
        raise InvalidInputError(f"cannot save a model to {target}: the directory exists and is not empty")
    return target


def _check_artifact_name(name: Any) -> None:
    if not isinstance(name, str) or not name.strip("/"):
        raise InvalidInputError(f"model name must be a non-empty artifact path, got {name!r}")


def _active_run_id() -> str:

    run = active_run()
    if run is None:
        raise InvalidInputError(
            "log_model needs a run: call it inside `with autolog.start_run():`, or pass run_id="
        )
    return run.info.run_id


def _is_occupied(path: str) -> bool:
    """Whether ``path`` is a file or a non-empty directory (one system call when it is absent)."""
    try:
        with os.scandir(path) as entries:
            return any(True for _ in entries)
    except FileNotFoundError:
        return False
    except NotADirectoryError:
        return True


def _is_non_empty_directory(path: str) -> bool:
    try:
        with os.scandir(path) as entries:
            return any(True for _ in entries)
    except (FileNotFoundError, NotADirectoryError):
        return False


def log_model_files(
    directory: str | os.PathLike,
    name: str,
    *,
    run_id: str,
    flavor: str,
    model_class: str,
    serialization_format: str,
    model_file: str,
    framework_version: str | None = None,
    requirements: Sequence[str] = (),
    signature: dict | None = None,
    tracking_uri: str | None = None,
) -> ModelInfo:
    """Log a model whose file was written elsewhere (an imported MLflow model) as the artifact
    directory ``name`` of a run, with autolog's metadata: the sha256 is computed now.

    Every file of ``directory`` is copied; nothing is deserialized. Like :func:`log_model`, the
    model is staged completely (files and ``autolog-model.json``) before it enters the run.
    ``tracking_uri`` names the store (default: the one in effect).

    Raises
    ------
    InvalidInputError
        Unknown flavor or format, or ``model_file`` is not a file of ``directory``.
    ConflictError
        The run already has artifacts under ``name``.
    """
    flavor_object = _checked_options(flavor, serialization_format, signature)
    _check_artifact_name(name)
    source = os.fspath(directory)
    if not os.path.isfile(os.path.join(source, model_file)):
        raise InvalidInputError(f"no model file {model_file!r} in {source}")

    repository = get_store(tracking_uri).artifacts(run_id)
    if repository.list_artifacts(name):
        raise ConflictError(f"run {run_id} already has artifacts under {name!r}")
    with tempfile.TemporaryDirectory(prefix="autolog-model-") as staging:
        shutil.copytree(source, staging, dirs_exist_ok=True)
        digest, size = sha256_of_file(os.path.join(staging, model_file))
        metadata = ModelMetadata(
            flavor=flavor_object.name,
            model_class=model_class,
            serialization_format=serialization_format,
            model_file=model_file,
            sha256=digest,
            size_bytes=size,
            framework_version=framework_version,
            python_version=platform.python_version(),
            autolog_version=_autolog_version,
            created=int(time.time() * 1000),
            signature=signature,
            requirements=sorted(requirements),
        )
        write_metadata(staging, metadata, atomic=False)
        repository.log_artifacts(staging, name)
    get_store(tracking_uri).record_logged_model(run_id, name, model_record(metadata))
    return ModelInfo(run_id, name, f"runs:/{run_id}/{name}", metadata)


def _save_into_place(target: str, model: Any, *options: Any) -> ModelMetadata:
    staging = _make_staging_directory(target)
    try:
        metadata = _write_model_directory(staging, model, *options)
        _move_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return metadata


def _make_staging_directory(target: str) -> str:
    parent, base = os.path.split(target)
    if not os.path.isdir(parent):  # a stat is cheaper than a failing mkdir on every save
        make_dirs(parent)
    # ".tmp-" is the store's "write in progress" prefix: listings skip it, so a process killed
    # mid-save never shows a half-written model.
    staging = os.path.join(parent, f".tmp-{base}{_STAGING_MARKER}{secrets.token_hex(6)}")
    os.mkdir(staging, DIR_MODE)
    return staging


def _move_into_place(staging: str, target: str) -> None:
    try:
        # POSIX rename replaces an empty directory and fails on a non-empty one (a racing
        # writer); elsewhere remove the empty directory first.
        if os.name == "nt" and os.path.isdir(target):
            os.rmdir(target)
        os.rename(staging, target)
    except OSError as exc:
        raise ConflictError(
            f"cannot move the model into {target}: something else was written there meanwhile ({exc})"
        ) from exc


def _write_model_directory(
    directory: str,
    model: Any,
    flavor: Flavor,
    serialization_format: str,
    input_example: Any,
    signature: bool | dict | None,
) -> ModelMetadata:
    saved = _described(flavor.save(model, directory, serialization_format), directory)
    example_file = _write_example_quietly(directory, input_example)
    metadata = ModelMetadata(
        flavor=flavor.name,
        model_class=f"{type(model).__module__}.{type(model).__qualname__}",
        serialization_format=serialization_format,
        model_file=saved.file_name,
        sha256=saved.sha256,
        size_bytes=saved.size_bytes,
        framework_version=_installed_framework_version(flavor),
        python_version=platform.python_version(),
        autolog_version=_autolog_version,
        created=int(time.time() * 1000),
        signature=_resolved_signature(model, signature, input_example),
        requirements=_requirements(model, serialization_format),
        input_example=example_file,
    )
    # ``directory`` is always a private staging directory renamed (or copied) into place once
    # complete, so the metadata needs no temp file of its own.
    write_metadata(directory, metadata, atomic=False)
    return metadata


def _described(saved: SavedModelFile | str, directory: str) -> SavedModelFile:
    if isinstance(saved, SavedModelFile):
        return saved
    digest, size = sha256_of_file(os.path.join(directory, saved))
    return SavedModelFile(saved, digest, size)


def _write_example_quietly(directory: str, input_example: Any) -> str | None:
    if input_example is None:
        return None
    try:
        return write_input_example(directory, input_example)
    except (TypeError, ValueError) as exc:  # not JSON-representable: the model still counts
        warnings.warn(f"input example not saved: {exc}", UserWarning, stacklevel=4)
        return None


def _resolved_signature(model: Any, signature: Any, input_example: Any) -> dict | None:
    if signature is True:
        return infer_signature(model, input_example)
    return signature or None


def _requirements(model: Any, serialization_format: str) -> list:
    pins = set(requirements_for(model))
    fmt = SERIALIZATION_FORMATS.get(serialization_format)
    if fmt is not None and fmt.package:
        pins.update(f"{name}=={v}" for name, v in package_versions([fmt.package]).items())
    return sorted(pins, key=str.lower)


def _installed_framework_version(flavor: Flavor) -> str | None:
    if not flavor.framework:
        return None
    return package_versions([flavor.framework]).get(flavor.framework)


# ---------------------------------------------------------------------------------------------
# load


def load_model(
    model_uri: str | os.PathLike,
    *,
    trusted_types: Sequence[str] | None = None,
    allowed_formats: Sequence[str] | None = None,
    trusted: bool = False,
) -> Any:
    """Load a model saved by :func:`save_model` or :func:`log_model`.

    Parameters
    ----------
    model_uri : str or os.PathLike
        ``runs:/<run_id>/<artifact path>``; a registered version as ``models:/<name>/<version>``,
        ``models:/<name>/latest`` or ``models:/<name>@<alias>`` (resolved through the registry
        of the current tracking URI to its run's artifact); a ``file:`` URI; or a local model
        directory (for example a run's artifact directory in the store).
    trusted_types : sequence of str, optional
        For skops files only: the types (as listed in the error) to allow beyond skops' defaults.
    allowed_formats : sequence of str, optional
        Serialization formats you accept (e.g. ``["skops", "json", "ubj"]``); any other is
        refused before the file is read. Leave out :data:`PICKLE_FORMATS` ("pickle",
        "cloudpickle", "joblib") to never unpickle. Default: every format.
    trusted : bool, default False
        For ``runs:/`` and ``models:/`` URIs of models logged before the store kept model
        records (schema revision 0003): load them although the store has no record to check the files
        against (the sha256 in the files is still checked). A record that exists is always
        enforced.

    Returns
    -------
    object
        The model.

    Raises
    ------
    ModelIntegrityError
        For ``runs:/`` and ``models:/`` URIs: the model's flavor, format, file name or sha256
        differ from what the store recorded when it was logged or registered, or the store has
        no record and ``trusted`` is False. For every URI: the model file's sha256 differs from
        the one in ``autolog-model.json``. Nothing was deserialized.
    DisallowedFormatError
        The model's format is not in ``allowed_formats``; nothing was read.
    UntrustedTypesError
        A skops file holds types not in ``trusted_types``.
    NotFoundError
        No model directory, metadata file or model file there; unknown registered model,
        version or alias.
    InvalidInputError
        Malformed URI or metadata.
    """
    return _load_checked(model_uri, trusted_types, allowed_formats, trusted)[0]


def _load_checked(
    model_uri: str | os.PathLike, trusted_types: Sequence[str] | None, allowed_formats: Any, trusted: bool
) -> tuple[Any, ModelMetadata]:
    allowed = _checked_allowed_formats(allowed_formats)
    with _model_directory(model_uri) as (directory, expected):
        if expected is not None:
            expected.check_trusted(trusted)
        model = _load_from_directory(directory, trusted_types, expected=expected, allowed=allowed)
        return model, read_metadata(directory)


def _checked_allowed_formats(allowed_formats: Any) -> frozenset | None:
    if allowed_formats is None:
        return None
    if isinstance(allowed_formats, str) or not all(isinstance(f, str) for f in allowed_formats):
        raise InvalidInputError(
            f"allowed_formats must be a list of format names such as ['skops'], got {allowed_formats!r}"
        )
    return frozenset(allowed_formats)


@dataclass(frozen=True)
class _StoreRecord:
    """What the store recorded for a ``runs:/`` or ``models:/`` URI (``record`` None: nothing)."""

    uri: str
    record: Any

    def check_trusted(self, trusted: bool) -> None:
        if self.record is None and not trusted:
            raise ModelIntegrityError(
                f"the store has no record of the model at {self.uri} (it was logged before autolog "
                "recorded each model's sha256 and format in the store), so its files cannot be "
                "checked against anything but themselves. If you trust whoever can write the "
                "artifact files, load it with load_model(..., trusted=True), or log it again"
            )

    def check(self, metadata: ModelMetadata) -> None:
        if self.record is None:
            return
        for field_name in ("flavor", "serialization_format", "model_file", "sha256"):
            recorded, found = getattr(self.record, field_name), getattr(metadata, field_name)
            if recorded != found:
                raise ModelIntegrityError(
                    f"the model files at {self.uri} do not match what the store recorded when it was "
                    f"logged: {METADATA_FILE_NAME} says {field_name} {found!r}, the store recorded "
                    f"{recorded!r}; the artifact files were changed, refusing to load them"
                )


def load_model_with_metadata(
    model_uri: str | os.PathLike,
    *,
    trusted_types: Sequence[str] | None = None,
    allowed_formats: Sequence[str] | None = None,
    trusted: bool = False,
) -> tuple[Any, ModelMetadata]:
    """Load a model like :func:`load_model` (same checks and options) and return its metadata too.

    For callers that need the signature, flavor or sha256 of what they loaded (a model server),
    read from the same model directory.
    """
    return _load_checked(model_uri, trusted_types, allowed_formats, trusted)


def load_input_example(model_uri: str | os.PathLike) -> Any:
    """Return the saved input example of a model (DataFrame or ndarray), or None if it has none."""
    with _model_directory(model_uri) as (directory, _expected):
        metadata = read_metadata(directory)
        if metadata.input_example is None:
            return None
        return read_input_example(os.path.join(directory, metadata.input_example))


def _load_from_directory(
    directory: str,
    trusted_types: Sequence[str] | None,
    *,
    expected: _StoreRecord | None = None,
    allowed: frozenset | None = None,
) -> Any:
    if not os.path.isdir(directory):
        raise NotFoundError(f"no model directory at {directory}")
    metadata = read_metadata(directory)
    if expected is not None:
        expected.check(metadata)  # before anything else trusts the metadata file
    if allowed is not None and metadata.serialization_format not in allowed:
        raise DisallowedFormatError(
            f"the model at {directory} is serialized as {metadata.serialization_format!r}, which is "
            f"not in allowed_formats {sorted(allowed)!r}; refusing to load it"
        )
    flavor = get_flavor(metadata.flavor)
    model_path = os.path.join(directory, metadata.model_file)
    data = _read_verified(model_path, metadata)
    _warn_on_framework_version_change(flavor, metadata, directory)
    try:
        return flavor.load(model_path, metadata, data=data, trusted_types=trusted_types)
    except AutologError:
        raise
    except (ImportError, AttributeError) as exc:  # a class the pickle names is not importable
        raise AutologError(
            f"cannot load the model in {model_path}: {exc}. It was saved with "
            f"{', '.join(metadata.requirements) or 'no recorded requirements'}; a custom class must be "
            f"importable under the same module name (or save with serialization_format='cloudpickle')"
        ) from exc


def _read_verified(model_path: str, metadata: ModelMetadata) -> bytes:
    try:
        with open_no_follow(model_path) as f:
            data = f.read()
    except FileNotFoundError:
        raise NotFoundError(f"model file {model_path} named in {METADATA_FILE_NAME} is missing") from None
    except OSError as exc:
        if not os.path.islink(model_path):
            raise
        raise ModelIntegrityError(
            f"model file {model_path} is a symlink; model files are read only where they are, "
            "never through a link (it could point outside the run)"
        ) from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != metadata.sha256:
        raise ModelIntegrityError(
            f"model file {model_path} has sha256 {actual}, but {METADATA_FILE_NAME} records "
            f"{metadata.sha256}: the file changed after it was saved; refusing to load it"
        )
    return data


def _warn_on_framework_version_change(flavor: Flavor, metadata: ModelMetadata, directory: str) -> None:
    recorded = metadata.framework_version
    installed = _installed_framework_version(flavor)
    if not recorded or not installed or recorded == installed:
        return
    key = (flavor.framework, recorded, installed)
    if key in _version_warnings.seen:
        return
    _version_warnings.seen.add(key)
    warnings.warn(
        f"the model in {directory} was saved with {flavor.framework} {recorded}, but {installed} "
        f"is installed: it may fail to load or predict differently",
        UserWarning,
        stacklevel=4,
    )


@contextmanager
def _model_directory(model_uri: str | os.PathLike) -> Iterator[tuple]:
    """Yield ``(directory, _StoreRecord or None)``; None for local paths (no store to ask)."""
    if isinstance(model_uri, os.PathLike):
        yield os.fspath(model_uri), None
    elif not isinstance(model_uri, str) or not model_uri:
        raise InvalidInputError(f"model_uri must be a non-empty str or path, got {model_uri!r}")
    elif model_uri.startswith("runs:"):
        run_id, artifact_path = _parse_runs_uri(model_uri)
        expected = _StoreRecord(model_uri, _logged_record(run_id, artifact_path))
        with _run_model_directory(model_uri) as directory:
            yield directory, expected
    elif model_uri.startswith("models:"):
        version = _registered_version(model_uri)
        expected = _StoreRecord(model_uri, _version_record(version))
        with _run_model_directory(version.source) as directory:
            yield directory, expected
    elif model_uri.startswith("file:"):
        yield _file_uri_path(model_uri), None
    elif _URI_SCHEME.match(model_uri):
        raise InvalidInputError(
            f"unsupported model URI {model_uri!r}: use runs:/<run_id>/<path>, models:/<name>/<version>, "
            "models:/<name>@<alias>, file:<path> or a local directory"
        )
    else:
        yield model_uri, None


def _registered_version(model_uri: str):
    """The registered version (``ModelVersion``) a ``models:/`` URI names."""

    return resolve_model_version(get_store(), model_uri)


def _logged_record(run_id: str, artifact_path: str):

    return get_store().get_model_record(run_id, artifact_path)


def _version_record(version: Any):
    """The version's own record; else (a version registered before its run's model had one,
    or by an older autolog) the record of the run's model it points to."""

    store = get_store()
    record = store.get_model_version_record(version.name, version.version)
    return record or store.get_model_record(version.run_id, version.artifact_path)


@contextmanager
def _run_model_directory(model_uri: str) -> Iterator[str]:
    run_id, artifact_path = _parse_runs_uri(model_uri)

    repository = get_store().artifacts(run_id)
    local = repository.local_path(artifact_path)
    if local is not None:
        if not os.path.isdir(local):
            raise NotFoundError(f"run {run_id} has no model at {artifact_path!r} ({model_uri})")
        # The metadata file records the model file's sha256, which loading checks: verifying
        # it against the store's record covers both without hashing the model file twice.
        repository.verify(artifact_path, [METADATA_FILE_NAME])
        yield local
        return
    cached = repository.cached_directory(artifact_path)  # remote: verified files, downloaded once
    if cached is not None:
        yield cached
        return
    with tempfile.TemporaryDirectory(prefix="autolog-load-") as download_root:
        try:
            directory = repository.download_artifacts(artifact_path, download_root)
        except NotFoundError:
            raise NotFoundError(f"run {run_id} has no model at {artifact_path!r} ({model_uri})") from None
        yield directory


def _parse_runs_uri(model_uri: str) -> tuple[str, str]:
    run_id, artifact_path = "", ""
    if model_uri.startswith("runs:/"):
        run_id, _, artifact_path = model_uri[len("runs:/") :].lstrip("/").partition("/")
        artifact_path = artifact_path.strip("/")
    if not run_id or not artifact_path:
        raise InvalidInputError(
            f"malformed model URI {model_uri!r}: expected runs:/<run_id>/<artifact path>, "
            f"e.g. runs:/{run_id or '<run_id>'}/model"
        )
    return run_id, artifact_path


def _file_uri_path(model_uri: str) -> str:
    from urllib.parse import unquote, urlparse

    parsed = urlparse(model_uri)
    if parsed.netloc not in ("", "localhost"):
        raise InvalidInputError(f"file URI {model_uri!r} names another host ({parsed.netloc})")
    path = unquote(parsed.path)
    if os.name == "nt" and re.match(r"^/[A-Za-z]:", path):
        path = path[1:]
    if not path:
        raise InvalidInputError(f"file URI {model_uri!r} has no path")
    return path
