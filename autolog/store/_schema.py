"""The store's tables as SQLAlchemy Core objects, used by every query.

The migrations in ``migrations/versions`` create exactly these tables; ``HEAD_REVISION`` names the
newest migration so that an up-to-date store opens without importing Alembic.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

#: The newest Alembic revision id; bump it together with every new file in migrations/versions.
HEAD_REVISION = "0006"

from autolog._core._constants import MAX_KEY_LENGTH  # noqa: E402
from autolog._core._entities import MODEL_RECORD_NAME_LENGTH as _NAME_LENGTH  # noqa: E402

RUN_ID_LENGTH = 32

metadata = MetaData()

# Tables keyed by text (run ids, keys) are WITHOUT ROWID on SQLite: a primary-key lookup is one
# b-tree search instead of two, and secondary indexes carry the run id (covering the joins).

experiments = Table(
    "experiments",
    metadata,
    Column("experiment_id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False, unique=True),
    Column("artifact_location", Text, nullable=False),
    Column("lifecycle_stage", String(32), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_update_time", BigInteger, nullable=False),
)

experiment_tags = Table(
    "experiment_tags",
    metadata,
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", String(MAX_KEY_LENGTH), primary_key=True),
    Column("value", Text, nullable=False),
    sqlite_with_rowid=False,
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(RUN_ID_LENGTH), primary_key=True),
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", Text),
    Column("status", String(16), nullable=False),
    Column("start_time", BigInteger, nullable=False),
    Column("end_time", BigInteger),
    Column("user_id", Text),
    Column("source", Text),
    Column("parent_run_id", String(RUN_ID_LENGTH)),
    Column("lifecycle_stage", String(32), nullable=False),
    Column("artifact_uri", Text, nullable=False),
    Column("owner_host", Text),
    Column("owner_pid", Integer),
    Column("heartbeat_time", BigInteger),
    Index("ix_runs_experiment_stage_start", "experiment_id", "lifecycle_stage", "start_time"),
    Index("ix_runs_parent_run_id", "parent_run_id"),
    sqlite_with_rowid=False,
)


def _run_fk() -> ForeignKey:
    return ForeignKey("runs.run_id", ondelete="CASCADE")


params = Table(
    "params",
    metadata,
    Column("run_id", String(RUN_ID_LENGTH), _run_fk(), primary_key=True),
    Column("key", String(MAX_KEY_LENGTH), primary_key=True),
    Column("value", Text, nullable=False),
    sqlite_with_rowid=False,
)

tags = Table(
    "tags",
    metadata,
    Column("run_id", String(RUN_ID_LENGTH), _run_fk(), primary_key=True),
    Column("key", String(MAX_KEY_LENGTH), primary_key=True),
    Column("value", Text, nullable=False),
    sqlite_with_rowid=False,
)

metrics = Table(
    "metrics",
    metadata,
    # INTEGER PRIMARY KEY is SQLite's rowid alias (autoincrement); PostgreSQL gets a bigint.
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("run_id", String(RUN_ID_LENGTH), _run_fk(), nullable=False),
    Column("key", String(MAX_KEY_LENGTH), nullable=False),
    Column("value", Double),
    Column("is_nan", Boolean, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("step", BigInteger, nullable=False),
    Index("ix_metrics_run_key_step", "run_id", "key", "step"),
)

latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("run_id", String(RUN_ID_LENGTH), _run_fk(), primary_key=True),
    Column("key", String(MAX_KEY_LENGTH), primary_key=True),
    Column("value", Double),
    Column("is_nan", Boolean, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("step", BigInteger, nullable=False),
    Index("ix_latest_metrics_key_value", "key", "value"),
    sqlite_with_rowid=False,
)

# Stored down-sampling envelopes of long metric series (revision 0006): min/max/count per fixed
# step bucket of one (run, key), so that a chart of a 1,000,000-step series is drawn from ~8,000
# rows instead of a scan. A cache: rebuilt from ``metrics`` whenever it is missing.
metric_envelopes = Table(
    "metric_envelopes",
    metadata,
    Column("run_id", String(RUN_ID_LENGTH), _run_fk(), primary_key=True),
    Column("key", String(MAX_KEY_LENGTH), primary_key=True),
    Column("bucket", BigInteger, primary_key=True),
    Column("width", BigInteger, nullable=False),
    Column("first_step", BigInteger, nullable=False),
    Column("last_step", BigInteger, nullable=False),
    Column("min_value", Double),
    Column("max_value", Double),
    Column("count", BigInteger, nullable=False),
    Column("max_id", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

# (key, value) indexes on the text tables. PostgreSQL's btree rows are limited to ~2.7 kB and values
# may be up to 8000 characters, so there the index covers the key only (see the migration).
Index("ix_params_key_value", params.c.key, params.c.value)
Index("ix_tags_key_value", tags.c.key, tags.c.value)


# --- model registry (revision 0002) ------------------------------------------------------------
# Keyed by the model name; renaming a model updates its children through ON UPDATE CASCADE.

MAX_MODEL_NAME_LENGTH = 256
MAX_ALIAS_LENGTH = 255


def _model_fk() -> ForeignKey:
    return ForeignKey("registered_models.name", ondelete="CASCADE", onupdate="CASCADE")


registered_models = Table(
    "registered_models",
    metadata,
    Column("name", String(MAX_MODEL_NAME_LENGTH), primary_key=True),
    Column("description", Text),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_update_time", BigInteger, nullable=False),
    # The highest version number ever given: deleted versions' numbers are never reused.
    Column("last_version", Integer, nullable=False, server_default="0"),
    sqlite_with_rowid=False,
)

registered_model_tags = Table(
    "registered_model_tags",
    metadata,
    Column("name", String(MAX_MODEL_NAME_LENGTH), _model_fk(), primary_key=True),
    Column("key", String(MAX_KEY_LENGTH), primary_key=True),
    Column("value", Text, nullable=False),
    sqlite_with_rowid=False,
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("name", String(MAX_MODEL_NAME_LENGTH), _model_fk(), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("run_id", String(RUN_ID_LENGTH), nullable=False),
    Column("artifact_path", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("description", Text),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_update_time", BigInteger, nullable=False),
    Index("ix_model_versions_run_id", "run_id"),
    sqlite_with_rowid=False,
)

model_version_tags = Table(
    "model_version_tags",
    metadata,
    Column("name", String(MAX_MODEL_NAME_LENGTH), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("key", String(MAX_KEY_LENGTH), primary_key=True),
    Column("value", Text, nullable=False),
    ForeignKeyConstraint(
        ["name", "version"],
        ["model_versions.name", "model_versions.version"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    ),
    sqlite_with_rowid=False,
)

registered_model_aliases = Table(
    "registered_model_aliases",
    metadata,
    Column("name", String(MAX_MODEL_NAME_LENGTH), primary_key=True),
    Column("alias", String(MAX_ALIAS_LENGTH), primary_key=True),
    Column("version", Integer, nullable=False),
    ForeignKeyConstraint(
        ["name", "version"],
        ["model_versions.name", "model_versions.version"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    ),
    sqlite_with_rowid=False,
)


# Size and sha256 of every artifact file as written (migration 0004); verified on download/load.
artifact_records = Table(
    "artifact_records",
    metadata,
    Column("run_id", String(RUN_ID_LENGTH), _run_fk(), primary_key=True),
    Column("path", String(1024), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("written_time", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)


# --- model records (revision 0003; see ``_model_records``) --------------------------------------

model_records = Table(
    "model_records",
    metadata,
    Column(
        "run_id",
        String(RUN_ID_LENGTH),
        ForeignKey("runs.run_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("artifact_path", String(1000), primary_key=True),
    Column("flavor", String(_NAME_LENGTH), nullable=False),
    Column("serialization_format", String(_NAME_LENGTH), nullable=False),
    Column("model_file", String(_NAME_LENGTH), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

model_version_records = Table(
    "model_version_records",
    metadata,
    Column("name", String(MAX_MODEL_NAME_LENGTH), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("flavor", String(_NAME_LENGTH), nullable=False),
    Column("serialization_format", String(_NAME_LENGTH), nullable=False),
    Column("model_file", String(_NAME_LENGTH), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    ForeignKeyConstraint(
        ["name", "version"],
        ["model_versions.name", "model_versions.version"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    ),
    sqlite_with_rowid=False,
)


# --- tables of the tracking server (revision 0005) ------------------------------------------------
# users, token hashes, permissions, applied batch ids; only ``autolog server`` reads or writes them.

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
