from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
)
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


# --- rollups ------------------------------------------------------------------------------
# Pre-summed stats, kept up to date by `adline.stats.service.ingest` (network reports) and
# `adline.conversions.service` (attributed events) in the same transaction as the rows they
# sum; `adline stats rebuild` recomputes them from those rows (adline.stats.rollups).
# Each object (ad, ad group, campaign) has one row per UTC day it had stats, and one
# lifetime row. Reads answer a window from whole days plus its edge hours (docs/metrics.md).


class _Counters:
    """The counters of an object over a span: sums, except reach and unique clicks, which
    are the largest figure reported for one ad in one hour (docs/metrics.md)."""

    company_id: Mapped[str] = mapped_column(String(32))
    impressions: Mapped[int] = mapped_column(BigInteger)
    reach: Mapped[int] = mapped_column(BigInteger)
    clicks: Mapped[int] = mapped_column(BigInteger)
    unique_clicks: Mapped[int] = mapped_column(BigInteger)
    link_clicks: Mapped[int] = mapped_column(BigInteger)
    spend_micros: Mapped[int] = mapped_column(BigInteger)
    custom_conversions: Mapped[int] = mapped_column(BigInteger)


class _RollupCounters(_Counters):
    """The counters with the object's place in the tree."""

    # "ad_campaign", "ad_group" or "ad"; with the ids of the object's campaign and group
    # (null above the object's own level), so reports can filter and group any level.
    level: Mapped[str] = mapped_column(String(16))
    ad_campaign_id: Mapped[str] = mapped_column(String(32))
    ad_group_id: Mapped[str | None] = mapped_column(String(32))


class StatDay(_RollupCounters, Base):
    """An object's network-reported counters over one UTC day."""

    __tablename__ = "stat_days"
    __table_args__ = (
        Index("ix_stat_days_company_level_day", "company_id", "level", "day"),
        Index("ix_stat_days_campaign_day", "ad_campaign_id", "day"),
    )

    object_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)


class StatLifetime(_RollupCounters, Base):
    """An object's network-reported counters over all time."""

    __tablename__ = "stat_lifetimes"
    __table_args__ = (Index("ix_stat_lifetimes_company_level", "company_id", "level"),)

    object_id: Mapped[str] = mapped_column(String(32), primary_key=True)


class _RollupEntry:
    """One entry of an event map summed over a span.

    `source` is "network" (what networks reported; both attribution models read it) or
    "last_touch" / "first_touch" (events Adline attributed itself, per model). `map` names
    the map (`event_counts`, `event_value_micros`, `custom_event_counts`,
    `custom_event_value_micros`; and `custom_conversions` with name "" for attributed
    custom events). `amount` is the sum; `entries` counts the rows that carry the name, so
    a name every correction removed again (entries 0) is left out, as the hourly rows
    would leave it out.
    """

    source: Mapped[str] = mapped_column(String(16))
    map: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)
    entries: Mapped[int] = mapped_column(BigInteger)


class StatEntryDay(_RollupEntry, Base):
    """An event-map entry of an object over one UTC day."""

    __tablename__ = "stat_entry_days"
    __table_args__ = (PrimaryKeyConstraint("object_id", "day", "source", "map", "name"),)

    object_id: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)


class StatEntryLifetime(_RollupEntry, Base):
    """An event-map entry of an object over all time."""

    __tablename__ = "stat_entry_lifetimes"
    __table_args__ = (PrimaryKeyConstraint("object_id", "source", "map", "name"),)

    object_id: Mapped[str] = mapped_column(String(32))


# --- what makes long windows cheap (issue 11) -----------------------------------------------
# A window of whole days reads an object's counters from a few aligned spans of days plus
# the days at its ends, and each event-map entry from two cumulative rows (the entry summed
# up to the day before the window, and up to its last day). Both are derived from the daily
# rollups, kept exact in the same transaction, and rebuilt with them (docs/metrics.md).


class StatSpan(_Counters, Base):
    """An object's counters over `span` UTC days starting at `start` (spans are aligned:
    the start's ordinal, `date.toordinal()`, is a multiple of `span`)."""

    __tablename__ = "stat_spans"

    object_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    span: Mapped[int] = mapped_column(Integer, primary_key=True)
    start: Mapped[date] = mapped_column(Date, primary_key=True)


class StatEntryCumulative(_RollupEntry, Base):
    """An event-map entry of an object summed over every UTC day up to `day` included.

    Rows are sparse: one on each day the entry changed (or was touched); the entry up to
    any day is the row of the latest day at or before it (none: nothing yet)."""

    __tablename__ = "stat_entry_cumulative"
    __table_args__ = (PrimaryKeyConstraint("object_id", "source", "map", "name", "day"),)

    object_id: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
