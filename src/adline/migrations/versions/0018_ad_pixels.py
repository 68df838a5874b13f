"""ad pixels, with their sealed access tokens

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-25 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adline.core.db

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ad_pixels",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("access_token_sealed", sa.Text(), nullable=False),
        sa.Column("created_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_ad_pixels_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_pixels")),
        sa.UniqueConstraint("company_id", name="uq_ad_pixels_company"),
        sa.UniqueConstraint("platform", "external_id", name="uq_ad_pixels_platform_external"),
    )
    op.create_index(
        "ix_ad_pixels_company_created",
        "ad_pixels",
        ["company_id", "created_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_ad_pixels_company_created", table_name="ad_pixels")
    op.drop_table("ad_pixels")
