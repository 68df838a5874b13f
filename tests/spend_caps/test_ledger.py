"""The ledger: how a cap's amount is split among its campaigns, and that two workers
allocating the same cap take turns (the second sees the first's grants)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.campaigns.models import AdCampaign
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.spend_caps.ledger import allocate, split
from adline.spend_caps.service import link_campaign
from tests.hierarchy.builders import launched_tree, ok
from tests.spend_caps.payloads import cap_body

HORIZON = timedelta(hours=2)


@given(
    available=st.integers(-10, 10**12),
    wants=st.dictionaries(st.text(min_size=1, max_size=3), st.integers(0, 10**12), max_size=6),
)
def test_a_split_never_gives_more_than_there_is_or_than_anyone_asks(
    available: int, wants: dict[str, int]
) -> None:
    shares = split(available, wants)
    assert set(shares) == set(wants)
    assert all(0 <= shares[key] <= wants[key] for key in wants)
    if sum(wants.values()) <= available:
        assert shares == wants
    else:
        # Everything there is goes out (unless nobody asks).
        assert sum(shares.values()) == max(available, 0)


def test_a_split_is_proportional_to_what_is_asked() -> None:
    assert split(90, {"a": 100, "b": 200, "c": 0}) == {"a": 30, "b": 60, "c": 0}
    assert split(10, {"a": 5, "b": 5, "c": 5}) in (
        {"a": 4, "b": 3, "c": 3},
        {"a": 3, "b": 4, "c": 3},
        {"a": 3, "b": 3, "c": 4},
    )


async def _capped_campaigns(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock, amount: str
) -> tuple[dict[str, Any], list[str]]:
    cap = (await ok(await client.post("/spend_caps", json=cap_body(amount))))["spend_cap"]
    ids = [(await launched_tree(client)).campaign["id"] for _ in range(2)]
    async with create_sessionmaker(engine)() as session, session.begin():
        for campaign_id in ids:
            campaign = await session.scalar(select(AdCampaign).where(AdCampaign.id == campaign_id))
            assert campaign is not None
            await link_campaign(session, clock, campaign, cap["id"], "usd")
    return cap, ids


async def test_a_second_allocation_waits_for_the_first_and_sees_its_grants(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    cap, ids = await _capped_campaigns(client, engine, clock, "1000000000")
    sessionmaker = create_sessionmaker(engine)

    async def second_worker() -> Any:
        async with sessionmaker() as session, session.begin():
            return await allocate(session, cap["id"], clock.now(), HORIZON * 2)

    async with sessionmaker() as session, session.begin():
        first = await allocate(session, cap["id"], clock.now(), HORIZON)
        assert first is not None and first.serving
        waiting = asyncio.create_task(second_worker())
        await asyncio.sleep(0.5)
        # The first still holds the cap's lock: the second has not read anything yet.
        assert not waiting.done()
    second = await waiting
    assert second is not None
    granted_first = {limit.campaign_id: limit.limit_micros for limit in first.limits}
    granted_second = {limit.campaign_id: limit.limit_micros for limit in second.limits}
    # It topped up from the first one's grants (a longer horizon asks for more).
    assert set(granted_second) == set(ids)
    assert all(granted_second[c] >= granted_first[c] > 0 for c in ids)
    assert second.committed_micros <= second.amount_micros


async def test_a_lowered_amount_holds_every_campaign_where_it_stands(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    cap, ids = await _capped_campaigns(client, engine, clock, "50000000")
    sessionmaker = create_sessionmaker(engine)
    async with sessionmaker() as session, session.begin():
        first = await allocate(session, cap["id"], clock.now(), HORIZON)
    assert first is not None and first.committed_micros > 1_000_000
    lowered = await ok(
        await client.patch(
            f"/spend_caps/{cap['id']}",
            json={
                "spend_cap": {
                    "updated_at": cap["updated_at"],
                    "budget": {"amount": {"currency": "USD", "amount_micro": "1000000"}},
                }
            },
        )
    )
    # Nothing is reported spent yet, so it is still ACTIVE, but over-committed.
    assert lowered["spend_cap"]["status"] == "ACTIVE"
    async with sessionmaker() as session, session.begin():
        after = await allocate(session, cap["id"], clock.now(), HORIZON)
    assert after is not None
    # What was committed stays committed (the network may have spent it already)...
    assert after.committed_micros == first.committed_micros
    # ...but every campaign is held at what it has reported: nothing more.
    assert {limit.campaign_id: limit.limit_micros for limit in after.limits} == dict.fromkeys(
        ids, 0
    )


async def test_a_fully_committed_cap_says_so_while_it_still_serves(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    cap, _ = await _capped_campaigns(client, engine, clock, "1000000")
    async with create_sessionmaker(engine)() as session, session.begin():
        allocation = await allocate(session, cap["id"], clock.now(), HORIZON)
    assert allocation is not None
    # Two campaigns with $10/day budgets ask for more than $1: all of it goes out.
    assert allocation.committed_micros == 1_000_000
    assert sum(limit.limit_micros for limit in allocation.limits) == 1_000_000
    read = (await ok(await client.get(f"/spend_caps/{cap['id']}")))["spend_cap"]
    assert read["status"] == "ACTIVE"
    assert read["status_reason"].startswith("All of this period's amount is committed")
