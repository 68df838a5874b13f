from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from adline.core.db import Base, UTCDateTime


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # IANA zone: daily budgets and spend caps renew at this zone's midnight.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Lowercase ISO 4217 code of the ads reporting currency (spend_currency, budget_currency).
    currency: Mapped[str] = mapped_column(String(8), default="usd")
    # Campaigns launch and unpause only with money behind them (docs/funding.md): on for
    # every company created since issue 18; companies from before keep running unfunded.
    funding_required: Mapped[bool] = mapped_column(Boolean, default=True, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    username: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
