"""initial schema: companies, users, api keys, ad campaigns

Revision ID: 0001
Revises:
Create Date: 2026-11-25 01:16:52.681830
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adline.core.db

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("created_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_companies")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("created_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_users_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_company_id"), ["company_id"], unique=False)

    op.create_table(
        "ad_campaigns",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("created_by_user_id", sa.String(length=32), nullable=True),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("campaign_type", sa.String(length=16), nullable=False),
        sa.Column("objective", sa.String(length=32), nullable=False),
        sa.Column("special_ad_categories", sa.JSON(), nullable=False),
        sa.Column("budget_optimization", sa.String(length=16), nullable=False),
        sa.Column("budget_type", sa.String(length=16), nullable=True),
        sa.Column("budget_amount_micros", sa.BigInteger(), nullable=True),
        sa.Column("bid_type", sa.String(length=32), nullable=True),
        sa.Column("desired_cost_per_result_micros", sa.BigInteger(), nullable=True),
        sa.Column("starts_at", adline.core.db.UTCDateTime(), nullable=True),
        sa.Column("ends_at", adline.core.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", adline.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_ad_campaigns_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_ad_campaigns_created_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_campaigns")),
    )
    with op.batch_alter_table("ad_campaigns", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ad_campaigns_company_created", ["company_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_ad_campaigns_company_updated", ["company_id", "updated_at", "id"], unique=False
        )

    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("created_by_user_id", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("secret_last4", sa.String(length=4), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("api_version_date", sa.String(length=32), nullable=True),
        sa.Column("expires_at", adline.core.db.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", adline.core.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_api_keys_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name=op.f("fk_api_keys_created_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_keys_secret_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_company_id"), ["company_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_company_id"))

    op.drop_table("api_keys")
    with op.batch_alter_table("ad_campaigns", schema=None) as batch_op:
        batch_op.drop_index("ix_ad_campaigns_company_updated")
        batch_op.drop_index("ix_ad_campaigns_company_created")

    op.drop_table("ad_campaigns")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_company_id"))

    op.drop_table("users")
    op.drop_table("companies")
