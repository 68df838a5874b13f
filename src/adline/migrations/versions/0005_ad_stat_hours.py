"""ad stat hours

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 02:26:45.606273
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adline.core.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ad_stat_hours",
        sa.Column("ad_id", sa.String(length=32), nullable=False),
        sa.Column("hour_start", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("ad_campaign_id", sa.String(length=32), nullable=False),
        sa.Column("ad_group_id", sa.String(length=32), nullable=False),
        sa.Column("impressions", sa.BigInteger(), nullable=False),
        sa.Column("reach", sa.BigInteger(), nullable=False),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        sa.Column("unique_clicks", sa.BigInteger(), nullable=False),
        sa.Column("link_clicks", sa.BigInteger(), nullable=False),
        sa.Column("spend_micros", sa.BigInteger(), nullable=False),
        sa.Column("event_counts", sa.JSON(), nullable=False),
        sa.Column("event_value_micros", sa.JSON(), nullable=False),
        sa.Column("custom_event_counts", sa.JSON(), nullable=False),
        sa.Column("custom_event_value_micros", sa.JSON(), nullable=False),
        sa.Column("custom_conversions", sa.BigInteger(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("reported_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_campaign_id"],
            ["ad_campaigns.id"],
            name=op.f("fk_ad_stat_hours_ad_campaign_id_ad_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["ad_group_id"], ["ad_groups.id"], name=op.f("fk_ad_stat_hours_ad_group_id_ad_groups")
        ),
        sa.ForeignKeyConstraint(["ad_id"], ["ads.id"], name=op.f("fk_ad_stat_hours_ad_id_ads")),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_ad_stat_hours_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("ad_id", "hour_start", name=op.f("pk_ad_stat_hours")),
    )
    with op.batch_alter_table("ad_stat_hours", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ad_stat_hours_campaign_hour", ["ad_campaign_id", "hour_start"], unique=False
        )
        batch_op.create_index(
            "ix_ad_stat_hours_company_hour", ["company_id", "hour_start"], unique=False
        )
        batch_op.create_index(
            "ix_ad_stat_hours_group_hour", ["ad_group_id", "hour_start"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ad_stat_hours", schema=None) as batch_op:
        batch_op.drop_index("ix_ad_stat_hours_group_hour")
        batch_op.drop_index("ix_ad_stat_hours_company_hour")
        batch_op.drop_index("ix_ad_stat_hours_campaign_hour")

    op.drop_table("ad_stat_hours")
