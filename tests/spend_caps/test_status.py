"""A cap's status, applied spend and period as the clock moves and spend arrives: every
transition of seed 004's statuses, and periods that renew at the company's midnight."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.campaigns.models import AdCampaign
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.core.errors import InvalidRequest, NotFound
from adline.spend_caps import service
from adline.spend_caps.models import SpendCap
from tests.conftest import Tenant
from tests.helpers import set_company_timezone
from tests.hierarchy.builders import build_tree
from tests.spend_caps.payloads import cap_body
from tests.stats.helpers import hour, store

M = 1_000_000  # micro-units per dollar


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def usd(micros: int) -> dict[str, str]:
    return {"currency": "USD", "amount_micro": str(micros)}


def stamp(text: str) -> str:
    """`2026-03-03T05:00:00` as the API writes it."""
    return f"{text}.000000Z"


class Caps:
    """Drives one tenant's caps over HTTP and its spend through the stats service."""

    def __init__(self, client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock) -> None:
        self.client = client
        self.engine = engine
        self.clock = clock
        self.campaigns: dict[str, str] = {}  # ad id -> campaign id

    async def create(self, **options: Any) -> dict[str, Any]:
        response = await self.client.post("/spend_caps", json=cap_body(**options))
        assert response.status_code == 200, response.text
        cap: dict[str, Any] = response.json()["spend_cap"]
        return cap

    async def read(self, cap: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.get(f"/spend_caps/{cap['id']}")
        assert response.status_code == 200, response.text
        current: dict[str, Any] = response.json()["spend_cap"]
        return current

    async def update(self, cap: dict[str, Any], **changes: Any) -> dict[str, Any]:
        current = await self.read(cap)
        response = await self.client.patch(
            f"/spend_caps/{cap['id']}",
            json={"spend_cap": {"updated_at": current["updated_at"], **changes}},
        )
        assert response.status_code == 200, response.text
        updated: dict[str, Any] = response.json()["spend_cap"]
        return updated

    async def set_amount(self, cap: dict[str, Any], micros: int) -> dict[str, Any]:
        return await self.update(cap, budget={"amount": usd(micros)})

    async def campaign_under(self, cap: dict[str, Any]) -> str:
        """A new campaign with one ad, put under `cap` now; answers the ad's id."""
        tree = await build_tree(self.client)
        await self.link(tree.campaign["id"], cap["id"])
        ad_id: str = tree.ad["id"]
        self.campaigns[ad_id] = tree.campaign["id"]
        return ad_id

    async def link(self, campaign_id: str, cap_id: str | None) -> None:
        """What `spend_cap_id` on a campaign create or update does."""
        async with create_sessionmaker(self.engine)() as session, session.begin():
            campaign = await session.get(AdCampaign, campaign_id)
            assert campaign is not None
            await service.link_campaign(session, self.clock, campaign, cap_id, "usd")

    def campaign_of(self, ad_id: str) -> str:
        return self.campaigns[ad_id]

    async def spend(self, ad_id: str, hour_start: datetime, micros: int) -> None:
        assert await store(self.engine, self.clock, [hour(ad_id, hour_start, spend_micros=micros)])

    async def set_error(self, cap: dict[str, Any], reason: str | None) -> None:
        async with create_sessionmaker(self.engine)() as session, session.begin():
            await session.execute(
                update(SpendCap).where(SpendCap.id == cap["id"]).values(error_reason=reason)
            )

    async def set_timezone(self, tenant: Tenant, zone: str) -> None:
        await set_company_timezone(self.engine, tenant.company_id, zone)


def caps(client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock) -> Caps:
    return Caps(client, engine, clock)


async def test_every_transition_of_a_total_cap(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    run = caps(client, engine, clock)
    cap = await run.create(
        amount_micro=str(100 * M), start="2026-03-03T00:00:00Z", end="2026-03-10T23:59:59Z"
    )
    assert cap["status"] == "SCHEDULED"
    assert cap["status_reason"] == f"Starts at {stamp('2026-03-03T00:00:00')}."
    assert cap["current_period"] is None
    ad = await run.campaign_under(cap)
    # Spend before the schedule starts never counts.
    await run.spend(ad, at("2026-03-02T09:00"), 30 * M)
    scheduled = await run.read(cap)
    assert scheduled["status"] == "SCHEDULED"
    assert scheduled["campaign_count"] == 1
    assert scheduled["applied_ad_spending"] == usd(0)
    assert scheduled["remaining"] == usd(100 * M)

    clock.set(at("2026-03-02T23:59:59.999999"))
    assert (await run.read(cap))["status"] == "SCHEDULED"
    clock.set(at("2026-03-03T00:00"))
    active = await run.read(cap)
    assert active["status"] == "ACTIVE"
    assert active["status_reason"] is None
    assert active["current_period"] == {
        "start": stamp("2026-03-03T00:00:00"),
        "end": stamp("2026-03-11T00:00:00"),
    }
    assert active["applied_ad_spending"] == usd(0)

    await run.spend(ad, at("2026-03-03T00:00"), 60 * M)
    clock.set(at("2026-03-03T01:30"))
    partly = await run.read(cap)
    assert partly["status"] == "ACTIVE"
    assert partly["applied_ad_spending"] == usd(60 * M)
    assert partly["remaining"] == usd(40 * M)

    # Reaching the amount exactly is depleted: 0 remaining.
    await run.spend(ad, at("2026-03-03T01:00"), 40 * M)
    depleted = await run.read(cap)
    assert depleted["status"] == "DEPLETED"
    assert depleted["applied_ad_spending"] == usd(100 * M)
    assert depleted["remaining"] == usd(0)
    assert depleted["status_reason"] == "The amount is spent: raise it to serve again."
    # Reading does not change the concurrency token; only the user's changes do.
    assert depleted["updated_at"] == cap["updated_at"]

    raised = await run.set_amount(cap, 150 * M)
    assert raised["status"] == "ACTIVE"
    assert raised["remaining"] == usd(50 * M)
    assert raised["status_reason"] is None

    lowered = await run.set_amount(cap, 80 * M)
    assert lowered["status"] == "DEPLETED"
    assert lowered["applied_ad_spending"] == usd(100 * M)
    assert lowered["remaining"] == usd(0)  # never negative

    off = await run.update(cap, status="INACTIVE")
    assert off["status"] == "INACTIVE"
    assert off["status_reason"] == "Switched off: set status to ACTIVE to serve again."
    # The switch alone does not undo the spend...
    on = await run.update(cap, status="ACTIVE")
    assert on["status"] == "DEPLETED"
    # ...room does.
    again = await run.set_amount(cap, 200 * M)
    assert again["status"] == "ACTIVE"
    assert again["remaining"] == usd(100 * M)

    # The end is inclusive to the second: the last second still serves.
    clock.set(at("2026-03-10T23:59:59.999999"))
    assert (await run.read(cap))["status"] == "ACTIVE"
    clock.set(at("2026-03-11T00:00"))
    ended = await run.read(cap)
    assert ended["status"] == "ENDED"
    assert ended["status_reason"] == f"The schedule ended at {stamp('2026-03-10T23:59:59')}."
    assert ended["current_period"] is None
    # What the last period consumed stays on view for reconciliation.
    assert ended["applied_ad_spending"] == usd(100 * M)
    assert ended["remaining"] == usd(100 * M)

    # ENDED outranks everything, the user's switch included.
    assert (await run.update(cap, status="INACTIVE"))["status"] == "ENDED"
    assert (await run.set_amount(cap, 1))["status"] == "ENDED"
    # Extending the schedule brings it back.
    extended = await run.update(cap, status="ACTIVE", schedule={"end": "2026-03-31T23:59:59Z"})
    assert extended["status"] == "DEPLETED"
    assert (await run.set_amount(cap, 200 * M))["status"] == "ACTIVE"


async def test_the_users_switch_outranks_a_start_still_to_come(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    run = caps(client, engine, clock)
    cap = await run.create(start="2026-04-01T00:00:00Z", status="INACTIVE")
    assert cap["status"] == "INACTIVE"
    assert (await run.update(cap, status="ACTIVE"))["status"] == "SCHEDULED"


async def test_ended_outranks_inactive(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    run = caps(client, engine, clock)
    cap = await run.create(end="2026-03-02T09:59:59Z")
    off = await run.update(cap, status="INACTIVE")
    assert off["status"] == "INACTIVE"
    clock.set(at("2026-03-02T10:00"))
    assert (await run.read(cap))["status"] == "ENDED"
    listed = await client.get("/spend_caps", params={"status": "INACTIVE"})
    assert listed.json()["spend_caps"] == []
    listed = await client.get("/spend_caps", params={"status": "ENDED"})
    assert [c["id"] for c in listed.json()["spend_caps"]] == [cap["id"]]


async def test_error_shows_its_reason(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    run = caps(client, engine, clock)
    cap = await run.create(amount_micro=str(10 * M))
    reason = "Meta refused the campaign spending limit: the ad account is disabled."
    await run.set_error(cap, reason)
    errored = await run.read(cap)
    assert errored["status"] == "ERROR"
    assert errored["status_reason"] == reason
    assert errored["updated_at"] == cap["updated_at"]
    listed = await client.get("/spend_caps", params={"status": "ERROR"})
    assert [c["id"] for c in listed.json()["spend_caps"]] == [cap["id"]]

    # ERROR outranks DEPLETED...
    ad = await run.campaign_under(cap)
    await run.spend(ad, at("2026-03-02T09:00"), 10 * M)
    assert (await run.read(cap))["status"] == "ERROR"
    # ...the user's switch outranks ERROR...
    off = await run.update(cap, status="INACTIVE")
    assert off["status"] == "INACTIVE"
    on = await run.update(cap, status="ACTIVE")
    assert on["status"] == "ERROR"
    assert on["status_reason"] == reason
    # ...and once the worker clears the reason, the spend decides.
    await run.set_error(cap, None)
    cleared = await run.read(cap)
    assert cleared["status"] == "DEPLETED"
    assert cleared["status_reason"] == "The amount is spent: raise it to serve again."


async def test_a_daily_cap_renews_at_the_companys_midnight(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock, tenant: Tenant
) -> None:
    run = caps(client, engine, clock)
    await run.set_timezone(tenant, "America/New_York")
    cap = await run.create(
        period="DAILY", amount_micro=str(50 * M), start="2026-03-01T00:00:00Z", end=None
    )
    # 09:00Z on 2 March is 04:00 in New York (EST, UTC-5): the day began at 05:00Z.
    assert cap["current_period"] == {
        "start": stamp("2026-03-02T05:00:00"),
        "end": stamp("2026-03-03T05:00:00"),
    }
    ad = await run.campaign_under(cap)
    await run.spend(ad, at("2026-03-02T09:00"), 30 * M)
    clock.set(at("2026-03-03T04:30"))
    # 03:00Z on 3 March is still 2 March in New York: the same day's spend.
    await run.spend(ad, at("2026-03-03T03:00"), 20 * M)
    depleted = await run.read(cap)
    assert depleted["status"] == "DEPLETED"
    assert depleted["applied_ad_spending"] == usd(50 * M)
    assert depleted["status_reason"] == (
        "This period's amount is spent: it renews at "
        f"{stamp('2026-03-03T05:00:00')}, or raise it to serve now."
    )

    clock.set(at("2026-03-03T04:59:59.999999"))
    assert (await run.read(cap))["status"] == "DEPLETED"
    clock.set(at("2026-03-03T05:00"))
    renewed = await run.read(cap)
    assert renewed["status"] == "ACTIVE"
    assert renewed["applied_ad_spending"] == usd(0)
    assert renewed["remaining"] == usd(50 * M)
    assert renewed["current_period"] == {
        "start": stamp("2026-03-03T05:00:00"),
        "end": stamp("2026-03-04T05:00:00"),
    }
    await run.spend(ad, at("2026-03-03T05:00"), 5 * M)
    assert (await run.read(cap))["applied_ad_spending"] == usd(5 * M)

    # 8 March 2026 springs forward (02:00 EST -> 03:00 EDT): a day of 23 hours.
    clock.set(at("2026-03-08T12:00"))
    assert (await run.read(cap))["current_period"] == {
        "start": stamp("2026-03-08T05:00:00"),
        "end": stamp("2026-03-09T04:00:00"),
    }


async def test_a_daily_cap_follows_a_change_of_time_zone(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock, tenant: Tenant
) -> None:
    run = caps(client, engine, clock)
    cap = await run.create(period="DAILY")
    assert cap["current_period"]["start"] == stamp("2026-03-02T00:00:00")
    await run.set_timezone(tenant, "Asia/Tokyo")
    # 09:00Z is 18:00 in Tokyo (UTC+9): the day began at 15:00Z the day before.
    assert (await run.read(cap))["current_period"] == {
        "start": stamp("2026-03-01T15:00:00"),
        "end": stamp("2026-03-02T15:00:00"),
    }


async def test_a_weekly_cap_renews_at_monday_midnight(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock, tenant: Tenant
) -> None:
    run = caps(client, engine, clock)
    await run.set_timezone(tenant, "America/New_York")
    cap = await run.create(
        period="WEEKLY", amount_micro=str(70 * M), start="2026-02-01T00:00:00Z", end=None
    )
    # Monday 2 March, 04:00 in New York; the week ends at Monday 9 March's midnight, which
    # is EDT already (UTC-4).
    assert cap["current_period"] == {
        "start": stamp("2026-03-02T05:00:00"),
        "end": stamp("2026-03-09T04:00:00"),
    }
    ad = await run.campaign_under(cap)
    # Sunday 1 March 23:00 in New York: last week's.
    await run.spend(ad, at("2026-03-02T04:00"), 40 * M)
    await run.spend(ad, at("2026-03-02T09:00"), 30 * M)
    clock.set(at("2026-03-05T12:00"))
    assert (await run.read(cap))["applied_ad_spending"] == usd(30 * M)
    await run.spend(ad, at("2026-03-09T03:00"), 40 * M)  # Sunday 8 March, 23:00 EDT
    clock.set(at("2026-03-09T03:59:59.999999"))
    depleted = await run.read(cap)
    assert depleted["status"] == "DEPLETED"
    assert depleted["applied_ad_spending"] == usd(70 * M)
    assert f"renews at {stamp('2026-03-09T04:00:00')}" in depleted["status_reason"]

    clock.set(at("2026-03-09T04:00"))
    renewed = await run.read(cap)
    assert renewed["status"] == "ACTIVE"
    assert renewed["applied_ad_spending"] == usd(0)
    assert renewed["current_period"] == {
        "start": stamp("2026-03-09T04:00:00"),
        "end": stamp("2026-03-16T04:00:00"),
    }


async def test_a_periods_last_day_is_clipped_to_the_schedule(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    run = caps(client, engine, clock)
    cap = await run.create(period="DAILY", start="2026-03-02T08:00:00Z", end="2026-03-02T17:29:59Z")
    assert cap["current_period"] == {
        "start": stamp("2026-03-02T08:00:00"),
        "end": stamp("2026-03-02T17:30:00"),
    }


async def test_a_depleted_last_period_does_not_promise_a_renewal(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    run = caps(client, engine, clock)
    cap = await run.create(
        period="DAILY",
        amount_micro=str(10 * M),
        start="2026-03-01T00:00:00Z",
        end="2026-03-02T17:29:59Z",
    )
    ad = await run.campaign_under(cap)
    await run.spend(ad, at("2026-03-02T09:00"), 10 * M)
    depleted = await run.read(cap)
    assert depleted["status"] == "DEPLETED"
    # The period ends with the schedule at 17:30: nothing renews then.
    assert depleted["current_period"]["end"] == stamp("2026-03-02T17:30:00")
    assert depleted["status_reason"] == "The amount is spent: raise it to serve again."
    clock.set(at("2026-03-02T17:30"))
    assert (await run.read(cap))["status"] == "ENDED"


async def test_only_the_hours_a_campaign_was_under_the_cap_count(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    run = caps(client, engine, clock)
    first = await run.create(title="First", amount_micro=str(100 * M))
    second = await run.create(title="Second", amount_micro=str(100 * M))
    clock.set(at("2026-03-02T10:00"))
    ad = await run.campaign_under(first)
    await run.spend(ad, at("2026-03-02T09:00"), 1 * M)  # before it joined
    await run.spend(ad, at("2026-03-02T10:00"), 2 * M)
    await run.spend(ad, at("2026-03-02T11:00"), 4 * M)
    # Moved to the second cap at 11:30: the 11:00 hour began under the first.
    clock.set(at("2026-03-02T11:30"))
    await run.link(run.campaign_of(ad), second["id"])
    await run.spend(ad, at("2026-03-02T12:00"), 8 * M)
    clock.set(at("2026-03-02T13:00"))
    read_first, read_second = await run.read(first), await run.read(second)
    assert read_first["applied_ad_spending"] == usd(6 * M)
    assert read_first["campaign_count"] == 0
    assert read_second["applied_ad_spending"] == usd(8 * M)
    assert read_second["campaign_count"] == 1
    # Taken out of every cap at 13:00: later spend counts nowhere.
    await run.link(run.campaign_of(ad), None)
    await run.spend(ad, at("2026-03-02T13:00"), 16 * M)
    clock.set(at("2026-03-02T14:00"))
    assert (await run.read(second))["applied_ad_spending"] == usd(8 * M)
    assert (await run.read(second))["campaign_count"] == 0


async def test_linking_refuses_a_foreign_cap_another_currency_and_one_cap_too_many(
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
    monkeypatch: Any,
) -> None:
    run = caps(client, engine, clock)
    theirs = await caps(other_client, engine, clock).create()
    euros = await run.create(currency="EUR")
    ours = await run.create()
    first = await build_tree(client)
    second = await build_tree(client)

    with pytest.raises(NotFound) as not_found:
        await run.link(first.campaign["id"], theirs["id"])
    assert not_found.value.param == "spend_cap_id"
    with pytest.raises(InvalidRequest) as mismatch:
        await run.link(first.campaign["id"], euros["id"])
    assert (mismatch.value.code, mismatch.value.param) == (
        "spend_cap_currency_mismatch",
        "spend_cap_id",
    )
    monkeypatch.setattr(service, "MAX_CAMPAIGNS_PER_SPEND_CAP", 1)
    await run.link(first.campaign["id"], ours["id"])
    await run.link(first.campaign["id"], ours["id"])  # already under it: nothing to do
    with pytest.raises(InvalidRequest) as full:
        await run.link(second.campaign["id"], ours["id"])
    assert (full.value.code, full.value.param) == (
        "max_campaigns_count_per_spend_cap_reached",
        "spend_cap_id",
    )
    assert (await run.read(ours))["campaign_count"] == 1
    assert (await run.read(euros))["campaign_count"] == 0
    assert (await caps(other_client, engine, clock).read(theirs))["campaign_count"] == 0
