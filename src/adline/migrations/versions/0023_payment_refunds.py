"""payment refunds: a ledger transaction's processor reference (the charge or refund it
recorded) and the payment a refund gives back (docs/funding.md#refunds)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 16:30:00.000000
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


@contextmanager
def _foreign_keys_off() -> Iterator[None]:
    """SQLite's batch mode copies `ledger_transactions` into a new table and drops the old
    one, which entries and checkouts reference: with foreign keys on, the drop fails (its
    implicit delete orphans them). They are off for the copy (the rows and their ids come
    back unchanged), then on again. The DDL runs outside a transaction there (pysqlite
    begins none for it), where the pragma takes effect."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        if sqlite:
            op.execute("PRAGMA foreign_keys = ON")


def upgrade() -> None:
    with _foreign_keys_off(), op.batch_alter_table("ledger_transactions") as batch_op:
        batch_op.add_column(sa.Column("processor_reference", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("refund_of_id", sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_ledger_transactions_refund_of_id_ledger_transactions"),
            "ledger_transactions",
            ["refund_of_id"],
            ["id"],
        )
        batch_op.create_index(
            batch_op.f("ix_ledger_transactions_refund_of_id"), ["refund_of_id"], unique=False
        )
    # Payments recorded before this revision kept the processor's charge id only in their
    # memo, "checkout cs_... (sim_ch_...)" or "card payt_... charged (sim_ch_...)": it is
    # copied out so that they can be refunded too.
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT id, memo FROM ledger_transactions WHERE kind IN ('topup', 'charge') "
            "AND (reference LIKE 'checkout:%' OR reference LIKE 'charge:%')"
        )
    ).all()
    for transaction_id, memo in rows:
        if not memo.endswith(")") or " (" not in memo:
            continue
        charge = memo[memo.rindex(" (") + 2 : -1]
        if charge and len(charge) <= 64:
            connection.execute(
                sa.text(
                    "UPDATE ledger_transactions SET processor_reference = :charge WHERE id = :id"
                ),
                {"charge": charge, "id": transaction_id},
            )


def downgrade() -> None:
    with _foreign_keys_off(), op.batch_alter_table("ledger_transactions") as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_transactions_refund_of_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_ledger_transactions_refund_of_id_ledger_transactions"),
            type_="foreignkey",
        )
        batch_op.drop_column("refund_of_id")
        batch_op.drop_column("processor_reference")
