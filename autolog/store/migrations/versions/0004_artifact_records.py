"""Artifact records (size and sha256 of every artifact file), and locations relative to the store.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

``artifact_records`` holds one row per artifact file a run wrote: its size and sha256, verified
when a model loads or artifacts are downloaded. A SQLite store's experiment and run artifact
locations inside the database's directory become relative to it (``artifacts/1/<run>/artifacts``),
so the directory can be copied or moved; locations elsewhere stay as they are. The downgrade
turns relative locations back into absolute ones under the database's current directory.
"""

import os

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_CHUNK = 500


def upgrade() -> None:
    op.create_table(
        "artifact_records",
        sa.Column(
            "run_id", sa.String(32), sa.ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("path", sa.String(1024), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("written_time", sa.BigInteger, nullable=False),
        sqlite_with_rowid=False,
    )
    root = _store_root()
    if root is not None:
        _rewrite_locations(lambda value: _relative(value, root))


def downgrade() -> None:
    root = _store_root()
    if root is not None:
        _rewrite_locations(lambda value: _absolute(value, root))
    op.drop_table("artifact_records")


def _store_root():
    url = op.get_bind().engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return os.path.dirname(os.path.abspath(url.database))


def _relative(value: str, root: str):
    if not os.path.isabs(value):
        return None
    relative = os.path.relpath(value, root)
    if relative in (".", "..") or relative.startswith(".." + os.sep):
        return None
    return relative.replace(os.sep, "/")


def _absolute(value: str, root: str):
    if not value or os.path.isabs(value) or "://" in value:
        return None
    return os.path.join(root, *value.split("/"))


def _rewrite_locations(convert) -> None:
    connection = op.get_bind()
    for table, key, column in (
        ("experiments", "experiment_id", "artifact_location"),
        ("runs", "run_id", "artifact_uri"),
    ):
        target = sa.table(table, sa.column(key), sa.column(column))
        rows = connection.execute(sa.select(target.c[key], target.c[column])).all()
        changes = [{"row_key": row[0], "value": new} for row in rows if (new := convert(row[1])) is not None]
        statement = (
            sa.update(target)
            .where(target.c[key] == sa.bindparam("row_key"))
            .values({column: sa.bindparam("value")})
        )
        for start in range(0, len(changes), _CHUNK):
            connection.execute(statement, changes[start : start + _CHUNK])
