from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from adline.core.db import Base, UTCDateTime


class Ad(Base):
    """An ad. Content settings are stored as JSON in their API shape."""

    __tablename__ = "ads"
    __table_args__ = (
        Index("ix_ads_company_created", "company_id", "created_at", "id"),
        Index("ix_ads_company_updated", "company_id", "updated_at", "id"),
        Index("ix_ads_group", "ad_group_id"),
        Index("ix_ads_campaign", "ad_campaign_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    ad_campaign_id: Mapped[str] = mapped_column(ForeignKey("ad_campaigns.id"))
    ad_group_id: Mapped[str] = mapped_column(ForeignKey("ad_groups.id"))
    title: Mapped[str | None] = mapped_column(String(200))
    # active | paused | in_review | rejected | duplicating
    status: Mapped[str] = mapped_column(String(32))
    platform: Mapped[str] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(Text)
    url_parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    call_to_action: Mapped[str | None] = mapped_column(String(64))
    creatives: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    primary_texts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    headlines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    descriptions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    existing_post_id: Mapped[str | None] = mapped_column(String(200))
    post_source: Mapped[str | None] = mapped_column(String(32))
    post_id: Mapped[str | None] = mapped_column(String(200))
    post_thumbnail_url: Mapped[str | None] = mapped_column(Text)
    external_accounts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    lead_form: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    lead_form_id: Mapped[str | None] = mapped_column(String(200))
    messaging_config: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    multi_advertiser_ads: Mapped[bool | None] = mapped_column(Boolean)
    music: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    translations: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    duplicate_of_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
