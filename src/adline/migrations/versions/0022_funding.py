"""funding: the double-entry ledger, payment methods, checkout sessions, and the
companies' funding requirement (docs/funding.md)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 13:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adline.core.db

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Companies that exist already keep launching without funds (their campaigns were
    # running before there was a ledger); companies created from now on need funds.
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("funding_required", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "ledger_accounts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ad_campaign_id", sa.String(length=32), nullable=True),
        sa.Column("key", sa.String(length=96), nullable=False),
        sa.Column("balance_micros", sa.BigInteger(), nullable=True),
        sa.Column("created_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_campaign_id"],
            ["ad_campaigns.id"],
            name=op.f("fk_ledger_accounts_ad_campaign_id_ad_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_ledger_accounts_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_accounts")),
        sa.UniqueConstraint("key", name=op.f("uq_ledger_accounts_key")),
    )
    op.create_index(
        op.f("ix_ledger_accounts_company_id"), "ledger_accounts", ["company_id"], unique=False
    )
    op.create_table(
        "ledger_transactions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ad_campaign_id", sa.String(length=32), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("memo", sa.String(length=200), nullable=False),
        sa.Column("created_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_campaign_id"],
            ["ad_campaigns.id"],
            name=op.f("fk_ledger_transactions_ad_campaign_id_ad_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_ledger_transactions_company_id_companies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_transactions")),
        sa.UniqueConstraint("reference", name=op.f("uq_ledger_transactions_reference")),
    )
    op.create_index(
        op.f("ix_ledger_transactions_company_id"),
        "ledger_transactions",
        ["company_id"],
        unique=False,
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("transaction_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_ledger_entries_account_id_ledger_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_ledger_entries_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    op.create_index(
        "ix_ledger_entries_account", "ledger_entries", ["account_id", "id"], unique=False
    )
    op.create_index(
        op.f("ix_ledger_entries_transaction_id"),
        "ledger_entries",
        ["transaction_id"],
        unique=False,
    )
    op.create_table(
        "payment_methods",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("processor", sa.String(length=16), nullable=False),
        sa.Column("processor_token", sa.String(length=128), nullable=False),
        sa.Column("payment_method_type", sa.String(length=32), nullable=False),
        sa.Column("brand", sa.String(length=16), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("failed_at", adline.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_payment_methods_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_methods")),
    )
    op.create_index(
        op.f("ix_payment_methods_company_id"), "payment_methods", ["company_id"], unique=False
    )
    op.create_table(
        "checkout_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("save_payment_method", sa.Boolean(), nullable=False),
        sa.Column("payment_method_id", sa.String(length=32), nullable=True),
        sa.Column("transaction_id", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("completed_at", adline.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_checkout_sessions_company_id_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_method_id"],
            ["payment_methods.id"],
            name=op.f("fk_checkout_sessions_payment_method_id_payment_methods"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_checkout_sessions_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkout_sessions")),
    )
    op.create_index(
        op.f("ix_checkout_sessions_company_id"), "checkout_sessions", ["company_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_checkout_sessions_company_id"), table_name="checkout_sessions")
    op.drop_table("checkout_sessions")
    op.drop_index(op.f("ix_payment_methods_company_id"), table_name="payment_methods")
    op.drop_table("payment_methods")
    op.drop_index(op.f("ix_ledger_entries_transaction_id"), table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_account", table_name="ledger_entries")
    op.drop_table("ledger_entries")
    op.drop_index(op.f("ix_ledger_transactions_company_id"), table_name="ledger_transactions")
    op.drop_table("ledger_transactions")
    op.drop_index(op.f("ix_ledger_accounts_company_id"), table_name="ledger_accounts")
    op.drop_table("ledger_accounts")
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_column("funding_required")
