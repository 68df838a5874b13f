"""stat spans and cumulative entries: a window of whole days reads a few rows per object

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 17:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from adline.stats.rollups import derived_rebuild_sync

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stat_spans",
        sa.Column("object_id", sa.String(length=32), nullable=False),
        sa.Column("span", sa.Integer(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("impressions", sa.BigInteger(), nullable=False),
        sa.Column("reach", sa.BigInteger(), nullable=False),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        sa.Column("unique_clicks", sa.BigInteger(), nullable=False),
        sa.Column("link_clicks", sa.BigInteger(), nullable=False),
        sa.Column("spend_micros", sa.BigInteger(), nullable=False),
        sa.Column("custom_conversions", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("object_id", "span", "start", name=op.f("pk_stat_spans")),
    )
    op.create_table(
        "stat_entry_cumulative",
        sa.Column("object_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("map", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "object_id", "source", "map", "name", "day", name=op.f("pk_stat_entry_cumulative")
        ),
    )
    # Stores that already hold stats derive them now from their daily rollups.
    derived_rebuild_sync(op.get_bind())


def downgrade() -> None:
    op.drop_table("stat_entry_cumulative")
    op.drop_table("stat_spans")
