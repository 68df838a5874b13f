"""api key rotation: the replaced secret and the end of its grace period

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-21 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adline.core.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_secret_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("previous_secret_expires_at", adline.core.db.UTCDateTime(), nullable=True)
        )
        # Unique, as `secret_hash` is: authentication looks a secret up in either column.
        batch_op.create_unique_constraint(
            batch_op.f("uq_api_keys_previous_secret_hash"), ["previous_secret_hash"]
        )


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_api_keys_previous_secret_hash"), type_="unique")
        batch_op.drop_column("previous_secret_expires_at")
        batch_op.drop_column("previous_secret_hash")
