"""stat rollups: stats pre-summed per object by UTC day and for all time

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 00:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from adline.stats.rollups import rebuild_sync

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _counter_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("ad_campaign_id", sa.String(length=32), nullable=False),
        sa.Column("ad_group_id", sa.String(length=32), nullable=True),
        sa.Column("impressions", sa.BigInteger(), nullable=False),
        sa.Column("reach", sa.BigInteger(), nullable=False),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        sa.Column("unique_clicks", sa.BigInteger(), nullable=False),
        sa.Column("link_clicks", sa.BigInteger(), nullable=False),
        sa.Column("spend_micros", sa.BigInteger(), nullable=False),
        sa.Column("custom_conversions", sa.BigInteger(), nullable=False),
    ]


def _entry_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("map", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("entries", sa.BigInteger(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "stat_days",
        sa.Column("object_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *_counter_columns(),
        sa.PrimaryKeyConstraint("object_id", "day", name=op.f("pk_stat_days")),
    )
    op.create_index("ix_stat_days_company_level_day", "stat_days", ["company_id", "level", "day"])
    op.create_index("ix_stat_days_campaign_day", "stat_days", ["ad_campaign_id", "day"])
    op.create_table(
        "stat_lifetimes",
        sa.Column("object_id", sa.String(length=32), nullable=False),
        *_counter_columns(),
        sa.PrimaryKeyConstraint("object_id", name=op.f("pk_stat_lifetimes")),
    )
    op.create_index("ix_stat_lifetimes_company_level", "stat_lifetimes", ["company_id", "level"])
    op.create_table(
        "stat_entry_days",
        sa.Column("object_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *_entry_columns(),
        sa.PrimaryKeyConstraint(
            "object_id", "day", "source", "map", "name", name=op.f("pk_stat_entry_days")
        ),
    )
    op.create_table(
        "stat_entry_lifetimes",
        sa.Column("object_id", sa.String(length=32), nullable=False),
        *_entry_columns(),
        sa.PrimaryKeyConstraint(
            "object_id", "source", "map", "name", name=op.f("pk_stat_entry_lifetimes")
        ),
    )
    # Stores that already hold stats get their rollups now.
    rebuild_sync(op.get_bind())


def downgrade() -> None:
    for table in ("stat_entry_lifetimes", "stat_entry_days", "stat_lifetimes", "stat_days"):
        op.drop_table(table)
