"""The demo clock: the system time plus an offset that only grows."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from adline.core.clock import Clock, SystemClock
from adline.demo.models import CLOCK_ROW, DemoClockState


class DemoClock:
    """A demo server's clock (its app's, its worker's and its networks'): `base` (the
    system clock) plus an offset that `set` raises. It never answers an instant earlier
    than one it answered before, even if the system clock steps back."""

    def __init__(self, base: Clock | None = None) -> None:
        self._base = base or SystemClock()
        self._offset = timedelta(0)
        self._floor: datetime | None = None

    @property
    def offset(self) -> timedelta:
        return self._offset

    def now(self) -> datetime:
        instant = self._base.now() + self._offset
        if self._floor is not None and instant < self._floor:
            return self._floor
        self._floor = instant
        return instant

    def set(self, instant: datetime) -> None:
        """Move to `instant` (fast_forward's interface); an instant not ahead of now
        changes nothing: the clock never goes back."""
        ahead = instant - self.now()
        if ahead > timedelta(0):
            self._offset += ahead
            self._floor = instant

    async def load(self, session: AsyncSession) -> None:
        """Go on from the time the store recorded (a restarted server): its offset, and
        never before the last instant a step reached."""
        row = await session.get(DemoClockState, CLOCK_ROW)
        if row is None:
            return
        self._offset = max(self._offset, timedelta(microseconds=row.offset_micros))
        self.set(row.reached_at)

    async def save(self, session: AsyncSession, reached_at: datetime) -> None:
        """Record that simulated time reaches `reached_at`: the offset it takes (so a
        restart goes on from there) and the instant itself."""
        offset = max(self._offset, reached_at - self._base.now())
        micros = offset // timedelta(microseconds=1)
        row = await session.get(DemoClockState, CLOCK_ROW)
        if row is None:
            session.add(DemoClockState(id=CLOCK_ROW, offset_micros=micros, reached_at=reached_at))
        else:
            row.offset_micros = max(row.offset_micros, micros)
            row.reached_at = max(row.reached_at, reached_at)
