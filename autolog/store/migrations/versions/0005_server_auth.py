"""Tables of the tracking server: users, token hashes, permissions and applied batch ids.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

See the server tables in ``autolog/store/_schema.py``. Tokens are stored as SHA-256 hashes only.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

USER = sa.String(256)


def upgrade() -> None:
    op.create_table(
        "server_users",
        sa.Column("name", USER, primary_key=True),
        sa.Column("is_admin", sa.Boolean, nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "server_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_name", USER, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("expiry_time", sa.BigInteger),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "server_permissions",
        sa.Column("resource_kind", sa.String(32), primary_key=True),
        sa.Column("resource_id", sa.String(256), primary_key=True),
        sa.Column("user_name", USER, primary_key=True),
        sa.Column("level", sa.Integer, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "server_batches",
        sa.Column("batch_id", sa.String(64), primary_key=True),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_server_batches_run_id", "server_batches", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_server_batches_run_id", "server_batches")
    for table in ("server_batches", "server_permissions", "server_tokens", "server_users"):
        op.drop_table(table)
