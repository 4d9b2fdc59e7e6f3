"""Plain value objects for experiments, runs, params, metrics and tags.

Times are integer milliseconds since the epoch, as in MLflow, so that users can move over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from autolog._core._exceptions import InvalidInputError


class RunStatus:
    RUNNING = "RUNNING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"
    ALL = (RUNNING, FINISHED, FAILED, KILLED)
    TERMINAL = (FINISHED, FAILED, KILLED)


class LifecycleStage:
    ACTIVE = "active"
    DELETED = "deleted"


class ViewType:
    """Which lifecycle stages a listing or search returns."""

    ACTIVE_ONLY = "active"
    DELETED_ONLY = "deleted"
    ALL = "all"


@dataclass(frozen=True)
class Param:
    key: str
    value: str


@dataclass(frozen=True)
class RunTag:
    key: str
    value: str


@dataclass(frozen=True)
class Metric:
    key: str
    value: float
    timestamp: int
    step: int = 0


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str = LifecycleStage.ACTIVE
    tags: dict = field(default_factory=dict)
    creation_time: int | None = None
    last_update_time: int | None = None

    def _repr_html_(self) -> str:
        from autolog._core._html import experiment_html

        return experiment_html(self)


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    experiment_id: str
    run_name: str | None
    status: str
    start_time: int
    end_time: int | None
    user_id: str | None
    source: str | None
    parent_run_id: str | None
    lifecycle_stage: str
    artifact_uri: str


@dataclass(frozen=True)
class RunData:
    params: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    tags: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Run:
    info: RunInfo
    data: RunData

    def _repr_html_(self) -> str:
        from autolog._core._html import run_html

        return run_html(self)


@dataclass(frozen=True)
class FileInfo:
    """One entry of an artifact listing; ``path`` is relative to the run's artifact root."""

    path: str
    is_dir: bool
    file_size: int | None = None


class PagedList(list):
    """A page of results; ``token`` fetches the next page, ``None`` on the last one."""

    def __init__(self, items, token: str | None = None):
        super().__init__(items)
        self.token = token

    def _repr_html_(self) -> str | None:
        """Runs render as a table in Jupyter; other items fall back to the plain repr."""
        if not all(isinstance(item, Run) for item in self):
            return None
        from autolog._core._html import runs_html

        return runs_html(list(self))


class ModelVersionStatus:
    """The status of a model version; registration is synchronous, so a version is READY."""

    READY = "READY"


@dataclass(frozen=True)
class RegisteredModel:
    """A named model of the registry.

    Attributes
    ----------
    name : str
    creation_time, last_update_time : int
        Milliseconds since the epoch.
    description : str or None
    tags : dict
    aliases : dict
        Alias name -> version number.
    latest_version : int or None
        The highest version number, ``None`` while the model has no version.
    """

    name: str
    creation_time: int
    last_update_time: int
    description: str | None = None
    tags: dict = field(default_factory=dict)
    aliases: dict = field(default_factory=dict)
    latest_version: int | None = None


@dataclass(frozen=True)
class ModelVersion:
    """One version of a registered model: a pointer to a model directory in a run's artifacts.

    Attributes
    ----------
    name : str
        The registered model's name.
    version : int
        1, 2, ... in registration order, without gaps or duplicates.
    run_id : str
        The run that produced the model.
    artifact_path : str
        The model directory inside the run's artifacts (usually ``"model"``).
    source : str
        ``runs:/<run_id>/<artifact_path>``.
    status : str
        :class:`ModelVersionStatus` value.
    description : str or None
    creation_time, last_update_time : int
    tags : dict
    aliases : tuple of str
        The aliases pointing at this version.
    """

    name: str
    version: int
    run_id: str
    artifact_path: str
    source: str
    status: str
    creation_time: int
    last_update_time: int
    description: str | None = None
    tags: dict = field(default_factory=dict)
    aliases: tuple = ()


@dataclass
class SeriesSample:
    """One run's history of one metric, possibly down-sampled.

    ``steps`` and ``values`` are parallel lists (NaN for NaN); ``total`` is the number of points
    recorded in the requested range (estimated from the envelope for long series); ``sampled``
    tells whether points were merged; ``cursor`` is ``(step, id)`` of the last point read, the
    position to poll :meth:`Store.metric_histories_since` from.
    """

    run_id: str
    key: str
    steps: list = field(default_factory=list)
    values: list = field(default_factory=list)
    total: int = 0
    sampled: bool = False
    cursor: tuple | None = None


@dataclass
class ExperimentKeys:
    """Keys of an experiment's runs.

    ``metrics``: ``(key, last_logged_ms, runs_with_key)`` newest first; ``params``: ``(key,
    distinct_values, runs_with_key)`` by key; ``run_count``: runs considered.
    """

    metrics: list
    params: list
    run_count: int

    def varying_params(self) -> list:
        """Params whose value differs between runs (or that some runs lack)."""
        return [k for k, distinct, n in self.params if distinct > 1 or n < self.run_count]


MODEL_RECORD_FIELDS = ("flavor", "serialization_format", "model_file", "sha256", "size_bytes")
MODEL_RECORD_NAME_LENGTH = 200  # flavor, serialization format and model file names
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class ModelRecord:
    """What the metadata store recorded about a model's files when it was logged or registered.

    Attributes
    ----------
    flavor : str
    serialization_format : str
    model_file : str
        File name inside the model directory.
    sha256 : str
        Hex sha256 of the model file.
    size_bytes : int
    """

    flavor: str
    serialization_format: str
    model_file: str
    sha256: str
    size_bytes: int

    def checked(self) -> ModelRecord:
        """Return self, or raise InvalidInputError naming the field that cannot be stored."""
        for name in ("flavor", "serialization_format", "model_file"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value or len(value) > MODEL_RECORD_NAME_LENGTH:
                raise InvalidInputError(
                    f"model record: {name} must be 1-{MODEL_RECORD_NAME_LENGTH} characters, got {value!r}"
                )
        if not isinstance(self.sha256, str) or not _SHA256_HEX.fullmatch(self.sha256):
            raise InvalidInputError(f"model record: sha256 {self.sha256!r} is not 64 lowercase hex digits")
        if not isinstance(self.size_bytes, int) or self.size_bytes < 0:
            raise InvalidInputError(
                f"model record: size_bytes must be a non-negative int, got {self.size_bytes!r}"
            )
        return self

    def values(self) -> dict:
        return {name: getattr(self, name) for name in MODEL_RECORD_FIELDS}
