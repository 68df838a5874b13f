"""Timestamps and days clients send stay between 0002-01-01 and 9998-12-31 (UTC), so what
is computed from them (the next second, day or week; midnight in a time zone) never leaves
what a datetime holds. Found by fuzzing (tests/test_fuzz.py): each of these answered 500."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest

from adline.core.timestamps import day_in_range, parse_timestamp
from tests.conftest import Tenant
from tests.helpers import assert_error
from tests.spend_caps.payloads import cap_body

RANGE = "must be between 0002-01-01 and 9998-12-31"


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31T23:59:59-01:00",  # past the last day a datetime has, in UTC
        "0001-01-01T00:00:00+01:00",  # before the first
        "9999-01-01T00:00:00Z",
        "0001-12-31T23:59:59Z",
    ],
)
def test_out_of_range_timestamps_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match=RANGE):
        parse_timestamp(value)


def test_the_bounds() -> None:
    assert parse_timestamp("0002-01-01T00:00:00Z") == datetime(2, 1, 1, tzinfo=UTC)
    assert parse_timestamp("9998-12-31T23:59:59.999999Z").year == 9998
    assert day_in_range(date(2, 1, 1)) and day_in_range(date(9998, 12, 31))
    assert not day_in_range(date(1, 12, 31)) and not day_in_range(date(9999, 1, 1))


async def test_a_body_timestamp_past_the_last_utc_day_is_a_400(client: httpx.AsyncClient) -> None:
    body = {"ad_campaign_id": "adcamp_AAAAAAAAAAAAAA", "starts_at": "9999-12-31T23:59:59-01:00"}
    error = assert_error(
        await client.post("/ad_groups", json=body), 400, "parameter_invalid", "starts_at"
    )
    assert RANGE in error["message"]


async def test_spend_caps_at_the_ends_of_time(client: httpx.AsyncClient) -> None:
    late = cap_body(period="WEEKLY", start="9999-12-31T23:59:59Z", end=None)
    assert_error(
        await client.post("/spend_caps", json=late), 400, "parameter_invalid", "schedule.start"
    )
    for period in ("DAILY", "WEEKLY", "TOTAL"):
        body = cap_body(period=period, start="0002-01-01T00:00:00Z", end="9998-12-31T23:59:59Z")
        created = await client.post("/spend_caps", json=body)
        assert created.status_code == 200, created.text
        cap_id = created.json()["spend_cap"]["id"]
        summary = f"/spend_caps/{cap_id}/daily_summary"
        for first, last in (("0002-01-01", "0002-12-31"), ("9998-01-01", "9998-12-31")):
            answer = await client.get(summary, params={"from": first, "to": last})
            assert answer.status_code == 200, answer.text
        beyond = await client.get(summary, params={"from": "9999-01-01", "to": "9999-12-31"})
        assert RANGE in assert_error(beyond, 400, "parameter_invalid", "from")["message"]
        end = {"spend_cap": {"schedule": {"end": "9999-12-31T23:59:59Z"}}}
        changed = await client.patch(f"/spend_caps/{cap_id}", json=end)
        assert_error(changed, 400, "parameter_invalid", "spend_cap.schedule.end")


async def test_reports_over_all_of_time(client: httpx.AsyncClient, tenant: Tenant) -> None:
    widest = {"company_id": tenant.company_id, "from": "0001-01-01", "to": "9999-12-31"}
    assert_error(await client.get("/ad_reports", params=widest), 400, "parameter_invalid", "from")
    inside = {**widest, "from": "0002-01-01", "to": "9998-12-31"}
    answer = await client.get("/ad_reports", params=inside)
    assert answer.status_code == 200, answer.text
