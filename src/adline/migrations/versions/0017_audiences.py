"""audiences, and the hashed people uploaded into them

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-24 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adline.core.db

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ad_audiences",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("audience_type", sa.String(length=16), nullable=False),
        sa.Column("source_type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("auto_refresh", sa.Boolean(), nullable=False),
        sa.Column("column_mapping", sa.JSON(), nullable=True),
        sa.Column("filters", sa.JSON(), nullable=True),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("processed_rows", sa.Integer(), nullable=False),
        sa.Column("matched_rows", sa.Integer(), nullable=False),
        sa.Column("error_message", sa.String(length=1000), nullable=True),
        sa.Column("last_refreshed_at", adline.core.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", adline.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_ad_audiences_company_id_companies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_audiences")),
    )
    op.create_index(
        "ix_ad_audiences_company_created",
        "ad_audiences",
        ["company_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "ad_audience_members",
        sa.Column("audience_id", sa.String(length=32), nullable=False),
        sa.Column("identifier_hash", sa.String(length=64), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("matched", sa.Boolean(), nullable=False),
        sa.Column("created_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_ad_audience_members_company_id_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["audience_id"],
            ["ad_audiences.id"],
            name=op.f("fk_ad_audience_members_audience_id_ad_audiences"),
        ),
        sa.PrimaryKeyConstraint(
            "audience_id", "identifier_hash", name=op.f("pk_ad_audience_members")
        ),
    )


def downgrade() -> None:
    op.drop_table("ad_audience_members")
    op.drop_index("ix_ad_audiences_company_created", table_name="ad_audiences")
    op.drop_table("ad_audiences")
