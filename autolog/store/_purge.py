"""Purging deleted runs of the SQL store: their rows, then their artifact directories."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from typing import TYPE_CHECKING

from autolog._core._exceptions import ConflictError, NotFoundError, StoreError
from autolog.store._artifact_locations import to_absolute
from autolog.store._artifacts import is_local_uri, local_path_from_uri
from autolog.store._model_registry import registered_versions_of
from autolog.store._repositories import artifact_repository
from autolog.store._sql_common import DELETED, SqlStoreParts, chunks, known_run_id

if TYPE_CHECKING:
    import sqlalchemy as sa

    from autolog.store import _engine
    from autolog.store import _schema as schema
else:
    from autolog.store._lazy import engine_module as _engine
    from autolog.store._lazy import sa, schema


class PurgeMixin(SqlStoreParts):
    """``purge_deleted_runs`` of :class:`autolog.store.SqlStore` (uses its engines)."""

    def purge_deleted_runs(self, run_ids: Iterable[str] | None = None, *, force: bool = False) -> list[str]:
        """Permanently remove deleted runs (all of them, or the given ones) and their artifacts.

        Returns the purged run ids. A given run that is not deleted raises ``ConflictError``.
        Runs that registered model versions point to are never purged silently: given ones
        raise ``ConflictError`` naming the versions, and purging "all deleted runs" skips them,
        unless ``force=True``.
        """
        with _engine.write_transaction(self._writer()) as connection:
            targets = self._purge_targets(connection, run_ids)
            if not force:
                targets = self._without_registered(connection, targets, explicit=run_ids is not None)
            ids = [run_id for run_id, _uri in targets]
            for chunk in chunks(ids):
                for table in (
                    schema.metric_envelopes,
                    schema.metrics,
                    schema.latest_metrics,
                    schema.params,
                    schema.tags,
                    schema.runs,
                ):
                    connection.execute(sa.delete(table).where(table.c.run_id.in_(chunk)))
        self._forget_artifact_uris(ids)
        failed = []
        for run_id, artifact_uri in targets:
            try:
                _remove_run_artifacts(run_id, to_absolute(artifact_uri, self._store_root))
            except Exception as exc:
                failed.append(f"{run_id} ({exc})")
        if failed:
            raise StoreError(
                f"purged {len(ids)} run(s), but could not delete the artifacts of: {'; '.join(failed)}"
            )
        return ids

    def _without_registered(self, connection, targets: list, *, explicit: bool) -> list:
        ids = [run_id for run_id, _uri in targets]
        if explicit:
            self._refuse_if_registered(connection, ids, "purge the run")
            return targets
        kept = {run_id for _name, _version, run_id in registered_versions_of(connection, ids)}
        return [target for target in targets if target[0] not in kept]

    def _purge_targets(self, connection, run_ids) -> list[tuple[str, str]]:
        query = sa.select(schema.runs.c.run_id, schema.runs.c.artifact_uri, schema.runs.c.lifecycle_stage)
        if run_ids is None:
            rows = connection.execute(query.where(schema.runs.c.lifecycle_stage == DELETED)).all()
            return [(row[0], row[1]) for row in rows]
        wanted = [run_ids] if isinstance(run_ids, str) else list(dict.fromkeys(run_ids))
        for run_id in wanted:
            known_run_id(run_id)
        found = {}
        for chunk in chunks(wanted):
            for row in connection.execute(query.where(schema.runs.c.run_id.in_(chunk))):
                found[row[0]] = row
        for run_id in wanted:
            if run_id not in found:
                raise NotFoundError(f"no run with id {run_id!r}")
            if found[run_id][2] != DELETED:
                raise ConflictError(f"run {run_id} is not deleted; delete it before purging")
        return [(run_id, found[run_id][1]) for run_id in wanted]


def _remove_run_artifacts(run_id: str, artifact_uri: str) -> None:
    if not is_local_uri(artifact_uri):
        artifact_repository(artifact_uri).delete_all()  # object storage: the run's keys
        return
    path = local_path_from_uri(artifact_uri)
    # <location>/<run_id>/artifacts: remove the run's directory, never anything above it.
    parent = os.path.dirname(path)
    target = parent if os.path.basename(path) == "artifacts" and os.path.basename(parent) == run_id else path
    if os.path.isdir(target) and not os.path.islink(target):
        shutil.rmtree(target, ignore_errors=True)
