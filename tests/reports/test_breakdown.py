"""GET /ad_reports with a breakdown: each row is its object's own report, but for spend,
which the rows share by largest remainder (docs/reports.md). Checked against the rounding
rule worked out here from the stored hours, cent for cent, with half-cent ties among ads
and among buckets, on both paths that fill buckets (UTC days from the daily rollups, and
hours bucketed in a zone that does not follow UTC days)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.clock import ManualClock
from adline.core.json_encoding import dumps
from adline.reports.service import Buckets, BucketShape, Columns, bucket_labels
from tests.campaigns.payloads import abo_campaign
from tests.conftest import Tenant
from tests.helpers import set_company_timezone
from tests.hierarchy.builders import ad_body, group_body, ok
from tests.stats.helpers import hour, store

FIRST = date(2026, 5, 1)
DAYS = 3
WINDOW = {"from": "2026-05-01", "to": "2026-05-03"}


@dataclass(frozen=True)
class Hour:
    ad: str  # a1..a4
    at: datetime
    spend_micros: int
    impressions: int
    clicks: int
    reach: int


def at(day: int, hour_of_day: int) -> datetime:
    return datetime(2026, 5, 1, tzinfo=UTC) + timedelta(days=day, hours=hour_of_day)


# Spends in micro-units (10,000 to the cent) with fractions of a cent: 3,350 is 0.335 of a
# cent; 5,000, 15,000 and 25,000 are half-cent ties. Hours from the day before the window
# to the day after, so zones ahead of and behind UTC cut the window elsewhere.
HOURS = [
    Hour("a1", at(-1, 23), 5_000, 10, 1, 9),
    Hour("a1", at(0, 0), 3_350, 100, 3, 40),
    Hour("a1", at(0, 1), 3_350, 120, 2, 50),
    Hour("a1", at(0, 2), 3_350, 90, 0, 45),
    Hour("a1", at(1, 5), 15_000, 300, 7, 80),
    Hour("a1", at(2, 9), 10_000, 50, 1, 20),
    Hour("a2", at(0, 0), 5_000, 80, 1, 30),
    Hour("a2", at(1, 5), 15_000, 310, 4, 90),
    Hour("a2", at(2, 23), 7_777, 60, 2, 25),
    Hour("a3", at(0, 4), 3_350, 40, 0, 10),
    Hour("a3", at(1, 12), 0, 500, 9, 100),
    Hour("a3", at(2, 18), 25_000, 70, 3, 35),
    Hour("a3", at(3, 2), 3_350, 15, 0, 5),
    Hour("a4", at(0, 20), 12_345_678, 2_000, 40, 900),
    Hour("a4", at(1, 21), 5_000, 20, 0, 8),
]


@pytest.fixture
async def ads(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock, tenant: Tenant
) -> dict[str, str]:
    """a1, a2, a3 in one group of campaign c1; a4 in campaign c2; a5 has no stats."""

    async def create(path: str, body: dict[str, Any]) -> str:
        created: str = (await ok(await client.post(path, json=body)))["id"]
        return created

    ids = {"c1": await create("/ad_campaigns", abo_campaign())}
    ids["c2"] = await create("/ad_campaigns", abo_campaign())
    ids["g1"] = await create("/ad_groups", group_body(ids["c1"]))
    ids["g2"] = await create("/ad_groups", group_body(ids["c2"]))
    for ad, group in (("a1", "g1"), ("a2", "g1"), ("a3", "g1"), ("a4", "g2"), ("a5", "g2")):
        ids[ad] = await create("/ads", ad_body(ids[group]))
    rows = [
        hour(
            ids[row.ad],
            row.at,
            impressions=row.impressions,
            clicks=row.clicks,
            reach=row.reach,
            spend_micros=row.spend_micros,
        )
        for row in HOURS
    ]
    await store(engine, clock, rows)
    return ids


def half_even_cents(micros: int) -> int:
    return int((Decimal(micros) / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def largest_remainder(parts: Sequence[int], total_cents: int) -> list[int]:
    """The rule of docs/reports.md, written out: floors, then a cent each to the largest
    remainders, ties to the earlier part."""
    shares = [part // 10_000 for part in parts]
    with_remainder = [index for index, part in enumerate(parts) if part % 10_000]
    with_remainder.sort(key=lambda index: (-(parts[index] % 10_000), index))
    for index in with_remainder[: total_cents - sum(shares)]:
        shares[index] += 1
    assert sum(shares) == total_cents
    return shares


def expected_spends(
    ids: dict[str, str], zone: str, granularity: str
) -> tuple[int, list[int], dict[str, tuple[int, list[int]]]]:
    """(total cents, top-level buckets' cents, ad id -> (row cents, its buckets' cents))
    for the window in `zone`, worked out from HOURS."""
    local = ZoneInfo(zone)
    start = datetime.combine(FIRST, datetime.min.time(), local).astimezone(UTC)
    end = datetime.combine(FIRST + timedelta(days=DAYS), datetime.min.time(), local)
    end = end.astimezone(UTC)
    count = DAYS if granularity == "daily" else int((end - start) / timedelta(hours=1))

    def bucket(moment: datetime) -> int:
        if granularity == "daily":
            return (moment.astimezone(local).date() - FIRST).days
        return int((moment - start) / timedelta(hours=1))

    per_ad: dict[str, list[int]] = {}
    for row in HOURS:
        if start <= row.at < end:
            buckets = per_ad.setdefault(ids[row.ad], [0] * count)
            buckets[bucket(row.at)] += row.spend_micros
    total = half_even_cents(sum(map(sum, per_ad.values())))
    top = [sum(column) for column in zip(*per_ad.values(), strict=True)]
    order = sorted(per_ad, key=lambda ad: (-sum(per_ad[ad]), ad))
    row_cents = largest_remainder([sum(per_ad[ad]) for ad in order], total)
    rows = {
        ad: (cents, largest_remainder(per_ad[ad], cents))
        for ad, cents in zip(order, row_cents, strict=True)
    }
    return total, largest_remainder(top, total), rows


def cents(amount: float) -> int:
    return round(amount * 100)


COUNTS = ("impressions", "clicks", "reach")


@pytest.mark.parametrize(
    ("zone", "granularity"),
    [("UTC", "daily"), ("UTC", "hourly"), ("Asia/Kolkata", "daily"), ("America/Chicago", "daily")],
)
async def test_breakdown_rows_are_each_ads_report_with_shared_cents(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    ads: dict[str, str],
    tenant: Tenant,
    zone: str,
    granularity: str,
) -> None:
    await set_company_timezone(engine, tenant.company_id, zone)
    params = {**WINDOW, "granularity": granularity}
    report = await ok(
        await client.get(
            "/ad_reports", params={**params, "company_id": tenant.company_id, "breakdown": "ad"}
        )
    )
    total, top, expected_rows = expected_spends(ads, zone, granularity)
    assert cents(report["summary"]["spend"]) == total
    assert [cents(bucket["spend"]) for bucket in report["granularity"]] == top
    rows = report["breakdown"]
    # By spend, then id; the ad without stats has no row.
    assert [row["id"] for row in rows] == list(expected_rows)
    assert ads["a5"] not in expected_rows
    for row in rows:
        row_cents, bucket_cents = expected_rows[row["id"]]
        assert cents(row["summary"]["spend"]) == row_cents
        assert [cents(bucket["spend"]) for bucket in row["granularity"]] == bucket_cents
        own = await ok(await client.get("/ad_reports", params={**params, "ad_id": row["id"]}))
        # Counts, ratios of counts, labels: as in the ad's own report. Spend: the ad's own
        # report rounds the ad alone (half-even), the row has its share of the total.
        for key in (*COUNTS, "click_through_rate", "frequency"):
            assert row["summary"][key] == own["summary"][key], key
        assert abs(cents(row["summary"]["spend"]) - cents(own["summary"]["spend"])) <= 1
        assert len(row["granularity"]) == len(own["granularity"]) == len(top)
        for mine, theirs in zip(row["granularity"], own["granularity"], strict=True):
            assert {k: v for k, v in mine.items() if k != "spend"} == {
                k: v for k, v in theirs.items() if k != "spend"
            }
        if row_cents == cents(own["summary"]["spend"]):
            assert row["granularity"] == own["granularity"]


async def test_breakdown_by_campaign_within_a_scope(
    client: httpx.AsyncClient, ads: dict[str, str], tenant: Tenant
) -> None:
    """A campaign row of a report scoped to some ads sums only those ads, bucket by bucket
    (rollups of the ads' level, grouped by campaign)."""
    params = {**WINDOW, "granularity": "daily", "breakdown": "campaign"}
    report = await ok(
        await client.get("/ad_reports", params={**params, "ad_ids": [ads["a1"], ads["a2"]]})
    )
    [row] = report["breakdown"]
    assert row["id"] == ads["c1"]
    both = await ok(
        await client.get(
            "/ad_reports",
            params={**WINDOW, "granularity": "daily", "ad_ids": [ads["a1"], ads["a2"]]},
        )
    )
    # One row: it has all of the report's cents, shared among the buckets the same way.
    assert row["summary"] == both["summary"]
    assert row["granularity"] == both["granularity"]


@given(
    st.sampled_from(["hourly", "daily", "weekly", "monthly"]),
    st.lists(
        st.tuples(
            st.integers(0, 2**63 - 1),
            st.integers(0, 2**63 - 1),
            st.integers(0, 2**63 - 1),
            st.integers(-(2**63), 2**63 - 1),
        ),
        max_size=30,
    ),
)
def test_buckets_write_the_json_of_their_dicts(
    granularity: Literal["hourly", "daily", "weekly", "monthly"],
    figures: list[tuple[int, int, int, int]],
) -> None:
    """A report's buckets are written from their columns (`Buckets.encode`): the same text
    json.dumps writes for their dicts, whatever the figures."""
    zone = ZoneInfo("Europe/Paris")
    starts = [datetime(2026, 3, 29, tzinfo=UTC) + timedelta(hours=n) for n in range(len(figures))]
    shape = BucketShape(bucket_labels(starts, zone, granularity), granularity, "usd")
    impressions = [figure[0] for figure in figures]
    clicks = [figure[1] for figure in figures]
    reach = [figure[2] for figure in figures]
    shares = [figure[3] for figure in figures]
    columns = Columns(impressions, clicks, [0] * len(figures), reach)
    buckets = Buckets(shape, columns, shares)
    text = buckets.json_text()
    assert text == dumps(Buckets(shape, columns, shares).as_list())
    assert json.loads(text) == buckets
