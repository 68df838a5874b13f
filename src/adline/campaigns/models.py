from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from adline.core.db import Base, UTCDateTime


class AdCampaign(Base):
    __tablename__ = "ad_campaigns"
    __table_args__ = (
        # Keyset pagination walks (company, sort column, id).
        Index("ix_ad_campaigns_company_created", "company_id", "created_at", "id"),
        Index("ix_ad_campaigns_company_updated", "company_id", "updated_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    created_by_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(32))
    platform: Mapped[str] = mapped_column(String(16))
    campaign_type: Mapped[str] = mapped_column(String(16))
    objective: Mapped[str] = mapped_column(String(32))
    special_ad_categories: Mapped[list[str]] = mapped_column(JSON)
    budget_optimization: Mapped[str] = mapped_column(String(16))
    # Set only when the campaign owns the budget (CBO); null under ABO.
    budget_type: Mapped[str | None] = mapped_column(String(16))
    budget_amount_micros: Mapped[int | None] = mapped_column(BigInteger)
    bid_type: Mapped[str | None] = mapped_column(String(32))
    desired_cost_per_result_micros: Mapped[int | None] = mapped_column(BigInteger)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Written by the original API version (2025-01-01) and rendered back to it.
    target_country_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The product the campaign promotes (2025-01-01 `product_id`; docs/products.md).
    product_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("products.id"))
    ad_creative_set_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # `config` of the original version as the client sent it, where the newest fields do
    # not say it all (docs/versions.md): `bid_strategy` (lowest_cost with a bid amount is
    # bid-capped: bid_type maximum_target), `conversion_goal` (it chose the objective),
    # `status` on create (`active`: launch requested), `special_categories` (free strings).
    original_bid_strategy: Mapped[str | None] = mapped_column(String(16))
    original_conversion_goal: Mapped[str | None] = mapped_column(String(32))
    original_config_status: Mapped[str | None] = mapped_column(String(8))
    original_special_categories: Mapped[list[str] | None] = mapped_column(JSON)
    # The original shape's campaign-level `daily_budget` of an ABO campaign: what it reads
    # as its daily budget until its ad groups have budgets of their own.
    original_daily_budget_micros: Mapped[int | None] = mapped_column(BigInteger)
    # The campaign this one is a copy of, while status is `duplicating`.
    duplicate_of_id: Mapped[str | None] = mapped_column(String(32))
    # The spend cap the campaign draws on (at most one; many campaigns share one).
    spend_cap_id: Mapped[str | None] = mapped_column(ForeignKey("spend_caps.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Deleted campaigns are archived, not erased: their spend stays in reports.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
