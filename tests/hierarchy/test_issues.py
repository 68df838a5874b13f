"""Platform issues: listed open and deduplicated, inherited upward, and rejection."""

from __future__ import annotations

from dataclasses import replace

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.db import create_sessionmaker
from adline.issues.service import IssueReport, report_issue, resolve_issue
from tests.hierarchy.builders import Tree, launched_tree, ok

REJECTION = IssueReport(
    resource_type="ad",
    resource_id="",
    severity="error",
    title="Ad rejected",
    message="The ad mentions personal attributes. Edit the primary text and resubmit.",
    category="policy_rejection",
    subtype="personal_attributes",
)
WARNING = IssueReport(
    resource_type="ad_group",
    resource_id="",
    severity="warning",
    title="Audience too narrow",
    message="Widen the regions or ages to reach more people.",
    category="audience_targeting",
)


async def report(engine: AsyncEngine, clock, tenant, tree: Tree, issue: IssueReport) -> str:  # type: ignore[no-untyped-def]
    async with create_sessionmaker(engine)() as session, session.begin():
        row = await report_issue(
            session,
            clock,
            company_id=tenant.company_id,
            ad_campaign_id=tree.campaign["id"],
            report=issue,
        )
        return row.id


async def test_a_policy_rejection_rejects_the_ad_and_shows_upward(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock,
    tenant,  # type: ignore[no-untyped-def]
) -> None:
    tree = await launched_tree(client)
    issue = replace(REJECTION, resource_id=tree.ad["id"])
    first = await report(engine, clock, tenant, tree, issue)
    # Reported twice: still one issue.
    assert await report(engine, clock, tenant, tree, issue) == first

    ad = await ok(await client.get(f"/ads/{tree.ad['id']}"))
    assert (ad["status"], ad["delivery_status"]) == ("rejected", "rejected")
    assert ad["issues"] == [
        {
            "id": first,
            "category": "error",
            "title": "Ad rejected",
            "message": issue.message,
            "resource_type": "ad",
            "resource_id": tree.ad["id"],
        }
    ]
    group = await ok(await client.get(f"/ad_groups/{tree.group['id']}"))
    campaign = await ok(await client.get(f"/ad_campaigns/{tree.campaign['id']}"))
    assert [i["id"] for i in group["issues"]] == [first]
    assert [i["id"] for i in campaign["issues"]] == [first]
    assert group["delivery_status"] == "all_ads_rejected"
    assert campaign["delivery_status"] == "all_ads_rejected"
    # A rejected ad cannot be resumed; editing it sends it back to review.
    assert (await client.post(f"/ads/{tree.ad['id']}/unpause")).status_code == 409
    edited = await ok(
        await client.patch(
            f"/ads/{tree.ad['id']}", json={"primary_texts": [{"text": "Spring deals"}]}
        )
    )
    assert (edited["status"], edited["issues"]) == ("active", [])


async def test_appeal_and_resolution(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock,
    tenant,  # type: ignore[no-untyped-def]
) -> None:
    tree = await launched_tree(client)
    issue_id = await report(
        engine, clock, tenant, tree, replace(REJECTION, resource_id=tree.ad["id"], in_appeal=True)
    )
    ad = await ok(await client.get(f"/ads/{tree.ad['id']}"))
    campaign = await ok(await client.get(f"/ad_campaigns/{tree.campaign['id']}"))
    assert ad["delivery_status"] == "in_appeal"
    assert campaign["delivery_status"] == "in_appeal"
    async with create_sessionmaker(engine)() as session, session.begin():
        await resolve_issue(session, clock, issue_id)
    ad = await ok(await client.get(f"/ads/{tree.ad['id']}"))
    assert (ad["status"], ad["delivery_status"], ad["issues"]) == ("active", "active", [])


async def test_warnings_are_listed_without_stopping_delivery(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock,
    tenant,  # type: ignore[no-untyped-def]
) -> None:
    tree = await launched_tree(client)
    await report(engine, clock, tenant, tree, replace(WARNING, resource_id=tree.group["id"]))
    group = await ok(await client.get(f"/ad_groups/{tree.group['id']}"))
    assert group["delivery_status"] == "active"
    assert [i["category"] for i in group["issues"]] == ["warning"]
    ad = await ok(await client.get(f"/ads/{tree.ad['id']}"))
    assert ad["issues"] == []  # the group's issue is not the ad's
    campaign = await ok(await client.get(f"/ad_campaigns/{tree.campaign['id']}"))
    assert [i["title"] for i in campaign["issues"]] == ["Audience too narrow"]


async def test_an_error_on_a_group_shows_as_issues(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock,
    tenant,  # type: ignore[no-untyped-def]
) -> None:
    tree = await launched_tree(client)
    await report(
        engine,
        clock,
        tenant,
        tree,
        replace(WARNING, resource_id=tree.group["id"], severity="error"),
    )
    group = await ok(await client.get(f"/ad_groups/{tree.group['id']}"))
    campaign = await ok(await client.get(f"/ad_campaigns/{tree.campaign['id']}"))
    assert (group["delivery_status"], campaign["delivery_status"]) == ("issues", "issues")
