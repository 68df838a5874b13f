"""A spend cap's periods and its status: pure functions of the cap, the company's time zone
and an instant, so the API, the worker and the daily summary agree on both.

Periods: DAILY runs from the company's midnight to the next, WEEKLY from Monday's midnight
(ISO weeks), TOTAL over the whole schedule; each is clipped to the schedule. The schedule's
end is inclusive to the second (the seed's `23:59:59`), so serving stops one second after
it. Spend is counted by the hour it was reported in: an hour belongs to the period in
which it starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Period = Literal["DAILY", "WEEKLY", "TOTAL"]
Status = Literal["SCHEDULED", "ACTIVE", "INACTIVE", "ENDED", "DEPLETED", "ERROR"]
PERIODS: tuple[Period, ...] = ("DAILY", "WEEKLY", "TOTAL")
STATUSES: tuple[Status, ...] = ("SCHEDULED", "ACTIVE", "INACTIVE", "ENDED", "DEPLETED", "ERROR")
# What users may set; every other status is the system's.
USER_STATUSES: tuple[Status, ...] = ("ACTIVE", "INACTIVE")


@dataclass(frozen=True)
class Schedule:
    starts_at: datetime
    ends_at: datetime | None  # inclusive

    @property
    def stops_at(self) -> datetime | None:
        """The first instant after the schedule (its inclusive end + 1 s)."""
        if self.ends_at is None:
            return None
        return self.ends_at.replace(microsecond=0) + timedelta(seconds=1)

    def before(self, instant: datetime) -> bool:
        return instant < self.starts_at

    def over(self, instant: datetime) -> bool:
        stops = self.stops_at
        return stops is not None and instant >= stops


@dataclass(frozen=True)
class Window:
    """[start, end) in UTC; end None: open."""

    start: datetime
    end: datetime | None

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant and (self.end is None or instant < self.end)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone)


def _calendar_window(period: Period, instant: datetime, zone: ZoneInfo) -> Window | None:
    if period == "TOTAL":
        return None
    local = instant.astimezone(zone).date()
    if period == "WEEKLY":
        local -= timedelta(days=local.weekday())
        length = 7
    else:
        length = 1
    # In UTC, as Window says: aware datetimes sharing one zone subtract and compare by wall
    # clock, so a DST day between two New York midnights would last 24 hours, not 23.
    return Window(
        local_midnight(local, zone).astimezone(UTC),
        local_midnight(local + timedelta(days=length), zone).astimezone(UTC),
    )


def period_at(period: Period, schedule: Schedule, instant: datetime, zone: str) -> Window | None:
    """The period `instant` falls in, clipped to the schedule; None outside the schedule."""
    if schedule.before(instant) or schedule.over(instant):
        return None
    start, end = schedule.starts_at, schedule.stops_at
    calendar = _calendar_window(period, instant, ZoneInfo(zone))
    if calendar is not None:
        start = max(start, calendar.start)
        end = calendar.end if end is None or calendar.end is None else min(end, calendar.end)
    return Window(start, end)


def compute_status(
    *,
    schedule: Schedule,
    enabled: bool,
    error_reason: str | None,
    amount_micros: int,
    applied_micros: int,
    instant: datetime,
) -> Status:
    """The one place a cap's status is decided. Precedence: ENDED, INACTIVE, SCHEDULED,
    ERROR, DEPLETED, ACTIVE (an ended schedule outranks the user's switch, and the user's
    switch outranks a start still to come)."""
    if schedule.over(instant):
        return "ENDED"
    if not enabled:
        return "INACTIVE"
    if schedule.before(instant):
        return "SCHEDULED"
    if error_reason is not None:
        return "ERROR"
    if applied_micros >= amount_micros:
        return "DEPLETED"
    return "ACTIVE"
