"""Demo mode (docs/demo.md): the demo clock only moves forward and survives a restart;
steps run the delivery passes hour by hour; runs, stops, refusals, and the API's 404 when
demo mode is off."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from adline.auth import scopes
from adline.core.clock import ManualClock
from adline.core.errors import Conflict, InvalidRequest
from adline.core.timestamps import parse_timestamp
from adline.demo.clock import DemoClock
from adline.demo.control import DemoControl
from tests.conftest import Tenant
from tests.demo.conftest import demo_app
from tests.hierarchy.builders import launched_tree

HOUR = timedelta(hours=1)


def control(app: FastAPI) -> DemoControl:
    demo = app.state.demo
    assert isinstance(demo, DemoControl)
    return demo


async def status(client: httpx.AsyncClient) -> dict[str, Any]:
    answer = await client.get("/demo")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()["demo"]
    return body


async def finished(client: httpx.AsyncClient) -> dict[str, Any]:
    """The status once the step under way is over."""
    for _ in range(600):
        body = await status(client)
        if body["progress"] is None:
            return body
        await asyncio.sleep(0.05)
    raise AssertionError("the step did not finish")


class TestDemoClock:
    def test_it_never_goes_back(self) -> None:
        base = ManualClock(parse_timestamp("2026-05-01T12:00:00Z"))
        clock = DemoClock(base)
        clock.set(base.now() + 5 * HOUR)
        seen = clock.now()
        clock.set(base.now())  # behind: nothing changes
        assert clock.now() == seen
        base.advance(-timedelta(minutes=30))  # the system clock steps back
        assert clock.now() == seen
        base.advance(timedelta(minutes=45))
        assert clock.now() == seen + timedelta(minutes=15)


class TestStep:
    async def test_a_step_moves_time_and_a_launched_campaign_spends(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        tree = await launched_tree(client)
        before = parse_timestamp((await status(client))["now"])
        answer = await client.post("/demo/step", json={"hours": 24})
        assert answer.status_code == 202, answer.text
        assert answer.json()["demo"]["progress"]["hours_asked"] == 24
        after = await finished(client)
        assert parse_timestamp(after["now"]) - before >= 24 * HOUR
        assert after["running_speed"] is None
        campaign = (await client.get(f"/ad_campaigns/{tree.campaign['id']}")).json()
        assert campaign["spend"] > 0
        assert campaign["impressions"] > 0
        # The app's timestamps are on the same clock.
        created = (
            await client.post(
                "/ad_campaigns", json={"title": "Later", "objective": "sales", "platform": "meta"}
            )
        ).json()
        assert parse_timestamp(created["created_at"]) >= parse_timestamp(after["now"])

    async def test_progress_is_reported_hour_by_hour(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        await launched_tree(client)
        demo = control(app)
        seen: list[tuple[int, int]] = []
        task = asyncio.create_task(demo.step(6))
        while not task.done():
            if demo.progress is not None:
                seen.append(demo.progress)
            await asyncio.sleep(0.005)
        await task
        assert seen and seen[0][1] == 6
        assert [done for done, _ in seen] == sorted(done for done, _ in seen)
        assert demo.progress is None

    async def test_a_second_step_is_refused_while_one_runs(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        await launched_tree(client)
        demo = control(app)
        first = demo.begin_step(4)
        before = demo.now()
        with pytest.raises(Conflict, match="already running"):
            await demo.step(1)
        answer = await client.post("/demo/step", json={"hours": 1})
        assert answer.status_code == 409
        assert answer.json()["error"]["type"] == "conflict"
        await first
        # Only the first step moved time.
        assert HOUR * 3 < demo.now() - before < HOUR * 5

    @pytest.mark.parametrize(
        ("body", "param"),
        [
            ({"hours": 0}, "hours"),
            ({"hours": -3}, "hours"),
            ({"hours": 10**9}, "hours"),
            ({"hours": 2.5}, "hours"),
            ({"hours": "24"}, "hours"),
            ({}, "hours"),
            ({"hours": 1, "days": 1}, "days"),
        ],
    )
    async def test_bad_hours_are_refused_and_change_nothing(
        self, app: FastAPI, client: httpx.AsyncClient, body: dict[str, Any], param: str
    ) -> None:
        before = await status(client)
        answer = await client.post("/demo/step", json=body)
        assert answer.status_code == 400, answer.text
        error = answer.json()["error"]
        assert error["type"] == "invalid_request_error"
        assert error["param"] == param
        assert error["message"]
        assert await status(client) == before
        with pytest.raises(InvalidRequest):
            await control(app).step(0)


class TestRun:
    async def test_run_then_stop(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        before = parse_timestamp((await status(client))["now"])
        answer = await client.post("/demo/run", json={"speed": 20})
        assert answer.status_code == 200, answer.text
        assert answer.json()["demo"]["running_speed"] == 20
        # Stepping while it runs is refused.
        assert (await client.post("/demo/step", json={"hours": 1})).status_code == 409
        await asyncio.sleep(0.6)
        stopped = (await client.post("/demo/stop")).json()["demo"]
        assert stopped["running_speed"] is None
        moved = parse_timestamp(stopped["now"]) - before
        assert moved >= HOUR
        # Stopped: time stands (the base clock is the test's).
        await asyncio.sleep(0.2)
        assert parse_timestamp((await status(client))["now"]) == parse_timestamp(stopped["now"])

    @pytest.mark.parametrize("speed", [0, -1, 10_000, "fast", None])
    async def test_bad_speeds_are_refused(
        self, app: FastAPI, client: httpx.AsyncClient, speed: object
    ) -> None:
        answer = await client.post("/demo/run", json={"speed": speed})
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["param"] == "speed"
        assert control(app).running_speed is None


class TestRestart:
    async def test_time_goes_on_from_the_store_after_a_restart(
        self, database_url: str, clock: ManualClock, files_root: Path
    ) -> None:
        first = demo_app(database_url, clock, files_root)
        async with first.router.lifespan_context(first):
            await control(first).step(3)
            reached = control(first).now()
        assert reached - clock.now() >= 3 * HOUR
        # Restarted on a system clock that went back an hour: the time does not.
        clock.advance(-HOUR)
        again = demo_app(database_url, clock, files_root)
        async with again.router.lifespan_context(again):
            assert control(again).now() >= reached
            assert again.state.clock is control(again).clock


class TestAccess:
    async def test_the_api_answers_404_when_demo_mode_is_off(
        self, database_url: str, clock: ManualClock, files_root: Path, tenant: Tenant
    ) -> None:
        off = demo_app(database_url, clock, files_root, demo=False)
        assert off.state.demo is None
        transport = httpx.ASGITransport(app=off)
        async with (
            off.router.lifespan_context(off),
            httpx.AsyncClient(
                transport=transport, base_url="http://adline.test/api/v1", headers=tenant.headers
            ) as client,
        ):
            for method, path in [
                ("GET", "/demo"),
                ("POST", "/demo/step"),
                ("POST", "/demo/run"),
                ("POST", "/demo/stop"),
            ]:
                answer = await client.request(method, path, json={"hours": 1})
                assert answer.status_code == 404, answer.text
                assert answer.json()["error"]["type"] == "not_found"

    async def test_it_needs_the_demo_scope(
        self, app: FastAPI, anonymous: httpx.AsyncClient, tenant: Tenant, make_key: Any
    ) -> None:
        assert (await anonymous.get("/demo")).status_code == 401
        lacking = [s for s in scopes.ALL_SCOPES if s != scopes.DEMO_CONTROL]
        key = await make_key(tenant, lacking)
        answer = await anonymous.get("/demo", headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 403
        assert scopes.DEMO_CONTROL in answer.json()["error"]["message"]
