"""conversion events

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 03:04:16.335953
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adline.core.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversion_events",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("event_name", sa.String(length=32), nullable=False),
        sa.Column("custom_name", sa.String(length=35), nullable=True),
        sa.Column("action_source", sa.String(length=32), nullable=True),
        sa.Column("event_time", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("value_micros", sa.BigInteger(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("last_touch_ad_id", sa.String(length=32), nullable=True),
        sa.Column("last_touch_ad_group_id", sa.String(length=32), nullable=True),
        sa.Column("last_touch_ad_campaign_id", sa.String(length=32), nullable=True),
        sa.Column("first_touch_ad_id", sa.String(length=32), nullable=True),
        sa.Column("first_touch_ad_group_id", sa.String(length=32), nullable=True),
        sa.Column("first_touch_ad_campaign_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_conversion_events_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversion_events")),
        sa.UniqueConstraint("company_id", "event_id", name="uq_conversion_events_company_event"),
    )
    with op.batch_alter_table("conversion_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversion_events_first_ad", ["first_touch_ad_id", "event_time"], unique=False
        )
        batch_op.create_index(
            "ix_conversion_events_first_campaign",
            ["first_touch_ad_campaign_id", "event_time"],
            unique=False,
        )
        batch_op.create_index(
            "ix_conversion_events_first_group",
            ["first_touch_ad_group_id", "event_time"],
            unique=False,
        )
        batch_op.create_index(
            "ix_conversion_events_last_ad", ["last_touch_ad_id", "event_time"], unique=False
        )
        batch_op.create_index(
            "ix_conversion_events_last_campaign",
            ["last_touch_ad_campaign_id", "event_time"],
            unique=False,
        )
        batch_op.create_index(
            "ix_conversion_events_last_group",
            ["last_touch_ad_group_id", "event_time"],
            unique=False,
        )

    op.create_table(
        "ad_clicks",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("ad_id", sa.String(length=32), nullable=False),
        sa.Column("ad_campaign_id", sa.String(length=32), nullable=False),
        sa.Column("ad_group_id", sa.String(length=32), nullable=False),
        sa.Column("click_id", sa.String(length=500), nullable=False),
        sa.Column("clicked_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_campaign_id"],
            ["ad_campaigns.id"],
            name=op.f("fk_ad_clicks_ad_campaign_id_ad_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["ad_group_id"], ["ad_groups.id"], name=op.f("fk_ad_clicks_ad_group_id_ad_groups")
        ),
        sa.ForeignKeyConstraint(["ad_id"], ["ads.id"], name=op.f("fk_ad_clicks_ad_id_ads")),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_ad_clicks_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_clicks")),
        sa.UniqueConstraint("company_id", "click_id", name="uq_ad_clicks_company_click"),
    )
    with op.batch_alter_table("ad_clicks", schema=None) as batch_op:
        batch_op.create_index("ix_ad_clicks_ad", ["ad_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ad_clicks", schema=None) as batch_op:
        batch_op.drop_index("ix_ad_clicks_ad")

    op.drop_table("ad_clicks")
    with op.batch_alter_table("conversion_events", schema=None) as batch_op:
        batch_op.drop_index("ix_conversion_events_last_group")
        batch_op.drop_index("ix_conversion_events_last_campaign")
        batch_op.drop_index("ix_conversion_events_last_ad")
        batch_op.drop_index("ix_conversion_events_first_group")
        batch_op.drop_index("ix_conversion_events_first_campaign")
        batch_op.drop_index("ix_conversion_events_first_ad")

    op.drop_table("conversion_events")
