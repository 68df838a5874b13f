"""The campaign state machine, transition by transition, through the HTTP API.

Campaigns reach `active`, `paused` and `payment_failed` here by writing the status
directly: launching needs ad groups and ads (next issue) and payment failures come from
billing.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.campaigns.models import AdCampaign
from adline.campaigns.state_machine import (
    AD,
    AD_GROUP,
    CAMPAIGN,
    DELETED,
    LIFECYCLES,
    SAME,
    Refusal,
)
from adline.core.db import create_sessionmaker
from adline.core.errors import Conflict
from tests.campaigns.payloads import cbo_campaign
from tests.conftest import repo_root
from tests.helpers import assert_error

ACTION_REQUESTS = {
    "pause": ("POST", "/ad_campaigns/{id}/pause", None),
    "unpause": ("POST", "/ad_campaigns/{id}/unpause", None),
    "launch": ("PATCH", "/ad_campaigns/{id}", {"status": "active"}),
    "delete": ("DELETE", "/ad_campaigns/{id}", None),
}


async def campaign_in(client: httpx.AsyncClient, engine: AsyncEngine, status: str) -> dict:
    created = (await client.post("/ad_campaigns", json=cbo_campaign())).json()
    if status != "draft":
        async with create_sessionmaker(engine)() as session, session.begin():
            await session.execute(
                update(AdCampaign).where(AdCampaign.id == created["id"]).values(status=status)
            )
    return created


# Launching a draft also needs ad groups and ads; without them it answers 400 (tested in
# test_update.py), so the draft->launch row is checked at the state-machine level only.
TRANSITIONS = CAMPAIGN.transitions
HTTP_CASES = [key for key in TRANSITIONS if key != ("draft", "launch") and key[0] != "duplicating"]


@pytest.mark.parametrize(("status", "action"), HTTP_CASES, ids=[f"{s}-{a}" for s, a in HTTP_CASES])
async def test_transition(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock,
    status: str,
    action: str,  # type: ignore[no-untyped-def]
) -> None:
    campaign = await campaign_in(client, engine, status)
    before = (await client.get(f"/ad_campaigns/{campaign['id']}")).json()
    clock.advance(timedelta(minutes=1))
    method, path, body = ACTION_REQUESTS[action]
    response = await client.request(method, path.format(id=campaign["id"]), json=body)
    outcome = TRANSITIONS[(status, action)]
    after = await client.get(f"/ad_campaigns/{campaign['id']}")

    if isinstance(outcome, Refusal):
        error = assert_error(response, 409, "invalid_state", None)
        assert error["type"] == "conflict"
        assert status in error["message"]
        assert after.json() == before
    elif outcome == DELETED:
        assert response.status_code == 200
        assert response.json() == {"id": campaign["id"], "deleted": True}
        assert_error(after, 404, "resource_not_found", "id")
        again = await client.request(method, path.format(id=campaign["id"]), json=body)
        assert_error(again, 404, "resource_not_found", "id")
    elif outcome == SAME:
        assert response.status_code == 200
        assert response.json()["status"] == status
        assert response.json()["updated_at"] == before["updated_at"]  # a no-op changes nothing
    else:
        assert response.status_code == 200
        assert response.json()["status"] == outcome
        assert after.json()["status"] == outcome
        assert after.json()["updated_at"] == "2026-03-02T09:01:00.000000Z"


def test_draft_launch_goes_active_in_the_table() -> None:
    assert CAMPAIGN.next_status("draft", "launch") == "active"


def test_unknown_pair_is_a_conflict() -> None:
    with pytest.raises(Conflict):
        CAMPAIGN.next_status("archived", "pause")


@pytest.mark.parametrize(
    ("lifecycle", "statuses", "actions"),
    [
        (
            CAMPAIGN,
            {"draft", "active", "paused", "payment_failed", "duplicating"},
            {"launch", "pause", "unpause", "delete"},
        ),
        (AD_GROUP, {"active", "paused", "rejected", "duplicating"}, {"pause", "unpause", "delete"}),
        (
            AD,
            {"active", "paused", "in_review", "rejected", "duplicating"},
            {"pause", "unpause", "delete"},
        ),
    ],
)
def test_every_status_and_action_is_in_the_table(lifecycle, statuses, actions) -> None:  # type: ignore[no-untyped-def]
    assert set(lifecycle.transitions) == {(s, a) for s in statuses for a in actions}


def test_doc_tables_match_the_code() -> None:
    doc = (repo_root() / "docs" / "campaign-states.md").read_text()
    for lifecycle in LIFECYCLES:
        for (status, action), outcome in lifecycle.transitions.items():
            if isinstance(outcome, Refusal):
                expected = "409"
            elif outcome == SAME:
                expected = "no-op"
            else:
                expected = outcome
            row = f"| {lifecycle.noun} | {status} | {action} | {expected} |"
            assert row in doc, row


async def test_budget_type_changes_only_while_draft(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    campaign = await campaign_in(client, engine, "paused")
    response = await client.patch(
        f"/ad_campaigns/{campaign['id']}",
        json={"budget_type": "lifetime", "budget_amount": 100, "ends_at": "2026-04-01T00:00:00Z"},
    )
    assert_error(response, 409, "invalid_state", None)
    response = await client.patch(
        f"/ad_campaigns/{campaign['id']}", json={"budget_optimization": "ad_group"}
    )
    assert_error(response, 409, "invalid_state", None)
    # The budget amount itself may change on a live campaign.
    assert (
        await client.patch(f"/ad_campaigns/{campaign['id']}", json={"budget_amount": 30})
    ).json()["budget_amount"] == 30
