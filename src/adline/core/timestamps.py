"""UTC ISO 8601 timestamps: one parser for input, one formatter for output."""

from __future__ import annotations

from datetime import UTC, date, datetime

# Every instant and day a client sends lies within these (UTC; the end excluded), so what
# is computed from it (the next second, day or week, midnight in any time zone) stays
# within what a datetime can hold: a year of margin at each end of years 1 to 9999.
EARLIEST = datetime(2, 1, 1, tzinfo=UTC)
END = datetime(9999, 1, 1, tzinfo=UTC)
RANGE = "must be between 0002-01-01 and 9998-12-31"


def format_timestamp(value: datetime) -> str:
    """`2026-11-25T01:10:08.123456Z`: UTC, microsecond precision, `Z` suffix."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(value: str) -> datetime:
    """Parse an ISO 8601 timestamp; a value without an offset is taken as UTC.

    Raises ValueError with a message fit for an API error.
    """
    text = value.strip()
    if not text:
        raise ValueError("must be an ISO 8601 timestamp")
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("must be an ISO 8601 timestamp, such as 2026-04-01T00:00:00Z") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00:00-05:00 is after the last day a datetime has
        raise ValueError(RANGE) from None
    if not EARLIEST <= parsed < END:
        raise ValueError(RANGE)
    return parsed


def day_in_range(day: date) -> bool:
    """Whether a day a client sent is within EARLIEST and END."""
    return EARLIEST.date() <= day < END.date()
