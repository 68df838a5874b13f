"""ad groups, ads, platform issues

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 01:30:04.092860
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adline.core.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ad_groups",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("ad_campaign_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("budget_type", sa.String(length=16), nullable=True),
        sa.Column("budget_amount_micros", sa.BigInteger(), nullable=True),
        sa.Column("bid_type", sa.String(length=32), nullable=True),
        sa.Column("desired_cost_per_result_micros", sa.BigInteger(), nullable=True),
        sa.Column("minimum_daily_spend_micros", sa.BigInteger(), nullable=True),
        sa.Column("optimization_goal", sa.String(length=64), nullable=True),
        sa.Column("conversion_location", sa.String(length=64), nullable=True),
        sa.Column("conversion_event", sa.String(length=200), nullable=True),
        sa.Column("message_apps", sa.JSON(), nullable=True),
        sa.Column("starts_at", adline.core.db.UTCDateTime(), nullable=True),
        sa.Column("ends_at", adline.core.db.UTCDateTime(), nullable=True),
        sa.Column("delivery_schedule", sa.JSON(), nullable=True),
        sa.Column("frequency_cap", sa.JSON(), nullable=True),
        sa.Column("keywords", sa.JSON(), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("placements", sa.JSON(), nullable=True),
        sa.Column("demographics", sa.JSON(), nullable=False),
        sa.Column("detailed_targeting", sa.JSON(), nullable=False),
        sa.Column("audiences", sa.JSON(), nullable=False),
        sa.Column("devices", sa.JSON(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("dynamic_creative", sa.Boolean(), nullable=True),
        sa.Column("duplicate_of_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", adline.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ad_campaign_id"],
            ["ad_campaigns.id"],
            name=op.f("fk_ad_groups_ad_campaign_id_ad_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_ad_groups_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_groups")),
    )
    with op.batch_alter_table("ad_groups", schema=None) as batch_op:
        batch_op.create_index("ix_ad_groups_campaign", ["ad_campaign_id"], unique=False)
        batch_op.create_index(
            "ix_ad_groups_company_created", ["company_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_ad_groups_company_updated", ["company_id", "updated_at", "id"], unique=False
        )

    op.create_table(
        "platform_issues",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("ad_campaign_id", sa.String(length=32), nullable=False),
        sa.Column("resource_type", sa.String(length=16), nullable=False),
        sa.Column("resource_id", sa.String(length=32), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("subtype", sa.String(length=200), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("resolution_status", sa.String(length=16), nullable=False),
        sa.Column("in_appeal", sa.Boolean(), nullable=False),
        sa.Column("created_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_campaign_id"],
            ["ad_campaigns.id"],
            name=op.f("fk_platform_issues_ad_campaign_id_ad_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_platform_issues_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_issues")),
        sa.UniqueConstraint(
            "resource_id", "dedupe_key", name=op.f("uq_platform_issues_resource_id")
        ),
    )
    with op.batch_alter_table("platform_issues", schema=None) as batch_op:
        batch_op.create_index(
            "ix_platform_issues_campaign", ["ad_campaign_id", "resolution_status"], unique=False
        )

    op.create_table(
        "ads",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("ad_campaign_id", sa.String(length=32), nullable=False),
        sa.Column("ad_group_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("url_parameters", sa.JSON(), nullable=False),
        sa.Column("call_to_action", sa.String(length=64), nullable=True),
        sa.Column("creatives", sa.JSON(), nullable=False),
        sa.Column("primary_texts", sa.JSON(), nullable=False),
        sa.Column("headlines", sa.JSON(), nullable=False),
        sa.Column("descriptions", sa.JSON(), nullable=False),
        sa.Column("existing_post_id", sa.String(length=200), nullable=True),
        sa.Column("post_source", sa.String(length=32), nullable=True),
        sa.Column("post_id", sa.String(length=200), nullable=True),
        sa.Column("post_thumbnail_url", sa.Text(), nullable=True),
        sa.Column("external_accounts", sa.JSON(), nullable=False),
        sa.Column("lead_form", sa.JSON(), nullable=True),
        sa.Column("lead_form_id", sa.String(length=200), nullable=True),
        sa.Column("messaging_config", sa.JSON(), nullable=True),
        sa.Column("multi_advertiser_ads", sa.Boolean(), nullable=True),
        sa.Column("music", sa.JSON(), nullable=True),
        sa.Column("translations", sa.JSON(), nullable=True),
        sa.Column("duplicate_of_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", adline.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ad_campaign_id"], ["ad_campaigns.id"], name=op.f("fk_ads_ad_campaign_id_ad_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["ad_group_id"], ["ad_groups.id"], name=op.f("fk_ads_ad_group_id_ad_groups")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_ads_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ads")),
    )
    with op.batch_alter_table("ads", schema=None) as batch_op:
        batch_op.create_index("ix_ads_campaign", ["ad_campaign_id"], unique=False)
        batch_op.create_index(
            "ix_ads_company_created", ["company_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_ads_company_updated", ["company_id", "updated_at", "id"], unique=False
        )
        batch_op.create_index("ix_ads_group", ["ad_group_id"], unique=False)

    with op.batch_alter_table("ad_campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("duplicate_of_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ad_campaigns", schema=None) as batch_op:
        batch_op.drop_column("duplicate_of_id")

    with op.batch_alter_table("ads", schema=None) as batch_op:
        batch_op.drop_index("ix_ads_group")
        batch_op.drop_index("ix_ads_company_updated")
        batch_op.drop_index("ix_ads_company_created")
        batch_op.drop_index("ix_ads_campaign")

    op.drop_table("ads")
    with op.batch_alter_table("platform_issues", schema=None) as batch_op:
        batch_op.drop_index("ix_platform_issues_campaign")

    op.drop_table("platform_issues")
    with op.batch_alter_table("ad_groups", schema=None) as batch_op:
        batch_op.drop_index("ix_ad_groups_company_updated")
        batch_op.drop_index("ix_ad_groups_company_created")
        batch_op.drop_index("ix_ad_groups_campaign")

    op.drop_table("ad_groups")
