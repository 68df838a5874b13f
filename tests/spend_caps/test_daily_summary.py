"""`GET /spend_caps/{id}/daily_summary` and `adline.spend_caps.summary`: one row per local
day with the day's spend, the period's cumulative spend, the amount and status in force at
the day's end (from the revisions), CSV, DST days, and the 400s and 404."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.campaigns.models import AdCampaign
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.spend_caps import summary
from adline.spend_caps.periods import Schedule
from adline.spend_caps.service import get_spend_cap, link_campaign
from tests.conftest import Tenant
from tests.helpers import assert_error, set_company_timezone
from tests.hierarchy.builders import build_tree, ok
from tests.spend_caps.payloads import cap_body
from tests.stats.helpers import hour, store

USD = 1_000_000  # micros
# Caps and memberships are set up before the data: hours before a campaign joined a cap
# never count toward it.
SETUP = datetime(2026, 2, 20, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@dataclass
class Setup:
    cap: dict[str, Any]
    ads: list[str]
    campaigns: list[str]


async def link(
    engine: AsyncEngine, clock: ManualClock, campaign_id: str, cap_id: str | None
) -> None:
    async with create_sessionmaker(engine)() as session, session.begin():
        campaign = await session.get(AdCampaign, campaign_id)
        assert campaign is not None
        await link_campaign(session, clock, campaign, cap_id, "usd")


async def cap_with_campaigns(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
    *,
    campaigns: int = 2,
    **cap: Any,
) -> Setup:
    """A cap created at SETUP with `campaigns` campaigns (one ad each) under it."""
    clock.set(SETUP)
    created = (await ok(await client.post("/spend_caps", json=cap_body(**cap))))["spend_cap"]
    ads, campaign_ids = [], []
    for _ in range(campaigns):
        tree = await build_tree(client)
        await link(engine, clock, tree.campaign["id"], created["id"])
        ads.append(tree.ad["id"])
        campaign_ids.append(tree.campaign["id"])
    return Setup(created, ads, campaign_ids)


async def spend(
    engine: AsyncEngine, clock: ManualClock, *hours: tuple[str, datetime, float]
) -> None:
    """(ad, UTC hour, dollars) reports."""
    await store(
        engine, clock, [hour(ad, at, spend_micros=round(usd * USD)) for ad, at, usd in hours]
    )


async def days(
    client: httpx.AsyncClient, cap_id: str, first: str, last: str, **headers: str
) -> dict[str, Any]:
    return await ok(
        await client.get(
            f"/spend_caps/{cap_id}/daily_summary",
            params={"from": first, "to": last},
            headers=headers,
        )
    )


def micros(money: dict[str, str], currency: str = "USD") -> int:
    assert money["currency"] == currency
    return int(money["amount_micro"])


def by_date(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["date"]: row for row in body["daily_summary"]}


class TestTotalCap:
    async def test_rows_per_day_and_their_sum_is_the_applied_spend(
        self, client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
    ) -> None:
        setup = await cap_with_campaigns(
            client, engine, clock, period="TOTAL", amount_micro=str(100 * USD), end=None
        )
        first, second = setup.ads
        await spend(
            engine,
            clock,
            (first, utc(2026, 3, 1, 0), 5),
            (first, utc(2026, 3, 1, 23), 7),
            (second, utc(2026, 3, 1, 23), 1),
            (second, utc(2026, 3, 3, 12), 20.5),
            (first, utc(2026, 3, 4, 12), 0),
        )
        clock.set(utc(2026, 3, 5, 12))
        cap_id = setup.cap["id"]
        body = await days(client, cap_id, "2026-02-28", "2026-03-05")
        assert set(body) == {"spend_cap_id", "time_zone", "currency", "daily_summary"}
        assert (body["spend_cap_id"], body["time_zone"], body["currency"]) == (
            cap_id,
            "UTC",
            "USD",
        )
        rows = body["daily_summary"]
        assert [row["date"] for row in rows] == [
            "2026-02-28",
            "2026-03-01",
            "2026-03-02",
            "2026-03-03",
            "2026-03-04",
            "2026-03-05",
        ]
        assert [micros(row["spend"]) for row in rows] == [0, 13 * USD, 0, 20_500_000, 0, 0]
        cumulative = [0, 13 * USD, 13 * USD, 33_500_000, 33_500_000, 33_500_000]
        assert [micros(row["applied_ad_spending"]) for row in rows] == cumulative
        assert [micros(row["remaining"]) for row in rows] == [100 * USD - c for c in cumulative]
        assert {micros(row["amount"]) for row in rows} == {100 * USD}
        # The schedule starts on 2026-03-01: the day before, the cap was still to come.
        assert [row["status"] for row in rows] == ["SCHEDULED", *["ACTIVE"] * 5]
        expected_ids = [[], sorted(setup.campaigns), [], [setup.campaigns[1]], [], []]
        assert [row["campaign_ids"] for row in rows] == expected_ids
        assert set(rows[1]) == {
            "date",
            "spend",
            "applied_ad_spending",
            "remaining",
            "amount",
            "status",
            "campaign_ids",
        }

        live = (await ok(await client.get(f"/spend_caps/{cap_id}")))["spend_cap"]
        assert sum(micros(row["spend"]) for row in rows) == micros(live["applied_ad_spending"])
        assert micros(rows[-1]["remaining"]) == micros(live["remaining"])
        assert rows[-1]["status"] == live["status"]

        # Days before `from` still count toward the period's cumulative spend.
        later = by_date(await days(client, cap_id, "2026-03-04", "2026-03-04"))
        assert micros(later["2026-03-04"]["applied_ad_spending"]) == 33_500_000

    async def test_spend_outside_the_schedule_or_the_membership_does_not_count(
        self, client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
    ) -> None:
        setup = await cap_with_campaigns(
            client,
            engine,
            clock,
            campaigns=1,
            period="TOTAL",
            start="2026-03-01T12:00:00Z",
            end="2026-03-02T11:59:59Z",
        )
        [ad] = setup.ads
        await spend(
            engine,
            clock,
            (ad, utc(2026, 3, 1, 11), 1),  # before the start
            (ad, utc(2026, 3, 1, 12), 2),
            (ad, utc(2026, 3, 2, 11), 4),
            (ad, utc(2026, 3, 2, 12), 8),  # after the inclusive end
        )
        # Leaving the cap: the hours from then on are no longer the cap's.
        clock.set(utc(2026, 3, 2, 11))
        await link(engine, clock, setup.campaigns[0], None)
        clock.set(utc(2026, 3, 4))
        rows = by_date(await days(client, setup.cap["id"], "2026-03-01", "2026-03-03"))
        assert micros(rows["2026-03-01"]["spend"]) == 2 * USD
        assert micros(rows["2026-03-02"]["spend"]) == 0
        assert micros(rows["2026-03-02"]["applied_ad_spending"]) == 2 * USD
        # Ended on 2026-03-02 at noon: at that day's end, and after, the cap has ENDED.
        assert [row["status"] for row in rows.values()] == ["ACTIVE", "ENDED", "ENDED"]
        assert rows["2026-03-01"]["campaign_ids"] == setup.campaigns
        assert rows["2026-03-02"]["campaign_ids"] == []


class TestDailyAndWeeklyCaps:
    async def test_a_daily_row_is_that_days_applied_spend(
        self, client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
    ) -> None:
        setup = await cap_with_campaigns(
            client, engine, clock, period="DAILY", amount_micro=str(10 * USD)
        )
        first, second = setup.ads
        await spend(
            engine,
            clock,
            (first, utc(2026, 3, 2, 1), 3),
            (second, utc(2026, 3, 2, 22), 4),
            (first, utc(2026, 3, 3, 0), 6),
            (second, utc(2026, 3, 3, 9), 6),
        )
        cap_id = setup.cap["id"]
        rows = by_date(await days(client, cap_id, "2026-03-02", "2026-03-03"))
        assert micros(rows["2026-03-02"]["spend"]) == 7 * USD
        assert micros(rows["2026-03-02"]["applied_ad_spending"]) == 7 * USD
        assert micros(rows["2026-03-02"]["remaining"]) == 3 * USD
        assert rows["2026-03-02"]["status"] == "ACTIVE"
        assert micros(rows["2026-03-03"]["applied_ad_spending"]) == 12 * USD
        assert micros(rows["2026-03-03"]["remaining"]) == 0
        assert rows["2026-03-03"]["status"] == "DEPLETED"
        for day, instant in (
            ("2026-03-02", utc(2026, 3, 2, 23, 30)),
            ("2026-03-03", utc(2026, 3, 3, 23)),
        ):
            clock.set(instant)
            live = (await ok(await client.get(f"/spend_caps/{cap_id}")))["spend_cap"]
            assert micros(live["applied_ad_spending"]) == micros(rows[day]["applied_ad_spending"])
            assert live["status"] == rows[day]["status"]

    async def test_a_weekly_row_counts_since_monday_even_before_from(
        self, client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
    ) -> None:
        setup = await cap_with_campaigns(
            client, engine, clock, campaigns=1, period="WEEKLY", amount_micro=str(50 * USD)
        )
        [ad] = setup.ads
        # 2026-03-02 and 2026-03-09 are Mondays.
        await spend(
            engine,
            clock,
            (ad, utc(2026, 3, 2, 10), 10),
            (ad, utc(2026, 3, 4, 10), 15),
            (ad, utc(2026, 3, 8, 23), 30),
            (ad, utc(2026, 3, 9, 0), 1),
        )
        clock.set(utc(2026, 3, 20))
        rows = by_date(await days(client, setup.cap["id"], "2026-03-05", "2026-03-09"))
        applied = [micros(row["applied_ad_spending"]) for row in rows.values()]
        assert applied == [25 * USD, 25 * USD, 25 * USD, 55 * USD, 1 * USD]
        statuses = [row["status"] for row in rows.values()]
        assert statuses == ["ACTIVE", "ACTIVE", "ACTIVE", "DEPLETED", "ACTIVE"]
        assert micros(rows["2026-03-08"]["remaining"]) == 0


class TestRevisions:
    async def test_a_past_day_keeps_the_amount_and_status_in_force_then(
        self, client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
    ) -> None:
        setup = await cap_with_campaigns(
            client, engine, clock, campaigns=1, period="TOTAL", amount_micro=str(10 * USD)
        )
        [ad] = setup.ads
        await spend(engine, clock, (ad, utc(2026, 3, 2, 10), 12), (ad, utc(2026, 3, 3, 8), 1))
        # Today (2026-03-03) the amount is raised to $50.
        clock.set(utc(2026, 3, 3, 9))
        cap = (await ok(await client.get(f"/spend_caps/{setup.cap['id']}")))["spend_cap"]
        raised = await client.patch(
            f"/spend_caps/{cap['id']}",
            json={
                "spend_cap": {
                    "updated_at": cap["updated_at"],
                    "budget": {"amount": {"currency": "USD", "amount_micro": str(50 * USD)}},
                }
            },
        )
        assert raised.status_code == 200, raised.text
        rows = by_date(await days(client, cap["id"], "2026-03-02", "2026-03-03"))
        yesterday, today = rows["2026-03-02"], rows["2026-03-03"]
        assert micros(yesterday["amount"]) == 10 * USD
        assert yesterday["status"] == "DEPLETED"
        assert micros(yesterday["remaining"]) == 0
        assert micros(today["amount"]) == 50 * USD
        assert today["status"] == "ACTIVE"
        assert micros(today["remaining"]) == 37 * USD

        # Switched off the day after: that day reads INACTIVE, the earlier days do not.
        clock.set(utc(2026, 3, 4, 9))
        cap = (await ok(await client.get(f"/spend_caps/{cap['id']}")))["spend_cap"]
        off = await client.patch(
            f"/spend_caps/{cap['id']}",
            json={"spend_cap": {"updated_at": cap["updated_at"], "status": "INACTIVE"}},
        )
        assert off.status_code == 200, off.text
        rows = by_date(await days(client, cap["id"], "2026-03-02", "2026-03-04"))
        statuses = [row["status"] for row in rows.values()]
        assert statuses == ["DEPLETED", "ACTIVE", "INACTIVE"]

    async def test_the_service_is_callable_without_http(
        self, client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock, tenant: Tenant
    ) -> None:
        setup = await cap_with_campaigns(client, engine, clock, campaigns=1, period="DAILY")
        await spend(engine, clock, (setup.ads[0], utc(2026, 3, 2, 10), 2))
        async with create_sessionmaker(engine)() as session:
            cap = await get_spend_cap(session, tenant.company_id, setup.cap["id"])
            result = await summary.summarize(
                session, cap, "UTC", date(2026, 3, 2), date(2026, 3, 2)
            )
        assert result.rows == [
            summary.DailyRow(
                date=date(2026, 3, 2),
                spend_micros=2 * USD,
                applied_micros=2 * USD,
                remaining_micros=50_000 * USD - 2 * USD,
                amount_micros=50_000 * USD,
                status="ACTIVE",
                campaign_ids=(setup.campaigns[0],),
            )
        ]


class TestCsv:
    async def test_csv_has_the_rows_of_the_json(
        self, client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
    ) -> None:
        setup = await cap_with_campaigns(client, engine, clock, period="TOTAL")
        first, second = setup.ads
        await spend(
            engine,
            clock,
            (first, utc(2026, 3, 2, 10), 2),
            (second, utc(2026, 3, 2, 11), 3),
            (second, utc(2026, 3, 3, 11), 4),
        )
        cap_id = setup.cap["id"]
        body = await days(client, cap_id, "2026-03-01", "2026-03-04")
        response = await client.get(
            f"/spend_caps/{cap_id}/daily_summary",
            params={"from": "2026-03-01", "to": "2026-03-04"},
            headers={"Accept": "text/csv"},
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        lines = list(csv.reader(io.StringIO(response.text)))
        assert lines[0] == [
            "date",
            "currency",
            "spend_micro",
            "applied_ad_spending_micro",
            "remaining_micro",
            "amount_micro",
            "status",
            "campaign_ids",
        ]
        assert lines[1:] == [
            [
                row["date"],
                "USD",
                row["spend"]["amount_micro"],
                row["applied_ad_spending"]["amount_micro"],
                row["remaining"]["amount_micro"],
                row["amount"]["amount_micro"],
                row["status"],
                " ".join(row["campaign_ids"]),
            ]
            for row in body["daily_summary"]
        ]
        assert lines[2][7] == " ".join(sorted(setup.campaigns))

    @pytest.mark.parametrize(
        ("accept", "csv_wanted"),
        [
            (None, False),
            ("application/json", False),
            ("text/csv", True),
            ("text/csv; charset=utf-8", True),
            ("application/json, text/csv", False),
            ("text/csv, application/json", True),
            ("application/json;q=0.5, text/csv", True),
            ("text/csv;q=0, */*", False),
            ("text/html", False),
        ],
    )
    def test_accept(self, accept: str | None, csv_wanted: bool) -> None:
        assert summary.wants_csv(accept) is csv_wanted


class TestDaylightSaving:
    async def test_new_york_days_are_23_and_25_hours(
        self,
        client: httpx.AsyncClient,
        engine: AsyncEngine,
        clock: ManualClock,
        tenant: Tenant,
    ) -> None:
        await set_company_timezone(engine, tenant.company_id, "America/New_York")
        setup = await cap_with_campaigns(
            client,
            engine,
            clock,
            campaigns=1,
            period="DAILY",
            amount_micro=str(100 * USD),
            end=None,
        )
        [ad] = setup.ads
        await spend(
            engine,
            clock,
            # 2026-03-08 (clocks go forward): 05:00Z to 04:00Z next day, 23 hours.
            (ad, utc(2026, 3, 8, 4), 1),  # 23:00 on the 7th (EST)
            (ad, utc(2026, 3, 8, 5), 2),  # 00:00 on the 8th (EST)
            (ad, utc(2026, 3, 9, 3), 4),  # 23:00 on the 8th (EDT)
            (ad, utc(2026, 3, 9, 4), 8),  # 00:00 on the 9th (EDT)
            # 2026-11-01 (clocks go back): 04:00Z to 05:00Z next day, 25 hours.
            (ad, utc(2026, 11, 1, 3), 16),  # 23:00 on Oct 31 (EDT)
            (ad, utc(2026, 11, 1, 4), 32),  # 00:00 on Nov 1 (EDT)
            (ad, utc(2026, 11, 2, 4), 64),  # 23:00 on Nov 1 (EST)
            (ad, utc(2026, 11, 2, 5), 128),  # 00:00 on Nov 2 (EST)
        )
        clock.set(utc(2026, 11, 10))
        cap_id = setup.cap["id"]
        spring = await days(client, cap_id, "2026-03-07", "2026-03-09")
        assert spring["time_zone"] == "America/New_York"
        assert [micros(row["spend"]) for row in spring["daily_summary"]] == [
            1 * USD,
            6 * USD,
            8 * USD,
        ]
        autumn = await days(client, cap_id, "2026-10-31", "2026-11-02")
        assert [micros(row["spend"]) for row in autumn["daily_summary"]] == [
            16 * USD,
            96 * USD,
            128 * USD,
        ]
        assert [row["status"] for row in autumn["daily_summary"]] == [
            "ACTIVE",
            "ACTIVE",
            "DEPLETED",
        ]
        zone = ZoneInfo("America/New_York")
        lengths = [
            summary.day_bounds(date(2026, 3, 8), zone),
            summary.day_bounds(date(2026, 11, 1), zone),
            summary.day_bounds(date(2026, 11, 2), zone),
        ]
        assert [span.end - span.start for span in lengths] == [
            timedelta(hours=23),
            timedelta(hours=25),
            timedelta(hours=24),
        ]
        # The live DAILY period agrees with the row on the long day.
        clock.set(utc(2026, 11, 2, 4, 30))
        live = (await ok(await client.get(f"/spend_caps/{cap_id}")))["spend_cap"]
        assert micros(live["applied_ad_spending"]) == 96 * USD


class TestPeriods:
    def test_the_period_as_of_a_days_end(self) -> None:
        zone = ZoneInfo("UTC")
        schedule = Schedule(utc(2026, 3, 4, 6), utc(2026, 3, 10, 11, 59, 59))
        wednesday = date(2026, 3, 4)
        week = summary.period_until_day_end("WEEKLY", schedule, date(2026, 3, 5), zone)
        assert week == summary.Span(utc(2026, 3, 4, 6), utc(2026, 3, 6))
        day = summary.period_until_day_end("DAILY", schedule, wednesday, zone)
        assert day == summary.Span(utc(2026, 3, 4, 6), utc(2026, 3, 5))
        total = summary.period_until_day_end("TOTAL", schedule, date(2026, 3, 20), zone)
        assert total == summary.Span(utc(2026, 3, 4, 6), utc(2026, 3, 10, 12))
        assert summary.period_until_day_end("DAILY", schedule, date(2026, 3, 3), zone) is None
        assert summary.period_until_day_end("WEEKLY", schedule, date(2026, 3, 16), zone) is None


class TestErrors:
    @pytest.mark.parametrize(
        ("params", "code", "param"),
        [
            ({"to": "2026-03-02"}, "parameter_missing", "from"),
            ({"from": "2026-03-02"}, "parameter_missing", "to"),
            ({"from": "2026-3-2", "to": "2026-03-02"}, "parameter_invalid", "from"),
            ({"from": "2026-03-02", "to": "2026-02-30"}, "parameter_invalid", "to"),
            ({"from": "2026-03-02T00:00:00Z", "to": "2026-03-02"}, "parameter_invalid", "from"),
            ({"from": "2026-03-03", "to": "2026-03-02"}, "parameter_invalid", "to"),
            ({"from": "2026-01-01", "to": "2027-01-02"}, "parameter_invalid", "to"),
        ],
    )
    async def test_bad_ranges_are_400s(
        self, client: httpx.AsyncClient, params: dict[str, str], code: str, param: str
    ) -> None:
        cap = (await ok(await client.post("/spend_caps", json=cap_body())))["spend_cap"]
        response = await client.get(f"/spend_caps/{cap['id']}/daily_summary", params=params)
        assert_error(response, 400, code, param)

    async def test_366_days_is_the_longest_range(self, client: httpx.AsyncClient) -> None:
        cap = (await ok(await client.post("/spend_caps", json=cap_body())))["spend_cap"]
        body = await days(client, cap["id"], "2028-01-01", "2028-12-31")
        assert len(body["daily_summary"]) == 366

    async def test_another_companys_cap_is_not_found(
        self, client: httpx.AsyncClient, other_client: httpx.AsyncClient
    ) -> None:
        cap = (await ok(await client.post("/spend_caps", json=cap_body())))["spend_cap"]
        response = await other_client.get(
            f"/spend_caps/{cap['id']}/daily_summary",
            params={"from": "2026-03-01", "to": "2026-03-02"},
        )
        assert_error(response, 404, "resource_not_found", None)

    async def test_the_read_scope_is_required(
        self, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, make_key, tenant: Tenant
    ) -> None:  # type: ignore[no-untyped-def]
        cap = (await ok(await client.post("/spend_caps", json=cap_body())))["spend_cap"]
        key = await make_key(tenant, ["ad_campaign:basic:read"])
        response = await anonymous.get(
            f"/spend_caps/{cap['id']}/daily_summary",
            params={"from": "2026-03-01", "to": "2026-03-02"},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert response.status_code == 403, response.text
