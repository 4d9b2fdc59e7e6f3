"""Server-side records of the tracking server: tokens, sessions, permissions, batch ids.

Used only by ``autolog server`` (and ``autolog server token create``), over a :class:`SqlStore`.
Tokens are random 32-byte URL-safe strings; only their SHA-256 is stored, so a stolen database
reveals no usable token (a random token needs no slow, salted hash: it cannot be guessed).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import time
from typing import Any

import sqlalchemy as sa

from autolog._core import _validation
from autolog._core._exceptions import ConflictError, InvalidInputError, NotFoundError
from autolog.store import _engine
from autolog.store._hot_path import latest_per_key, to_metric_rows
from autolog.store._schema import (
    params,
    runs,
    server_batches,
    server_permissions,
    server_tokens,
    server_users,
)
from autolog.store._sql_common import key_value_pairs

NONE, READ, EDIT, MANAGE = 0, 1, 2, 3
LEVEL_NAMES = {"NONE": NONE, "READ": READ, "EDIT": EDIT, "MANAGE": MANAGE}
RESOURCE_KINDS = ("experiment", "registered_model")
SESSION_LIFETIME_MS = 12 * 3600 * 1000
TOKEN_PREFIX = "alt_"


def _now_ms() -> int:
    return int(time.time() * 1000)


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def level_of(name: Any) -> int:
    """``"READ"`` -> 1 etc.; ``InvalidInputError`` for anything else."""
    level = LEVEL_NAMES.get(str(name).upper()) if isinstance(name, str) else None
    if level is None:
        raise InvalidInputError(f"invalid permission {name!r}: one of {', '.join(LEVEL_NAMES)}")
    return level


def prepare_schema(store) -> None:
    """Create or migrate the store's schema (server tables included) now, not on first use."""
    store._writer()


def create_token(store, user: str, *, admin: bool = False) -> str:
    """Create (or update) ``user`` and a new API token for it; return the token (shown once)."""
    name = _validation.optional_text(user, "user name")
    if not name or not name.strip():
        raise InvalidInputError("a token needs a user name (--user NAME)")
    user = name
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = _now_ms()
    with _engine.write_transaction(store._writer()) as connection:
        upsert = _engine.upsert(connection.dialect, server_users, ["name"])
        connection.execute(upsert, {"name": user, "is_admin": bool(admin), "creation_time": now})
        connection.execute(
            sa.insert(server_tokens).values(
                token_hash=token_hash(token),
                user_name=user,
                kind="api",
                creation_time=now,
                expiry_time=None,
            )
        )
    return token


def revoke_tokens(store, user: str) -> int:
    """Delete every token and session of ``user``; returns how many."""
    with _engine.write_transaction(store._writer()) as connection:
        return connection.execute(sa.delete(server_tokens).where(server_tokens.c.user_name == user)).rowcount


def create_session(store, user: str) -> str:
    """A new session token for ``user`` (the login cookie), valid for 12 hours."""
    token = secrets.token_urlsafe(32)
    now = _now_ms()
    with _engine.write_transaction(store._writer()) as connection:
        connection.execute(
            sa.delete(server_tokens).where(
                server_tokens.c.kind == "session", server_tokens.c.expiry_time < now
            )
        )
        connection.execute(
            sa.insert(server_tokens).values(
                token_hash=token_hash(token),
                user_name=user,
                kind="session",
                creation_time=now,
                expiry_time=now + SESSION_LIFETIME_MS,
            )
        )
    return token


def delete_session(store, token: str) -> None:
    """Forget a session token (logout)."""
    with _engine.write_transaction(store._writer()) as connection:
        connection.execute(
            sa.delete(server_tokens).where(
                server_tokens.c.token_hash == token_hash(token), server_tokens.c.kind == "session"
            )
        )


def authenticate(store, token: str, *, kind: str) -> tuple[str, bool] | None:
    """``(user, is_admin)`` for a valid token of ``kind`` ("api" or "session"), else ``None``."""
    query = (
        sa.select(server_users.c.name, server_users.c.is_admin, server_tokens.c.expiry_time)
        .join(server_users, server_users.c.name == server_tokens.c.user_name)
        .where(server_tokens.c.token_hash == token_hash(token), server_tokens.c.kind == kind)
    )
    with store._writer().connect() as connection:
        row = connection.execute(query).first()
    if row is None or (row[2] is not None and row[2] < _now_ms()):
        return None
    return row[0], bool(row[1])


def has_users(store) -> bool:
    """Whether any token was ever created (then the server requires one)."""
    with store._writer().connect() as connection:
        return connection.execute(sa.select(server_users.c.name).limit(1)).first() is not None


def permission(store, kind: str, resource_id: str, user: str) -> int | None:
    """The level granted to ``user`` on one resource, ``None`` when nothing was granted."""
    query = sa.select(server_permissions.c.level).where(
        server_permissions.c.resource_kind == kind,
        server_permissions.c.resource_id == str(resource_id),
        server_permissions.c.user_name == user,
    )
    with store._writer().connect() as connection:
        return connection.execute(query).scalar()


def grants(store, kind: str, user: str) -> dict[str, int]:
    """Every explicit grant of ``user`` on resources of ``kind``: resource id -> level."""
    query = sa.select(server_permissions.c.resource_id, server_permissions.c.level).where(
        server_permissions.c.resource_kind == kind, server_permissions.c.user_name == user
    )
    with store._writer().connect() as connection:
        return dict(connection.execute(query).all())


def set_permission(store, kind: str, resource_id: str, user: str, level: int) -> None:
    """Grant ``level`` (NONE restricts below the server default) to ``user`` on a resource."""
    if kind not in RESOURCE_KINDS:
        raise InvalidInputError(f"invalid resource kind {kind!r}: one of {RESOURCE_KINDS}")
    user = _validation.lookup_text(user, "user name")
    with _engine.write_transaction(store._writer()) as connection:
        statement = _engine.upsert(
            connection.dialect, server_permissions, ["resource_kind", "resource_id", "user_name"]
        )
        connection.execute(
            statement,
            {
                "resource_kind": kind,
                "resource_id": str(resource_id),
                "user_name": user,
                "level": level,
            },
        )


def rename_model_permissions(store, old_name: str, new_name: str) -> None:
    """Grants on a registered model follow its rename."""
    with _engine.write_transaction(store._writer()) as connection:
        connection.execute(
            sa.update(server_permissions)
            .where(
                server_permissions.c.resource_kind == "registered_model",
                server_permissions.c.resource_id == old_name,
            )
            .values(resource_id=new_name)
        )


def run_for_request(store, request_id: str) -> str | None:
    """The run a ``create_run`` with this client request id made, if any."""
    query = sa.select(server_batches.c.run_id).where(server_batches.c.batch_id == "run:" + request_id)
    with store._writer().connect() as connection:
        return connection.execute(query).scalar()


def experiment_of_run(store, run_id: Any) -> str:
    """The experiment id of a run (one indexed lookup, not the whole run); ``NotFoundError``."""
    if type(run_id) is not str or _validation.has_unstorable(run_id):
        raise NotFoundError(f"no run with id {run_id!r}")
    query = sa.select(runs.c.experiment_id).where(runs.c.run_id == run_id)
    with store._writer().connect() as connection:
        experiment_id = connection.execute(query).scalar()
    if experiment_id is None:
        raise NotFoundError(f"no run with id {run_id!r}")
    return str(experiment_id)


def remember_request(store, request_id: str, run_id: str) -> None:
    """Record that ``create_run`` with this request id made ``run_id`` (a retry returns it)."""
    with _engine.write_transaction(store._writer()) as connection:
        connection.execute(
            _engine.insert_for(connection.dialect, server_batches)
            .values(batch_id="run:" + request_id, run_id=run_id, creation_time=_now_ms())
            .on_conflict_do_nothing()
        )


def log_batch_once(store, batch_id: str, run_id: str, metric_items=(), param_items=(), tag_items=()) -> bool:
    """:meth:`SqlStore.log_batch` that applies a given ``batch_id`` at most once.

    The batch id row and the batch's rows commit in one transaction (concurrent duplicates wait
    on the primary key), so a retried batch is a no-op. Returns False for such a duplicate.
    Runs on the store's hot write path (its per-thread connection and precompiled statements).
    """
    batch_id = _validation.lookup_text(batch_id, "batch id")
    if not 1 <= len(batch_id) <= 64:
        raise InvalidInputError(f"invalid batch id {batch_id!r}: 1 to 64 characters")
    metric_rows = to_metric_rows(run_id, metric_items)
    param_rows = _validation.param_values(key_value_pairs(param_items))
    tag_rows = _validation.tag_values(key_value_pairs(tag_items))
    store._writer()
    hot = store._hot
    with store._hot_connections.write_cursor() as cursor:
        store._check_run_writable(cursor, run_id)
        cursor.execute(
            _insert_batch_statement(store._engine.dialect),
            {"batch_id": batch_id, "run_id": run_id, "creation_time": _now_ms()},
        )
        # RETURNING, not rowcount: PostgreSQL reports a row count for the skipped insert too.
        if cursor.fetchone() is None:
            return False
        if param_rows:
            store._write_params(cursor, run_id, param_rows)
        if metric_rows:
            cursor.executemany(hot.insert_metrics, metric_rows)
            cursor.executemany(hot.upsert_latest, latest_per_key(metric_rows))
        store._write_tags(cursor, run_id, tag_rows)
    return True


@functools.cache
def _insert_batch_statement(dialect) -> str:
    """The batch-id insert compiled for a dialect (once per engine's dialect)."""
    names = ("batch_id", "run_id", "creation_time")
    return str(
        _engine.insert_for(dialect, server_batches)
        .values({name: sa.bindparam(name) for name in names})
        .on_conflict_do_nothing()
        .returning(server_batches.c.batch_id)
        .compile(dialect=dialect)
    )


def _check_run_writable(connection, run_id: str) -> None:
    if type(run_id) is not str or _validation.has_unstorable(run_id):
        raise NotFoundError(f"no run with id {run_id!r}")
    stage = connection.execute(sa.select(runs.c.lifecycle_stage).where(runs.c.run_id == run_id)).scalar()
    if stage is None:
        raise NotFoundError(f"no run with id {run_id!r}")
    if stage != "active":
        raise ConflictError(f"run {run_id!r} is deleted; restore it before logging to it")


def _write_params(connection, run_id: str, param_rows: list) -> None:
    if not param_rows:
        return
    connection.execute(
        _engine.insert_for(connection.dialect, params).on_conflict_do_nothing(),
        [{"run_id": run_id, "key": k, "value": v} for k, v in param_rows],
    )
    stored = dict(
        connection.execute(sa.select(params.c.key, params.c.value).where(params.c.run_id == run_id)).all()
    )
    for key, value in param_rows:
        if stored[key] != value:
            raise ConflictError(
                f"param {key!r} of run {run_id} is already {stored[key]!r}; params cannot "
                f"change (tried to log {value!r})"
            )
