"""whop-sdk 2.6.0's own `client.stats` (`list`, `retrieve`, `reports.list`), unmodified,
against the tests' app over stats the delivery worker made: the deprecated `/stats` paths
answer what the time series answers, with a `Deprecation` header, the report catalog
describes `/ad_reports`, and every total agrees with the entity reads of the same window."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from whop_sdk import AsyncWhop
from whop_sdk.core.api_error import ApiError

from adline.core.clock import ManualClock
from adline.openapi import openapi_for
from adline.versions import NEWEST, ORIGINAL
from tests.conftest import Tenant
from tests.helpers import assert_error, set_company_timezone
from tests.hierarchy.builders import ok
from tests.worker.test_worker import live_campaign, worker

# Two local days of New York (UTC-5 in March): [2026-03-02T05:00Z, 2026-03-04T05:00Z).
ZONE = "America/New_York"
DAYS = ("2026-03-02", "2026-03-03")
DEPRECATED_SINCE = "@1791417600"  # 2026-10-08T00:00:00Z


@pytest.fixture
async def campaign_id(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock, tenant: Tenant
) -> str:
    """A campaign that spent for two days on the simulated network, in a New York company
    (so `/ad_reports`' bare dates fall on the same days as the `time_zone` of the others)."""
    await set_company_timezone(engine, tenant.company_id, ZONE)
    campaign, _, _ = await live_campaign(client)
    run = worker(engine, clock)
    await run.run_once()
    for _ in range(48):
        clock.advance(timedelta(hours=1))
        await run.run_once()
    campaign_id: str = campaign["id"]
    return campaign_id


async def entity_read(client: httpx.AsyncClient, campaign_id: str, first: str, last: str) -> Any:
    return await ok(
        await client.get(
            f"/ad_campaigns/{campaign_id}",
            params={"stats_from": first, "stats_to": last, "time_zone": ZONE},
        )
    )


def cents(amount: float | None) -> int:
    assert amount is not None
    return round(amount * 100)


async def test_deprecated_stats_and_reports_agree_with_entity_reads_and_time_series(
    whop: AsyncWhop, client: httpx.AsyncClient, campaign_id: str
) -> None:
    window = await entity_read(client, campaign_id, DAYS[0], DAYS[-1])
    assert window["spend"] > 0 and window["impressions"] > 0
    days = [await entity_read(client, campaign_id, day, day) for day in DAYS]

    catalog = await whop.stats.list()
    assert [metric.key for metric in catalog.data] == ["ad_spend", "ad_delivery"]
    assert catalog.dict() == (await whop.stats.time_series.list()).dict()

    for metric in ("ad_spend", "ad_delivery"):
        query: dict[str, Any] = {
            "from_": DAYS[0],
            "to": DAYS[-1],
            "time_zone": ZONE,
            "interval": "day",
            "ad_campaign_ids": [campaign_id],
        }
        old = await whop.stats.retrieve(metric, **query)
        new = await whop.stats.time_series.retrieve(metric, **query)
        assert old.dict() == new.dict(), metric
        assert old.data.totals is not None
        [total] = old.data.totals
        assert total.name == metric
        values = [point.value for point in old.data.points]
        assert len(values) == len(DAYS)
        if metric == "ad_spend":
            assert old.data.currency == "usd"
            assert cents(total.value) == cents(window["spend"])
            assert sum(cents(value) for value in values) == cents(total.value)
            # A day's spend on its own is rounded on its own: within a cent of the point.
            for value, day in zip(values, days, strict=True):
                assert abs(cents(value) - cents(day["spend"])) <= 1
        else:
            assert total.value == window["impressions"]
            assert values == [day["impressions"] for day in days]

    reports = await whop.stats.reports.list()
    [described] = reports.data
    assert (described.key, described.path, described.window_kind) == (
        "ad_reports",
        "/ad_reports",
        "range",
    )
    assert described.breakdowns == ["campaign", "ad_group", "ad"]
    # The catalog's path serves the report it describes, with the columns it lists.
    report = await ok(
        await client.get(
            described.path,
            params={
                "from": DAYS[0],
                "to": DAYS[-1],
                "ad_campaign_id": campaign_id,
                "breakdown": "campaign",
            },
        )
    )
    summary = report["summary"]
    assert (cents(summary["spend"]), summary["impressions"], summary["clicks"]) == (
        cents(window["spend"]),
        window["impressions"],
        window["clicks"],
    )
    [row] = report["breakdown"]
    assert row["id"] == campaign_id
    metrics = {column.key for column in described.columns if column.type == "metric"}
    properties = {column.key for column in described.columns if column.type == "property"}
    assert metrics <= set(summary) and properties <= set(row)
    assert metrics >= {"impressions", "clicks", "reach", "spend"}


async def test_deprecated_paths_say_so_and_name_their_successors(
    whop: AsyncWhop, campaign_id: str
) -> None:
    listed = await whop.stats.with_raw_response.list()
    assert listed.headers["deprecation"] == DEPRECATED_SINCE
    assert listed.headers["link"] == '</api/v1/stats/time_series>; rel="successor-version"'
    series = await whop.stats.with_raw_response.retrieve(
        "ad_delivery", from_=DAYS[0], to=DAYS[-1], ad_campaign_ids=campaign_id
    )
    assert series.headers["deprecation"] == DEPRECATED_SINCE
    assert (
        series.headers["link"] == '</api/v1/stats/time_series/ad_delivery>; rel="successor-version"'
    )
    for current in (
        await whop.stats.time_series.with_raw_response.list(),
        await whop.stats.reports.with_raw_response.list(),
    ):
        assert "deprecation" not in current.headers


@pytest.mark.parametrize(
    ("metric", "query", "status", "param"),
    [
        ("net_revenue", {}, 404, "metric"),
        ("ad_spend", {"interval": "minute"}, 400, "interval"),
        ("ad_spend", {"time_zone": "Mars/Olympus"}, 400, "time_zone"),
        ("ad_spend", {"convert_to": "eur"}, 400, "convert_to"),
        ("ad_spend", {"ad_campaign_ids": "adcamp_none"}, 404, "ad_campaign_ids"),
        ("ad_spend", {"to": "2026-03-01"}, 400, "to"),
    ],
)
async def test_the_deprecated_path_refuses_what_the_time_series_refuses(
    whop: AsyncWhop, metric: str, query: dict[str, Any], status: int, param: str
) -> None:
    arguments = {"from_": DAYS[0], "to": DAYS[-1], **query}
    errors = []
    for retrieve in (whop.stats.retrieve, whop.stats.time_series.retrieve):
        with pytest.raises(ApiError) as raised:
            await retrieve(metric, **arguments)
        errors.append((raised.value.status_code, raised.value.body))
    assert errors[0] == errors[1]
    assert errors[0][0] == status
    assert errors[0][1]["error"]["param"] == param


async def test_an_empty_window_is_empty_and_a_day_before_from_is_refused(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    """A window of no hours (timestamps, `to` = `from`) answers nothing; a bare `to` the
    day before `from` is `to` before `from`, though its day ends where `from` starts."""
    midnight = "2026-03-02T00:00:00Z"
    for path in ("/stats/ad_spend", "/stats/time_series/ad_spend"):
        empty = await ok(await client.get(path, params={"from": midnight, "to": midnight}))
        assert empty["data"]["points"] == []
        assert empty["data"]["totals"] == [{"name": "ad_spend", "value": 0}]
        before = await client.get(path, params={"from": "2026-03-02", "to": "2026-03-01"})
        assert_error(before, 400, "parameter_invalid", "to")
    report = await ok(
        await client.get(
            "/ad_reports",
            params={
                "from": midnight,
                "to": midnight,
                "company_id": tenant.company_id,
                "granularity": "daily",
            },
        )
    )
    assert (report["summary"]["impressions"], report["granularity"]) == (0, [])
    before = await client.get(
        "/ad_reports",
        params={"from": "2026-03-02", "to": "2026-03-01", "company_id": tenant.company_id},
    )
    assert_error(before, 400, "parameter_invalid", "to")


async def test_whops_own_reports_are_not_served(client: httpx.AsyncClient) -> None:
    """The catalog lists only what Adline serves: Whop's marketplace trends are not data an
    ads server has, and their path is no metric either."""
    listed = await ok(await client.get("/stats/reports"))
    assert [report["key"] for report in listed["data"]] == ["ad_reports"]
    missing = await client.get("/stats/reports/platform_trends", params={"from": DAYS[0]})
    assert missing.status_code == 404
    assert missing.json()["error"]["type"]


def test_the_documents_mark_the_old_paths_deprecated(app: FastAPI) -> None:
    for version in (NEWEST, ORIGINAL):
        paths = openapi_for(app, version)["paths"]
        for path in ("/api/v1/stats", "/api/v1/stats/{metric}"):
            operation = paths[path]["get"]
            assert operation["deprecated"] is True, (version, path)
            assert set(operation["responses"]["200"]["headers"]) == {"Deprecation", "Link"}
        for path in (
            "/api/v1/stats/time_series",
            "/api/v1/stats/time_series/{metric}",
            "/api/v1/stats/reports",
        ):
            assert "deprecated" not in paths[path]["get"], (version, path)
