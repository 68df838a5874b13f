"""The campaigns pages: every number is the API's for the same window, the table sorts,
pages and searches, and the detail page pauses, unpauses and duplicates through the
API's own services, showing only what the key's scopes allow."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.auth import scopes
from adline.core.clock import ManualClock
from tests.conftest import Tenant
from tests.hierarchy.builders import build_tree, ok
from tests.stats.helpers import hour, store
from tests.web.helpers import csrf_token, post_form, rows, signed_in
from tests.worker.test_worker import live_campaign

USD = 1_000_000
METRIC_KEYS = {
    "status": "status",
    "delivery_status": "delivery_status",
    "budget": "budget_amount",
    "spend": "spend",
    "impressions": "impressions",
    "ctr": "click_through_rate",
    "cpc": "cost_per_click",
    "cpm": "cost_per_mille",
    "results": "results",
    "roas": "return_on_ad_spend",
}
WINDOW = {"from": "2026-02-25", "to": "2026-03-02", "tz": "America/New_York"}
API_WINDOW = {"stats_from": "2026-02-25", "stats_to": "2026-03-02", "time_zone": WINDOW["tz"]}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


async def delivered(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
    title: str,
    spend: float,
    impressions: int,
    clicks: int,
    purchases: int = 0,
) -> str:
    """A campaign (one group, one ad) with stats in the window, through the stats service."""
    tree = await build_tree(client, title=title)
    await store(
        engine,
        clock,
        [
            hour(
                tree.ad["id"],
                utc(2026, 3, 1, 15),
                spend_micros=round(spend * USD * 0.6),
                impressions=impressions // 2,
                clicks=clicks // 2,
                event_counts={"purchase": purchases},
                event_value_micros={"purchase": purchases * 40 * USD},
            ),
            hour(
                tree.ad["id"],
                utc(2026, 3, 2, 3),
                spend_micros=round(spend * USD) - round(spend * USD * 0.6),
                impressions=impressions - impressions // 2,
                clicks=clicks - clicks // 2,
            ),
            # Outside the window: never counted.
            hour(tree.ad["id"], utc(2026, 2, 20, 12), spend_micros=99 * USD, impressions=7),
        ],
    )
    campaign_id: str = tree.campaign["id"]
    return campaign_id


async def api_campaigns(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    listed = await ok(await client.get("/ad_campaigns", params={**API_WINDOW, "first": 100}))
    return {body["id"]: body for body in listed["data"]}


class TestCampaignsTable:
    async def test_every_value_is_the_apis_for_the_same_window(
        self,
        browser: httpx.AsyncClient,
        client: httpx.AsyncClient,
        tenant: Tenant,
        engine: AsyncEngine,
        clock: ManualClock,
    ) -> None:
        ids = [
            await delivered(client, engine, clock, "Alpha", 12.345, 1001, 33, purchases=2),
            await delivered(client, engine, clock, "Bravo", 0.105, 3, 1),
            await delivered(client, engine, clock, "Charlie", 0, 0, 0),
        ]
        await signed_in(browser, tenant.key)
        page = await browser.get("/campaigns", params=WINDOW)
        assert page.status_code == 200
        assert 'data-testid="campaigns-table"' in page.text
        shown = rows(page.text)
        api = await api_campaigns(client)
        assert set(shown) == set(ids)
        for campaign_id in ids:
            expected = {
                name: "" if api[campaign_id][key] is None else str(api[campaign_id][key])
                for name, key in METRIC_KEYS.items()
            }
            assert shown[campaign_id] == expected
        # The numbers moved: the window holds spend, and the day outside it is left out.
        # 12.345 dollars of micros, rounded half-even to the cent as the API rounds; the day
        # outside the window is left out.
        assert shown[ids[0]]["spend"] == "12.34"
        assert shown[ids[0]]["impressions"] == "1001"
        assert ">$12.34<" in page.text
        assert '<a href="/campaigns/' + ids[0] in page.text

    async def test_the_default_window_is_the_last_seven_days(
        self,
        browser: httpx.AsyncClient,
        client: httpx.AsyncClient,
        tenant: Tenant,
        engine: AsyncEngine,
        clock: ManualClock,
    ) -> None:
        campaign_id = await delivered(client, engine, clock, "Week", 5, 100, 10)
        await signed_in(browser, tenant.key)
        page = await browser.get("/campaigns")
        assert 'name="from" type="date" value="2026-02-24"' in page.text
        assert 'name="to" type="date" value="2026-03-02"' in page.text
        body = await ok(
            await client.get(
                f"/ad_campaigns/{campaign_id}",
                params={"stats_from": "2026-02-24", "stats_to": "2026-03-02", "time_zone": "UTC"},
            )
        )
        assert rows(page.text)[campaign_id]["spend"] == str(body["spend"])

    async def test_sorts_by_a_column_both_ways(
        self,
        browser: httpx.AsyncClient,
        client: httpx.AsyncClient,
        tenant: Tenant,
        engine: AsyncEngine,
        clock: ManualClock,
    ) -> None:
        low = await delivered(client, engine, clock, "Low", 1, 10, 1)
        high = await delivered(client, engine, clock, "High", 30, 10, 1)
        mid = await delivered(client, engine, clock, "Mid", 7, 10, 1)
        await signed_in(browser, tenant.key)
        down = await browser.get("/campaigns", params={**WINDOW, "sort": "spend", "order": "desc"})
        assert list(rows(down.text)) == [high, mid, low]
        up = await browser.get("/campaigns", params={**WINDOW, "sort": "spend", "order": "asc"})
        assert list(rows(up.text)) == [low, mid, high]
        by_title = await browser.get(
            "/campaigns", params={**WINDOW, "sort": "title", "order": "asc"}
        )
        assert list(rows(by_title.text)) == [high, low, mid]
        # The header links: the sorted column's flips the order, and keeps the window.
        link = re.search(r'<a data-sort="spend" href="([^"]+)"', down.text)
        assert link is not None
        assert "order=asc" in link.group(1) and "tz=America%2FNew_York" in link.group(1)

    async def test_pages_and_searches(
        self,
        browser: httpx.AsyncClient,
        client: httpx.AsyncClient,
        tenant: Tenant,
    ) -> None:
        made = []
        for index in range(5):
            created = await ok(
                await client.post(
                    "/ad_campaigns",
                    json={"title": f"Spring {index}", "objective": "sales", "platform": "meta"},
                )
            )
            made.append(created["id"])
        other = await ok(
            await client.post(
                "/ad_campaigns", json={"title": "Autumn", "objective": "sales", "platform": "meta"}
            )
        )
        await signed_in(browser, tenant.key)
        first = await browser.get(
            "/campaigns", params={"per_page": "2", "sort": "title", "order": "asc"}
        )
        assert list(rows(first.text)) == [other["id"], made[0]]
        assert 'rel="prev"' not in first.text
        next_link = re.search(r'<a rel="next" href="([^"]+)">Next</a>', first.text)
        assert next_link is not None
        second = await browser.get(next_link.group(1).replace("&amp;", "&"))
        assert list(rows(second.text)) == made[1:3]
        assert '<a rel="prev"' in second.text
        last = await browser.get(
            "/campaigns", params={"per_page": "2", "sort": "title", "order": "asc", "page": "3"}
        )
        assert list(rows(last.text)) == made[3:5] and 'rel="next"' not in last.text

        found = await browser.get("/campaigns", params={"q": "Autumn"})
        assert list(rows(found.text)) == [other["id"]]
        assert '<input id="q" type="search" name="q" aria-label="Search campaigns"' in found.text
        none = await browser.get("/campaigns", params={"q": "Winter"})
        assert rows(none.text) == {}

    async def test_a_bad_time_zone_is_a_400_page(
        self, browser: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        await signed_in(browser, tenant.key)
        page = await browser.get("/campaigns", params={"tz": "Mars/Olympus"})
        assert page.status_code == 400 and "not an IANA time zone" in page.text


class TestCampaignPage:
    async def test_shows_the_campaign_with_its_tree_chart_and_spend(
        self,
        browser: httpx.AsyncClient,
        client: httpx.AsyncClient,
        tenant: Tenant,
        engine: AsyncEngine,
        clock: ManualClock,
    ) -> None:
        campaign_id = await delivered(client, engine, clock, "Detail", 4.5, 200, 8)
        await signed_in(browser, tenant.key)
        page = (await browser.get(f"/campaigns/{campaign_id}", params=WINDOW)).text
        api = await ok(await client.get(f"/ad_campaigns/{campaign_id}", params=API_WINDOW))
        assert "<h1>Detail</h1>" in page
        assert f'data-testid="campaign-status">{api["status"]}<' in page
        assert f'data-testid="campaign-spend" data-value="{api["spend"]}"' in page
        assert '<svg data-testid="spend-chart" role="img" aria-label="Spend per day' in page
        # Six days, one bar each (the day the stats fell on is not empty).
        assert page.count('<rect class="bar"') == 6
        for container in ("ad-groups", "ads", "issues"):
            assert f'data-testid="{container}"' in page
        assert "Prospecting" in page and "Spring sale" in page

    async def test_a_two_day_window_is_charted_per_hour(
        self,
        browser: httpx.AsyncClient,
        client: httpx.AsyncClient,
        tenant: Tenant,
        engine: AsyncEngine,
        clock: ManualClock,
    ) -> None:
        campaign_id = await delivered(client, engine, clock, "Hours", 2, 20, 2)
        await signed_in(browser, tenant.key)
        params = {"from": "2026-03-01", "to": "2026-03-02", "tz": "UTC"}
        page = (await browser.get(f"/campaigns/{campaign_id}", params=params)).text
        assert 'aria-label="Spend per hour' in page and page.count('<rect class="bar"') == 48
        daily = await browser.get(
            f"/campaigns/{campaign_id}", params={**params, "granularity": "day"}
        )
        assert daily.text.count('<rect class="bar"') == 2

    async def test_another_companys_campaign_is_a_404_page(
        self,
        browser: httpx.AsyncClient,
        other_client: httpx.AsyncClient,
        tenant: Tenant,
    ) -> None:
        theirs = await ok(
            await other_client.post(
                "/ad_campaigns", json={"title": "Theirs", "objective": "sales", "platform": "meta"}
            )
        )
        await signed_in(browser, tenant.key)
        page = await browser.get(f"/campaigns/{theirs['id']}")
        assert page.status_code == 404 and "Theirs" not in page.text
        assert (await browser.get("/campaigns/adcamp_doesnotexist")).status_code == 404
        for action in ("pause", "unpause", "duplicate"):
            refused = await post_form(browser, "/campaigns", f"/campaigns/{theirs['id']}/{action}")
            assert refused.status_code == 404, action
        # The duplicate poll answers 200 for any id (a 404 would log a console error on the
        # page): another company's campaign reads as gone, as a missing one does.
        polled = await browser.get(f"/campaigns/{theirs['id']}/status.json")
        assert polled.json() == {"id": theirs["id"], "status": None, "done": True, "gone": True}
        # Nothing of theirs changed, and no copy was made.
        after = await ok(await other_client.get(f"/ad_campaigns/{theirs['id']}"))
        assert (after["status"], after["updated_at"]) == (theirs["status"], theirs["updated_at"])
        listed = await ok(await other_client.get("/ad_campaigns"))
        assert [c["id"] for c in listed["data"]] == [theirs["id"]]

    async def test_pause_and_unpause_change_the_apis_status(
        self, browser: httpx.AsyncClient, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        campaign, _, _ = await live_campaign(client)
        path = f"/campaigns/{campaign['id']}"
        await signed_in(browser, tenant.key)
        page = (await browser.get(path)).text
        assert '<button type="submit">Pause</button>' in page
        assert '<button type="submit">Unpause</button>' not in page
        answer = await post_form(browser, path, f"{path}/pause")
        assert answer.status_code == 303 and answer.headers["location"] == path
        assert (await ok(await client.get(f"/ad_campaigns/{campaign['id']}")))["status"] == "paused"
        page = (await browser.get(path)).text
        assert 'data-testid="campaign-status">paused<' in page
        assert '<button type="submit">Unpause</button>' in page
        await post_form(browser, path, f"{path}/unpause")
        assert (await ok(await client.get(f"/ad_campaigns/{campaign['id']}")))["status"] == "active"

    async def test_posts_without_the_token_or_from_another_site_change_nothing(
        self, browser: httpx.AsyncClient, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        campaign, _, _ = await live_campaign(client)
        path = f"/campaigns/{campaign['id']}"
        await signed_in(browser, tenant.key)
        token = csrf_token((await browser.get(path)).text)
        attempts: list[tuple[dict[str, str], dict[str, str]]] = [
            ({}, {}),
            ({"csrf_token": "not-the-token"}, {}),
            ({"csrf_token": token}, {"Origin": "https://evil.example"}),
            ({"csrf_token": token}, {"Origin": "null"}),
            ({"csrf_token": token}, {"Sec-Fetch-Site": "cross-site"}),
            ({"csrf_token": token}, {"Referer": "https://evil.example/page"}),
        ]
        for data, headers in attempts:
            answer = await browser.post(f"{path}/pause", data=data, headers=headers)
            assert answer.status_code == 403, (data, headers)
        assert (await ok(await client.get(f"/ad_campaigns/{campaign['id']}")))["status"] == "active"
        # Another session's token is no good either.
        async with httpx.AsyncClient(
            transport=browser._transport, base_url="http://adline.test"
        ) as second:
            await signed_in(second, tenant.key)
            other_token = csrf_token((await second.get(path)).text)
        assert other_token != token
        answer = await browser.post(f"{path}/pause", data={"csrf_token": other_token})
        assert answer.status_code == 403
        assert (await ok(await client.get(f"/ad_campaigns/{campaign['id']}")))["status"] == "active"

    async def test_duplicate_makes_a_copy_whose_progress_shows(
        self, browser: httpx.AsyncClient, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        campaign, _, _ = await live_campaign(client)
        path = f"/campaigns/{campaign['id']}"
        await signed_in(browser, tenant.key)
        answer = await post_form(browser, path, f"{path}/duplicate")
        assert answer.status_code == 303
        location = answer.headers["location"]
        assert location.startswith(f"{path}?duplicate=adcamp_")
        copy_id = location.split("=", 1)[1]
        status = await browser.get(f"/campaigns/{copy_id}/status.json")
        assert status.json() == {"id": copy_id, "status": "draft", "done": True}
        page = (await browser.get(location)).text
        assert 'data-testid="duplicate-status"' in page and "is ready (draft)" in page
        copy = await ok(await client.get(f"/ad_campaigns/{copy_id}"))
        assert copy["title"] == campaign["title"] and copy["status"] == "draft"


class TestScopes:
    async def test_a_read_only_key_sees_no_buttons_and_no_spend_caps(
        self,
        browser: httpx.AsyncClient,
        client: httpx.AsyncClient,
        tenant: Tenant,
        make_key: Any,
    ) -> None:
        campaign, _, _ = await live_campaign(client)
        path = f"/campaigns/{campaign['id']}"
        key = await make_key(tenant, [scopes.AD_CAMPAIGN_BASIC_READ])
        await signed_in(browser, key)
        listing = (await browser.get("/campaigns")).text
        assert ">Campaigns</a>" in listing and ">Spend caps</a>" not in listing
        page = (await browser.get(path)).text
        for button in ("Pause", "Unpause", "Duplicate"):
            assert f'<button type="submit">{button}</button>' not in page
        assert 'data-testid="spend-chart"' not in page  # no stats scope: no time series
        assert (await browser.get("/spend_caps")).status_code == 403
        token = csrf_token(page)
        answer = await browser.post(f"{path}/pause", data={"csrf_token": token})
        assert answer.status_code == 403
        assert (await ok(await client.get(f"/ad_campaigns/{campaign['id']}")))["status"] == "active"

    async def test_a_key_without_campaign_read_gets_a_403_page(
        self, browser: httpx.AsyncClient, tenant: Tenant, make_key: Any
    ) -> None:
        key = await make_key(tenant, [scopes.SPEND_CAP_READ])
        await signed_in(browser, key)
        page = await browser.get("/campaigns")
        assert page.status_code == 403 and "ad_campaign:basic:read" in page.text
        assert ">Spend caps</a>" in page.text
        assert (await browser.get("/spend_caps")).status_code == 200
