"""``HttpStore``: the store contract over the tracking server's REST API (``/api/v1``).

Same method names, signatures and errors as :class:`SqlStore` (HTTP 400/404/409 come back as
InvalidInputError/NotFoundError/ConflictError; 401/403 as AccessDeniedError). Metrics and tags of
the runs this store created are validated here and sent in the background in batches (see
``_batcher.py``); every other call first flushes that queue, so reads see earlier writes.
Autologging's runs are created through the same queue (``create_run_nowait``), their end with them
in one request when the run is short, and their files and model records go from the upload thread
a few per request (``POST .../artifacts/bundle``) once the run exists.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import shutil
import threading
import time
import uuid
import warnings
from collections.abc import Iterable
from typing import Any

from autolog._core import _validation
from autolog._core._entities import LifecycleStage, Metric, Run, RunData, RunInfo, RunStatus, ViewType
from autolog._core._exceptions import ConflictError, InvalidInputError
from autolog.store._contract import Store
from autolog.store._http import _codec, _spool
from autolog.store._http._artifacts import HttpArtifactRepository
from autolog.store._http._batcher import Batcher, RunRows
from autolog.store._http._transport import ServerUnreachableError, Transport

_INT64_MAX = 2**63 - 1
RETRY_BUDGET_ENV = "AUTOLOG_HTTP_RETRY_SECONDS"
DEFAULT_RETRY_BUDGET_S = 30.0


def retry_budget_s() -> float:
    """How long connection errors and 5xx answers are retried (``AUTOLOG_HTTP_RETRY_SECONDS``)."""
    try:
        return float(os.environ.get(RETRY_BUDGET_ENV) or DEFAULT_RETRY_BUDGET_S)
    except ValueError:
        return DEFAULT_RETRY_BUDGET_S


# Run-scoped writes that go to the spool when the server cannot be reached.
_SPOOLABLE = frozenset({"update_run", "finish_run", "log_metric", "log_param", "set_tag", "log_batch"})
MAX_BUNDLE_BYTES = 8 * 1024 * 1024  # files of one background upload request, at most


@dataclasses.dataclass
class _Bundle:
    """Files (``(path, bytes or staged file)``) and model records queued for one upload."""

    files: list = dataclasses.field(default_factory=list)
    records: list = dataclasses.field(default_factory=list)
    staging: list = dataclasses.field(default_factory=list)


def _read(payload: bytes | str) -> bytes:
    if isinstance(payload, str):
        with open(payload, "rb") as handle:
            return handle.read()
    return payload


_DROPPED_WHEN_REFUSED = _SPOOLABLE | {"record_logged_model"}
OFFLINE_BUDGET_S = 3.0  # how long run start and experiment lookups wait for an unreachable server


def _routed(method):
    """Send calls on spooled runs to the spool; spool the writes the server cannot take."""
    name = method.__name__

    @functools.wraps(method)
    def routed(self, run_id, *args, **kwargs):
        if name in _DROPPED_WHEN_REFUSED and isinstance(run_id, str) and run_id in self._refused:
            return None  # its creation was refused: warned once, the rest is not recorded
        spool_run = self._spooled.get(run_id) if isinstance(run_id, str) else None
        if spool_run is not None:
            return getattr(self._spool_store(), name)(spool_run, *args, **kwargs)
        try:
            return method(self, run_id, *args, **kwargs)
        except ServerUnreachableError:
            if name not in _SPOOLABLE or run_id not in self._own_runs:
                raise
            mirror = self._mirror_of(run_id)
            return getattr(self._spool_store(), name)(mirror, *args, **kwargs)

    return routed


class HttpStore(Store):
    """The store of a tracking server.

    Parameters
    ----------
    base_url : str
        ``http(s)://host:port`` of ``autolog server``.
    token : str, optional
        An API token (``AUTOLOG_TRACKING_TOKEN``).
    background_logging : bool
        Send metrics and tags of this store's own runs from a background thread (default).
    """

    def __init__(self, base_url: str, token: str | None = None, *, background_logging: bool = True):
        self.transport = Transport(base_url, token, retry_budget_s=retry_budget_s())
        self.base_url = self.transport.base_url
        self._artifact_root: str | None = None
        self._own_runs: dict[str, str] = {}  # run id -> experiment id, of runs this store made
        self._written: dict[str, set] = {}  # run id -> artifact paths this store uploaded to its own run
        self._spooled: dict[str, str] = {}  # run id given out -> spool run id (the same)
        self._spool_experiments: set[str] = set()
        self._valid_keys: set[str] = set()  # metric keys that passed validation once
        self._spool = None
        self._warned_offline = False
        self._own_lock = threading.Lock()
        # Queued creations (create_run_nowait) not answered yet: uploads to the run wait for them.
        self._unanswered: dict[str, threading.Event] = {}
        self._refused: set[str] = set()  # queued creations the server refused (warned once)
        # experiment id -> (prefix, suffix) of its runs' artifact URIs around the run id
        self._artifact_uris: dict[str, tuple[str, str]] = {}
        self._outbox: dict[str, _Bundle] = {}  # run id -> files queued for its next upload
        self._batcher = Batcher(self._deliver_run) if background_logging else None

    def __repr__(self) -> str:
        return f"HttpStore({self.base_url!r})"

    @property
    def artifact_root(self) -> str | None:
        """The server's artifact root (as the server sees it)."""
        if self._artifact_root is None:
            self._artifact_root = self.whoami()["artifact_root"]
        return self._artifact_root

    def whoami(self) -> dict:
        """The caller as the server sees it: user, admin flag, default permission."""
        return self.transport.call("GET", "/whoami")

    def close(self) -> None:
        """Send what is queued (the store can still be used afterwards)."""
        self.flush()

    def flush(self) -> None:
        """Wait until every queued metric and tag has been sent."""
        if self._batcher is not None:
            self._batcher.flush()

    def _call(self, method: str, path: str, body: Any = None, **options) -> Any:
        self.flush()
        if self._warned_offline and "budget_s" not in options:
            options["budget_s"] = OFFLINE_BUDGET_S
        return self.transport.call(method, path, body, **options)

    # --- experiments -----------------------------------------------------------------------

    def create_experiment(self, name: str, artifact_location: str | None = None, tags: Any = None) -> str:
        body = {"name": name, "artifact_location": artifact_location, "tags": _pairs(tags)}
        try:
            return self._call("POST", "/experiments", body, idempotent=False, budget_s=OFFLINE_BUDGET_S)
        except ServerUnreachableError as exc:
            return self._spool_experiment(exc, name=_validation.experiment_name(name))

    def get_experiment(self, experiment_id: str):
        if str(experiment_id) in self._spool_experiments:
            return self._spool_store().get_experiment(experiment_id)
        return self._call("GET", f"/experiments/{_segment(experiment_id)}")

    def get_experiment_by_name(self, name: str):
        if type(name) is not str or _validation.has_unstorable(name):
            return None
        try:
            return self._call("GET", "/experiments/by-name", query={"name": name}, budget_s=OFFLINE_BUDGET_S)
        except ServerUnreachableError as exc:
            return self.get_experiment(self._spool_experiment(exc, name=name))

    def search_experiments(
        self,
        view_type: str = ViewType.ACTIVE_ONLY,
        name_like: str | None = None,
        max_results: int | None = None,
    ):
        query = {
            "view_type": view_type,
            "name_like": name_like,
            "max_results": None if max_results is None else _query_int(max_results),
        }
        return self._call("GET", "/experiments", query=query)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self._call("PATCH", f"/experiments/{_segment(experiment_id)}", {"new_name": new_name})

    def delete_experiment(self, experiment_id: str) -> None:
        self._call("DELETE", f"/experiments/{_segment(experiment_id)}")

    def restore_experiment(self, experiment_id: str) -> None:
        self._call("POST", f"/experiments/{_segment(experiment_id)}/restore")

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        [(key, text)] = _validation.tag_values([(key, value)])
        self._call("POST", f"/experiments/{_segment(experiment_id)}/tags", {"key": key, "value": text})

    # --- runs ------------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        *,
        run_id: str | None = None,
        run_name: str | None = None,
        start_time: int | None = None,
        tags: Any = None,
        params: Any = None,
        parent_run_id: str | None = None,
        user_id: str | None = None,
        source: str | None = None,
    ):
        return self._create_run(
            experiment_id,
            uuid.uuid4().hex,
            run_id=None if run_id is None else _validation.run_id(run_id),
            run_name=run_name,
            start_time=start_time,
            tags=tags,
            params=params,
            parent_run_id=parent_run_id,
            user_id=user_id,
            source=source,
        )

    def _create_run(self, experiment_id: Any, request_id: str, **fields):
        """``create_run`` with the client's request id: the server creates one run per id."""
        body = _create_body(experiment_id, request_id, **fields)
        if str(experiment_id) in self._spool_experiments:
            return self._spool_run(None, experiment_id, body)
        try:
            run = self.transport.call(
                "POST", "/runs", body, budget_s=OFFLINE_BUDGET_S
            )  # no flush: a create reads nothing
        except ServerUnreachableError as exc:
            return self._spool_run(exc, experiment_id, body)
        with self._own_lock:
            self._own_runs[run.info.run_id] = run.info.experiment_id
        self._learn_artifact_uri(run.info)
        return run

    def _learn_artifact_uri(self, info) -> None:
        """Remember how the server names the artifact URIs of an experiment's runs."""
        parts = info.artifact_uri.split(info.run_id)
        if len(parts) == 2:
            self._artifact_uris[info.experiment_id] = (parts[0], parts[1])

    def create_run_nowait(
        self,
        experiment_id: str,
        *,
        run_id: str | None = None,
        run_name: str | None = None,
        start_time: int | None = None,
        tags: Any = None,
        params: Any = None,
        parent_run_id: str | None = None,
        user_id: str | None = None,
        source: str | None = None,
    ):
        """``create_run`` that does not wait for the server: the creation is queued on the
        background sender (held briefly, so that a short run goes out as ONE ``/runs/finished``
        with its end), and the run is returned as the server will create it.

        The first run of an experiment (the server's artifact URIs are not known yet), a run
        under a chosen id, and runs of spooled experiments or parents are created at once (see
        :meth:`create_run`). Every read of this store sends queued creations first; uploads to
        the run wait for its creation; a creation the server refuses is reported as one warning
        and the run's later writes are dropped.
        """
        uris = self._artifact_uris.get(str(experiment_id))
        if (
            self._batcher is None
            or uris is None
            or run_id is not None
            or str(experiment_id) in self._spool_experiments
            or parent_run_id in self._spooled
        ):
            return self.create_run(
                experiment_id,
                run_name=run_name,
                start_time=start_time,
                tags=tags,
                params=params,
                parent_run_id=parent_run_id,
                user_id=user_id,
                source=source,
                run_id=run_id,
            )
        body = _create_body(
            experiment_id,
            uuid.uuid4().hex,
            run_id=uuid.uuid4().hex,
            run_name=_validation.optional_text(run_name, "run name"),
            start_time=int(time.time() * 1000)
            if start_time is None
            else _validation.integer(start_time, "start_time"),
            tags=tags,
            params=params,
            parent_run_id=None if parent_run_id is None else _validation.run_id(parent_run_id),
            user_id=_validation.optional_text(user_id, "user_id"),
            source=_validation.optional_text(source, "source"),
        )
        return self._queue_creation(str(experiment_id), body, uris)

    def _queue_creation(self, experiment_id: str, body: dict, uris: tuple[str, str]):
        run_id = body["run_id"]
        info = RunInfo(
            run_id,
            experiment_id,
            body["run_name"],
            RunStatus.RUNNING,
            body["start_time"],
            None,
            body["user_id"],
            body["source"],
            body["parent_run_id"],
            LifecycleStage.ACTIVE,
            uris[0] + run_id + uris[1],
        )
        with self._own_lock:
            self._own_runs[run_id] = experiment_id
            self._unanswered[run_id] = threading.Event()
        self._batcher.put(run_id, "c", (body, time.monotonic()))  # type: ignore[union-attr]
        return Run(info, RunData(params=dict(body["params"]), metrics={}, tags=dict(body["tags"])))

    def create_finished_run(
        self,
        experiment_id: str,
        *,
        status: str = RunStatus.FINISHED,
        end_time: int | None = None,
        run_name: str | None = None,
        start_time: int | None = None,
        tags: Any = None,
        params: Any = None,
        metrics: Any = (),
        parent_run_id: str | None = None,
        user_id: str | None = None,
        source: str | None = None,
        run_id: str | None = None,
    ) -> str:
        _validation.end_status(status, "a finished run")
        body = {
            "experiment_id": _text_id(experiment_id),
            "status": status,
            "end_time": end_time,
            "run_name": run_name,
            "start_time": start_time,
            "tags": _validation.tag_values(_pairs(tags)),
            "params": _validation.param_values(_pairs(params)),
            "metrics": _metric_rows(metrics),
            "parent_run_id": parent_run_id,
            "user_id": user_id,
            "source": source,
            # The id is chosen here, so that a request whose answer was lost is never retried
            # into a second run (only a refused connection is retried).
            "run_id": uuid.uuid4().hex if run_id is None else _validation.run_id(run_id),
        }
        if str(experiment_id) not in self._spool_experiments and parent_run_id not in self._spooled:
            try:
                return self._call("POST", "/runs/finished", body, idempotent=False, budget_s=OFFLINE_BUDGET_S)
            except ServerUnreachableError as exc:
                self._warn_offline(exc)
        return self._spool_finished_run(experiment_id, body)

    def _spool_finished_run(self, experiment_id: Any, body: dict) -> str:
        """``create_finished_run`` into the offline spool (uploaded by ``autolog sync``)."""
        spool = self._spool_store()
        if str(experiment_id) in self._spool_experiments:
            local_experiment = str(experiment_id)
        else:
            local_experiment = _spool.spool_experiment(spool, server_id=str(experiment_id))
        body = dict(body, tags=list(body["tags"]), metrics=[Metric(*row) for row in body["metrics"]])
        parent = body.pop("parent_run_id")
        if parent is not None and parent not in self._spooled:
            body["tags"].append((_spool.PARENT_RUN_ID, parent))  # a server run: linked at sync time
            parent = None
        del body["experiment_id"]
        return spool.create_finished_run(local_experiment, parent_run_id=parent, **body)

    @_routed
    def get_run(self, run_id: str):
        return self._call("GET", f"/runs/{_segment(run_id)}")

    @_routed
    def update_run(
        self,
        run_id: str,
        *,
        status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> None:
        body = {"status": status, "end_time": end_time, "run_name": run_name}
        self._call("PATCH", f"/runs/{_segment(run_id)}", body)

    @_routed
    def finish_run(
        self,
        run_id: str,
        *,
        metrics: Any = (),
        tags: Any = (),
        status: str = RunStatus.FINISHED,
        end_time: int | None = None,
    ) -> None:
        _validation.end_status(status, f"run {run_id!r}")
        body = {
            "metrics": _metric_rows(metrics),
            "tags": _validation.tag_values(_pairs(tags)),
            "status": status,
            "end_time": int(time.time() * 1000)
            if end_time is None
            else _validation.integer(end_time, "end_time"),
        }
        if self._batcher is not None and run_id in self._own_runs:
            # Sent by the background sender after the run's queued values (reads flush first).
            self._batcher.put(run_id, "f", body, wake=True)
            return
        self._call("POST", f"/runs/{_segment(run_id)}/finish", body, idempotent=False)

    def deferred_artifact_records(self, run_id: str) -> contextlib.AbstractContextManager[None]:
        """Nothing to defer here: the server records each upload, and a run's background uploads
        already travel with its model records in one bundle request."""
        return contextlib.nullcontext()

    def _deliver_run(self, run_id: str, rows: RunRows) -> None:
        """One run's queued writes, from the background sender: its creation (with its end in
        one request when both are queued), metrics and tags, then its end."""
        create = rows.create
        if create is not None:
            try:
                if rows.ends:
                    self._send_created_finished(run_id, rows)
                    rows = RunRows(ends=rows.ends[1:])
                else:
                    self._send_creation(run_id, create)
            finally:
                event = self._unanswered.pop(run_id, None)
                if event is not None:
                    event.set()
        if run_id in self._refused:
            return
        if run_id in self._spooled:
            self._spool_rows(self._spooled[run_id], rows)
            return
        if rows.metrics or rows.tags:
            try:
                self._send_batch(run_id, uuid.uuid4().hex, rows.metrics, rows.tags)
            except Exception as exc:
                self._batch_failed(exc, run_id, rows.metrics, rows.tags)
        for end in rows.ends:
            try:
                self._send_finish(run_id, end)
            except Exception as exc:
                warnings.warn(f"autolog: the end of run {run_id} was not recorded: {exc}", stacklevel=1)

    def _send_creation(self, run_id: str, body: dict) -> None:
        """A queued ``create_run``: spooled when the server is unreachable."""
        try:
            self.transport.call("POST", "/runs", body, budget_s=OFFLINE_BUDGET_S)
        except ServerUnreachableError as exc:
            self._spool_run(exc, body["experiment_id"], body)
        except Exception as exc:
            self._refuse(run_id, exc)

    def _send_created_finished(self, run_id: str, rows: RunRows) -> None:
        """A queued creation and the run's end (with the metrics and tags between) as ONE
        ``POST /runs/finished``; spooled when the server is unreachable."""
        create, end = rows.create or {}, rows.ends[0]
        tags = dict(create["tags"])
        tags.update(dict(rows.tags))
        tags.update(dict(end["tags"]))
        body = {
            **{key: value for key, value in create.items() if key != "request_id"},
            "status": end["status"],
            "end_time": end["end_time"],
            "tags": list(tags.items()),
            "metrics": rows.metrics + end["metrics"],
        }
        try:
            # Retried like any idempotent call: the run id is this client's, so a 409 answers
            # a retry whose first attempt was written (one transaction: all of it).
            self.transport.call("POST", "/runs/finished", body, budget_s=OFFLINE_BUDGET_S)
        except ConflictError as exc:
            if not self._exists(run_id):  # e.g. the experiment was deleted meanwhile
                self._refuse(run_id, exc)
        except ServerUnreachableError as exc:
            self._warn_offline(exc)
            self._spool_finished_run(create["experiment_id"], body)
            self._spooled[run_id] = run_id
        except Exception as exc:
            self._refuse(run_id, exc)

    def _exists(self, run_id: str) -> bool:
        try:
            self.transport.call("GET", f"/runs/{_segment(run_id)}")
        except Exception:
            return False
        return True

    def _refuse(self, run_id: str, exc: Exception) -> None:
        self._refused.add(run_id)
        warnings.warn(
            f"autolog: run {run_id} could not be created on {self.base_url}: {exc}; "
            "its metrics, artifacts and end are not recorded",
            stacklevel=2,
        )

    def _spool_rows(self, spool_run: str, rows: RunRows) -> None:
        """Queued writes to a run whose creation went to the spool."""
        spool = self._spool_store()
        if rows.metrics or rows.tags:
            spool.log_batch(spool_run, metrics=_metrics_of(rows.metrics), tags=rows.tags)
        for end in rows.ends:
            spool.finish_run(
                spool_run,
                metrics=_metrics_of(end["metrics"]),
                tags=end["tags"],
                status=end["status"],
                end_time=end["end_time"],
            )

    def _await_creation(self, run_id: str) -> None:
        """Return once a queued creation of ``run_id`` has been answered (or spooled)."""
        event = self._unanswered.get(run_id)
        while event is not None and not event.wait(1.0):
            self._batcher.wake()  # type: ignore[union-attr]  # only queued with a batcher

    def _send_finish(self, run_id: str, body: dict) -> None:
        """The end of one of this store's runs, from the background sender."""
        try:
            self.transport.call("POST", f"/runs/{_segment(run_id)}/finish", body, idempotent=False)
        except ServerUnreachableError as exc:
            self._warn_offline(exc)
            self._spool_store().finish_run(
                self._mirror_of(run_id),
                metrics=_metrics_of(body["metrics"]),
                tags=body["tags"],
                status=body["status"],
                end_time=body["end_time"],
            )

    def heartbeat(self, run_ids: str | Iterable[str]) -> None:
        ids = [run_ids] if isinstance(run_ids, str) else list(run_ids)
        ids = [i for i in ids if type(i) is str and not _validation.has_unstorable(i)]
        spooled = [self._spooled[i] for i in ids if i in self._spooled]
        if spooled:
            self._spool_store().heartbeat(spooled)
        ids = [i for i in ids if i not in self._spooled]
        if ids:
            try:
                self.transport.call("POST", "/runs/heartbeat", {"run_ids": ids}, budget_s=0)
            except ServerUnreachableError:
                pass  # the next beat may get through; a stale run is only reported KILLED

    @_routed
    def delete_run(self, run_id: str, *, force: bool = False) -> None:
        self._wait_for_uploads(run_id)
        self._call("DELETE", f"/runs/{_segment(run_id)}", query={"force": "true" if force else None})
        with self._own_lock:
            self._own_runs.pop(run_id, None)

    @_routed
    def restore_run(self, run_id: str) -> None:
        self._call("POST", f"/runs/{_segment(run_id)}/restore")

    # --- logging ---------------------------------------------------------------------------

    @_routed
    def log_metric(
        self, run_id: str, key: str, value: float, *, timestamp: int | None = None, step: int | None = None
    ) -> None:
        if (
            self._batcher is not None
            and run_id in self._own_runs
            and key in self._valid_keys
            and type(value) is float
            and (step is None or (type(step) is int and -_INT64_MAX <= step <= _INT64_MAX))
            and (timestamp is None or (type(timestamp) is int and 0 <= timestamp <= _INT64_MAX))
        ):
            # The common call, already known valid: a float for a key validated before.
            now = timestamp if timestamp is not None else time.time_ns() // 1_000_000
            self._batcher.put(run_id, "m", [key, value, now, step or 0])
            return
        row = _metric_rows([_codec.WireMetric(key, value, timestamp, step)])[0]
        self._valid_keys.add(key)
        if self._batcher is not None and run_id in self._own_runs:
            self._batcher.put(run_id, "m", row)
        else:
            self._log_batch_now(run_id, metrics=[row])

    @_routed
    def log_param(self, run_id: str, key: str, value: Any) -> None:
        self.log_batch(run_id, params=[(key, value)])

    @_routed
    def set_tag(self, run_id: str, key: str, value: Any) -> None:
        [(key, text)] = _validation.tag_values([(key, value)])
        if self._batcher is not None and run_id in self._own_runs:
            self._batcher.put(run_id, "t", (key, text))
        else:
            self._log_batch_now(run_id, tags=[(key, text)])

    @_routed
    def log_batch(self, run_id: str, metrics: Any = (), params: Any = (), tags: Any = ()) -> None:
        metric_rows = _metric_rows(metrics)
        param_rows = _validation.param_values(_pairs(params))
        tag_rows = _validation.tag_values(_pairs(tags))
        self.flush()
        self._log_batch_now(run_id, metrics=metric_rows, params=param_rows, tags=tag_rows)

    def _log_batch_now(self, run_id: str, *, metrics=(), params=(), tags=()) -> None:
        body = {
            "batch_id": uuid.uuid4().hex,
            "metrics": list(metrics),
            "params": list(params),
            "tags": list(tags),
        }
        self.transport.call("POST", f"/runs/{_segment(run_id)}/batch", body)

    def _send_batch(self, run_id: str, batch_id: str, metrics: list, tags: list) -> None:
        body = {"batch_id": batch_id, "metrics": metrics, "params": [], "tags": tags}
        self.transport.call("POST", f"/runs/{_segment(run_id)}/batch", body)

    def _batch_failed(self, exc: Exception, run_id: str, metrics: list, tags: list) -> None:
        if isinstance(exc, ServerUnreachableError) and run_id in self._own_runs:
            self._warn_offline(exc)
            self._spool_store().log_batch(self._mirror_of(run_id), metrics=_metrics_of(metrics), tags=tags)
            return
        warnings.warn(
            f"autolog: {len(metrics)} metric values and {len(tags)} tags of run {run_id} could not "
            f"be sent to {self.base_url}: {exc}",
            stacklevel=2,
        )

    # --- offline spool ---------------------------------------------------------------------

    def _spool_store(self):
        if self._spool is None:
            self._spool = _spool.open_spool()
        return self._spool

    def _warn_offline(self, exc: Exception) -> None:
        if not self._warned_offline:
            self._warned_offline = True
            warnings.warn(
                f"autolog: {exc}; runs are written to the spool {_spool.default_spool_dir()} until "
                "it answers: upload them later with `autolog sync`",
                stacklevel=3,
            )

    def _spool_experiment(self, exc: Exception, *, name: str) -> str:
        self._warn_offline(exc)
        experiment_id = _spool.spool_experiment(self._spool_store(), name=name)
        self._spool_experiments.add(experiment_id)
        return experiment_id

    def _spool_run(self, exc: Exception | None, experiment_id: Any, body: dict):
        if exc is not None:
            self._warn_offline(exc)
        spool = self._spool_store()
        if str(experiment_id) in self._spool_experiments:
            local_experiment = str(experiment_id)
        else:
            local_experiment = _spool.spool_experiment(spool, server_id=str(experiment_id))
        tags = dict(body["tags"])
        parent = body["parent_run_id"]
        body = {**body, "request_id": None}
        if parent is not None and parent not in self._spooled:
            tags[_spool.PARENT_RUN_ID] = parent  # a server run: linked at sync time
            parent = None
        run = spool.create_run(
            local_experiment,
            run_name=body["run_name"],
            start_time=body["start_time"],
            tags=tags,
            params=body["params"],
            parent_run_id=parent,
            user_id=body["user_id"],
            source=body["source"],
            run_id=body.get("run_id"),
        )
        self._spooled[run.info.run_id] = run.info.run_id
        return run

    def _mirror_of(self, run_id: str) -> str:
        with self._own_lock:
            mirror = _spool.mirror_run(self._spool_store(), run_id, self._own_runs[run_id])
        return mirror

    @_routed
    def delete_tag(self, run_id: str, key: str) -> None:
        _validation.lookup_text(key, "tag key")
        self._call("POST", f"/runs/{_segment(run_id)}/tags/delete", {"key": key})

    @_routed
    def get_metric_history(self, run_id: str, key: str) -> list:
        _validation.lookup_text(key, "metric key")
        return self._call("GET", f"/runs/{_segment(run_id)}/metric-history", query={"key": key})

    # --- search, purge, artifacts ----------------------------------------------------------

    def search_runs(
        self,
        experiment_ids,
        filter_string: str = "",
        view_type: str = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ):
        body = {
            "experiment_ids": _id_list(experiment_ids),
            "filter_string": filter_string,
            "view_type": view_type,
            "max_results": max_results,
            "order_by": order_by,
            "page_token": page_token,
        }
        return self._call("POST", "/runs/search", body)

    def count_runs(
        self, experiment_ids, filter_string: str = "", view_type: str = ViewType.ACTIVE_ONLY
    ) -> int:
        body = {
            "experiment_ids": _id_list(experiment_ids),
            "filter_string": filter_string,
            "view_type": view_type,
        }
        return self._call("POST", "/runs/count", body)

    def purge_deleted_runs(self, run_ids: Iterable[str] | None = None, *, force: bool = False) -> list[str]:
        ids = None if run_ids is None else ([run_ids] if isinstance(run_ids, str) else list(run_ids))
        return self._call("POST", "/runs/purge", {"run_ids": ids, "force": force})

    @_routed
    def artifacts(self, run_id: str) -> HttpArtifactRepository:
        """The artifacts of a run, uploaded to and downloaded from the server."""
        if run_id not in self._own_runs:
            self.get_run(run_id)  # NotFoundError for an unknown run, as SqlStore
            return HttpArtifactRepository(self.transport, run_id)
        with self._own_lock:
            written = self._written.setdefault(run_id, set())
        route = functools.partial(self._upload, run_id)
        outbox = functools.partial(self._queue_upload, run_id)
        return HttpArtifactRepository(self.transport, run_id, written=written, route=route, outbox=outbox)

    def _queue_upload(self, run_id: str, root: str, files: list, staging: str | None) -> None:
        """Queue files for a background upload to one of this store's runs: files (and model
        records) queued while the upload waits its turn go out in the same request."""
        from autolog.store._uploads import background_uploads

        with self._own_lock:
            bundle = self._outbox.get(run_id)
            fresh = bundle is None
            if bundle is None:
                bundle = self._outbox[run_id] = _Bundle()
            bundle.files.extend(files)
            if staging is not None:
                bundle.staging.append(staging)
        if fresh:
            background_uploads().submit(root, functools.partial(self._send_outbox, run_id))

    def _send_outbox(self, run_id: str) -> None:
        """The upload thread's job: what is queued for the run, once the run is created."""
        self._await_creation(run_id)
        with self._own_lock:
            bundle = self._outbox.pop(run_id)
        try:
            if run_id in self._refused:
                return
            spooled = self._spooled.get(run_id)
            if spooled is None:
                try:
                    self._post_bundle(run_id, bundle)
                    return
                except ServerUnreachableError as exc:
                    self._warn_offline(exc)
                    spooled = self._mirror_of(run_id)
            self._spool_bundle(spooled, bundle)
        finally:
            for directory in bundle.staging:
                shutil.rmtree(directory, ignore_errors=True)

    def _post_bundle(self, run_id: str, bundle: _Bundle) -> None:
        """``POST .../artifacts/bundle`` requests of up to ``MAX_BUNDLE_BYTES`` (a larger file
        goes alone); the model records go with the last one, after the files."""
        path = f"/runs/{_segment(run_id)}/artifacts/bundle"
        records = [[artifact_path, dataclasses.asdict(record)] for artifact_path, record in bundle.records]
        chunk: list = []
        size = 0
        for relative, payload in bundle.files:
            data = _read(payload)
            if chunk and size + len(data) > MAX_BUNDLE_BYTES:
                self.transport.call("POST", path, raw_body=_codec.dumps_bundle(chunk, []))
                chunk, size = [], 0
            chunk.append((relative, data))
            size += len(data)
        self.transport.call("POST", path, raw_body=_codec.dumps_bundle(chunk, records))

    def _spool_bundle(self, spool_run: str, bundle: _Bundle) -> None:
        spool = self._spool_store()
        local = spool.artifacts(spool_run)
        for relative, payload in bundle.files:
            local.write_bytes(relative, _read(payload))
        for artifact_path, record in bundle.records:
            spool.record_logged_model(spool_run, artifact_path, record)

    def _upload(self, run_id: str, relative: str, data: bytes, send) -> str:
        """An upload to one of this store's runs (``send`` puts it on the server): after the
        run's queued creation; to the spool when the run was spooled or the server is
        unreachable; nowhere when its creation was refused (warned once)."""
        self._await_creation(run_id)
        if run_id in self._refused:
            return relative
        spooled = self._spooled.get(run_id)
        if spooled is None:
            try:
                return send(relative, data)
            except ServerUnreachableError as exc:
                self._warn_offline(exc)
                spooled = self._mirror_of(run_id)
        self._spool_store().artifacts(spooled).write_bytes(relative, data)
        return relative

    def _wait_for_uploads(self, run_id: Any) -> None:
        if isinstance(run_id, str):
            HttpArtifactRepository(self.transport, run_id).wait_for_uploads()

    # --- reads for charts, wide tables and live pages ---------------------------------------

    def get_runs(self, run_ids: Iterable[str]) -> list:
        return self._call("POST", "/runs/get-many", {"run_ids": list(run_ids)})

    def find_run_ids(self, prefix: str, *, limit: int = 2) -> list:
        return self._call("GET", "/run-ids", query={"prefix": prefix, "limit": _query_int(limit)})

    def sample_metric_histories(
        self,
        run_ids: Iterable[str],
        key: str,
        *,
        max_points: int = 2000,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> list:
        body = {
            "run_ids": list(run_ids),
            "key": key,
            "max_points": max_points,
            "min_step": min_step,
            "max_step": max_step,
        }
        return self._call("POST", "/runs/metric-samples", body)

    @_routed
    def metric_step_ranges(self, run_id: str) -> dict:
        ranges = self._call("GET", f"/runs/{_segment(run_id)}/metric-step-ranges")
        return {key: tuple(pair) for key, pair in ranges.items()}

    @_routed
    def metric_histories_since(self, run_id: str, cursors: dict, *, limit: int = 20000) -> dict:
        body = {
            "cursors": {key: None if cursor is None else list(cursor) for key, cursor in cursors.items()},
            "limit": limit,
        }
        return self._call("POST", f"/runs/{_segment(run_id)}/metric-histories-since", body)

    def latest_metrics_since(self, run_ids: Iterable[str], since_ms: int) -> dict:
        return self._call(
            "POST", "/runs/latest-metrics-since", {"run_ids": list(run_ids), "since_ms": since_ms}
        )

    def experiment_keys(self, experiment_ids: Iterable[str], *, contains: str = ""):
        return self._call(
            "POST", "/experiments/keys", {"experiment_ids": _id_list(experiment_ids), "contains": contains}
        )

    # --- model records ---------------------------------------------------------------------

    @_routed
    def record_logged_model(self, run_id: str, artifact_path: str, record: Any) -> None:
        """Record a logged model; behind the model's files when they are still uploading."""
        body = {"artifact_path": artifact_path, "record": dataclasses.asdict(record)}
        path = f"/runs/{_segment(run_id)}/model-records"
        with self._own_lock:
            bundle = self._outbox.get(run_id)
            if bundle is not None:  # the model's files are still queued: in the same request
                bundle.records.append((artifact_path, record))
                return
        repository = HttpArtifactRepository(self.transport, run_id)
        if not repository.after_uploads(lambda: self._send_model_record(run_id, artifact_path, record)):
            self._call("POST", path, body)

    def _send_model_record(self, run_id: str, artifact_path: str, record: Any) -> None:
        """A model record from the upload thread, behind the model's files (and so behind the
        run's creation); to the spool where the run went there."""
        if run_id in self._refused:
            return
        spooled = self._spooled.get(run_id)
        if spooled is not None:
            self._spool_store().record_logged_model(spooled, artifact_path, record)
            return
        body = {"artifact_path": artifact_path, "record": dataclasses.asdict(record)}
        self.transport.call("POST", f"/runs/{_segment(run_id)}/model-records", body)

    @_routed
    def get_model_record(self, run_id: str, artifact_path: str):
        self._wait_for_uploads(run_id)
        return self._call(
            "GET", f"/runs/{_segment(run_id)}/model-records", query={"artifact_path": artifact_path}
        )

    def record_model_version(self, name: str, version: Any, record: Any) -> None:
        body = {"name": name, "version": version, "record": dataclasses.asdict(record)}
        self._call("POST", "/model-versions/records", body)

    def get_model_version_record(self, name: str, version: Any):
        return self._call("POST", "/model-versions/records/get", {"name": name, "version": version})

    # --- model registry --------------------------------------------------------------------

    def create_registered_model(self, name: str, tags: Any = None, description: str | None = None):
        body = {"name": name, "tags": _pairs(tags), "description": description}
        return self._call("POST", "/registered-models", body, idempotent=False)

    def get_registered_model(self, name: str):
        return self._call("GET", "/registered-models/get", query={"name": _query_text(name)})

    def search_registered_models(
        self, filter_string: str = "", *, name_like: str | None = None, max_results: int = 1000
    ):
        query = {
            "filter_string": filter_string,
            "name_like": name_like,
            "max_results": _query_int(max_results),
        }
        return self._call("GET", "/registered-models", query=query)

    def rename_registered_model(self, name: str, new_name: str):
        return self._call("POST", "/registered-models/rename", {"name": name, "new_name": new_name})

    def update_registered_model(self, name: str, description: str | None):
        return self._call("POST", "/registered-models/update", {"name": name, "description": description})

    def delete_registered_model(self, name: str) -> None:
        self._call("POST", "/registered-models/delete", {"name": name})

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        self._call(
            "POST", "/registered-models/set-tag", {"name": name, "key": key, "value": _json_safe(value)}
        )

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self._call("POST", "/registered-models/delete-tag", {"name": name, "key": key})

    def create_model_version(
        self, name: str, *, run_id: str, artifact_path: str, tags: Any = None, description: str | None = None
    ):
        body = {
            "name": name,
            "run_id": run_id,
            "artifact_path": artifact_path,
            "tags": _pairs(tags),
            "description": description,
        }
        return self._call("POST", "/model-versions", body, idempotent=False)

    def get_model_version(self, name: str, version: Any):
        return self._call("POST", "/model-versions/get", {"name": name, "version": version})

    def get_latest_model_version(self, name: str):
        return self._call("GET", "/model-versions/latest", query={"name": _query_text(name)})

    def search_model_versions(
        self, name: str | None = None, *, run_ids: Iterable[str] | None = None, max_results: int = 1000
    ):
        body = {
            "name": name,
            "run_ids": None if run_ids is None else list(run_ids),
            "max_results": max_results,
        }
        return self._call("POST", "/model-versions/search", body)

    def update_model_version(self, name: str, version: Any, description: str | None):
        body = {"name": name, "version": version, "description": description}
        return self._call("POST", "/model-versions/update", body)

    def delete_model_version(self, name: str, version: Any) -> None:
        self._call("POST", "/model-versions/delete", {"name": name, "version": version})

    def set_model_version_tag(self, name: str, version: Any, key: str, value: Any) -> None:
        body = {"name": name, "version": version, "key": key, "value": _json_safe(value)}
        self._call("POST", "/model-versions/set-tag", body)

    def delete_model_version_tag(self, name: str, version: Any, key: str) -> None:
        self._call("POST", "/model-versions/delete-tag", {"name": name, "version": version, "key": key})

    def set_registered_model_alias(self, name: str, alias: str, version: Any) -> None:
        self._call("POST", "/registered-models/set-alias", {"name": name, "alias": alias, "version": version})

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self._call("POST", "/registered-models/delete-alias", {"name": name, "alias": alias})

    def get_model_version_by_alias(self, name: str, alias: str):
        return self._call("POST", "/registered-models/alias", {"name": name, "alias": alias})


def _create_body(experiment_id: Any, request_id: str, *, run_id: str | None = None, **fields) -> dict:
    """The body of ``POST /runs`` (tags and params validated here)."""
    return {
        "experiment_id": _text_id(experiment_id),
        "run_name": fields.get("run_name"),
        "start_time": fields.get("start_time"),
        "tags": _validation.tag_values(_pairs(fields.get("tags"))),
        "params": _validation.param_values(_pairs(fields.get("params"))),
        "parent_run_id": fields.get("parent_run_id"),
        "user_id": fields.get("user_id"),
        "source": fields.get("source"),
        **({"run_id": run_id} if run_id is not None else {}),
        "request_id": request_id,  # makes the create idempotent: it can be retried
    }


def _pairs(items: Any) -> list:
    """``(key, value)`` pairs as :class:`SqlStore` reads them, values made JSON-safe."""
    if not items:
        return []
    if isinstance(items, dict):
        items = items.items()
    pairs = []
    for item in items:
        if hasattr(item, "key") and hasattr(item, "value"):
            pairs.append([item.key, _json_safe(item.value)])
            continue
        try:
            key, value = item
        except (TypeError, ValueError):
            raise InvalidInputError(f"expected a (key, value) pair, got {item!r}") from None
        pairs.append([key, _json_safe(value)])
    return pairs


def _metrics_of(rows: list) -> list:
    """``Metric`` entities of ``[key, value, timestamp, step]`` rows."""
    return [Metric(key, value, timestamp, step) for key, value, timestamp, step in rows]


def _json_safe(value: Any) -> Any:
    if value is None or type(value) in (str, int, float, bool):
        return value
    return str(value)


def _metric_rows(items: Any) -> list:
    """Validated ``[key, value, timestamp, step]`` rows (same checks and errors as SqlStore).

    Batches hold thousands of rows of a few keys: each key is checked once, and plain floats and
    ints skip the general checks (which they would pass).
    """
    if not items:
        return []
    if isinstance(items, dict):
        items = [_codec.WireMetric(key, value, None, None) for key, value in items.items()]
    rows = []
    checked_keys: set = set()
    now = None
    for item in items:
        try:
            key, value = item.key, item.value
        except AttributeError:
            raise InvalidInputError(f"expected a Metric(key, value, timestamp, step), got {item!r}") from None
        if type(key) is not str or key not in checked_keys:
            _validation.validate_key(key, "metric")
            checked_keys.add(key)
        if type(value) is not float or value != value:  # not a plain float, or NaN
            number, is_nan = _validation.metric_value(key, value)
            value = float("nan") if is_nan else number
        timestamp = getattr(item, "timestamp", None)
        step = getattr(item, "step", None)
        if timestamp is None:
            now = now or int(time.time() * 1000)
            timestamp = now
        elif type(timestamp) is not int or not -_INT64_MAX <= timestamp <= _INT64_MAX:
            timestamp = _validation.integer(timestamp, f"timestamp of {key!r}")
        if step is None:
            step = 0
        elif type(step) is not int or not -_INT64_MAX <= step <= _INT64_MAX:
            step = _validation.integer(step, f"step of {key!r}") or 0
        rows.append([key, value, timestamp, step])
    return rows


def _segment(value: Any) -> str:
    """A path segment; ids that could not name anything are sent escaped and fail server-side."""
    import urllib.parse

    return urllib.parse.quote(str(value), safe="")


def _text_id(value: Any) -> Any:
    return value if isinstance(value, (str, int)) else str(value)


def _id_list(experiment_ids: Any) -> list:
    ids = [experiment_ids] if isinstance(experiment_ids, (str, int)) else list(experiment_ids)
    return [item if isinstance(item, (str, int)) else str(item) for item in ids]


def _query_int(value: Any) -> Any:
    return value if type(value) is int else _codec_json(value)


def _codec_json(value: Any) -> str:
    import json

    return json.dumps(value if isinstance(value, (str, int, float, bool)) or value is None else str(value))


def _query_text(value: Any) -> str:
    _validation.lookup_text(value, "name")
    return value
