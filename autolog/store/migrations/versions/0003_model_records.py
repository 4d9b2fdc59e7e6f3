"""Model records: the store's own record of each logged model's and registered version's files.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

Two new tables, nothing else changes, so existing stores upgrade without loss. Models logged
before this revision have no record; ``load_model`` refuses them unless the caller passes
``trusted=True`` (see docs/security.md). A record follows its run's purge (ON DELETE CASCADE)
and its version's rename and deletion.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NAME = sa.String(256)
SHORT = sa.String(200)


def _record_columns():
    return [
        sa.Column("flavor", SHORT, nullable=False),
        sa.Column("serialization_format", SHORT, nullable=False),
        sa.Column("model_file", SHORT, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "model_records",
        sa.Column(
            "run_id", sa.String(32), sa.ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("artifact_path", sa.String(1000), primary_key=True),
        *_record_columns(),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "model_version_records",
        sa.Column("name", NAME, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        *_record_columns(),
        sa.ForeignKeyConstraint(
            ["name", "version"],
            ["model_versions.name", "model_versions.version"],
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("model_version_records")
    op.drop_table("model_records")
