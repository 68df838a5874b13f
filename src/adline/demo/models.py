"""The demo clock's one row: how far ahead of the system clock a demo server's time is."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from adline.core.db import Base, UTCDateTime

# The row's id: there is one demo clock per store.
CLOCK_ROW = 1


class DemoClockState(Base):
    """Kept so that a restarted demo server goes on from the simulated time it reached:
    the simulated networks' journal holds instants of that time, and time never goes back."""

    __tablename__ = "demo_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # Simulated time minus system time, in microseconds; it only grows.
    offset_micros: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # The latest simulated instant a step reached (its end, written before its passes run):
    # a restart on a system clock that went back still starts here.
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
