"""Time inside one simulated hour, the daily traffic curve, and the budget stop.

An hour is handled as seconds 0-3600 from its UTC start. Sub-intervals (when an object was
active, when its schedule allowed delivery) are lists of `(start, end)` seconds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from adline.delivery.adapter import DeliverySchedule

HOUR = timedelta(hours=1)
HOUR_SECONDS = 3600.0

# People's use of the platform by local hour (0-23), peak = 1: low at night, a morning
# ramp, a lunch bump, the peak in the evening.
TRAFFIC_CURVE: tuple[float, ...] = (
    0.35, 0.25, 0.18, 0.14, 0.13, 0.16, 0.26, 0.42, 0.56, 0.64, 0.70, 0.75,
    0.80, 0.78, 0.76, 0.77, 0.80, 0.86, 0.93, 1.00, 1.00, 0.94, 0.78, 0.55,
)  # fmt: skip
CURVE_TOTAL = sum(TRAFFIC_CURVE)

Interval = tuple[float, float]
WHOLE_HOUR: list[Interval] = [(0.0, HOUR_SECONDS)]


def floor_hour(instant: datetime) -> datetime:
    instant = instant.astimezone(UTC)
    return instant.replace(minute=0, second=0, microsecond=0)


def hours_between(start: datetime, end: datetime) -> int:
    """Whole or partial hours from `start` until `end` (0 when end is not later)."""
    if end <= start:
        return 0
    return math.ceil((end - start) / HOUR)


@dataclass(frozen=True)
class LocalPiece:
    """A part of a UTC hour that falls in one local hour (two parts under a :30 offset)."""

    start: float
    end: float
    day: date
    weekday: int
    hour: int


def local_pieces(hour_start: datetime, zone: ZoneInfo) -> tuple[LocalPiece, ...]:
    local = hour_start.astimezone(zone)
    offset = local.minute * 60 + local.second
    first = LocalPiece(0.0, HOUR_SECONDS, local.date(), local.weekday(), local.hour)
    if offset == 0:
        return (first,)
    split = HOUR_SECONDS - offset
    following = (hour_start + timedelta(seconds=split)).astimezone(zone)
    return (
        LocalPiece(0.0, split, local.date(), local.weekday(), local.hour),
        LocalPiece(split, HOUR_SECONDS, following.date(), following.weekday(), following.hour),
    )


def schedule_intervals(
    schedule: DeliverySchedule | None, pieces: Sequence[LocalPiece]
) -> list[Interval]:
    if schedule is None:
        return WHOLE_HOUR
    return [
        (piece.start, piece.end) for piece in pieces if schedule.allows(piece.weekday, piece.hour)
    ]


def window(
    hour_start: datetime, starts_at: datetime | None, ends_at: datetime | None
) -> list[Interval]:
    """The part of the hour inside [starts_at, ends_at)."""
    low = 0.0 if starts_at is None else (starts_at - hour_start).total_seconds()
    high = HOUR_SECONDS if ends_at is None else (ends_at - hour_start).total_seconds()
    low, high = max(low, 0.0), min(high, HOUR_SECONDS)
    return [(low, high)] if low < high else []


def between(hour_start: datetime, start: datetime, end: datetime | None) -> Interval | None:
    low = max((start - hour_start).total_seconds(), 0.0)
    high = HOUR_SECONDS if end is None else min((end - hour_start).total_seconds(), HOUR_SECONDS)
    return (low, high) if low < high else None


def intersect(left: Sequence[Interval], right: Sequence[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for a_low, a_high in left:
        for b_low, b_high in right:
            low, high = max(a_low, b_low), min(a_high, b_high)
            if low < high:
                out.append((low, high))
    return out


def seconds(intervals: Sequence[Interval]) -> float:
    return sum(high - low for low, high in intervals)


class WeekWeights:
    """The traffic curve over a week (168 local hours), zero where no schedule delivers, with
    prefix sums so the weight of any run of hours costs O(1)."""

    def __init__(self, schedules: Sequence[DeliverySchedule | None]) -> None:
        weights = []
        for weekday in range(7):
            for hour in range(24):
                allowed = any(s is None or s.allows(weekday, hour) for s in schedules)
                weights.append(TRAFFIC_CURVE[hour] if allowed else 0.0)
        self.prefix = [0.0]
        for weight in weights:
            self.prefix.append(self.prefix[-1] + weight)
        self.total = self.prefix[-1]

    def sum_from(self, index: int, count: int) -> float:
        """Weight of `count` consecutive hours starting at week hour `index` (wrapping)."""
        if count <= 0:
            return 0.0
        weeks, rest = divmod(count, 168)
        total = weeks * self.total
        start = index % 168
        end = start + rest
        if end <= 168:
            total += self.prefix[end] - self.prefix[start]
        else:
            total += self.total - self.prefix[start] + self.prefix[end - 168]
        return total


@dataclass(frozen=True)
class Segment:
    """Part of an hour under one spend allowance: from `start` seconds, `remaining` micros
    (None: no allowance). With `counts_earlier`, the allowance also counts what this hour
    spent before the segment began."""

    start: float
    remaining: float | None
    counts_earlier: bool = False


def delivered_seconds(
    planned_spend: float, budget_left: float, segments: Sequence[Segment], notice: float
) -> list[float]:
    """Seconds of the hour each segment delivers, given the hour's unthrottled spend spread
    evenly over the hour.

    The network checks spend every `notice` seconds (at multiples of it from the hour's
    start). When spend crosses what remains (the budget, or the segment's allowance),
    delivery goes on until the next check: the overspend is at most `notice` seconds of
    the hour's delivery rate. A later segment (a new allowance) may resume delivery; an
    exhausted budget stops the rest of the hour.
    """
    rate = planned_spend / HOUR_SECONDS
    out: list[float] = []
    for index, segment in enumerate(segments):
        end = segments[index + 1].start if index + 1 < len(segments) else HOUR_SECONDS
        length = end - segment.start
        left = budget_left
        if segment.remaining is not None:
            earlier = rate * sum(out) if segment.counts_earlier else 0.0
            left = min(left, segment.remaining - earlier)
        if rate <= 0 or length <= 0 or left <= 0:
            out.append(0.0)
            continue
        if rate * length <= left:
            delivered = length
        else:
            crossing = segment.start + left / rate
            stop = min(end, (math.floor(crossing / notice) + 1) * notice)
            delivered = stop - segment.start
        budget_left -= rate * delivered
        out.append(delivered)
    return out
