"""`periods.period_at` and `periods.compute_status`: pure functions of the cap, the zone and
an instant, tested without a store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adline.spend_caps.periods import (
    PERIODS,
    STATUSES,
    USER_STATUSES,
    Period,
    Schedule,
    Status,
    Window,
    compute_status,
    period_at,
)

NY = "America/New_York"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def window(start: str, end: str | None) -> Window:
    return Window(at(start), None if end is None else at(end))


OPEN = Schedule(at("2026-01-01T00:00"), None)
MARCH = Schedule(at("2026-03-01T00:00"), at("2026-03-31T23:59:59"))


class TestSchedule:
    def test_the_end_is_inclusive_to_the_second(self) -> None:
        assert MARCH.stops_at == at("2026-04-01T00:00")
        assert not MARCH.over(at("2026-03-31T23:59:59.999999"))
        assert MARCH.over(at("2026-04-01T00:00"))

    def test_an_end_with_a_fraction_stops_at_the_next_whole_second(self) -> None:
        schedule = Schedule(at("2026-03-01T00:00"), at("2026-03-31T23:59:59.250000"))
        assert schedule.stops_at == at("2026-04-01T00:00")

    def test_the_start_is_inclusive(self) -> None:
        assert MARCH.before(at("2026-02-28T23:59:59.999999"))
        assert not MARCH.before(at("2026-03-01T00:00"))

    def test_open_ended(self) -> None:
        assert OPEN.stops_at is None
        assert not OPEN.over(at("2999-01-01T00:00"))


class TestPeriodAt:
    @pytest.mark.parametrize(
        ("period", "schedule", "instant", "zone", "expected"),
        [
            # TOTAL: the whole schedule, up to one second after its inclusive end.
            (
                "TOTAL",
                MARCH,
                "2026-03-15T12:00",
                "UTC",
                window("2026-03-01T00:00", "2026-04-01T00:00"),
            ),
            ("TOTAL", OPEN, "2026-03-15T12:00", "UTC", window("2026-01-01T00:00", None)),
            (
                "TOTAL",
                MARCH,
                "2026-03-15T12:00",
                NY,
                window("2026-03-01T00:00", "2026-04-01T00:00"),
            ),
            # DAILY: the company's day.
            (
                "DAILY",
                OPEN,
                "2026-03-02T09:00",
                "UTC",
                window("2026-03-02T00:00", "2026-03-03T00:00"),
            ),
            ("DAILY", OPEN, "2026-03-02T09:00", NY, window("2026-03-02T05:00", "2026-03-03T05:00")),
            (
                "DAILY",
                OPEN,
                "2026-03-02T04:59:59",
                NY,
                window("2026-03-01T05:00", "2026-03-02T05:00"),
            ),
            (
                "DAILY",
                OPEN,
                "2026-03-02T09:00",
                "Asia/Kolkata",
                window("2026-03-01T18:30", "2026-03-02T18:30"),
            ),
            (
                "DAILY",
                OPEN,
                "2026-03-02T20:00",
                "Asia/Kolkata",
                window("2026-03-02T18:30", "2026-03-03T18:30"),
            ),
            # DST in New York: 8 March 2026 has 23 hours, 1 November 25.
            ("DAILY", OPEN, "2026-03-08T12:00", NY, window("2026-03-08T05:00", "2026-03-09T04:00")),
            ("DAILY", OPEN, "2026-11-01T12:00", NY, window("2026-11-01T04:00", "2026-11-02T05:00")),
            # WEEKLY: ISO weeks from Monday's midnight (2 March 2026 is a Monday).
            (
                "WEEKLY",
                OPEN,
                "2026-03-02T00:00",
                "UTC",
                window("2026-03-02T00:00", "2026-03-09T00:00"),
            ),
            (
                "WEEKLY",
                OPEN,
                "2026-03-08T23:59:59",
                "UTC",
                window("2026-03-02T00:00", "2026-03-09T00:00"),
            ),
            (
                "WEEKLY",
                OPEN,
                "2026-03-09T00:00",
                "UTC",
                window("2026-03-09T00:00", "2026-03-16T00:00"),
            ),
            (
                "WEEKLY",
                OPEN,
                "2026-03-05T12:00",
                NY,
                window("2026-03-02T05:00", "2026-03-09T04:00"),
            ),
            # Monday 02:00Z is still Sunday in New York.
            (
                "WEEKLY",
                OPEN,
                "2026-03-02T02:00",
                NY,
                window("2026-02-23T05:00", "2026-03-02T05:00"),
            ),
            # Clipped to the schedule at either end.
            (
                "DAILY",
                MARCH,
                "2026-03-01T10:00",
                NY,
                window("2026-03-01T05:00", "2026-03-02T05:00"),
            ),
            (
                "DAILY",
                MARCH,
                "2026-03-01T02:00",
                NY,
                window("2026-03-01T00:00", "2026-03-01T05:00"),
            ),
            (
                "DAILY",
                MARCH,
                "2026-03-31T22:00",
                "UTC",
                window("2026-03-31T00:00", "2026-04-01T00:00"),
            ),
            (
                "DAILY",
                MARCH,
                "2026-03-31T22:00",
                NY,
                window("2026-03-31T04:00", "2026-04-01T00:00"),
            ),
            (
                "WEEKLY",
                MARCH,
                "2026-03-01T12:00",
                "UTC",
                window("2026-03-01T00:00", "2026-03-02T00:00"),
            ),
            (
                "WEEKLY",
                MARCH,
                "2026-03-31T12:00",
                "UTC",
                window("2026-03-30T00:00", "2026-04-01T00:00"),
            ),
        ],
    )
    def test_windows(
        self, period: Period, schedule: Schedule, instant: str, zone: str, expected: Window
    ) -> None:
        found = period_at(period, schedule, at(instant), zone)
        assert found == expected
        assert found is not None and found.contains(at(instant))

    @pytest.mark.parametrize("period", PERIODS)
    @pytest.mark.parametrize("instant", ["2026-02-28T23:59:59.999999", "2026-04-01T00:00"])
    def test_none_outside_the_schedule(self, period: Period, instant: str) -> None:
        assert period_at(period, MARCH, at(instant), NY) is None

    @pytest.mark.parametrize("period", PERIODS)
    def test_the_last_second_is_inside(self, period: Period) -> None:
        found = period_at(period, MARCH, at("2026-03-31T23:59:59.999999"), NY)
        assert found is not None and found.end == at("2026-04-01T00:00")

    @pytest.mark.parametrize(
        ("instant", "hours"), [("2026-03-08T12:00", 23), ("2026-11-01T12:00", 25)]
    )
    def test_windows_are_utc_so_their_length_is_true(self, instant: str, hours: int) -> None:
        found = period_at("DAILY", OPEN, at(instant), NY)
        assert found is not None and found.end is not None
        assert found.start.utcoffset() == timedelta(0)
        assert found.end.utcoffset() == timedelta(0)
        assert found.end - found.start == timedelta(hours=hours)

    @given(
        period=st.sampled_from(PERIODS),
        zone=st.sampled_from(["UTC", NY, "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Apia"]),
        instant=st.datetimes(
            min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
        ),
    )
    def test_consecutive_periods_tile_the_schedule(
        self, period: Period, zone: str, instant: datetime
    ) -> None:
        schedule = Schedule(at("2026-01-01T00:00"), at("2027-12-31T23:59:59"))
        found = period_at(period, schedule, instant, zone)
        assert found is not None and found.end is not None
        assert found.start <= instant < found.end
        # A DST change makes a day 23 to 25 hours and a week one hour shorter or longer.
        longest = {"DAILY": timedelta(hours=25), "WEEKLY": timedelta(days=7, hours=1)}
        if period in longest:
            assert found.end - found.start <= longest[period]
        if found.end < at("2028-01-01T00:00"):
            following = period_at(period, schedule, found.end, zone)
            assert following is not None and following.start == found.end
        if found.start > schedule.starts_at:
            previous = period_at(period, schedule, found.start - timedelta(microseconds=1), zone)
            assert previous is not None and previous.end == found.start


def status(**overrides: Any) -> Status:
    """ACTIVE unless `overrides` say otherwise: the March schedule, mid-March, on, no
    error, half spent."""
    arguments: dict[str, Any] = {
        "schedule": MARCH,
        "enabled": True,
        "error_reason": None,
        "amount_micros": 100,
        "applied_micros": 50,
        "instant": at("2026-03-15T12:00"),
    }
    arguments.update(overrides)
    return compute_status(**arguments)


BEFORE = at("2026-02-15T12:00")
AFTER = at("2026-04-01T00:00")


class TestComputeStatus:
    @pytest.mark.parametrize(
        ("overrides", "expected"),
        [
            ({}, "ACTIVE"),
            ({"applied_micros": 99}, "ACTIVE"),
            ({"applied_micros": 100}, "DEPLETED"),
            ({"applied_micros": 150}, "DEPLETED"),
            ({"amount_micros": 0, "applied_micros": 0}, "DEPLETED"),
            ({"error_reason": "The network refused the limit."}, "ERROR"),
            ({"instant": BEFORE}, "SCHEDULED"),
            ({"enabled": False}, "INACTIVE"),
            ({"instant": AFTER}, "ENDED"),
            ({"instant": at("2026-03-31T23:59:59.999999")}, "ACTIVE"),
            ({"instant": at("2026-03-01T00:00")}, "ACTIVE"),
            # Precedence: ENDED, INACTIVE, SCHEDULED, ERROR, DEPLETED, ACTIVE.
            ({"instant": AFTER, "enabled": False}, "ENDED"),
            ({"instant": AFTER, "error_reason": "x", "applied_micros": 100}, "ENDED"),
            ({"enabled": False, "instant": BEFORE}, "INACTIVE"),
            ({"enabled": False, "error_reason": "x"}, "INACTIVE"),
            ({"enabled": False, "applied_micros": 100}, "INACTIVE"),
            ({"instant": BEFORE, "error_reason": "x"}, "SCHEDULED"),
            ({"instant": BEFORE, "amount_micros": 0}, "SCHEDULED"),
            ({"error_reason": "x", "applied_micros": 100}, "ERROR"),
            # An empty reason is still a reason: the worker set it.
            ({"error_reason": ""}, "ERROR"),
        ],
    )
    def test_table(self, overrides: dict[str, Any], expected: Status) -> None:
        assert status(**overrides) == expected

    def test_every_status_is_reachable(self) -> None:
        reached = {
            status(),
            status(applied_micros=100),
            status(error_reason="x"),
            status(instant=BEFORE),
            status(enabled=False),
            status(instant=AFTER),
        }
        assert reached == set(STATUSES)

    def test_users_set_only_the_switch(self) -> None:
        assert set(USER_STATUSES) == {"ACTIVE", "INACTIVE"}

    @given(
        enabled=st.booleans(),
        error=st.sampled_from([None, "x"]),
        amount=st.integers(0, 10),
        applied=st.integers(0, 10),
        instant=st.sampled_from([BEFORE, at("2026-03-15T12:00"), AFTER]),
    )
    def test_precedence(
        self, enabled: bool, error: str | None, amount: int, applied: int, instant: datetime
    ) -> None:
        found = status(
            enabled=enabled,
            error_reason=error,
            amount_micros=amount,
            applied_micros=applied,
            instant=instant,
        )
        candidates: list[tuple[bool, Status]] = [
            (instant == AFTER, "ENDED"),
            (not enabled, "INACTIVE"),
            (instant == BEFORE, "SCHEDULED"),
            (error is not None, "ERROR"),
            (applied >= amount, "DEPLETED"),
            (True, "ACTIVE"),
        ]
        assert found == next(name for holds, name in candidates if holds)
