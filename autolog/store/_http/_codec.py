"""The wire format of the server API: entities to JSON-ready dicts and back.

Both ends are autolog, so the format is plain: a dataclass becomes a dict of its fields, a page
of runs ``{"items": [...], "token": ...}``. Metric values may be NaN or +/-inf; the JSON text
uses Python's ``NaN``/``Infinity`` literals (both ends read them).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, NamedTuple

from autolog._core._entities import (
    Experiment,
    ExperimentKeys,
    FileInfo,
    Metric,
    ModelRecord,
    ModelVersion,
    PagedList,
    RegisteredModel,
    Run,
    RunData,
    RunInfo,
    SeriesSample,
)

_KINDS = {
    "experiment": Experiment,
    "metric": Metric,
    "file": FileInfo,
    "registered_model": RegisteredModel,
    "model_version": ModelVersion,
    "series_sample": SeriesSample,
    "experiment_keys": ExperimentKeys,
    "model_record": ModelRecord,
}
_KIND_OF = {cls: kind for kind, cls in _KINDS.items()}


def dumps(value: Any) -> bytes:
    """Serialize a store result (or request body) to JSON bytes.

    The C encoder walks lists, dicts and plain values itself (a batch holds thousands of rows);
    only entities reach :func:`_entity`. A page (a list subclass, which the encoder would write
    as a bare list) is wrapped first. Anything the fast path cannot write goes through
    :func:`encode`.
    """
    if isinstance(value, PagedList):
        value = {"$": "page", "items": list(value), "token": value.token}
    try:
        text = _FAST.encode(value)
    except (TypeError, ValueError):
        text = _SLOW.encode(encode(value))
    return text.encode("utf-8")


def _entity(value: Any) -> Any:
    """The ``default`` hook of the fast encoder: one entity, its fields left to the encoder."""
    if isinstance(value, Run):
        return {"$": "run", "info": value.info.__dict__, "data": value.data.__dict__}
    kind = _KIND_OF.get(type(value))
    if kind is None or isinstance(value, PagedList):
        raise TypeError(f"not JSON serializable: {type(value).__name__}")
    return {"$": kind, **{f.name: getattr(value, f.name) for f in dataclasses.fields(value)}}


_FAST = json.JSONEncoder(separators=(",", ":"), default=_entity)
_SLOW = json.JSONEncoder(separators=(",", ":"))


def loads(data: bytes) -> Any:
    """Parse JSON bytes (``NaN``/``Infinity`` allowed) and rebuild entities."""
    return json.loads(data, object_hook=_object) if data else None


def _object(value: dict) -> Any:
    """The parser's hook for each JSON object (innermost first): rebuild tagged entities."""
    kind = value.get("$")
    if kind is None:
        return value
    if kind == "run":
        return Run(RunInfo(**value["info"]), RunData(**value["data"]))
    if kind == "page":
        return PagedList(value["items"], value["token"])
    fields = {key: item for key, item in value.items() if key != "$"}
    if kind == "model_version":
        fields["aliases"] = tuple(fields.get("aliases") or ())
    return _KINDS[kind](**fields)


def encode(value: Any) -> Any:
    """A JSON-ready form of ``value``: entities are tagged with ``"$"`` so they come back (see
    :func:`_object`); the slow path of :func:`dumps`."""
    if isinstance(value, Run):
        return {"$": "run", "info": dataclasses.asdict(value.info), "data": dataclasses.asdict(value.data)}
    if isinstance(value, PagedList):
        return {"$": "page", "items": [encode(item) for item in value], "token": value.token}
    kind = _KIND_OF.get(type(value))
    if kind is not None:
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"$": kind, **fields}
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        return {str(key): encode(item) for key, item in value.items()}
    return value


def metric_to_wire(metric: Any) -> list:
    """A metric as a compact ``[key, value, timestamp, step]`` row (batches hold thousands)."""
    return [metric.key, metric.value, metric.timestamp, metric.step]


class WireMetric(NamedTuple):
    """A metric row from the wire: the attributes the store reads, cheaper than :class:`Metric`."""

    key: Any
    value: Any
    timestamp: Any
    step: Any


def metric_from_wire(row: Any) -> Any:
    """Inverse of :func:`metric_to_wire`; bad shapes are left for the store's validation."""
    if type(row) is list and len(row) == 4:
        return WireMetric(*row)
    return row


def model_record_from_wire(fields: dict) -> ModelRecord:
    """A model record sent in a request body (requests carry plain JSON)."""
    from autolog._core._exceptions import InvalidInputError

    try:
        return ModelRecord(**fields)
    except TypeError as error:
        raise InvalidInputError(f"invalid model record: {error}") from None


def loads_request(data: bytes) -> Any:
    """A request body: plain JSON (requests carry no entities)."""
    return json.loads(data) if data else None


def dumps_bundle(files: list, model_records: list) -> bytes:
    """The body of ``POST /runs/{id}/artifacts/bundle``: a JSON line naming the files (path and
    size) and the model records to write after them, then the files' bytes one after another."""
    header = {"files": [[path, len(data)] for path, data in files], "model_records": model_records}
    return dumps(header) + b"\n" + b"".join(bytes(data) for _path, data in files)


def loads_bundle(body: bytes) -> tuple[list, list]:
    """``(files, model_records)`` of a bundle body: ``[(path, bytes)]``, ``[[path, record]]``."""
    from autolog._core._exceptions import InvalidInputError

    line, _newline, data = body.partition(b"\n")
    try:
        header = loads_request(line)
        sizes = [(str(path), int(size)) for path, size in header["files"]]
        records = [[str(path), dict(record)] for path, record in header["model_records"]]
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidInputError(f"invalid artifact bundle: {exc}") from None
    if any(size < 0 for _path, size in sizes) or sum(size for _path, size in sizes) != len(data):
        raise InvalidInputError("invalid artifact bundle: the file sizes do not add up to the body")
    files, offset = [], 0
    for path, size in sizes:
        files.append((path, data[offset : offset + size]))
        offset += size
    return files, records
