"""api key resource: ip_allowlist, created_by_key_id, updated_at

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 01:52:08.742411
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adline.core.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_by_key_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("ip_allowlist", sa.JSON(), nullable=True))
        # Nullable until existing keys are filled in below.
        batch_op.add_column(sa.Column("updated_at", adline.core.db.UTCDateTime(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_api_keys_created_by_key_id_api_keys"),
            "api_keys",
            ["created_by_key_id"],
            ["id"],
        )

    # A key issued before this revision was last changed when it was revoked, else created.
    op.execute("UPDATE api_keys SET updated_at = COALESCE(revoked_at, created_at)")

    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.alter_column(
            "updated_at", existing_type=adline.core.db.UTCDateTime(), nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_api_keys_created_by_key_id_api_keys"), type_="foreignkey"
        )
        batch_op.drop_column("updated_at")
        batch_op.drop_column("ip_allowlist")
        batch_op.drop_column("created_by_key_id")
