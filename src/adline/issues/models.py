from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from adline.core.db import Base, UTCDateTime


class PlatformIssue(Base):
    """One issue a network reported on one object.

    Rich enough for every version's shape (spec B.5): 2026-06-09 shows `category`
    (policy_rejection | creative_media | audience_targeting | ad_volume_limit | null),
    `subtype` and `resolution_status`; the newest shows `severity` as its `category`
    (information | warning | error) with `title` and `message`.
    """

    __tablename__ = "platform_issues"
    __table_args__ = (
        # One row per (object, kind of problem): a re-report updates it, never duplicates it.
        UniqueConstraint("resource_id", "dedupe_key"),
        Index("ix_platform_issues_campaign", "ad_campaign_id", "resolution_status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    ad_campaign_id: Mapped[str] = mapped_column(ForeignKey("ad_campaigns.id"))
    resource_type: Mapped[str] = mapped_column(String(16))
    resource_id: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(32))
    subtype: Mapped[str | None] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    # open | resolved | acknowledged
    resolution_status: Mapped[str] = mapped_column(String(16))
    # True while the advertiser appeals a rejection (delivery status `in_appeal`).
    in_appeal: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
