"""UTC ISO 8601 timestamps: one parser for input, one formatter for output."""

from __future__ import annotations

from datetime import UTC, datetime


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
    return parsed.astimezone(UTC)
