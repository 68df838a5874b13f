"""spend caps

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 03:38:17.420733
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adline.core.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "spend_caps",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("ends_at", adline.core.db.UTCDateTime(), nullable=True),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("error_reason", sa.Text(), nullable=True),
        sa.Column("created_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("ledger_period_start", adline.core.db.UTCDateTime(), nullable=True),
        sa.Column("granted_micros", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_spend_caps_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spend_caps")),
    )
    with op.batch_alter_table("spend_caps", schema=None) as batch_op:
        batch_op.create_index(
            "ix_spend_caps_company_created", ["company_id", "created_at", "id"], unique=False
        )

    op.create_table(
        "spend_cap_revisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("spend_cap_id", sa.String(length=32), nullable=False),
        sa.Column("valid_from", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("starts_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("ends_at", adline.core.db.UTCDateTime(), nullable=True),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["spend_cap_id"],
            ["spend_caps.id"],
            name=op.f("fk_spend_cap_revisions_spend_cap_id_spend_caps"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spend_cap_revisions")),
    )
    with op.batch_alter_table("spend_cap_revisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_spend_cap_revisions_cap", ["spend_cap_id", "valid_from"], unique=False
        )

    op.create_table(
        "spend_cap_grants",
        sa.Column("spend_cap_id", sa.String(length=32), nullable=False),
        sa.Column("period_start", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("ad_campaign_id", sa.String(length=32), nullable=False),
        sa.Column("granted_micros", sa.BigInteger(), nullable=False),
        sa.Column("committed_micros", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_campaign_id"],
            ["ad_campaigns.id"],
            name=op.f("fk_spend_cap_grants_ad_campaign_id_ad_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["spend_cap_id"],
            ["spend_caps.id"],
            name=op.f("fk_spend_cap_grants_spend_cap_id_spend_caps"),
        ),
        sa.PrimaryKeyConstraint(
            "spend_cap_id", "period_start", "ad_campaign_id", name=op.f("pk_spend_cap_grants")
        ),
    )
    op.create_table(
        "spend_cap_memberships",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("spend_cap_id", sa.String(length=32), nullable=False),
        sa.Column("ad_campaign_id", sa.String(length=32), nullable=False),
        sa.Column("joined_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("left_at", adline.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ad_campaign_id"],
            ["ad_campaigns.id"],
            name=op.f("fk_spend_cap_memberships_ad_campaign_id_ad_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["spend_cap_id"],
            ["spend_caps.id"],
            name=op.f("fk_spend_cap_memberships_spend_cap_id_spend_caps"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spend_cap_memberships")),
    )
    with op.batch_alter_table("spend_cap_memberships", schema=None) as batch_op:
        batch_op.create_index("ix_spend_cap_memberships_campaign", ["ad_campaign_id"], unique=False)
        batch_op.create_index(
            "ix_spend_cap_memberships_cap", ["spend_cap_id", "joined_at"], unique=False
        )

    with op.batch_alter_table("ad_campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("spend_cap_id", sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_ad_campaigns_spend_cap_id_spend_caps"),
            "spend_caps",
            ["spend_cap_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("ad_campaigns", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_ad_campaigns_spend_cap_id_spend_caps"), type_="foreignkey"
        )
        batch_op.drop_column("spend_cap_id")

    with op.batch_alter_table("spend_cap_memberships", schema=None) as batch_op:
        batch_op.drop_index("ix_spend_cap_memberships_cap")
        batch_op.drop_index("ix_spend_cap_memberships_campaign")

    op.drop_table("spend_cap_memberships")
    op.drop_table("spend_cap_grants")
    with op.batch_alter_table("spend_cap_revisions", schema=None) as batch_op:
        batch_op.drop_index("ix_spend_cap_revisions_cap")

    op.drop_table("spend_cap_revisions")
    with op.batch_alter_table("spend_caps", schema=None) as batch_op:
        batch_op.drop_index("ix_spend_caps_company_created")

    op.drop_table("spend_caps")
