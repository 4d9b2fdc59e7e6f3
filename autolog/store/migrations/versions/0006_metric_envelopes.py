"""Stored down-sampling envelopes of long metric series.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

See ``metric_envelopes`` in ``autolog/store/_schema.py``: a cache of min/max/count per step bucket,
written when a long series is first charted or its run ends, read by every later process.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metric_envelopes",
        sa.Column(
            "run_id",
            sa.String(32),
            sa.ForeignKey("runs.run_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("bucket", sa.BigInteger, primary_key=True),
        sa.Column("width", sa.BigInteger, nullable=False),
        sa.Column("first_step", sa.BigInteger, nullable=False),
        sa.Column("last_step", sa.BigInteger, nullable=False),
        sa.Column("min_value", sa.Double),
        sa.Column("max_value", sa.Double),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("max_id", sa.BigInteger, nullable=False),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("metric_envelopes")
