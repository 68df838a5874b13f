from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from adline.core.db import Base, UTCDateTime


class ApiKey(Base):
    """A company's API key. Only a SHA-256 of the secret is stored; the secret is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"), index=True)
    created_by_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    # The key that issued this one through `POST /api_keys`; null for keys from the CLI.
    created_by_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id"))
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The secret's last characters, for `obfuscated_secret_key`; never enough to use it.
    secret_last4: Mapped[str] = mapped_column(String(4))
    # The secret a rotation replaced, still accepted until `previous_secret_expires_at` (the
    # grace period lets deployments switch to the new secret without downtime). Only the
    # latest rotation's is kept: rotating again ends the older secret at once.
    previous_secret_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    scopes: Mapped[list[str]] = mapped_column(JSON)
    api_version_date: Mapped[str | None] = mapped_column(String(32))
    # Canonical networks (`10.0.0.0/8`, `203.0.113.7/32`); null: any address may use the key.
    ip_allowlist: Mapped[list[str] | None] = mapped_column(JSON)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
