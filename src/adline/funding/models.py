"""Funding tables: ledger accounts, transactions and their entries (immutable), saved
payment methods and checkout sessions (docs/funding.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from adline.core.db import Base, UTCDateTime


class LedgerAccount(Base):
    """One account of the double-entry ledger. `kind`:

    - `company_balance`: the company's platform balance (never below zero);
    - `campaign`: one campaign's credits (never below zero by a credit; spend reported
      late by a network may take it below, which is the overspend the delivery limits
      prevent and the card billing settles);
    - `processor`: the outside world money comes from (the payment processor), per company;
    - `network_spend`: the outside world money goes to (the ad networks), per company.

    `balance_micros` is a cache of the sum of the account's entries, kept only for the two
    accounts that must not go below zero and written in the transaction that writes the
    entries (`adline funding reconcile` checks it); the outside-world accounts have none
    (null), so they are never a hot row."""

    __tablename__ = "ledger_accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    ad_campaign_id: Mapped[str | None] = mapped_column(ForeignKey("ad_campaigns.id"))
    # `company:kind` or `campaign:<id>`: one account of each kind per owner.
    key: Mapped[str] = mapped_column(String(96), unique=True)
    balance_micros: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LedgerTransaction(Base):
    """Entries that move money together; they sum to zero. Never updated nor deleted: a
    mistake is undone by a `correction`."""

    __tablename__ = "ledger_transactions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"), index=True)
    # credit | charge | topup | payment_refund | refund | spend | correction
    # (adline.funding.ledger.TRANSACTION_KINDS says what each one moves)
    kind: Mapped[str] = mapped_column(String(16))
    ad_campaign_id: Mapped[str | None] = mapped_column(ForeignKey("ad_campaigns.id"))
    # What wrote it, once (a checkout, an idempotent request, a charge): unique, so a retry
    # can never write it twice.
    reference: Mapped[str | None] = mapped_column(String(200), unique=True)
    memo: Mapped[str] = mapped_column(String(200), default="")
    # The processor's id of the money this transaction moved through it: the charge of a
    # paid checkout's `topup` or of a `charge`, the refund of a `payment_refund`. A refund
    # names the charge it gives back.
    processor_reference: Mapped[str | None] = mapped_column(String(64))
    # A `payment_refund`: the payment (`topup` or `charge`) it gives back (part of).
    refund_of_id: Mapped[str | None] = mapped_column(
        ForeignKey("ledger_transactions.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LedgerEntry(Base):
    """One leg: `amount_micros` added to the account's balance (negative: taken out)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_entries_account", "account_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount_micros: Mapped[int] = mapped_column(BigInteger)


class PaymentMethod(Base):
    """A card saved by a checkout; the company's newest `active` one pays for spend beyond
    its campaigns' credits. The card number itself is never stored: only the processor's
    token and the last four digits."""

    __tablename__ = "payment_methods"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"), index=True)
    processor: Mapped[str] = mapped_column(String(16))
    processor_token: Mapped[str] = mapped_column(String(128))
    payment_method_type: Mapped[str] = mapped_column(String(32))
    brand: Mapped[str] = mapped_column(String(16))
    last4: Mapped[str] = mapped_column(String(4))
    # active | failed (a charge failed: no longer pays) | replaced (a newer card came)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CheckoutSession(Base):
    """A top-up of the company balance, paid on Adline's checkout page (`/checkout/{id}`)."""

    __tablename__ = "checkout_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"), index=True)
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    # open (not paid; a declined card leaves it open) | complete
    status: Mapped[str] = mapped_column(String(16))
    save_payment_method: Mapped[bool] = mapped_column(Boolean, default=True)
    payment_method_id: Mapped[str | None] = mapped_column(ForeignKey("payment_methods.id"))
    transaction_id: Mapped[str | None] = mapped_column(ForeignKey("ledger_transactions.id"))
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
