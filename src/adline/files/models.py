from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from adline.core.db import Base, UTCDateTime


class File(Base):
    """An uploaded file: `pending` from create until its bytes have landed and passed the
    checks (docs/files.md#checks), then `ready`, with what the checks read."""

    __tablename__ = "files"
    __table_args__ = (
        # Keyset pagination walks (company, created_at, id).
        Index("ix_files_company_created", "company_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    filename: Mapped[str] = mapped_column(String(255))
    # What the filename's extension promises; the bytes must agree.
    content_type: Mapped[str] = mapped_column(String(100))
    # The size the create declared, if it did (a multipart upload must).
    byte_size: Mapped[int | None] = mapped_column(BigInteger)
    visibility: Mapped[str] = mapped_column(String(16))
    upload_status: Mapped[str] = mapped_column(String(16))
    # Where the bytes are in the store: a fresh key per upload, so a refused or replaced
    # upload never overwrites bytes that passed the checks.
    storage_key: Mapped[str] = mapped_column(String(255))
    # Read from the bytes once they pass the checks.
    size: Mapped[int | None] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    multipart_upload_id: Mapped[str | None] = mapped_column(String(64))
    multipart_chunk_size: Mapped[int | None] = mapped_column(BigInteger)
    # Parts received so far: {"<part number>": {"etag": ..., "size": ...}}.
    uploaded_parts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The SHA-256 of the secret in the upload URLs (the secret itself is never stored),
    # and when those URLs stop working.
    upload_token_hash: Mapped[str | None] = mapped_column(String(64))
    upload_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
