from __future__ import annotations

from sqlalchemy import Double, String
from sqlalchemy.orm import Mapped, mapped_column

from adline.core.db import Base


class RateLimitBucket(Base):
    """One token bucket, shared by every server process on one PostgreSQL (SQLite keeps its
    buckets in the one process's memory). A bucket idle long enough to be full again is the
    same as no row, and is purged."""

    __tablename__ = "rate_limit_buckets"
    # Bookkeeping of the edge, no company's data: it changes with every request.
    __table_args__ = ({"info": {"bookkeeping": True}},)

    # `key:<api key id>` or `address:<client address>` (an IPv6 client by its /64).
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    tokens: Mapped[float] = mapped_column(Double)
    # When `tokens` was computed, in seconds since the epoch by the database's clock.
    refilled_at: Mapped[float] = mapped_column(Double)
