"""Time source. Domain code asks a Clock for "now" so tests and the simulator can move time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SettableClock(Clock, Protocol):
    """A clock a fast-forward run moves (`adline.delivery.worker.fast_forward`): the
    ManualClock of tests and `adline worker --from`, the demo clock of a demo server."""

    def set(self, instant: datetime) -> None:
        """Make `instant` the current time."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to (tests, fast-forward simulation)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = instant.astimezone(UTC)
