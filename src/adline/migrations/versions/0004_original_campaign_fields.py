"""original campaign fields

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 02:02:13.986841
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ad_campaigns", schema=None) as batch_op:
        # Existing campaigns have none: '[]' fills them.
        batch_op.add_column(
            sa.Column(
                "target_country_codes", sa.JSON(), nullable=False, server_default=sa.text("'[]'")
            )
        )
        batch_op.add_column(sa.Column("product_id", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column(
                "ad_creative_set_ids", sa.JSON(), nullable=False, server_default=sa.text("'[]'")
            )
        )
        batch_op.add_column(
            sa.Column("original_daily_budget_micros", sa.BigInteger(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("ad_campaigns", schema=None) as batch_op:
        batch_op.drop_column("original_daily_budget_micros")
        batch_op.drop_column("ad_creative_set_ids")
        batch_op.drop_column("product_id")
        batch_op.drop_column("target_country_codes")
