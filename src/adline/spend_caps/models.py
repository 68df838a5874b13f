from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from adline.core.db import Base, UTCDateTime


class SpendCap(Base):
    """A budget several campaigns share (seed 004). What the user set, plus the ledger of
    the current period: how much of the amount has been granted to the campaigns' networks
    as hard spending limits (adline.spend_caps.ledger)."""

    __tablename__ = "spend_caps"
    __table_args__ = (Index("ix_spend_caps_company_created", "company_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Inclusive, as the seed's schedule is; null: open-ended.
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    period: Mapped[str] = mapped_column(String(8))
    # Uppercase ISO 4217, as the seed's MoneyMicro carries it.
    currency: Mapped[str] = mapped_column(String(3))
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    # The user's switch: ACTIVE (true) or INACTIVE (false). Every other status is computed.
    enabled: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    # Why the cap cannot serve (a network refused its limits); null when it can.
    error_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Changes only when the user changes the cap: the optimistic-concurrency token.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The ledger: the period it is counting and what has been granted in it.
    ledger_period_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    granted_micros: Mapped[int] = mapped_column(BigInteger, default=0)


class SpendCapRevision(Base):
    """What the cap said from `valid_from` on: the daily summary reads a past day's amount
    and status from here (finance needs the history, not only the current values)."""

    __tablename__ = "spend_cap_revisions"
    __table_args__ = (Index("ix_spend_cap_revisions_cap", "spend_cap_id", "valid_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    spend_cap_id: Mapped[str] = mapped_column(ForeignKey("spend_caps.id"))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    enabled: Mapped[bool] = mapped_column(Boolean)


class SpendCapMembership(Base):
    """A campaign's time under a cap. A campaign's spend counts toward the cap from the
    hour it joined until the hour it left, so moving a campaign never moves past spend."""

    __tablename__ = "spend_cap_memberships"
    __table_args__ = (
        Index("ix_spend_cap_memberships_cap", "spend_cap_id", "joined_at"),
        Index("ix_spend_cap_memberships_campaign", "ad_campaign_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    spend_cap_id: Mapped[str] = mapped_column(ForeignKey("spend_caps.id"))
    ad_campaign_id: Mapped[str] = mapped_column(ForeignKey("ad_campaigns.id"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SpendCapGrant(Base):
    """One campaign's share of a cap's period (adline.spend_caps.ledger).

    `granted_micros` is the hard spending limit its network holds now. `committed_micros`
    is the most the campaign may have spent toward the period: the highest limit it was
    ever given (a lowered limit takes effect late, so what was granted stays committed).
    The committed amounts of a period never sum above the cap's amount.
    """

    __tablename__ = "spend_cap_grants"

    spend_cap_id: Mapped[str] = mapped_column(ForeignKey("spend_caps.id"), primary_key=True)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    ad_campaign_id: Mapped[str] = mapped_column(ForeignKey("ad_campaigns.id"), primary_key=True)
    granted_micros: Mapped[int] = mapped_column(BigInteger)
    committed_micros: Mapped[int] = mapped_column(BigInteger)
