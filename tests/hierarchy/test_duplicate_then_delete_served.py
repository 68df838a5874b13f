"""Deleting a copy while its duplication is being finished, on a served Adline: the
finish (a background task after the duplicate's answer) and the delete lock the copy's
campaign row first, so neither deadlocks the other on PostgreSQL (it did: the finish
updated groups before the campaign, the delete the campaign before its groups)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from tests.test_readme_tour import demo_server, server_log

FLOWS, ROUNDS = 6, 10


async def _duplicate_and_delete(client: httpx.AsyncClient, number: int) -> list[str]:
    """A campaign with three ad groups, two copies of it, then the first copy deleted at
    once, then the campaign: what answered 5xx."""
    campaign = await client.post(
        "/ad_campaigns",
        json={
            "title": f"Race {number}",
            "platform": "meta",
            "objective": "sales",
            "budget_amount": 25,
            "budget_type": "daily",
            "budget_optimization": "ad_campaign",
        },
    )
    campaign_id = campaign.json()["id"]
    for group in range(3):
        made = await client.post(
            "/ad_groups",
            json={
                "ad_campaign_id": campaign_id,
                "title": f"Group {group}",
                "optimization_goal": "link_clicks",
                "regions": {"include": {"countries": ["US"]}},
            },
        )
        assert made.status_code == 200, made.text
    failures = []
    copies = await client.post(f"/ad_campaigns/{campaign_id}/duplicate", json={"count": 2})
    if copies.status_code >= 500:
        return [f"duplicate {copies.status_code}"]
    copy_id = copies.json()["data"][0]["id"]
    for path in (f"/ad_campaigns/{copy_id}", f"/ad_campaigns/{campaign_id}"):
        deleted = await client.delete(path)
        if deleted.status_code != 200:
            failures.append(f"DELETE {path} {deleted.status_code}")
    return failures


def test_copies_deleted_while_being_finished_answer_200(tmp_path: Path) -> None:
    async def flows(url: str, key: str) -> list[Any]:
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(
            base_url=f"{url}/api/v1", headers=headers, timeout=60
        ) as client:
            failures: list[Any] = []
            for round_ in range(ROUNDS):
                done = await asyncio.gather(
                    *(_duplicate_and_delete(client, round_ * FLOWS + i) for i in range(FLOWS)),
                    return_exceptions=True,
                )
                failures += [item for item in done if item]
            return failures

    with demo_server(tmp_path) as (url, key):
        failures = asyncio.run(flows(url, key))
    assert failures == [], f"{failures[:3]}\n--- server:\n{server_log(tmp_path)}"
