"""The demo page over a stand-in for `adline.demo.control.DemoControl` (its interface)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from adline.auth import scopes
from adline.core.clock import ManualClock
from adline.core.errors import Conflict
from adline.demo.clock import DemoClock
from adline.web.session import LIFETIME
from tests.conftest import Tenant
from tests.web.helpers import csrf_token, post_form, signed_in


class FakeDemo:
    def __init__(self) -> None:
        self._now = datetime(2026, 3, 2, 9, tzinfo=UTC)
        self.progress: tuple[int, int] | None = None
        self.running_speed: float | None = None
        self.steps: list[int] = []

    def now(self) -> datetime:
        return self._now

    async def step(self, hours: int) -> None:
        if self.progress is not None:
            raise Conflict("A step is already running: wait for it to finish before you step.")
        self.steps.append(hours)
        for done in range(hours):
            self.progress = (done, hours)
            await asyncio.sleep(0)
            self._now += timedelta(hours=1)
        self.progress = None

    async def run(self, speed: float) -> None:
        self.running_speed = speed

    async def stop(self) -> None:
        self.running_speed = None


@pytest.fixture
def demo(app: FastAPI) -> Iterator[FakeDemo]:
    fake = FakeDemo()
    app.state.demo = fake
    yield fake
    app.state.demo = None


async def test_the_demo_page_steps_runs_and_stops(
    browser: httpx.AsyncClient, tenant: Tenant, demo: FakeDemo
) -> None:
    await signed_in(browser, tenant.key)
    page = (await browser.get("/demo")).text
    assert ">Demo</a>" in page
    assert '<time data-testid="demo-now" datetime="2026-03-02T09:00:00.000000Z">' in page
    for button in ("Step one hour", "Step one day", "Run", "Stop"):
        assert f'<button type="submit">{button}</button>' in page
    assert '<label for="speed">Speed</label>' in page and '<select id="speed" name="speed">' in page
    assert '<progress id="demo-progress" data-testid="demo-progress"' in page

    answer = await post_form(browser, "/demo", "/demo/step", hours="1")
    assert answer.status_code == 303 and answer.headers["location"] == "/demo"
    await post_form(browser, "/demo", "/demo/step", hours="24")
    assert demo.steps == [1, 24]
    assert 'datetime="2026-03-03T10:00:00.000000Z"' in (await browser.get("/demo")).text
    assert (await post_form(browser, "/demo", "/demo/step", hours="5")).status_code == 400
    assert demo.steps == [1, 24]

    await post_form(browser, "/demo", "/demo/run", speed="24.0")
    assert demo.running_speed == 24.0
    status = await browser.get("/demo/status")
    assert status.json() == {
        "now": "2026-03-03T10:00:00.000000Z",
        "progress": None,
        "running_speed": 24.0,
    }
    await post_form(browser, "/demo", "/demo/stop")
    assert demo.running_speed is None


async def test_a_running_step_shows_its_progress(
    browser: httpx.AsyncClient, tenant: Tenant, demo: FakeDemo
) -> None:
    demo.progress = (5, 24)
    await signed_in(browser, tenant.key)
    page = (await browser.get("/demo")).text
    assert 'max="24" value="5"' in page
    assert (await browser.get("/demo/status")).json()["progress"] == {"done": 5, "asked": 24}
    refused = await post_form(browser, "/demo", "/demo/step", hours="1")
    assert refused.status_code == 409 and "A step is already running" in refused.text
    assert demo.steps == []


async def test_demo_posts_need_the_token(
    browser: httpx.AsyncClient, tenant: Tenant, demo: FakeDemo
) -> None:
    await signed_in(browser, tenant.key)
    token = csrf_token((await browser.get("/demo")).text)
    answer = await browser.post(
        "/demo/step", data={"hours": "1", "csrf_token": token}, headers={"Origin": "http://x.test"}
    )
    assert answer.status_code == 403
    assert (await browser.post("/demo/run", data={"speed": "24.0"})).status_code == 403
    assert demo.steps == [] and demo.running_speed is None


async def test_without_demo_mode_there_is_no_demo(
    browser: httpx.AsyncClient, tenant: Tenant, app: FastAPI
) -> None:
    assert app.state.demo is None
    await signed_in(browser, tenant.key)
    assert ">Demo</a>" not in (await browser.get("/campaigns")).text
    assert (await browser.get("/demo")).status_code == 404
    assert (await browser.get("/demo/status")).status_code == 404


async def test_demo_status_needs_a_session(browser: httpx.AsyncClient, demo: FakeDemo) -> None:
    assert (await browser.get("/demo/status")).status_code == 401


async def test_a_demo_clock_running_ahead_keeps_the_session(
    browser: httpx.AsyncClient, tenant: Tenant, app: FastAPI, clock: ManualClock
) -> None:
    """Sessions last real hours: a demo step of days does not sign the browser out."""
    demo_clock = DemoClock(clock)
    app.state.clock = demo_clock
    try:
        await signed_in(browser, tenant.key)
        demo_clock.set(clock.now() + timedelta(days=3))
        assert (await browser.get("/campaigns")).status_code == 200
        clock.advance(LIFETIME)
        assert (await browser.get("/campaigns")).headers["location"] == "/sign-in"
    finally:
        app.state.clock = clock


async def test_without_the_demo_scope_there_are_no_demo_controls(
    browser: httpx.AsyncClient, tenant: Tenant, make_key: Any, demo: FakeDemo
) -> None:
    key = await make_key(tenant, [scopes.AD_CAMPAIGN_BASIC_READ])
    await signed_in(browser, key)
    page = await browser.get("/campaigns")
    assert ">Demo</a>" not in page.text
    assert (await browser.get("/demo")).status_code == 403
    assert (await browser.get("/demo/status")).status_code == 403
    answer = await browser.post(
        "/demo/step", data={"hours": "1", "csrf_token": csrf_token(page.text)}
    )
    assert answer.status_code == 403 and demo.steps == []
