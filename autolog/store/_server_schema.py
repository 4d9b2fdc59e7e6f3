"""Tables of the tracking server: users, token hashes, permissions, applied batch ids.

Registered on the store's shared :data:`autolog.store._schema.metadata` (so the migration test
compares them too); created by migration ``0005``. Only ``autolog server`` reads or writes them.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table

from autolog.store._schema import metadata

USER_NAME = String(256)

server_users = Table(
    "server_users",
    metadata,
    Column("name", USER_NAME, primary_key=True),
    Column("is_admin", Boolean, nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

# Only a SHA-256 of each token is kept. kind: "api" (from `token create`) or "session" (login).
server_tokens = Table(
    "server_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_name", USER_NAME, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("expiry_time", BigInteger),
    sqlite_with_rowid=False,
)

# resource_kind: "experiment" (resource_id = experiment id) or "registered_model" (its name).
server_permissions = Table(
    "server_permissions",
    metadata,
    Column("resource_kind", String(32), primary_key=True),
    Column("resource_id", String(256), primary_key=True),
    Column("user_name", USER_NAME, primary_key=True),
    Column("level", Integer, nullable=False),
    sqlite_with_rowid=False,
)

# A batch id is inserted in the same transaction as the batch's rows: a retried batch finds
# its id and writes nothing.
server_batches = Table(
    "server_batches",
    metadata,
    Column("batch_id", String(64), primary_key=True),
    Column("run_id", String(32), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)
Index("ix_server_batches_run_id", server_batches.c.run_id)
