"""The stats window of entity reads: `stats_from`, `stats_to`, `time_zone`, `attribution_model`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Depends

from adline.core.errors import InvalidRequest
from adline.core.timestamps import RANGE, day_in_range, parse_timestamp

AttributionModel = Literal["last_touch", "first_touch"]
BARE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class StatsWindow:
    """[start, end) in UTC; start None = all time; end None = now."""

    start: datetime | None
    end: datetime | None
    time_zone: str
    attribution_model: AttributionModel


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequest(
            f"Invalid value for time_zone: {name!r} is not an IANA time zone.", param="time_zone"
        ) from None


def _bound(value: str, zone: ZoneInfo, param: str, *, end: bool) -> datetime:
    if BARE_DATE.match(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise InvalidRequest(f"Invalid value for {param}: not a date.", param=param) from None
        if not day_in_range(day):
            raise InvalidRequest(f"Invalid value for {param}: {RANGE}.", param=param)
        # A bare date covers that whole day in the time zone: `to` includes its day.
        if end:
            day += timedelta(days=1)
        return datetime.combine(day, time(0), zone).astimezone(UTC)
    try:
        return parse_timestamp(value)
    except ValueError as error:
        raise InvalidRequest(f"Invalid value for {param}: {error}.", param=param) from None


def parse_stats_window(
    stats_from: str | None,
    stats_to: str | None,
    time_zone: str | None,
    attribution_model: AttributionModel | None,
) -> StatsWindow:
    zone_name = time_zone or "UTC"
    zone = _zone(zone_name)
    start = _bound(stats_from, zone, "stats_from", end=False) if stats_from else None
    end = _bound(stats_to, zone, "stats_to", end=True) if stats_to else None
    if start is not None and end is not None and end < start:
        raise InvalidRequest("stats_to must not be before stats_from.", param="stats_to")
    return StatsWindow(start, end, zone_name, attribution_model or "last_touch")


async def stats_window_params(
    stats_from: str | None = None,
    stats_to: str | None = None,
    time_zone: str | None = None,
    attribution_model: AttributionModel | None = None,
) -> StatsWindow:
    """FastAPI dependency: the stats window query parameters of every entity read."""
    return parse_stats_window(stats_from, stats_to, time_zone, attribution_model)


# The default window of entity reads: all time.
LIFETIME = parse_stats_window(None, None, None, None)
Window = Annotated[StatsWindow, Depends(stats_window_params)]
