"""simulated networks' durable state: each network's row and its journal of writes

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-15 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adline.core.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "simulated_networks",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("born_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("journal_length", sa.Integer(), nullable=False),
        sa.Column("pulled_at", adline.core.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_simulated_networks")),
    )
    op.create_table(
        "simulated_network_writes",
        sa.Column("network_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("called_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("operation", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["simulated_networks.id"],
            name=op.f("fk_simulated_network_writes_network_id_simulated_networks"),
        ),
        sa.PrimaryKeyConstraint("network_id", "seq", name=op.f("pk_simulated_network_writes")),
    )


def downgrade() -> None:
    op.drop_table("simulated_network_writes")
    op.drop_table("simulated_networks")
