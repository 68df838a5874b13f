from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from adline.core.db import Base, UTCDateTime


class Audience(Base):
    """A saved audience (docs/audiences.md): a customer list whose people arrive hashed
    through `add_people`. Its counts are kept with its members, in the same transaction,
    so the simulated network reads its size without counting rows. A deleted audience
    keeps its row (groups once named it) but reads as gone."""

    __tablename__ = "ad_audiences"
    __table_args__ = (
        # Keyset pagination walks (company, created_at, id).
        Index("ix_ad_audiences_company_created", "company_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    name: Mapped[str] = mapped_column(String(255))
    # custom (the only type Adline builds; see docs/audiences.md#not-supported)
    audience_type: Mapped[str] = mapped_column(String(16))
    # csv_upload
    source_type: Mapped[str] = mapped_column(String(16))
    # pending | processing | syncing | ready | partial | failed
    status: Mapped[str] = mapped_column(String(16))
    auto_refresh: Mapped[bool] = mapped_column(Boolean)
    # Reserved for CSV uploads and People filters (neither is built yet): null.
    column_mapping: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    filters: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # People received (deduplicated), processed, and matched by the network.
    total_rows: Mapped[int] = mapped_column(Integer)
    processed_rows: Mapped[int] = mapped_column(Integer)
    matched_rows: Mapped[int] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(String(1000))
    last_refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AudienceMember(Base):
    """One person of an audience, known by the SHA-256 of an identifier (the raw value is
    never received). The primary key is the deduplication: a person sent twice is one."""

    __tablename__ = "ad_audience_members"

    audience_id: Mapped[str] = mapped_column(ForeignKey("ad_audiences.id"), primary_key=True)
    identifier_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    # Whether the simulated network found the person (adline.audiences.service.matches).
    matched: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
