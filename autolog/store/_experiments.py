"""Experiments of the SQL store: create, read, search, rename, delete/restore, tags."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autolog._core import _validation
from autolog._core._entities import Experiment, ViewType
from autolog._core._exceptions import ConflictError, InvalidInputError, NotFoundError
from autolog.store._artifact_locations import to_absolute, to_stored
from autolog.store._artifacts import normalize_artifact_root
from autolog.store._sql_common import (
    ACTIVE,
    DELETED,
    SqlStoreParts,
    check_max_results,
    key_value_pairs,
    lifecycle_condition,
    now_ms,
)

if TYPE_CHECKING:
    import sqlalchemy as sa

    from autolog.store import _engine
    from autolog.store import _schema as schema
else:
    from autolog.store._lazy import engine_module as _engine
    from autolog.store._lazy import sa, schema


class ExperimentsMixin(SqlStoreParts):
    """Experiment methods of :class:`autolog.store.SqlStore` (uses its engines)."""

    def create_experiment(self, name: str, artifact_location: str | None = None, tags: Any = None) -> str:
        """Create an experiment and return its id.

        Raises
        ------
        ConflictError
            If an experiment (active or deleted) already has this name.
        """
        name = _validation.experiment_name(name)
        tag_rows = _validation.tag_values(key_value_pairs(tags))
        location = (
            to_stored(normalize_artifact_root(artifact_location), self._store_root)
            if artifact_location
            else None
        )
        now = now_ms()
        with _engine.write_transaction(self._writer()) as connection:
            self._check_name_free(connection, name)
            result = connection.execute(
                sa.insert(schema.experiments).values(
                    name=name,
                    artifact_location=location or "",
                    lifecycle_stage=ACTIVE,
                    creation_time=now,
                    last_update_time=now,
                )
            )
            assert result.inserted_primary_key is not None  # set by a single-row INSERT
            experiment_id = result.inserted_primary_key[0]
            if location is None:
                connection.execute(
                    sa.update(schema.experiments)
                    .where(schema.experiments.c.experiment_id == experiment_id)
                    .values(artifact_location=self._default_location(experiment_id))
                )
            if tag_rows:
                connection.execute(
                    sa.insert(schema.experiment_tags),
                    [{"experiment_id": experiment_id, "key": k, "value": v} for k, v in tag_rows],
                )
        return str(experiment_id)

    def _check_name_free(self, connection, name: str) -> None:
        taken = connection.execute(
            sa.select(schema.experiments.c.experiment_id, schema.experiments.c.lifecycle_stage).where(
                schema.experiments.c.name == name
            )
        ).first()
        if taken is not None:
            state = " (deleted; restore it or pick another name)" if taken[1] == DELETED else ""
            raise ConflictError(f"experiment name {name!r} is already used by id {taken[0]}{state}")

    def get_experiment(self, experiment_id: str) -> Experiment:
        """The experiment with this id; ``NotFoundError`` if there is none."""
        number = _validation.experiment_id(experiment_id)
        found = self._select_experiments(schema.experiments.c.experiment_id == number)
        if not found:
            raise NotFoundError(f"no experiment with id {str(experiment_id)!r}")
        return found[0]

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment with this name (even if deleted), or ``None``."""
        if type(name) is not str or _validation.has_unstorable(name):
            return None  # no stored experiment can have this name
        found = self._select_experiments(schema.experiments.c.name == name)
        return found[0] if found else None

    def search_experiments(
        self,
        view_type: str = ViewType.ACTIVE_ONLY,
        name_like: str | None = None,
        max_results: int | None = None,
    ) -> list[Experiment]:
        """Experiments in id order, filtered by lifecycle and a case-insensitive LIKE pattern."""
        conditions = [lifecycle_condition(schema.experiments.c.lifecycle_stage, view_type)]
        if name_like is not None:
            _validation.lookup_text(name_like, "name_like pattern")
            conditions.append(schema.experiments.c.name.ilike(name_like, escape="\\"))
        limit = None if max_results is None else check_max_results(max_results)
        return self._select_experiments(*conditions, limit=limit)

    def _select_experiments(self, *conditions, limit: int | None = None) -> list[Experiment]:
        query = sa.select(schema.experiments).where(*conditions).order_by(schema.experiments.c.experiment_id)
        with self._reader().connect() as connection:
            rows = connection.execute(query.limit(limit)).all()
            ids = [row.experiment_id for row in rows]
            tag_rows = (
                connection.execute(
                    sa.select(schema.experiment_tags).where(schema.experiment_tags.c.experiment_id.in_(ids))
                ).all()
                if ids
                else []
            )
        tags_by_id: dict[int, dict] = {}
        for row in tag_rows:
            tags_by_id.setdefault(row.experiment_id, {})[row.key] = row.value
        return [_experiment(row, tags_by_id.get(row.experiment_id, {}), self._store_root) for row in rows]

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Rename an experiment; the new name must not be in use."""
        number = _validation.experiment_id(experiment_id)
        new_name = _validation.experiment_name(new_name)
        with _engine.write_transaction(self._writer()) as connection:
            self._experiment_stage(connection, number)
            current = connection.execute(
                sa.select(schema.experiments.c.name).where(schema.experiments.c.experiment_id == number)
            ).scalar()
            if current == new_name:
                return
            self._check_name_free(connection, new_name)
            connection.execute(
                sa.update(schema.experiments)
                .where(schema.experiments.c.experiment_id == number)
                .values(name=new_name, last_update_time=now_ms())
            )

    def delete_experiment(self, experiment_id: str) -> None:
        """Mark an experiment and its runs deleted (its name stays reserved)."""
        number = _validation.experiment_id(experiment_id)
        if number == 0:
            raise InvalidInputError("the default experiment '0' cannot be deleted")
        self._set_experiment_stage(number, DELETED)

    def restore_experiment(self, experiment_id: str) -> None:
        """Mark a deleted experiment and its runs active again."""
        self._set_experiment_stage(_validation.experiment_id(experiment_id), ACTIVE)

    def _set_experiment_stage(self, number: int, stage: str) -> None:
        with _engine.write_transaction(self._writer()) as connection:
            self._experiment_stage(connection, number)
            connection.execute(
                sa.update(schema.experiments)
                .where(schema.experiments.c.experiment_id == number)
                .values(lifecycle_stage=stage, last_update_time=now_ms())
            )
            connection.execute(
                sa.update(schema.runs)
                .where(schema.runs.c.experiment_id == number)
                .values(lifecycle_stage=stage)
            )

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        """Set (or overwrite) one tag of an experiment."""
        number = _validation.experiment_id(experiment_id)
        [(key, text)] = _validation.tag_values([(key, value)])
        with _engine.write_transaction(self._writer()) as connection:
            self._experiment_stage(connection, number)
            connection.execute(
                _engine.upsert(connection.dialect, schema.experiment_tags, ["experiment_id", "key"]),
                {"experiment_id": number, "key": key, "value": text},
            )

    def _experiment_stage(self, connection, number: int) -> tuple[str, str]:
        row = connection.execute(
            sa.select(schema.experiments.c.lifecycle_stage, schema.experiments.c.artifact_location).where(
                schema.experiments.c.experiment_id == number
            )
        ).first()
        if row is None:
            raise NotFoundError(f"no experiment with id '{number}'")
        return row[0], row[1]


def _experiment(row, tag_values: dict, store_root: str | None) -> Experiment:
    return Experiment(
        experiment_id=str(row.experiment_id),
        name=row.name,
        artifact_location=to_absolute(row.artifact_location, store_root),
        lifecycle_stage=row.lifecycle_stage,
        tags=tag_values,
        creation_time=row.creation_time,
        last_update_time=row.last_update_time,
    )
