"""Model records: what the store itself knows about each logged model and registered version.

A model directory's ``autolog-model.json`` sits among the artifact files, which anyone who can
write those files can rewrite, together with the sha256 it names. The record kept here, in the
metadata database, is written when the model is logged (and copied when a version is
registered): the flavor, the serialization format, the model file's name, its sha256 and size.
``autolog.models.load_model`` compares the files against it before deserializing anything, so
that changing the artifact files alone can no longer choose the loader (for example turn a
skops model into a pickle).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autolog._core import _validation
from autolog._core._entities import MODEL_RECORD_FIELDS, ModelRecord
from autolog._core._exceptions import ConflictError, InvalidInputError, NotFoundError
from autolog.store._hot_path import bound
from autolog.store._sql_common import SqlStoreParts

if TYPE_CHECKING:
    import sqlalchemy as sa

    from autolog.store import _engine
    from autolog.store import _schema as schema
else:
    from autolog.store._lazy import engine_module as _engine
    from autolog.store._lazy import sa, schema


def find_logged_record(_dialect):
    return sa.select(schema.model_records.c.run_id).where(
        schema.model_records.c.run_id == sa.bindparam("run_id"),
        schema.model_records.c.artifact_path == sa.bindparam("artifact_path"),
    )


def insert_logged_record(_dialect):
    return sa.insert(schema.model_records).values(bound("run_id", "artifact_path", *MODEL_RECORD_FIELDS))


def _record(row: Any) -> ModelRecord | None:
    return None if row is None else ModelRecord(*row)


class ModelRecordsMixin(SqlStoreParts):
    """Model-record methods of :class:`autolog.store.SqlStore` (uses its engines and transactions)."""

    def record_logged_model(self, run_id: str, artifact_path: str, record: ModelRecord) -> None:
        """Record the model logged at ``runs:/<run_id>/<artifact_path>``.

        Raises
        ------
        NotFoundError
            No run with this id.
        ConflictError
            A model is already recorded there (a record is never replaced).
        InvalidInputError
            Bad field in ``record``; nothing is written.
        """
        _validation.run_id(run_id)
        artifact_path = _checked_path(artifact_path)
        row = {"run_id": run_id, "artifact_path": artifact_path, **record.checked().values()}
        self._hot_writer()
        find = self._hot.statement("find_model_record", find_logged_record)
        insert = self._hot.statement("insert_model_record", insert_logged_record)
        with self._hot_connections.write_cursor() as cursor:  # once per autologged fit
            cursor.execute(self._hot.run_stage, {"run_id": run_id})
            if cursor.fetchone() is None:
                raise NotFoundError(f"no run with id {run_id!r}")
            cursor.execute(find, row)
            if cursor.fetchone() is not None:
                raise ConflictError(f"run {run_id} already has a model recorded at {artifact_path!r}")
            cursor.execute(insert, row)

    def get_model_record(self, run_id: str, artifact_path: str) -> ModelRecord | None:
        """The record of the model at ``runs:/<run_id>/<artifact_path>``; None when there is none."""
        _validation.run_id(run_id)
        artifact_path = _checked_path(artifact_path)
        columns = [schema.model_records.c[name] for name in MODEL_RECORD_FIELDS]
        query = sa.select(*columns).where(
            schema.model_records.c.run_id == run_id, schema.model_records.c.artifact_path == artifact_path
        )
        with self._reader().connect() as connection:
            return _record(connection.execute(query).first())

    def record_model_version(self, name: str, version: Any, record: ModelRecord) -> None:
        """Record the model files of a registered version (once; ConflictError if recorded already)."""
        name = _validation.model_name(name)
        number = _validation.model_version(version)
        values = record.checked().values()
        self.get_model_version(name, number)  # NotFoundError naming the model and version
        key = (schema.model_version_records.c.name == name, schema.model_version_records.c.version == number)
        with _engine.write_transaction(self._writer()) as connection:
            if connection.execute(sa.select(schema.model_version_records.c.name).where(*key)).first():
                raise ConflictError(f"version {number} of {name!r} already has a model record")
            connection.execute(
                sa.insert(schema.model_version_records).values(name=name, version=number, **values)
            )

    def get_model_version_record(self, name: str, version: Any) -> ModelRecord | None:
        """The record of a registered version's model files; None when there is none."""
        name = _validation.model_name(name)
        number = _validation.model_version(version)
        columns = [schema.model_version_records.c[column] for column in MODEL_RECORD_FIELDS]
        query = sa.select(*columns).where(
            schema.model_version_records.c.name == name, schema.model_version_records.c.version == number
        )
        with self._reader().connect() as connection:
            return _record(connection.execute(query).first())


def _checked_path(artifact_path: Any) -> str:
    if not isinstance(artifact_path, str) or not artifact_path.strip("/") or len(artifact_path) > 1000:
        raise InvalidInputError(
            f"artifact path must be a non-empty str of at most 1000 characters, got {artifact_path!r}"
        )
    return artifact_path.strip("/")
