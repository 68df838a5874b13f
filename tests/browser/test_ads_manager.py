"""The ads manager in a real browser (docs/web.md), against a real `adline serve --demo`:
sign-in (by keyboard too), the campaigns table's numbers against the API's, sorting,
paging and search, pausing a campaign, a spend cap's CSV, and stepping the demo network
from its page. Every page is screenshotted at 375 px and 1440 px (test-artifacts/)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from adline.core.timestamps import parse_timestamp
from tests.browser.conftest import BrowserErrors, Server, screenshot, sign_in
from tests.campaigns.payloads import abo_campaign
from tests.files.helpers import upload_file_sync
from tests.hierarchy.builders import ad_body, group_body
from tests.spend_caps.payloads import cap_body

# The campaigns table's metric columns (the page contract): name in the page -> the key of
# the API's campaign object whose value `data-value` carries.
METRICS = {
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
CAMPAIGNS = 23
LAUNCHED = 21
CAPPED = 3


@dataclass(frozen=True)
class Data:
    campaign_ids: list[str]
    titles: dict[str, str]
    cap_id: str


def raw(value: Any) -> str:
    """What `data-value` holds for an API value: its `str()`, empty for null."""
    return "" if value is None else str(value)


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 202), response.text
    body: dict[str, Any] = response.json()
    return body


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def demo_status(server: Server) -> dict[str, Any]:
    with server.api() as api:
        status: dict[str, Any] = ok(api.get("/demo"))["demo"]
    return status


def step_through_api(server: Server, hours: int) -> None:
    with server.api() as api:
        ok(api.post("/demo/step", json={"hours": hours}))
    wait_for(lambda: demo_status(server)["progress"] is None, f"a {hours} h step")


@pytest.fixture(scope="module")
def data(server: Server) -> Data:
    """23 campaigns, each with an ad group and an ad; 21 launched, the first 3 under a
    spend cap; then a simulated day, so there is spend to show."""
    api_url = f"{server.url}/api/v1"
    creative = upload_file_sync(api_url, server.api_key)
    today = parse_timestamp(demo_status(server)["now"]).date()
    ids: list[str] = []
    titles: dict[str, str] = {}
    with server.api() as api:
        cap = ok(
            api.post(
                "/spend_caps",
                json=cap_body(
                    amount_micro="5000000000",
                    start=f"{today - timedelta(days=1)}T00:00:00Z",
                    end=None,
                    title="Browser cap",
                ),
            )
        )["spend_cap"]
        for number in range(1, CAMPAIGNS + 1):
            title = f"Campaign {number:02d}"
            campaign = ok(api.post("/ad_campaigns", json=abo_campaign(title=title)))
            group = ok(api.post("/ad_groups", json=group_body(campaign["id"])))
            ok(api.post("/ads", json=ad_body(group["id"], creative)))
            change: dict[str, Any] = {}
            if number <= CAPPED:
                change["spend_cap_id"] = cap["id"]
            if number <= LAUNCHED:
                change["status"] = "active"
            if change:
                ok(api.patch(f"/ad_campaigns/{campaign['id']}", json=change))
            ids.append(campaign["id"])
            titles[campaign["id"]] = title
    step_through_api(server, 24)
    return Data(ids, titles, cap["id"])


def api_campaign(server: Server, campaign_id: str, **window: str) -> dict[str, Any]:
    with server.api() as api:
        return ok(api.get(f"/ad_campaigns/{campaign_id}", params=window))


def total_spend(server: Server, data: Data) -> float:
    return sum(float(api_campaign(server, cid)["spend"]) for cid in data.campaign_ids)


def table(page: Any) -> dict[str, dict[str, str]]:
    """The campaigns table: id -> metric name -> data-value."""
    rows = page.locator('[data-testid="campaigns-table"] tr[data-testid="campaign-row"]')
    found: dict[str, dict[str, str]] = {}
    for row in rows.all():
        cells = row.locator("td[data-metric]")
        found[row.get_attribute("data-campaign-id")] = {
            cell.get_attribute("data-metric"): cell.get_attribute("data-value") or ""
            for cell in cells.all()
        }
    return found


class TestSignIn:
    def test_by_keyboard(self, page: Any, server: Server) -> None:
        page.goto("/sign-in")
        screenshot(page, "sign-in")
        for _ in range(30):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement && document.activeElement.id") == "api_key":
                break
        else:
            pytest.fail("Tab never reached the API key field")
        page.keyboard.type(server.api_key)
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: "/sign-in" not in url)
        nav = page.get_by_role("navigation", name="Main")
        for name in ("Campaigns", "Spend caps", "Demo"):
            assert nav.get_by_role("link", name=name).is_visible()
        assert page.get_by_role("button", name="Sign out").is_visible()

    def test_a_bad_key_is_refused(
        self, page: Any, server: Server, browser_errors: BrowserErrors
    ) -> None:
        browser_errors.allow("401")  # Chromium logs the refused POST's status
        page.goto("/sign-in")
        page.get_by_label("API key").fill("adl_sk_not_a_real_key")
        with page.expect_response(
            lambda r: r.url.endswith("/sign-in") and r.request.method == "POST"
        ) as answer:
            page.get_by_role("button", name="Sign in").click()
        assert answer.value.status == 401
        assert page.get_by_role("alert").is_visible()

    def test_sign_out(self, page: Any, server: Server) -> None:
        sign_in(page, server)
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(lambda url: "/sign-in" in url)
        page.goto("/campaigns")
        assert "/sign-in" in page.url


class TestCampaigns:
    def test_every_number_equals_the_apis(self, page: Any, server: Server, data: Data) -> None:
        sign_in(page, server)
        today = parse_timestamp(demo_status(server)["now"]).date()
        window = {"from": str(today - timedelta(days=2)), "to": str(today)}
        api_window = {"stats_from": window["from"], "stats_to": window["to"]}

        def from_api() -> dict[str, dict[str, str]]:
            return {
                cid: {name: raw(body[key]) for name, key in METRICS.items()}
                for cid in data.campaign_ids
                for body in [api_campaign(server, cid, **api_window)]
            }

        # The server's own passes run in real time: compare a page read between two
        # identical API reads (the numbers did not move meanwhile).
        for _ in range(5):
            before = from_api()
            page.goto(f"/campaigns?from={window['from']}&to={window['to']}&per_page=100")
            shown = table(page)
            if before == from_api():
                break
        assert set(shown) == set(data.campaign_ids)
        assert shown == before
        assert any(float(row["spend"]) > 0 for row in shown.values())
        screenshot(page, "campaigns")

    def test_sort_page_and_search(self, page: Any, server: Server, data: Data) -> None:
        sign_in(page, server)
        page.goto("/campaigns?per_page=10")
        first = list(table(page))
        assert len(first) == 10
        assert page.locator("a[rel=prev]").count() == 0
        page.locator("a[rel=next]").click()
        second = list(table(page))
        assert len(second) == 10 and not set(first) & set(second)
        assert page.locator("a[rel=prev]").is_visible()
        page.locator("a[rel=next]").click()
        third = list(table(page))
        assert len(third) == CAMPAIGNS - 20
        assert set(first) | set(second) | set(third) == set(data.campaign_ids)
        assert page.locator("a[rel=next]").count() == 0
        page.locator("a[rel=prev]").click()
        assert list(table(page)) == second

        for _ in range(2):  # descending, then ascending
            page.locator("a[data-sort=spend]").click()
            page.wait_for_load_state()
            order = "asc" if "order=asc" in page.url else "desc"
            spends = [float(row["spend"]) for row in table(page).values()]
            assert spends == sorted(spends, reverse=order == "desc"), (order, spends)
        page.locator("a[data-sort=title]").click()
        page.wait_for_load_state()
        titles = [data.titles[cid] for cid in table(page)]
        order = "asc" if "order=asc" in page.url else "desc"
        assert titles == sorted(titles, reverse=order == "desc")

        search = page.locator("input[type=search][name=q]")
        search.fill("Campaign 07")
        search.press("Enter")
        page.wait_for_url(lambda url: "q=Campaign" in url)
        assert [data.titles[cid] for cid in table(page)] == ["Campaign 07"]

    def test_a_campaign_paused_and_unpaused(self, page: Any, server: Server, data: Data) -> None:
        sign_in(page, server)
        campaign_id = data.campaign_ids[CAPPED]  # launched, not capped
        page.goto(f"/campaigns/{campaign_id}")
        api = api_campaign(server, campaign_id)
        assert page.locator("h1").inner_text().strip() == api["title"]
        status = page.locator("[data-testid=campaign-status]")
        assert status.inner_text().strip() == api["status"] == "active"
        assert page.locator("svg[data-testid=spend-chart]").is_visible()
        for part in ("ad-groups", "ads", "issues"):
            assert page.locator(f"[data-testid={part}]").count() == 1
        shown_spend = float(
            page.locator("[data-testid=campaign-spend]").get_attribute("data-value")
        )
        assert 0 < shown_spend <= api_campaign(server, campaign_id)["spend"]
        screenshot(page, "campaign")

        page.get_by_role("button", name="Pause").click()
        page.wait_for_function(
            "document.querySelector('[data-testid=campaign-status]').textContent.trim() == 'paused'"
        )
        assert api_campaign(server, campaign_id)["status"] == "paused"
        page.get_by_role("button", name="Unpause").click()
        page.wait_for_function(
            "document.querySelector('[data-testid=campaign-status]').textContent.trim() == 'active'"
        )
        assert api_campaign(server, campaign_id)["status"] == "active"


class TestSpendCaps:
    def test_the_cap_page_and_its_csv(self, page: Any, server: Server, data: Data) -> None:
        sign_in(page, server)
        page.goto("/spend_caps")
        screenshot(page, "spend-caps")
        page.goto(f"/spend_caps/{data.cap_id}")
        bar = page.locator("[data-testid=cap-bar]")
        assert bar.get_attribute("role") == "progressbar"
        screenshot(page, "spend-cap")

        link = page.get_by_role("link", name="Download CSV")
        # The same days as the page's link asks for.
        window = dict(parse_qsl(urlsplit(link.get_attribute("href") or "").query))

        def from_api() -> bytes:
            with server.api() as api:
                answer = api.get(
                    f"/spend_caps/{data.cap_id}/daily_summary",
                    params=window,
                    headers={"Accept": "text/csv"},
                )
            assert answer.status_code == 200, answer.text
            return answer.content

        for _ in range(5):
            before = from_api()
            with page.expect_download() as download:
                link.click()
            path = download.value.path()
            assert path is not None
            with open(path, "rb") as file:
                downloaded = file.read()
            if before == from_api():
                break
        assert downloaded == before
        assert downloaded.count(b"\n") >= 2  # a header and a day at least


class TestDemo:
    def test_stepping_from_the_page_makes_spend_grow(
        self, page: Any, server: Server, data: Data
    ) -> None:
        sign_in(page, server)
        campaign_id = data.campaign_ids[CAPPED]
        spent = total_spend(server, data)
        page.goto(f"/campaigns/{campaign_id}")
        shown_before = float(
            page.locator("[data-testid=campaign-spend]").get_attribute("data-value")
        )

        page.goto("/demo")
        now = page.locator("[data-testid=demo-now]")
        before = parse_timestamp(now.get_attribute("datetime") or now.inner_text())
        assert page.locator("progress[data-testid=demo-progress]").count() == 1
        screenshot(page, "demo")
        page.get_by_role("button", name="Step one day").click()
        wait_for(lambda: demo_status(server)["progress"] is None, "the page's step")
        page.goto("/demo")
        after = parse_timestamp(now.get_attribute("datetime") or now.inner_text())
        assert after - before >= timedelta(hours=24)
        assert total_spend(server, data) > spent

        page.goto(f"/campaigns/{campaign_id}")
        shown_after = float(
            page.locator("[data-testid=campaign-spend]").get_attribute("data-value")
        )
        assert shown_after > shown_before

    def test_run_and_stop_from_the_page(self, page: Any, server: Server) -> None:
        sign_in(page, server)
        page.goto("/demo")
        before = parse_timestamp(demo_status(server)["now"])
        speed = page.locator("select#speed")
        speed.select_option(index=1)
        page.get_by_role("button", name="Run").click()
        wait_for(lambda: demo_status(server)["running_speed"] is not None, "the run")
        wait_for(
            lambda: parse_timestamp(demo_status(server)["now"]) - before >= timedelta(hours=2),
            "the run to move time",
            timeout=60,
        )
        page.goto("/demo")
        page.get_by_role("button", name="Stop").click()
        wait_for(lambda: demo_status(server)["running_speed"] is None, "the stop")


def test_today_is_the_demo_clocks(server: Server) -> None:
    """The server's clock is the demo clock: what it stamps is on the simulated time."""
    step_through_api(server, 1)
    now = parse_timestamp(demo_status(server)["now"])
    with server.api() as api:
        created = ok(api.post("/ad_campaigns", json=abo_campaign(title="Stamped")))
    assert parse_timestamp(created["created_at"]) >= now
    assert now.date() >= date.today()
