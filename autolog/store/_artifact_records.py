"""The store's side of artifacts: size/sha256 records, per-run repositories, relative locations.

:class:`ArtifactRecordsMixin` is composed into :class:`~autolog.store.SqlStore`; it relies on the
store's ``_writer()``/``_reader()`` engines and ``artifact_root``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import bindparam

from autolog.store import _engine
from autolog.store._artifact_files import ArtifactRecord
from autolog.store._schema import artifact_records
from autolog.store._sql_common import SqlStoreParts

_BY_RUN = sa.select(artifact_records.c.path, artifact_records.c.size, artifact_records.c.sha256).where(
    artifact_records.c.run_id == bindparam("run_id")
)
# A file, or every file under a directory: "dir" <= path < "dir0" ('0' follows '/'), then filtered.
_UNDER = _BY_RUN.where(
    sa.or_(
        artifact_records.c.path == bindparam("path"),
        sa.and_(
            artifact_records.c.path > bindparam("prefix"),
            artifact_records.c.path < bindparam("prefix_end"),
        ),
    )
)


@functools.cache
def _upsert_records(dialect) -> Any:
    """The records' upsert, built once per dialect (building it costs more than running it)."""
    return _engine.upsert(dialect, artifact_records, ["run_id", "path"])


class RunArtifactLedger:
    """An :class:`~autolog.store._artifacts.ArtifactLedger` bound to one run of a store."""

    def __init__(self, store: ArtifactRecordsMixin, run_id: str):
        self.store = store
        self.run_id = run_id

    def record(self, records: Sequence[ArtifactRecord]) -> None:
        self.store._record_artifacts(self.run_id, records)

    def lookup(self, path: str = "") -> Mapping[str, ArtifactRecord]:
        return self.store._artifact_records(self.run_id, path)


class ArtifactRecordsMixin(SqlStoreParts):
    """Record and look up the size and sha256 of each artifact file of a run."""

    def _record_artifacts(self, run_id: str, records: Sequence[ArtifactRecord]) -> None:
        """Insert or replace the records of files the run's repository just wrote."""
        if not records:
            return
        now = int(time.time() * 1000)
        rows = [
            {"run_id": run_id, "path": r.path, "size": r.size, "sha256": r.sha256, "written_time": now}
            for r in records
        ]
        with _engine.write_transaction(self._writer()) as connection:
            connection.execute(_upsert_records(connection.dialect), rows)

    def _artifact_records(self, run_id: str, path: str = "") -> dict[str, ArtifactRecord]:
        """The records of the file ``path`` or of every file under it (all files for ``""``)."""
        if path:
            query, values = (
                _UNDER,
                {"run_id": run_id, "path": path, "prefix": path + "/", "prefix_end": path + "0"},
            )
        else:
            query, values = _BY_RUN, {"run_id": run_id}
        with self._reader().connect() as connection:
            rows = connection.execute(query, values).all()
        return {row[0]: ArtifactRecord(row[0], row[1], row[2]) for row in rows}

    def _artifact_ledger(self, run_id: str) -> RunArtifactLedger | None:
        return RunArtifactLedger(self, run_id)
