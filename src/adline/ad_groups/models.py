from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from adline.core.db import Base, UTCDateTime


class AdGroup(Base):
    """An ad group. Targeting and schedule settings are stored as JSON in their API shape."""

    __tablename__ = "ad_groups"
    __table_args__ = (
        Index("ix_ad_groups_company_created", "company_id", "created_at", "id"),
        Index("ix_ad_groups_company_updated", "company_id", "updated_at", "id"),
        Index("ix_ad_groups_campaign", "ad_campaign_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    ad_campaign_id: Mapped[str] = mapped_column(ForeignKey("ad_campaigns.id"))
    title: Mapped[str | None] = mapped_column(String(200))
    # active | paused | rejected | duplicating
    status: Mapped[str] = mapped_column(String(32))
    platform: Mapped[str] = mapped_column(String(16))
    # Set only when the group owns the budget (its campaign is ABO).
    budget_type: Mapped[str | None] = mapped_column(String(16))
    budget_amount_micros: Mapped[int | None] = mapped_column(BigInteger)
    bid_type: Mapped[str | None] = mapped_column(String(32))
    desired_cost_per_result_micros: Mapped[int | None] = mapped_column(BigInteger)
    minimum_daily_spend_micros: Mapped[int | None] = mapped_column(BigInteger)
    optimization_goal: Mapped[str | None] = mapped_column(String(64))
    conversion_location: Mapped[str | None] = mapped_column(String(64))
    conversion_event: Mapped[str | None] = mapped_column(String(200))
    message_apps: Mapped[list[str] | None] = mapped_column(JSON)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivery_schedule: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    frequency_cap: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    keywords: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    # "automatic" is stored as None; a list of {platform, positions} otherwise.
    placements: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    demographics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    detailed_targeting: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    audiences: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    devices: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    regions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dynamic_creative: Mapped[bool | None] = mapped_column(Boolean)
    # The group this one is a copy of, while status is `duplicating`.
    duplicate_of_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
