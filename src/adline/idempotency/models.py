from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from adline.core.db import Base, UTCDateTime


class IdempotencyRecord(Base):
    """One `Idempotency-Key` of one API key: the request it was first sent with (a
    fingerprint), and once that request has finished, its answer (status, headers, body as
    sent). Reserved (no answer yet) when the request starts, in a transaction of its own;
    the answer is written in the transaction of the request's writes."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_expires_at", "expires_at"),)

    api_key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), primary_key=True)
    # As the header carried it (at most 255 bytes, read as Latin-1).
    idempotency_key: Mapped[str] = mapped_column(Text, primary_key=True)
    # SHA-256 of the method, path, query, API version and body (adline.idempotency.service).
    fingerprint: Mapped[str] = mapped_column(String(64))
    # The attempt running the request: only it may store the answer. A crashed attempt's
    # reservation is taken over once `started_at` is older than the lease.
    attempt: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The answer; null while the request runs.
    status_code: Mapped[int | None] = mapped_column(Integer)
    headers: Mapped[list[Any] | None] = mapped_column(JSON)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    api_version: Mapped[str | None] = mapped_column(String(32))
