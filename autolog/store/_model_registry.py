"""The model registry half of ``SqlStore``: registered models, versions, tags and aliases.

Version numbers come from a counter on the model's row (``last_version``), incremented inside the
registering transaction. That is safe because the transaction holds a lock for that model: on
SQLite every write transaction starts with ``BEGIN IMMEDIATE`` (one writer at a time), on
PostgreSQL the ``UPDATE`` of the model's row locks it until commit. Concurrent registrations of
one name from many processes therefore get 1, 2, 3, ... without gaps or duplicates, and the
number of a deleted version is never given to another model.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from autolog._core import _validation
from autolog._core._entities import LifecycleStage, ModelVersion, ModelVersionStatus, RegisteredModel
from autolog._core._exceptions import ConflictError, InvalidInputError, NotFoundError
from autolog.store._sql_common import SqlStoreParts

if TYPE_CHECKING:
    import sqlalchemy as sa

    from autolog.store import _engine
    from autolog.store import _schema as schema
else:
    from autolog.store._lazy import engine_module as _engine
    from autolog.store._lazy import sa, schema

DEFAULT_MAX_RESULTS = 1000
MAX_RESULTS_LIMIT = 50000


def _now_ms() -> int:
    return int(time.time() * 1000)


def runs_uri(run_id: str, artifact_path: str) -> str:
    """``runs:/<run_id>/<artifact_path>``: where a version's model lives."""
    return f"runs:/{run_id}/{artifact_path}"


class ModelRegistryMixin(SqlStoreParts):
    """Registry methods of :class:`autolog.store.SqlStore` (uses its engines and transactions)."""

    # --- registered models ---------------------------------------------------------------------

    def create_registered_model(
        self, name: str, tags: Any = None, description: str | None = None
    ) -> RegisteredModel:
        """Create an empty registered model.

        Raises
        ------
        InvalidInputError
            Bad name, tag or description; nothing is written.
        ConflictError
            A model with this name exists.
        """
        name = _validation.model_name(name)
        tag_rows = _validation.tag_values(_tag_pairs(tags))
        description = _validation.description(description)
        now = _now_ms()
        with _engine.write_transaction(self._writer()) as connection:
            if _model_exists(connection, name):
                raise ConflictError(f"registered model {name!r} already exists")
            connection.execute(
                sa.insert(schema.registered_models).values(
                    name=name, description=description, creation_time=now, last_update_time=now
                )
            )
            _upsert_model_tags(connection, name, tag_rows)
        return self.get_registered_model(name)

    def get_registered_model(self, name: str) -> RegisteredModel:
        """The model with its tags, aliases and latest version; ``NotFoundError`` if unknown."""
        name = _validation.model_name(name)
        with self._reader().connect() as connection:
            found = _load_models(connection, schema.registered_models.c.name == name)
        if not found:
            raise NotFoundError(f"no registered model named {name!r}")
        return found[0]

    def search_registered_models(
        self,
        filter_string: str = "",
        *,
        name_like: str | None = None,
        max_results: int = DEFAULT_MAX_RESULTS,
    ) -> list[RegisteredModel]:
        """Registered models in name order.

        Parameters
        ----------
        filter_string : str
            Comparisons joined by ``and``: ``name = 'churn'``, ``name LIKE 'ch%'`` (``ILIKE`` for
            case-insensitive), ``name != 'x'``, ``tags.team = 'risk'``, ``tags.team LIKE 'r%'``.
        name_like : str, optional
            A case-insensitive LIKE pattern on the name (shorthand for ``name ILIKE '...'``).
        max_results : int
            1 to 50000.
        """
        conditions = parse_model_filter(filter_string)
        if name_like is not None:
            conditions.append(schema.registered_models.c.name.ilike(str(name_like), escape="\\"))
        limit = _check_max_results(max_results)
        with self._reader().connect() as connection:
            return _load_models(connection, *conditions, limit=limit)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a model; versions, tags and aliases follow. ``ConflictError`` if taken."""
        name = _validation.model_name(name)
        new_name = _validation.model_name(new_name)
        with _engine.write_transaction(self._writer()) as connection:
            _require_model(connection, name)
            if new_name != name:
                if _model_exists(connection, new_name):
                    raise ConflictError(f"registered model {new_name!r} already exists")
                connection.execute(
                    sa.update(schema.registered_models)
                    .where(schema.registered_models.c.name == name)
                    .values(name=new_name, last_update_time=_now_ms())
                )
        return self.get_registered_model(new_name)

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        """Set a model's description."""
        name = _validation.model_name(name)
        description = _validation.description(description)
        with _engine.write_transaction(self._writer()) as connection:
            _require_model(connection, name)
            _touch_model(connection, name, description=description)
        return self.get_registered_model(name)

    def delete_registered_model(self, name: str) -> None:
        """Delete a model with all its versions, tags and aliases (the runs stay)."""
        name = _validation.model_name(name)
        with _engine.write_transaction(self._writer()) as connection:
            _require_model(connection, name)
            # Children explicitly too: SQLite enforces cascades only with foreign_keys=ON.
            for table in (
                schema.registered_model_aliases,
                schema.model_version_tags,
                schema.model_versions,
                schema.registered_model_tags,
                schema.registered_models,
            ):
                connection.execute(sa.delete(table).where(table.c.name == name))

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        """Set (or overwrite) one tag of a registered model."""
        name = _validation.model_name(name)
        tag_rows = _validation.tag_values([(key, value)])
        with _engine.write_transaction(self._writer()) as connection:
            _require_model(connection, name)
            _upsert_model_tags(connection, name, tag_rows)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Remove one tag of a registered model; ``NotFoundError`` if it has no such tag."""
        name = _validation.model_name(name)
        with _engine.write_transaction(self._writer()) as connection:
            _require_model(connection, name)
            table = schema.registered_model_tags
            result = connection.execute(sa.delete(table).where(table.c.name == name, table.c.key == key))
            if result.rowcount == 0:
                raise NotFoundError(f"registered model {name!r} has no tag {key!r}")

    # --- versions ------------------------------------------------------------------------------

    def create_model_version(
        self,
        name: str,
        *,
        run_id: str,
        artifact_path: str,
        tags: Any = None,
        description: str | None = None,
    ) -> ModelVersion:
        """Register the model at ``runs:/<run_id>/<artifact_path>`` as the next version of ``name``.

        The registered model is created when it does not exist yet. The caller checks that the
        artifact path holds a model (the store does not read artifacts).

        Raises
        ------
        NotFoundError
            No run with this id.
        ConflictError
            The run is deleted.
        """
        name = _validation.model_name(name)
        _validation.run_id(run_id)
        artifact_path = _checked_artifact_path(artifact_path)
        tag_rows = _validation.tag_values(_tag_pairs(tags))
        description = _validation.description(description)
        now = _now_ms()
        with _engine.write_transaction(self._writer()) as connection:
            if self._run_stage(connection, run_id) != LifecycleStage.ACTIVE:
                raise ConflictError(f"run {run_id} is deleted; restore it before registering its model")
            _create_model_if_missing(connection, name, now)
            version = _take_next_version(connection, name)
            connection.execute(
                sa.insert(schema.model_versions).values(
                    name=name,
                    version=version,
                    run_id=run_id,
                    artifact_path=artifact_path,
                    source=runs_uri(run_id, artifact_path),
                    status=ModelVersionStatus.READY,
                    description=description,
                    creation_time=now,
                    last_update_time=now,
                )
            )
            _upsert_version_tags(connection, name, version, tag_rows)
            _touch_model(connection, name, now=now)
        return self.get_model_version(name, version)

    def get_model_version(self, name: str, version: Any) -> ModelVersion:
        """One version; ``NotFoundError`` naming the model and version if it does not exist."""
        name = _validation.model_name(name)
        number = _validation.model_version(version)
        with self._reader().connect() as connection:
            found = _load_versions(
                connection, schema.model_versions.c.name == name, schema.model_versions.c.version == number
            )
            if not found:
                _require_model(connection, name)
                raise NotFoundError(f"registered model {name!r} has no version {number}")
        return found[0]

    def get_latest_model_version(self, name: str) -> ModelVersion:
        """The version with the highest number; ``NotFoundError`` if the model has none."""
        name = _validation.model_name(name)
        with self._reader().connect() as connection:
            _require_model(connection, name)
            number = connection.execute(
                sa.select(sa.func.max(schema.model_versions.c.version)).where(
                    schema.model_versions.c.name == name
                )
            ).scalar()
            if number is None:
                raise NotFoundError(f"registered model {name!r} has no versions yet")
            return _load_versions(
                connection, schema.model_versions.c.name == name, schema.model_versions.c.version == number
            )[0]

    def search_model_versions(
        self,
        name: str | None = None,
        *,
        run_ids: Iterable[str] | None = None,
        max_results: int = DEFAULT_MAX_RESULTS,
    ) -> list[ModelVersion]:
        """Versions of one model (or of all), optionally only those made from ``run_ids``.

        Ordered by model name, then newest version first.
        """
        conditions = []
        if name is not None:
            conditions.append(schema.model_versions.c.name == _validation.model_name(name))
        if run_ids is not None:
            ids = [run_ids] if isinstance(run_ids, str) else list(run_ids)
            conditions.append(schema.model_versions.c.run_id.in_(ids))
        limit = _check_max_results(max_results)
        with self._reader().connect() as connection:
            return _load_versions(connection, *conditions, limit=limit)

    def update_model_version(self, name: str, version: Any, description: str | None) -> ModelVersion:
        """Set a version's description."""
        name = _validation.model_name(name)
        number = _validation.model_version(version)
        description = _validation.description(description)
        with _engine.write_transaction(self._writer()) as connection:
            _require_version(connection, name, number)
            connection.execute(
                sa.update(schema.model_versions)
                .where(schema.model_versions.c.name == name, schema.model_versions.c.version == number)
                .values(description=description, last_update_time=_now_ms())
            )
        return self.get_model_version(name, number)

    def delete_model_version(self, name: str, version: Any) -> None:
        """Delete one version with its tags and the aliases pointing at it (numbers are not reused)."""
        name = _validation.model_name(name)
        number = _validation.model_version(version)
        with _engine.write_transaction(self._writer()) as connection:
            _require_version(connection, name, number)
            for table in (schema.registered_model_aliases, schema.model_version_tags, schema.model_versions):
                connection.execute(sa.delete(table).where(table.c.name == name, table.c.version == number))
            _touch_model(connection, name)

    def set_model_version_tag(self, name: str, version: Any, key: str, value: Any) -> None:
        """Set (or overwrite) one tag of a model version."""
        name = _validation.model_name(name)
        number = _validation.model_version(version)
        tag_rows = _validation.tag_values([(key, value)])
        with _engine.write_transaction(self._writer()) as connection:
            _require_version(connection, name, number)
            _upsert_version_tags(connection, name, number, tag_rows)

    def delete_model_version_tag(self, name: str, version: Any, key: str) -> None:
        """Remove one tag of a model version; ``NotFoundError`` if it has no such tag."""
        name = _validation.model_name(name)
        number = _validation.model_version(version)
        table = schema.model_version_tags
        with _engine.write_transaction(self._writer()) as connection:
            _require_version(connection, name, number)
            result = connection.execute(
                sa.delete(table).where(table.c.name == name, table.c.version == number, table.c.key == key)
            )
            if result.rowcount == 0:
                raise NotFoundError(f"version {number} of {name!r} has no tag {key!r}")

    # --- aliases -------------------------------------------------------------------------------

    def set_registered_model_alias(self, name: str, alias: str, version: Any) -> None:
        """Point ``alias`` at ``version`` (moving it if it pointed elsewhere)."""
        name = _validation.model_name(name)
        alias = _validation.alias_name(alias)
        number = _validation.model_version(version)
        with _engine.write_transaction(self._writer()) as connection:
            _require_version(connection, name, number)
            connection.execute(
                _engine.upsert(connection.dialect, schema.registered_model_aliases, ["name", "alias"]),
                {"name": name, "alias": alias, "version": number},
            )
            _touch_model(connection, name)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """Remove an alias; ``NotFoundError`` if the model has no such alias."""
        name = _validation.model_name(name)
        alias = _validation.alias_name(alias)
        table = schema.registered_model_aliases
        with _engine.write_transaction(self._writer()) as connection:
            _require_model(connection, name)
            result = connection.execute(sa.delete(table).where(table.c.name == name, table.c.alias == alias))
            if result.rowcount == 0:
                raise NotFoundError(f"registered model {name!r} has no alias {alias!r}")
            _touch_model(connection, name)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version ``alias`` points at; ``NotFoundError`` if there is no such alias."""
        name = _validation.model_name(name)
        alias = _validation.alias_name(alias)
        table = schema.registered_model_aliases
        with self._reader().connect() as connection:
            number = connection.execute(
                sa.select(table.c.version).where(table.c.name == name, table.c.alias == alias)
            ).scalar()
            if number is None:
                _require_model(connection, name)
                raise NotFoundError(f"registered model {name!r} has no alias {alias!r}")
            return _load_versions(
                connection, schema.model_versions.c.name == name, schema.model_versions.c.version == number
            )[0]

    # --- protection of runs that versions point to ---------------------------------------------

    def _refuse_if_registered(self, connection, run_ids: list[str], action: str) -> None:
        referenced = registered_versions_of(connection, run_ids)
        if not referenced:
            return
        by_run: dict[str, list[str]] = {}
        for name, version, run_id in referenced:
            by_run.setdefault(run_id, []).append(f"{name}/{version}")
        details = "; ".join(
            f"run {run_id} is the source of model version(s) {', '.join(labels)}"
            for run_id, labels in by_run.items()
        )
        raise ConflictError(
            f"cannot {action}: {details}. Delete those model versions first, or pass force=True"
        )


def registered_versions_of(connection, run_ids: list[str]) -> list[tuple[str, int, str]]:
    """``(name, version, run_id)`` of every version made from one of ``run_ids``."""
    found = []
    for start in range(0, len(run_ids), 500):
        chunk = run_ids[start : start + 500]
        found += connection.execute(
            sa.select(
                schema.model_versions.c.name, schema.model_versions.c.version, schema.model_versions.c.run_id
            )
            .where(schema.model_versions.c.run_id.in_(chunk))
            .order_by(schema.model_versions.c.name, schema.model_versions.c.version)
        ).all()
    return [tuple(row) for row in found]


# --- writes --------------------------------------------------------------------------------------


def _model_exists(connection, name: str) -> bool:
    return (
        connection.execute(
            sa.select(schema.registered_models.c.name).where(schema.registered_models.c.name == name)
        ).first()
        is not None
    )


def _require_model(connection, name: str) -> None:
    if not _model_exists(connection, name):
        raise NotFoundError(f"no registered model named {name!r}")


def _require_version(connection, name: str, number: int) -> None:
    found = connection.execute(
        sa.select(schema.model_versions.c.version).where(
            schema.model_versions.c.name == name, schema.model_versions.c.version == number
        )
    ).first()
    if found is None:
        _require_model(connection, name)
        raise NotFoundError(f"registered model {name!r} has no version {number}")


def _create_model_if_missing(connection, name: str, now: int) -> None:
    statement = _engine.insert_for(connection.dialect, schema.registered_models).values(
        name=name, description=None, creation_time=now, last_update_time=now, last_version=0
    )
    connection.execute(statement.on_conflict_do_nothing())


def _take_next_version(connection, name: str) -> int:
    """Increment the model's version counter and return the new number.

    On PostgreSQL the UPDATE locks the model's row until the transaction ends, so concurrent
    registrations of one name queue here; on SQLite ``BEGIN IMMEDIATE`` already serialized them.
    """
    table = schema.registered_models
    connection.execute(
        sa.update(table).where(table.c.name == name).values(last_version=table.c.last_version + 1)
    )
    return connection.execute(sa.select(table.c.last_version).where(table.c.name == name)).scalar()


def _touch_model(connection, name: str, *, now: int | None = None, **values: Any) -> None:
    connection.execute(
        sa.update(schema.registered_models)
        .where(schema.registered_models.c.name == name)
        .values(last_update_time=now or _now_ms(), **values)
    )


def _upsert_model_tags(connection, name: str, tag_rows: list[tuple[str, str]]) -> None:
    if tag_rows:
        connection.execute(
            _engine.upsert(connection.dialect, schema.registered_model_tags, ["name", "key"]),
            [{"name": name, "key": k, "value": v} for k, v in tag_rows],
        )


def _upsert_version_tags(connection, name: str, number: int, tag_rows: list[tuple[str, str]]) -> None:
    if tag_rows:
        connection.execute(
            _engine.upsert(connection.dialect, schema.model_version_tags, ["name", "version", "key"]),
            [{"name": name, "version": number, "key": k, "value": v} for k, v in tag_rows],
        )


def _tag_pairs(tags: Any) -> list[tuple[str, Any]]:
    if not tags:
        return []
    if isinstance(tags, dict):
        return list(tags.items())
    return [(t.key, t.value) if hasattr(t, "key") else tuple(t) for t in tags]


def _checked_artifact_path(path: Any) -> str:
    if not isinstance(path, str) or not path.strip("/"):
        raise InvalidInputError(f"artifact path must be a non-empty string, got {path!r}")
    path = path.strip("/")
    if ".." in path.split("/") or "\\" in path:
        raise InvalidInputError(f"invalid artifact path {path!r}: no '..' and no backslashes")
    return path


def _check_max_results(value: Any) -> int:
    number = _validation.integer(value, "max_results")
    if not 1 <= number <= MAX_RESULTS_LIMIT:
        raise InvalidInputError(f"max_results must be between 1 and {MAX_RESULTS_LIMIT}, got {number}")
    return number


# --- reads ---------------------------------------------------------------------------------------


def _load_models(connection, *conditions, limit: int | None = None) -> list[RegisteredModel]:
    query = sa.select(schema.registered_models).where(*conditions).order_by(schema.registered_models.c.name)
    rows = connection.execute(query.limit(limit)).all()
    names = [row.name for row in rows]
    tags, aliases, latest = _model_details(connection, names)
    return [
        RegisteredModel(
            name=row.name,
            creation_time=row.creation_time,
            last_update_time=row.last_update_time,
            description=row.description,
            tags=tags.get(row.name, {}),
            aliases=aliases.get(row.name, {}),
            latest_version=latest.get(row.name),
        )
        for row in rows
    ]


def _model_details(connection, names: list[str]) -> tuple[dict, dict, dict]:
    tags: dict = {}
    aliases: dict = {}
    latest: dict = {}
    for start in range(0, len(names), 500):
        chunk = names[start : start + 500]
        table = schema.registered_model_tags
        for name, key, value in connection.execute(
            sa.select(table.c.name, table.c.key, table.c.value).where(table.c.name.in_(chunk))
        ):
            tags.setdefault(name, {})[key] = value
        table = schema.registered_model_aliases
        for name, alias, version in connection.execute(
            sa.select(table.c.name, table.c.alias, table.c.version)
            .where(table.c.name.in_(chunk))
            .order_by(table.c.alias)
        ):
            aliases.setdefault(name, {})[alias] = version
        table = schema.model_versions
        latest.update(
            connection.execute(
                sa.select(table.c.name, sa.func.max(table.c.version))
                .where(table.c.name.in_(chunk))
                .group_by(table.c.name)
            ).all()
        )
    return tags, aliases, latest


def _load_versions(connection, *conditions, limit: int | None = None) -> list[ModelVersion]:
    query = (
        sa.select(schema.model_versions)
        .where(*conditions)
        .order_by(schema.model_versions.c.name, schema.model_versions.c.version.desc())
    )
    rows = connection.execute(query.limit(limit)).all()
    tags, aliases = _version_details(connection, {row.name for row in rows})
    return [
        ModelVersion(
            name=row.name,
            version=row.version,
            run_id=row.run_id,
            artifact_path=row.artifact_path,
            source=row.source,
            status=row.status,
            creation_time=row.creation_time,
            last_update_time=row.last_update_time,
            description=row.description,
            tags=tags.get((row.name, row.version), {}),
            aliases=tuple(aliases.get((row.name, row.version), ())),
        )
        for row in rows
    ]


def _version_details(connection, names: set) -> tuple[dict, dict]:
    tags: dict = {}
    aliases: dict = {}
    names_list = sorted(names)
    for start in range(0, len(names_list), 500):
        chunk = names_list[start : start + 500]
        table = schema.model_version_tags
        for name, version, key, value in connection.execute(
            sa.select(table.c.name, table.c.version, table.c.key, table.c.value).where(
                table.c.name.in_(chunk)
            )
        ):
            tags.setdefault((name, version), {})[key] = value
        table = schema.registered_model_aliases
        for name, version, alias in connection.execute(
            sa.select(table.c.name, table.c.version, table.c.alias)
            .where(table.c.name.in_(chunk))
            .order_by(table.c.alias)
        ):
            aliases.setdefault((name, version), []).append(alias)
    return tags, aliases


# --- filter grammar for search_registered_models -------------------------------------------------

_COMPARISON = re.compile(
    r"""\s*(?P<field>name|tags\.(?:`[^`]+`|[A-Za-z0-9_\-./:]+))\s*
        (?P<op>!=|=|(?:NOT\s+)?I?LIKE)\s*
        (?P<value>'(?:[^']|'')*'|"(?:[^"]|"")*")\s*""",
    re.IGNORECASE | re.VERBOSE,
)
_AND = re.compile(r"\s*and\s+", re.IGNORECASE)


def parse_model_filter(filter_string: Any) -> list:
    """SQL conditions (parameterized) for a registered-model filter; ``InvalidInputError`` with
    the offending position otherwise."""
    if filter_string is None or filter_string == "":
        return []
    if not isinstance(filter_string, str):
        raise InvalidInputError(f"filter must be a string, got {type(filter_string).__name__}")
    conditions, position = [], 0
    while True:
        match = _COMPARISON.match(filter_string, position)
        if match is None:
            raise InvalidInputError(
                f"invalid model filter {filter_string!r} at position {position}: expected "
                "name|tags.<key> (=, !=, LIKE, ILIKE) 'value', joined by 'and'"
            )
        conditions.append(_condition(match))
        position = match.end()
        if position == len(filter_string):
            return conditions
        joiner = _AND.match(filter_string, position)
        if joiner is None:
            raise InvalidInputError(
                f"invalid model filter {filter_string!r} at position {position}: expected 'and'"
            )
        position = joiner.end()


def _condition(match: re.Match):
    field, op = match.group("field"), " ".join(match.group("op").upper().split())
    quote = match.group("value")[0]
    value = match.group("value")[1:-1].replace(quote * 2, quote)
    if field.lower() == "name":
        return _compare(schema.registered_models.c.name, op, value)
    key = field[len("tags.") :].strip("`")
    table = schema.registered_model_tags
    return schema.registered_models.c.name.in_(
        sa.select(table.c.name).where(table.c.key == key, _compare(table.c.value, op, value))
    )


def _compare(column, op: str, value: str):
    return {
        "=": lambda: column == value,
        "!=": lambda: column != value,
        "LIKE": lambda: column.like(value),
        "ILIKE": lambda: column.ilike(value),
        "NOT LIKE": lambda: column.not_like(value),
        "NOT ILIKE": lambda: column.not_ilike(value),
    }[op]()
