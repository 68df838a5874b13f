"""The spend caps pages: applied against amount, status and reason, linked campaigns, and
the daily summary whose CSV is byte for byte the API's."""

from __future__ import annotations

import re
from datetime import datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.clock import ManualClock
from tests.conftest import Tenant
from tests.hierarchy.builders import ok
from tests.spend_caps.test_daily_summary import cap_with_campaigns, spend, utc
from tests.web.helpers import signed_in


async def test_a_cap_shows_applied_of_amount_and_its_campaigns(
    browser: httpx.AsyncClient,
    client: httpx.AsyncClient,
    tenant: Tenant,
    engine: AsyncEngine,
    clock: ManualClock,
) -> None:
    setup = await cap_with_campaigns(client, engine, clock, amount_micro="100000000")
    await spend(
        engine,
        clock,
        (setup.ads[0], utc(2026, 3, 1, 10), 30),
        (setup.ads[1], utc(2026, 3, 2, 4), 12.5),
    )
    clock.set(utc(2026, 3, 2, 9))
    cap_id = setup.cap["id"]
    api = (await ok(await client.get(f"/spend_caps/{cap_id}")))["spend_cap"]
    await signed_in(browser, tenant.key)

    listing = await browser.get("/spend_caps")
    assert listing.status_code == 200 and f'href="/spend_caps/{cap_id}"' in listing.text
    page = await browser.get(f"/spend_caps/{cap_id}")
    assert page.status_code == 200
    bar = re.search(r'<div data-testid="cap-bar"[^>]*>', page.text)
    assert bar is not None
    assert 'role="progressbar"' in bar.group(0)
    assert 'aria-valuenow="42.5"' in bar.group(0) and 'aria-valuemax="100.0"' in bar.group(0)
    assert api["applied_ad_spending"]["amount_micro"] == "42500000"
    assert f'data-testid="cap-status">{api["status"]}<' in page.text
    for campaign_id in setup.campaigns:
        assert f'<a href="/campaigns/{campaign_id}">' in page.text
    assert "$42.50 applied of $100.00" in page.text
    assert ">Download CSV</a>" in page.text


async def test_the_csv_is_the_apis_bytes(
    browser: httpx.AsyncClient,
    client: httpx.AsyncClient,
    tenant: Tenant,
    engine: AsyncEngine,
    clock: ManualClock,
) -> None:
    setup = await cap_with_campaigns(client, engine, clock)
    await spend(
        engine,
        clock,
        (setup.ads[0], utc(2026, 3, 1, 10), 3.33),
        (setup.ads[1], utc(2026, 3, 2, 4), 1),
    )
    clock.set(utc(2026, 3, 3, 9))
    cap_id = setup.cap["id"]
    await signed_in(browser, tenant.key)
    for params in ({"from": "2026-02-28", "to": "2026-03-03"}, {}):
        page = await browser.get(f"/spend_caps/{cap_id}", params=params)
        link = re.search(r'<a href="([^"]+)" download>Download CSV</a>', page.text)
        assert link is not None
        href = link.group(1).replace("&amp;", "&")
        # Without days asked for, the page shows (and links) the last seven.
        asked = params or {"from": "2026-02-25", "to": "2026-03-03"}
        assert (
            href == f"/spend_caps/{cap_id}/daily_summary.csv?from={asked['from']}&to={asked['to']}"
        )
        ours = await browser.get(href)
        theirs = await client.get(
            f"/spend_caps/{cap_id}/daily_summary", params=asked, headers={"Accept": "text/csv"}
        )
        assert theirs.status_code == 200 and ours.status_code == 200
        assert ours.content == theirs.content
        assert ours.headers["content-type"] == theirs.headers["content-type"]
        assert "attachment" in ours.headers["content-disposition"]
        assert (
            ours.content.count(b"\n")
            == 1
            + (datetime.fromisoformat(asked["to"]) - datetime.fromisoformat(asked["from"])).days
            + 1
        )
    assert b"3330000" in ours.content or b"3.33" in ours.content


async def test_another_companys_cap_is_a_404_page(
    browser: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    tenant: Tenant,
    engine: AsyncEngine,
    clock: ManualClock,
) -> None:
    theirs = await cap_with_campaigns(other_client, engine, clock, campaigns=0)
    await signed_in(browser, tenant.key)
    page = await browser.get(f"/spend_caps/{theirs.cap['id']}")
    assert page.status_code == 404
    assert (
        await browser.get(
            f"/spend_caps/{theirs.cap['id']}/daily_summary.csv",
            params={"from": "2026-03-01", "to": "2026-03-02"},
        )
    ).status_code == 404
