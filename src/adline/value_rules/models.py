from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from adline.core.db import Base, UTCDateTime


class ConversionValueRule(Base):
    """A rule changing the value of the conversion events it covers: every target x every
    event (docs/value-rules.md). Its targets are rows of `ConversionValueRuleTarget`; what it
    covers while active, rows of `ConversionValueRuleSelection`. A deleted rule keeps its
    row and its settings (the events it valued name it) but covers nothing."""

    __tablename__ = "ad_conversion_value_rules"
    __table_args__ = (
        # Keyset pagination walks (company, created_at, id).
        Index("ix_ad_conversion_value_rules_company_created", "company_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    # active | paused
    status: Mapped[str] = mapped_column(String(16))
    # fixed | percentage
    adjustment_type: Mapped[str] = mapped_column(String(16))
    # A fixed rule's value in micro-units of `fixed_currency` (not USD: it is shown as sent
    # and converted when an event is valued).
    fixed_amount_micros: Mapped[int | None] = mapped_column(BigInteger)
    fixed_currency: Mapped[str | None] = mapped_column(String(3))
    # A percentage rule's change in hundredths of a percent (-10000 to 1000000): exact.
    percentage_change_centis: Mapped[int | None] = mapped_column(Integer)
    # business | campaign | ad_group | ad: every target shares it.
    scope: Mapped[str] = mapped_column(String(16))
    # [{"event_name", "custom_name"}], in the order sent.
    events: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # `metadata` is taken on declarative classes.
    rule_metadata: Mapped[dict[str, str]] = mapped_column("metadata", JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ConversionValueRuleTarget(Base):
    """One target of a rule, in the order sent: a platform and a business (`resource_id`
    null), campaign, ad group or ad. Kept while the rule is paused or deleted."""

    __tablename__ = "ad_conversion_value_rule_targets"
    __table_args__ = (Index("ix_ad_conversion_value_rule_targets_resource", "resource_id"),)

    # Constraint names spelled out: the conventional ones pass PostgreSQL's 63 characters.
    rule_id: Mapped[str] = mapped_column(
        ForeignKey("ad_conversion_value_rules.id", name="fk_value_rule_targets_rule"),
        primary_key=True,
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[str] = mapped_column(
        ForeignKey("companies.id", name="fk_value_rule_targets_company")
    )
    platform: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(16))
    resource_id: Mapped[str | None] = mapped_column(String(32))


class ConversionValueRuleSelection(Base):
    """One (platform, item, event) an active rule covers: the rows exist only while their
    rule is active, and the primary key is the rule "active rules cannot overlap for the
    same platform and event" (a business target's item is "", a standard event's custom
    name is "": key columns are never null)."""

    __tablename__ = "ad_conversion_value_rule_selections"
    __table_args__ = (Index("ix_ad_conversion_value_rule_selections_rule", "rule_id"),)

    # The key is the coverage itself: one active rule per (platform, item, event).
    company_id: Mapped[str] = mapped_column(
        ForeignKey("companies.id", name="fk_value_rule_selections_company"), primary_key=True
    )
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    resource_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_name: Mapped[str] = mapped_column(String(32), primary_key=True)
    custom_key: Mapped[str] = mapped_column(String(35), primary_key=True)
    rule_id: Mapped[str] = mapped_column(
        ForeignKey("ad_conversion_value_rules.id", name="fk_value_rule_selections_rule")
    )
    scope: Mapped[str] = mapped_column(String(16))
