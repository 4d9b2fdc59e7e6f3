"""The offline spool: runs made while the tracking server was unreachable, kept in a local store.

The spool is an ordinary local autolog store (a directory; ``AUTOLOG_SPOOL_DIR``, default
``~/.autolog/spool``). Tags named ``autolog.sync.*`` tie its experiments and runs to the server:

- ``autolog.sync.experiment_id`` / ``autolog.sync.experiment_name`` on a spool experiment: the
  server experiment (by id) or the one to find or create (by name) at sync time.
- ``autolog.sync.server_run_id`` on a spool run: the run already exists on the server (it went
  unreachable while logging); the spool run holds what could not be sent.
- ``autolog.sync.parent_run_id``: the server run that is the parent of a spooled run.
- ``autolog.sync.target_run_id``: written by ``autolog sync`` right after it created the run on
  the server (a resumed sync reuses it); ``autolog.sync.done``: everything was uploaded.

Metric values go up in batches whose ids derive from the spool run, the key and the chunk, so a
sync interrupted and run again never writes a value twice (the server applies each id once).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable

from autolog._core._entities import ViewType

SPOOL_ENV = "AUTOLOG_SPOOL_DIR"
PREFIX = "autolog.sync."
EXPERIMENT_ID = PREFIX + "experiment_id"
EXPERIMENT_NAME = PREFIX + "experiment_name"
SERVER_RUN_ID = PREFIX + "server_run_id"
PARENT_RUN_ID = PREFIX + "parent_run_id"
TARGET_RUN_ID = PREFIX + "target_run_id"
DONE = PREFIX + "done"
CHUNK = 5000


def default_spool_dir() -> str:
    """``AUTOLOG_SPOOL_DIR``, else ``~/.autolog/spool``."""
    return os.path.abspath(os.path.expanduser(os.environ.get(SPOOL_ENV) or "~/.autolog/spool"))


def open_spool(directory: str | None = None):
    from autolog.store import open_store

    return open_store(directory or default_spool_dir())


def spool_experiment(spool, *, server_id: str | None = None, name: str | None = None) -> str:
    """The spool experiment standing for a server experiment (by id) or a name; made if missing."""
    local_name = name if name is not None else f"server experiment {server_id}"
    found = spool.get_experiment_by_name(local_name)
    if found is not None:
        return found.experiment_id
    tags = {EXPERIMENT_NAME: name} if name is not None else {EXPERIMENT_ID: server_id}
    return spool.create_experiment(local_name, tags=tags)


def mirror_run(spool, server_run_id: str, experiment_id: str) -> str:
    """The spool run holding what could not be sent for a server run (made if missing)."""
    experiment = spool_experiment(spool, server_id=experiment_id)
    existing = spool.search_runs(
        [experiment], f"tags.`{SERVER_RUN_ID}` = '{server_run_id}'", view_type=ViewType.ALL
    )
    if existing:
        return existing[0].info.run_id
    return spool.create_run(experiment, tags={SERVER_RUN_ID: server_run_id}).info.run_id


# --- sync -------------------------------------------------------------------------------------


def pending_runs(spool) -> list:
    """Spooled runs not synced yet, parents before children (start time order)."""
    experiments = spool.search_experiments(view_type=ViewType.ALL)
    ids = [e.experiment_id for e in experiments]
    runs: list = []
    token = None
    while ids:
        page = spool.search_runs(
            ids,
            view_type=ViewType.ALL,
            max_results=5000,
            page_token=token,
            order_by=["attributes.start_time ASC"],
        )
        runs.extend(r for r in page if r.data.tags.get(DONE) != "1")
        token = page.token
        if token is None:
            break
    return runs


def sync(spool, server, *, dry_run: bool = False, echo: Callable[[str], None] = print) -> int:
    """Upload every pending spooled run to ``server`` (an HttpStore); returns how many."""
    runs = pending_runs(spool)
    experiments = {e.experiment_id: e for e in spool.search_experiments(view_type=ViewType.ALL)}
    mapped: dict[str, str] = {}
    for run in runs:
        info = run.info
        what = (
            f"run {info.run_id} ({info.run_name or '-'}, experiment {experiments[info.experiment_id].name!r})"
        )
        if dry_run:
            echo(f"would sync {what}: {len(run.data.params)} params, {len(run.data.metrics)} metric keys")
            continue
        target = _sync_run(spool, server, run, experiments[info.experiment_id], mapped)
        echo(f"synced {what} -> {target}")
    return len(runs)


def _sync_run(spool, server, run, experiment, mapped: dict) -> str:
    from autolog._core._entities import RunStatus

    tags = run.data.tags
    target = tags.get(SERVER_RUN_ID) or tags.get(TARGET_RUN_ID)
    if target is None:
        parent = tags.get(PARENT_RUN_ID) or mapped.get(run.info.parent_run_id or "")
        # The request id derives from the spool run: a sync that died before recording the new
        # id below gets the same server run back when it runs again.
        request_id = hashlib.sha256(("run/" + run.info.run_id).encode()).hexdigest()[:32]
        created = server._create_run(
            _server_experiment(server, experiment),
            request_id,
            run_name=run.info.run_name,
            start_time=run.info.start_time,
            params=run.data.params,
            parent_run_id=parent,
            user_id=run.info.user_id,
            source=run.info.source,
            tags={k: v for k, v in tags.items() if not k.startswith(PREFIX)},
        )
        target = created.info.run_id
        spool.set_tag(run.info.run_id, TARGET_RUN_ID, target)
    mapped[run.info.run_id] = target
    _upload_data(spool, server, run, target)
    _upload_artifacts(spool, server, run.info.run_id, target)
    status = run.info.status
    if status in RunStatus.TERMINAL:
        server.update_run(target, status=status, end_time=run.info.end_time)
    spool.set_tag(run.info.run_id, DONE, "1")
    return target


def _server_experiment(server, experiment) -> str:
    if EXPERIMENT_ID in experiment.tags:
        return experiment.tags[EXPERIMENT_ID]
    name = experiment.tags.get(EXPERIMENT_NAME, experiment.name)
    found = server.get_experiment_by_name(name)
    return found.experiment_id if found is not None else server.create_experiment(name)


def _upload_data(spool, server, run, target: str) -> None:
    tags = {k: v for k, v in run.data.tags.items() if not k.startswith(PREFIX)}
    params = run.data.params if SERVER_RUN_ID in run.data.tags else {}
    server._log_batch_now(target, metrics=[], params=list(params.items()), tags=list(tags.items()))
    for key in sorted(run.data.metrics):
        history = spool.get_metric_history(run.info.run_id, key)
        for start in range(0, len(history), CHUNK):
            rows = [[m.key, m.value, m.timestamp, m.step] for m in history[start : start + CHUNK]]
            batch_id = hashlib.sha256(f"{run.info.run_id}/{key}/{start}".encode()).hexdigest()
            server._send_batch(target, batch_id, rows, [])


def _upload_artifacts(spool, server, spool_run_id: str, target: str) -> None:
    local = spool.artifacts(spool_run_id)
    remote = server.artifacts(target)
    stack = [None]
    while stack:
        for info in local.list_artifacts(stack.pop()):
            if info.is_dir:
                stack.append(info.path)
            else:
                with open(local.local_path(info.path), "rb") as handle:
                    remote.write_bytes(info.path, handle.read())
