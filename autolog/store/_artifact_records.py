"""The store's side of artifacts: size/sha256 records, per-run repositories, relative locations.

:class:`ArtifactRecordsMixin` is composed into :class:`~autolog.store.SqlStore`; it relies on the
store's ``_writer()``/``_reader()`` engines and ``artifact_root``.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
import weakref
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from autolog.store._artifact_files import ArtifactRecord
from autolog.store._hot_path import bound
from autolog.store._sql_common import SqlStoreParts

if TYPE_CHECKING:
    import sqlalchemy as sa

    from autolog.store import _engine
    from autolog.store import _schema as schema
else:
    from autolog.store._lazy import engine_module as _engine
    from autolog.store._lazy import sa, schema


@functools.cache
def _by_run():
    """The records of one run (``run_id`` bound)."""
    table = schema.artifact_records
    return sa.select(table.c.path, table.c.size, table.c.sha256).where(
        table.c.run_id == sa.bindparam("run_id")
    )


@functools.cache
def _under():
    """The record of a file, or of every file under a directory, of one run.

    ``"dir" <= path < "dir0"`` (``'0'`` follows ``'/'``), then filtered.
    """
    table = schema.artifact_records
    return _by_run().where(
        sa.or_(
            table.c.path == sa.bindparam("path"),
            sa.and_(table.c.path > sa.bindparam("prefix"), table.c.path < sa.bindparam("prefix_end")),
        )
    )


def upsert_records(dialect):
    columns = ("run_id", "path", "size", "sha256", "written_time")
    return _engine.upsert(dialect, schema.artifact_records, ["run_id", "path"]).values(bound(*columns))


_waiting = threading.local()


def _pending_rows(store: object) -> dict[str, list[dict]]:
    """This thread's waiting record rows of ``store``, by run id."""
    by_store = getattr(_waiting, "by_store", None)
    if by_store is None:
        by_store = _waiting.by_store = weakref.WeakKeyDictionary()
    rows = by_store.get(store)
    if rows is None:
        rows = by_store[store] = {}
    return rows


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

    @contextlib.contextmanager
    def deferred_artifact_records(self, run_id: str) -> Iterator[None]:
        """Within this block (in this thread), the records of the run's new files wait and are
        written by :meth:`finish_run`'s transaction, or in one transaction at the end of the
        block: an autologged fit's files cost no transaction of their own.

        The files themselves are written at once; lookups of the run's records see the waiting
        ones. Nested blocks for the same run share the outer one's rows.
        """
        pending = _pending_rows(self)
        if run_id in pending:
            yield
            return
        pending[run_id] = []
        try:
            yield
        finally:
            rows = pending.pop(run_id)
            if rows:
                self._write_artifact_records(rows)

    def _record_artifacts(self, run_id: str, records: Sequence[ArtifactRecord]) -> None:
        """Insert or replace the records of files the run's repository just wrote."""
        if not records:
            return
        now = int(time.time() * 1000)
        rows = [
            {"run_id": run_id, "path": r.path, "size": r.size, "sha256": r.sha256, "written_time": now}
            for r in records
        ]
        waiting = _pending_rows(self).get(run_id)
        if waiting is not None:
            waiting.extend(rows)
        else:
            self._write_artifact_records(rows)

    def _write_artifact_records(self, rows: list[dict]) -> None:
        self._hot_writer()
        with self._hot_connections.write_cursor() as cursor:
            self._upsert_artifact_records(cursor, rows)

    def _upsert_artifact_records(self, cursor, rows: list[dict]) -> None:
        cursor.executemany(self._hot.statement("upsert_artifact_records", upsert_records), rows)

    def _take_waiting_records(self, run_id: str) -> list[dict]:
        """The records waiting for the run's end (see :meth:`deferred_artifact_records`), taken:
        the caller writes them or puts them back with :meth:`_put_back_waiting_records`."""
        waiting = _pending_rows(self).get(run_id)
        if not waiting:
            return []
        rows = list(waiting)
        waiting.clear()
        return rows

    def _put_back_waiting_records(self, run_id: str, rows: list[dict]) -> None:
        waiting = _pending_rows(self).get(run_id)
        if waiting is not None:
            waiting[:0] = rows
        elif rows:
            self._write_artifact_records(rows)

    def _artifact_records(self, run_id: str, path: str = "") -> dict[str, ArtifactRecord]:
        """The records of the file ``path`` or of every file under it (all files for ``""``)."""
        found = self._stored_artifact_records(run_id, path)
        for row in _pending_rows(self).get(run_id, ()):
            if not path or row["path"] == path or row["path"].startswith(path + "/"):
                found[row["path"]] = ArtifactRecord(row["path"], row["size"], row["sha256"])
        return found

    def _stored_artifact_records(self, run_id: str, path: str) -> dict[str, ArtifactRecord]:
        if path:
            query, values = (
                _under(),
                {"run_id": run_id, "path": path, "prefix": path + "/", "prefix_end": path + "0"},
            )
        else:
            query, values = _by_run(), {"run_id": run_id}
        with self._reader().connect() as connection:
            rows = connection.execute(query, values).all()
        return {row[0]: ArtifactRecord(row[0], row[1], row[2]) for row in rows}

    def _artifact_ledger(self, run_id: str) -> RunArtifactLedger | None:
        return RunArtifactLedger(self, run_id)
