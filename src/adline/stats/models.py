from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from adline.core.db import Base, UTCDateTime


class AdStatHour(Base):
    """What a network reported for one ad over one UTC hour, in its latest revision.

    One row per (ad, hour): a re-delivery of the same revision changes nothing, a
    correction (a higher revision) replaces the row, an older revision is ignored
    (`adline.stats.service.ingest`). The campaign and group are copied from the ad so
    every level sums over one indexed column. Counts are integers and amounts integer
    micro-units; `reach` and `unique_clicks` are as the network reported them for this
    ad and hour (see docs/metrics.md for how they combine).
    """

    __tablename__ = "ad_stat_hours"
    __table_args__ = (
        Index("ix_ad_stat_hours_company_hour", "company_id", "hour_start"),
        Index("ix_ad_stat_hours_campaign_hour", "ad_campaign_id", "hour_start"),
        Index("ix_ad_stat_hours_group_hour", "ad_group_id", "hour_start"),
    )

    ad_id: Mapped[str] = mapped_column(ForeignKey("ads.id"), primary_key=True)
    # The start of the hour, on the hour, UTC.
    hour_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    ad_campaign_id: Mapped[str] = mapped_column(ForeignKey("ad_campaigns.id"))
    ad_group_id: Mapped[str] = mapped_column(ForeignKey("ad_groups.id"))
    impressions: Mapped[int] = mapped_column(BigInteger)
    reach: Mapped[int] = mapped_column(BigInteger)
    clicks: Mapped[int] = mapped_column(BigInteger)
    unique_clicks: Mapped[int] = mapped_column(BigInteger)
    link_clicks: Mapped[int] = mapped_column(BigInteger)
    spend_micros: Mapped[int] = mapped_column(BigInteger)
    # Standard events (`purchase`, `lead`, ..., `messaging_conversation`): name -> count,
    # and name -> value in micro-units (USD).
    event_counts: Mapped[dict[str, int]] = mapped_column(JSON)
    event_value_micros: Mapped[dict[str, int]] = mapped_column(JSON)
    # Named custom events; unnamed ones count only in custom_conversions.
    custom_event_counts: Mapped[dict[str, int]] = mapped_column(JSON)
    custom_event_value_micros: Mapped[dict[str, int]] = mapped_column(JSON)
    custom_conversions: Mapped[int] = mapped_column(BigInteger)
    # The network's version of this hour: a higher one is a correction.
    revision: Mapped[int] = mapped_column(Integer)
    # When the stored revision arrived (Adline's clock).
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
