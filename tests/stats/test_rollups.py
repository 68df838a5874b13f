"""Rollups always equal the re-summed hourly rows and recorded events: after any sequence of
deliveries, corrections (that raise or lower any figure, add or drop event names),
concurrent ingesters and recorded conversion events, (1) the rollup tables hold exactly
what `adline stats rebuild` computes from scratch, and (2) totals over any window in any
time zone equal the sums a reader would compute from the hourly rows themselves."""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.conversions.models import ConversionEvent
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.core.timestamps import format_timestamp
from adline.metrics.formulas import StatTotals
from adline.metrics.window import StatsWindow, parse_stats_window
from adline.stats import rollups
from adline.stats.models import (
    AdStatHour,
    StatDay,
    StatEntryCumulative,
    StatEntryDay,
    StatEntryLifetime,
    StatLifetime,
)
from adline.stats.service import HourStats, ingest, totals_by_level
from tests.conftest import START, Tenant
from tests.conversions.test_events import click
from tests.hierarchy.builders import ad_body, build_tree, group_body, ok
from tests.test_cli import ADLINE

# Hours of the 70 days before the test clock's start, most often of the last three (where
# corrections meet the hours they replace), so windows cover spans of days (4 and 32).
FIRST_HOUR = START.replace(hour=0) - timedelta(days=70)
HOURS = 70 * 24 + 9
RECENT = 67 * 24
TREES: dict[str, dict[str, Any]] = {}
CLICKS = itertools.count()

counts = st.integers(min_value=0, max_value=10**5)
names = st.sampled_from(["purchase", "lead"])
custom_names = st.sampled_from(["quiz done", "x"])
report = st.fixed_dictionaries(
    {
        "impressions": counts,
        "reach": counts,
        "clicks": counts,
        "unique_clicks": counts,
        "link_clicks": counts,
        "spend_micros": st.integers(min_value=0, max_value=10**10),
        "event_counts": st.dictionaries(names, counts, max_size=2),
        "event_value_micros": st.dictionaries(names, st.integers(0, 10**9), max_size=2),
        "custom_event_counts": st.dictionaries(custom_names, counts, max_size=2),
        "custom_event_value_micros": st.dictionaries(custom_names, st.integers(0, 10**9)),
        "custom_conversions": counts,
    }
)
hours = st.one_of(st.integers(RECENT, HOURS - 1), st.integers(0, HOURS - 1))
delivery = st.tuples(st.integers(0, 2), hours, st.integers(1, 4), report)
conversion = st.fixed_dictionaries(
    {
        "ad": st.integers(0, 2),
        "minutes": st.integers(RECENT * 60, (HOURS - 1) * 60),
        "event_name": st.sampled_from(["purchase", "lead", "custom"]),
        "custom_name": custom_names,
        "value": st.one_of(st.none(), st.integers(0, 500)),
    }
)
step = st.one_of(
    st.tuples(st.just("ingest"), st.lists(delivery, min_size=1, max_size=6)),
    st.tuples(
        st.just("concurrent"),
        st.lists(st.lists(delivery, min_size=1, max_size=4), min_size=2, max_size=3),
    ),
    st.tuples(st.just("event"), conversion),
)
zones = st.sampled_from(["UTC", "Europe/Paris", "Asia/Kolkata", "America/St_Johns"])


@st.composite
def windows(draw: st.DrawFn) -> StatsWindow:
    """Any window over the test's hours: all time, open on one side, bare dates in a zone,
    or instants cutting hours and days anywhere."""
    zone = draw(zones)
    kind = draw(st.sampled_from(["lifetime", "dates", "instants", "open_start", "open_end"]))
    if kind == "lifetime":
        return parse_stats_window(None, None, zone, draw(st.sampled_from(MODELS)))
    minutes = st.integers(-120, HOURS * 60 + 120)
    first, second = sorted(draw(st.tuples(minutes, minutes)))
    start = format_timestamp(FIRST_HOUR + timedelta(minutes=first))
    end = format_timestamp(FIRST_HOUR + timedelta(minutes=second))
    if kind == "dates":
        start, end = start[:10], end[:10]
    model = draw(st.sampled_from(MODELS))
    if kind == "open_start":
        return parse_stats_window(None, end, zone, model)
    if kind == "open_end":
        return parse_stats_window(start, None, zone, model)
    return parse_stats_window(start, end, zone, model)


MODELS = ["last_touch", "first_touch"]


async def tree_of(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, Any]:
    """One campaign, two groups, three ads (built once per company)."""
    if tenant.company_id not in TREES:
        tree = await build_tree(client)
        second_group = await ok(
            await client.post("/ad_groups", json=group_body(tree.campaign["id"]))
        )
        second = await ok(await client.post("/ads", json=ad_body(tree.group["id"])))
        third = await ok(await client.post("/ads", json=ad_body(second_group["id"])))
        TREES[tenant.company_id] = {
            "campaign": tree.campaign["id"],
            "groups": [tree.group["id"], second_group["id"]],
            "ads": [tree.ad["id"], second["id"], third["id"]],
        }
    return TREES[tenant.company_id]


async def _ingest(engine: AsyncEngine, clock: ManualClock, rows: list[HourStats]) -> None:
    async with create_sessionmaker(engine)() as session, session.begin():
        await ingest(session, clock, rows)


def _rows(ads: list[str], deliveries: list[Any]) -> list[HourStats]:
    return [
        HourStats(
            ad_id=ads[ad], hour_start=FIRST_HOUR + timedelta(hours=h), revision=rev, **figures
        )
        for ad, h, rev, figures in deliveries
    ]


async def _event(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, ads: list[str], spec: Any
) -> None:
    at = FIRST_HOUR + timedelta(minutes=spec["minutes"])
    click_id = f"fb.{next(CLICKS)}"
    await click(engine, ads[spec["ad"]], click_id, at - timedelta(minutes=5))
    body: dict[str, Any] = {
        "account_id": tenant.company_id,
        "event_name": spec["event_name"],
        "event_time": format_timestamp(at),
        "context": {"fbclid": click_id},
    }
    if spec["event_name"] == "custom":
        body["custom_name"] = spec["custom_name"]
    if spec["value"] is not None:
        body["value"] = spec["value"]
    await ok(await client.post("/events", json=body))


def _normalized(rows: list[Any], columns: list[str]) -> set[tuple[Any, ...]]:
    """Rows as tuples; event-map entries that every correction removed again (nothing
    left, no row carries them) are the same as no entry."""
    kept = set()
    for row in rows:
        values = tuple(getattr(row, column) for column in columns)
        if "entries" in columns and row.entries == 0 and row.amount == 0:
            continue
        kept.add(values)
    return kept


def _steps(rows: list[Any]) -> set[tuple[Any, ...]]:
    """Cumulative entries as the function of the day they describe: a row that repeats the
    row before it (or zero, first) is the same as no row."""
    kept = set()
    before: dict[tuple[str, ...], tuple[int, int]] = {}
    for row in sorted(
        rows, key=lambda row: (row.object_id, row.source, row.map, row.name, row.day)
    ):
        key = (row.object_id, row.source, row.map, row.name)
        if before.get(key, (0, 0)) != (row.amount, row.entries):
            kept.add((*key, row.day, row.amount, row.entries))
        before[key] = (row.amount, row.entries)
    return kept


async def _snapshot(engine: AsyncEngine, object_ids: list[str]) -> dict[str, set[Any]]:
    snapshot: dict[str, set[Any]] = {}
    async with create_sessionmaker(engine)() as session:
        for model in rollups.ROLLUP_MODELS:
            columns = [column.key for column in model.__table__.columns]
            rows = list(
                (
                    await session.execute(select(model).where(model.object_id.in_(object_ids)))
                ).scalars()
            )
            snapshot[model.__tablename__] = (
                _steps(rows) if model is StatEntryCumulative else _normalized(rows, columns)
            )
    return snapshot


async def _expected_totals(
    engine: AsyncEngine, tree: dict[str, Any], window: StatsWindow
) -> dict[str, StatTotals]:
    """The window's totals re-summed from every hourly row and recorded event."""
    async with create_sessionmaker(engine)() as session:
        hours = list(
            (
                await session.execute(
                    select(AdStatHour).where(AdStatHour.ad_campaign_id == tree["campaign"])
                )
            ).scalars()
        )
        events = list(
            (
                await session.execute(
                    select(ConversionEvent).where(
                        ConversionEvent.last_touch_ad_campaign_id == tree["campaign"]
                    )
                )
            ).scalars()
        )

    def inside(instant: datetime) -> bool:
        return (window.start is None or instant >= window.start) and (
            window.end is None or instant < window.end
        )

    sums: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "counters": defaultdict(int),
            "maps": {name: defaultdict(int) for name in rollups.MAPS},
        }
    )
    for row in hours:
        if not inside(row.hour_start):
            continue
        for object_id in (row.ad_id, row.ad_group_id, row.ad_campaign_id):
            own = sums[object_id]
            for name in rollups.SUMMED:
                own["counters"][name] += getattr(row, name)
            for name in rollups.PEAKS:
                own["counters"][name] = max(own["counters"][name], getattr(row, name))
            for map_name in rollups.MAPS:
                for key, amount in getattr(row, map_name).items():
                    own["maps"][map_name][key] += amount
    model = window.attribution_model
    for event in events:
        if not inside(event.event_time):
            continue
        for level in ("ad", "ad_group", "ad_campaign"):
            object_id = getattr(event, f"{model}_{level}_id")
            own = sums[object_id]
            for map_name, name, amount in rollups.event_entries(
                event.event_name, event.custom_name, 1, event.value_micros
            ):
                if map_name == "custom_conversions":
                    own["counters"]["custom_conversions"] += amount
                else:
                    own["maps"][map_name][name] += amount
    return {
        object_id: StatTotals(
            **own["counters"], **{name: dict(own["maps"][name]) for name in rollups.MAPS}
        )
        for object_id, own in sums.items()
    }


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=6), reads=st.lists(windows(), max_size=4))
async def test_rollups_equal_the_resummed_rows_after_any_history(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
    tenant: Tenant,
    steps: list[Any],
    reads: list[StatsWindow],
) -> None:
    tree = await tree_of(client, tenant)
    ads = tree["ads"]
    for kind, payload in steps:
        if kind == "ingest":
            await _ingest(engine, clock, _rows(ads, payload))
        elif kind == "concurrent":
            await asyncio.gather(*(_ingest(engine, clock, _rows(ads, part)) for part in payload))
        else:
            await _event(client, engine, tenant, ads, payload)
        clock.advance(timedelta(seconds=1))

    object_ids = [tree["campaign"], *tree["groups"], *ads]
    kept = await _snapshot(engine, object_ids)
    async with create_sessionmaker(engine)() as session, session.begin():
        await rollups.rebuild(session, tenant.company_id)
    assert await _snapshot(engine, object_ids) == kept

    for window in reads:
        async with create_sessionmaker(engine)() as session:
            read = await totals_by_level(
                session,
                {"ad_campaign": [tree["campaign"]], "ad_group": tree["groups"], "ad": ads},
                window,
            )
        expected = await _expected_totals(engine, tree, window)
        for object_id in object_ids:
            assert read[object_id] == expected.get(object_id, StatTotals()), (object_id, window)


async def test_a_lowered_reach_lowers_every_level(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock, tenant: Tenant
) -> None:
    """Reach is the largest figure: a correction that lowers it is recomputed, not kept."""
    tree = await tree_of(client, tenant)
    ad = tree["ads"][0]
    hour = FIRST_HOUR + timedelta(days=1)
    await _ingest(engine, clock, [HourStats(ad_id=ad, hour_start=hour, revision=1, reach=900)])
    await _ingest(engine, clock, [HourStats(ad_id=ad, hour_start=hour, revision=2, reach=40)])
    day = parse_stats_window(format_timestamp(hour)[:10], format_timestamp(hour)[:10], "UTC", None)
    for window in (day, parse_stats_window(None, None, None, None)):
        campaign = await ok(
            await client.get(
                f"/ad_campaigns/{tree['campaign']}",
                params={}
                if window.start is None
                else {
                    "stats_from": format_timestamp(hour)[:10],
                    "stats_to": format_timestamp(hour)[:10],
                },
            )
        )
        assert campaign["reach"] == 40


async def test_rebuild_command_restores_rollups(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
    tenant: Tenant,
    cli_env: dict[str, str],
) -> None:
    """`adline stats rebuild` recomputes rollups that were lost (or never written)."""
    tree = await tree_of(client, tenant)
    ad = tree["ads"][1]
    hour = FIRST_HOUR + timedelta(hours=5)
    await _ingest(
        engine, clock, [HourStats(ad_id=ad, hour_start=hour, revision=9, impressions=1234)]
    )
    before = await ok(await client.get(f"/ads/{ad}"))
    async with create_sessionmaker(engine)() as session, session.begin():
        for model in (StatDay, StatLifetime, StatEntryDay, StatEntryLifetime):
            await session.execute(model.__table__.delete().where(model.object_id == ad))
    assert (await ok(await client.get(f"/ads/{ad}")))["impressions"] == 0
    process = await asyncio.create_subprocess_exec(
        ADLINE,
        "stats",
        "rebuild",
        "--company",
        tenant.company_id,
        env=cli_env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert "rebuilt" in out.decode()
    assert (await ok(await client.get(f"/ads/{ad}")))["impressions"] == before["impressions"]
    assert before["impressions"] >= 1234
