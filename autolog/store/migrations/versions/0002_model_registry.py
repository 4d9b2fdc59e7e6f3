"""The model registry: registered models, their versions, tags on both, and aliases.

Revision ID: 0002
Revises: 0001
Create Date: 2026-02-01

Models are keyed by name; children follow a rename through ON UPDATE CASCADE and go away with
their model (or version) through ON DELETE CASCADE. ``model_versions.run_id`` deliberately has no
foreign key: the store refuses to delete or purge a run that a version points to, with a message
naming the versions (a constraint violation could not say which).
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

NAME = sa.String(256)
KEY = sa.String(250)
ALIAS = sa.String(255)


def _model_fk():
    return sa.ForeignKey("registered_models.name", ondelete="CASCADE", onupdate="CASCADE")


def _version_fk():
    return sa.ForeignKeyConstraint(
        ["name", "version"],
        ["model_versions.name", "model_versions.version"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "registered_models",
        sa.Column("name", NAME, primary_key=True),
        sa.Column("description", sa.Text),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_update_time", sa.BigInteger, nullable=False),
        sa.Column("last_version", sa.Integer, nullable=False, server_default="0"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "registered_model_tags",
        sa.Column("name", NAME, _model_fk(), primary_key=True),
        sa.Column("key", KEY, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "model_versions",
        sa.Column("name", NAME, _model_fk(), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("artifact_path", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_update_time", sa.BigInteger, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_model_versions_run_id", "model_versions", ["run_id"])
    op.create_table(
        "model_version_tags",
        sa.Column("name", NAME, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("key", KEY, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        _version_fk(),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "registered_model_aliases",
        sa.Column("name", NAME, primary_key=True),
        sa.Column("alias", ALIAS, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        _version_fk(),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    for name in (
        "registered_model_aliases",
        "model_version_tags",
        "model_versions",
        "registered_model_tags",
        "registered_models",
    ):
        op.drop_table(name)
