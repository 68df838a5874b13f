from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from adline.core.db import Base, UTCDateTime


class AdClick(Base):
    """One click on an ad, named by the network's click id (`fbclid`, `ttclid`, `gclid`).

    Recorded by the delivery side (`adline.conversions.service.record_click`); a
    conversion event whose context carries the click id is attributed to the ad. The
    campaign and group are copied from the ad. One row per (company, click id).
    """

    __tablename__ = "ad_clicks"
    __table_args__ = (
        UniqueConstraint("company_id", "click_id", name="uq_ad_clicks_company_click"),
        Index("ix_ad_clicks_ad", "ad_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    ad_id: Mapped[str] = mapped_column(ForeignKey("ads.id"))
    ad_campaign_id: Mapped[str] = mapped_column(ForeignKey("ad_campaigns.id"))
    ad_group_id: Mapped[str] = mapped_column(ForeignKey("ad_groups.id"))
    click_id: Mapped[str] = mapped_column(String(500))
    clicked_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConversionEvent(Base):
    """A conversion or engagement event a company sent, once per (company, event_id).

    Both attributions are stored when the event is recorded (docs/conversions.md): the ad
    of the latest and of the earliest matching click within the window before
    `event_time`, with that ad's group and campaign; all null when no click matched (the
    event is kept but counts in no metric). `value_micros` is the value in USD
    micro-units (0 without a value); `value` and `currency` are what the client sent.
    """

    __tablename__ = "conversion_events"
    __table_args__ = (
        UniqueConstraint("company_id", "event_id", name="uq_conversion_events_company_event"),
        Index("ix_conversion_events_last_ad", "last_touch_ad_id", "event_time"),
        Index("ix_conversion_events_last_group", "last_touch_ad_group_id", "event_time"),
        Index("ix_conversion_events_last_campaign", "last_touch_ad_campaign_id", "event_time"),
        Index("ix_conversion_events_first_ad", "first_touch_ad_id", "event_time"),
        Index("ix_conversion_events_first_group", "first_touch_ad_group_id", "event_time"),
        Index("ix_conversion_events_first_campaign", "first_touch_ad_campaign_id", "event_time"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    # The client's dedupe key (generated when omitted).
    event_id: Mapped[str] = mapped_column(String(200))
    event_name: Mapped[str] = mapped_column(String(32))
    custom_name: Mapped[str | None] = mapped_column(String(35))
    action_source: Mapped[str | None] = mapped_column(String(32))
    event_time: Mapped[datetime] = mapped_column(UTCDateTime())
    value: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str | None] = mapped_column(String(3))
    value_micros: Mapped[int] = mapped_column(BigInteger)
    url: Mapped[str | None] = mapped_column(Text)
    # Everything else the client sent (context, user, plan_id, ...), as sent.
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    last_touch_ad_id: Mapped[str | None] = mapped_column(String(32))
    last_touch_ad_group_id: Mapped[str | None] = mapped_column(String(32))
    last_touch_ad_campaign_id: Mapped[str | None] = mapped_column(String(32))
    first_touch_ad_id: Mapped[str | None] = mapped_column(String(32))
    first_touch_ad_group_id: Mapped[str | None] = mapped_column(String(32))
    first_touch_ad_campaign_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The value credited under each attribution when a conversion value rule active at
    # recording changed it, and that rule; both null when none applied (the event then
    # counts `value_micros`). See docs/value-rules.md.
    last_touch_value_micros: Mapped[int | None] = mapped_column(BigInteger)
    last_touch_value_rule_id: Mapped[str | None] = mapped_column(String(32))
    first_touch_value_micros: Mapped[int | None] = mapped_column(BigInteger)
    first_touch_value_rule_id: Mapped[str | None] = mapped_column(String(32))
