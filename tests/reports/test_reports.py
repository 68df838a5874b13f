"""GET /ad_reports and GET /stats/time_series: totals equal the sum of their parts, buckets
follow the company's time zone, scopes and companies are enforced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.auth import scopes
from adline.core.clock import ManualClock
from adline.reports.service import allocate_cents, round_cents
from adline.versions.release_shapes import RELEASES, release_object
from adline.versions.shapes import AdReport20260620
from adline.versions.v2026_06_20 import REPORT_METRIC_NAMES
from tests.campaigns.payloads import abo_campaign
from tests.conftest import Tenant
from tests.helpers import set_company_timezone
from tests.hierarchy.builders import ad_body, group_body, ok
from tests.stats.helpers import hour, store

# Europe/Paris: 2026-03-29 has 23 hours, [2026-03-28T23:00Z, 2026-03-29T22:00Z).
START = datetime(2026, 3, 28, 20, tzinfo=UTC)
HOURS = 32
WINDOW = {"from": "2026-03-28", "to": "2026-03-30"}


async def create(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> str:
    created: str = (await ok(await client.post(path, json=body)))["id"]
    return created


@pytest.fixture
async def tree(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock, tenant: Tenant
) -> dict[str, str]:
    """Two campaigns, three groups, four ads; every hour around Paris's DST day spends
    amounts with fractions of a cent, so per-part rounding would drift."""
    await set_company_timezone(engine, tenant.company_id, "Europe/Paris")
    ids = {"c1": await create(client, "/ad_campaigns", abo_campaign())}
    ids["c2"] = await create(client, "/ad_campaigns", abo_campaign())
    ids["g1"] = await create(client, "/ad_groups", group_body(ids["c1"]))
    ids["g2"] = await create(client, "/ad_groups", group_body(ids["c1"]))
    ids["g3"] = await create(client, "/ad_groups", group_body(ids["c2"]))
    for ad, group in (("a1", "g1"), ("a2", "g1"), ("a3", "g2"), ("a4", "g3")):
        ids[ad] = await create(client, "/ads", ad_body(ids[group]))
    rows = []
    for index, ad in product(range(HOURS), ("a1", "a2", "a3", "a4")):
        seed = index * 7 + int(ad[1])
        rows.append(
            hour(
                ids[ad],
                START + timedelta(hours=index),
                impressions=100 + seed,
                reach=50 + seed % 13,
                clicks=seed % 5,
                spend_micros=5_000 + seed * 3_337,
            )
        )
    await store(engine, clock, rows)
    return ids


def cents(amount: float) -> int:
    return round(amount * 100)


def assert_sums(parts: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    for key in ("impressions", "clicks"):
        assert sum(part[key] for part in parts) == summary[key], key
    assert sum(cents(part["spend"]) for part in parts) == cents(summary["spend"])


async def test_a_report_without_granularity_or_breakdown(
    client: httpx.AsyncClient, tree: dict[str, str], tenant: Tenant
) -> None:
    report = await ok(
        await client.get("/ad_reports", params={**WINDOW, "company_id": tenant.company_id})
    )
    assert report["granularity"] is None and report["breakdown"] is None
    summary = report["summary"]
    # Paris 28-30 March: 2026-03-27T23:00Z to 2026-03-30T22:00Z, every stored hour.
    expected_spend = sum(5_000 + (i * 7 + a) * 3_337 for i in range(HOURS) for a in range(1, 5))
    assert cents(summary["spend"]) == round_cents(expected_spend)
    assert summary["impressions"] == sum(100 + i * 7 + a for i in range(HOURS) for a in range(1, 5))
    assert summary["spend_currency"] == "usd"
    assert summary["click_through_rate"] == summary["clicks"] / summary["impressions"]
    assert summary["frequency"] == summary["impressions"] / summary["reach"]
    assert summary["result_count"] is None and summary["cost_per_result"] is None
    assert set(summary) == {
        "impressions", "clicks", "reach", "spend", "spend_currency", "click_through_rate",
        "cost_per_click", "cost_per_mille", "frequency", "return_on_ad_spend", "result_count",
        "result_label_key", "result_label_override", "cost_per_result",
    }  # fmt: skip


@pytest.mark.parametrize("granularity", ["hourly", "daily", "weekly", "monthly"])
@pytest.mark.parametrize("breakdown", [None, "campaign", "ad_group", "ad"])
async def test_summary_equals_the_buckets_and_the_rows(
    client: httpx.AsyncClient,
    tree: dict[str, str],
    tenant: Tenant,
    granularity: str,
    breakdown: str | None,
) -> None:
    params: dict[str, Any] = {**WINDOW, "account_id": tenant.company_id}
    params["granularity"] = granularity
    if breakdown:
        params["breakdown"] = breakdown
    report = await ok(await client.get("/ad_reports", params=params))
    summary, buckets = report["summary"], report["granularity"]
    assert_sums(buckets, summary)
    starts = [bucket["bucket_start"] for bucket in buckets]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert all(bucket["granularity"] == granularity for bucket in buckets)
    if granularity == "hourly":
        # 24 + 23 + 24 local hours, bucket per UTC hour.
        assert len(buckets) == 71
        assert all(bucket["reach"] == 0 for bucket in buckets)
        assert (
            buckets[0]["stat_hour"] == 0
            and buckets[0]["stat_date"] == "2026-03-28T00:00:00.000000Z"
        )
    else:
        assert all(bucket["stat_hour"] is None for bucket in buckets)
    if breakdown is None:
        assert report["breakdown"] is None
        return
    rows = report["breakdown"]
    expected = {"campaign": 2, "ad_group": 3, "ad": 4}[breakdown]
    assert len(rows) == expected
    assert_sums([row["summary"] for row in rows], summary)
    for row in rows:
        assert row["level"] == breakdown
        assert_sums(row["granularity"], row["summary"])
        assert len(row["granularity"]) == len(buckets)
    for index, bucket in enumerate(buckets):
        # Counts add up across rows too; spend cells are each within a cent of exact, but a
        # column of cells need not add to its bucket's cents (docs/reports.md).
        cells = [row["granularity"][index] for row in rows]
        for key in ("impressions", "clicks"):
            assert sum(cell[key] for cell in cells) == bucket[key]
        assert abs(sum(cents(cell["spend"]) for cell in cells) - cents(bucket["spend"])) < len(rows)


async def test_daily_buckets_follow_the_company_zone_across_dst(
    client: httpx.AsyncClient, tree: dict[str, str], tenant: Tenant
) -> None:
    report = await ok(
        await client.get(
            "/ad_reports",
            params={**WINDOW, "ad_campaign_ids": [tree["c1"], tree["c2"]], "granularity": "daily"},
        )
    )
    days = report["granularity"]
    assert [day["bucket_start"] for day in days] == [
        "2026-03-27T23:00:00.000000Z",
        "2026-03-28T23:00:00.000000Z",
        "2026-03-29T22:00:00.000000Z",
    ]
    assert [day["stat_date"] for day in days] == [
        "2026-03-28T00:00:00.000000Z",
        "2026-03-29T00:00:00.000000Z",
        "2026-03-30T00:00:00.000000Z",
    ]
    # Stats start 20:00Z on the 28th: 3 hours on the 28th, 23 on the 29th, 6 on the 30th.
    per_hour = [
        sum(100 + i * 7 + a for a in range(1, 5)) for i in range(HOURS)
    ]  # impressions of each stored hour
    assert [day["impressions"] for day in days] == [
        sum(per_hour[:3]),
        sum(per_hour[3:26]),
        sum(per_hour[26:]),
    ]
    hourly = await ok(
        await client.get(
            "/ad_reports",
            params={"from": "2026-03-29", "to": "2026-03-29", "ad_id": tree["a1"],
                    "granularity": "hourly"},
        )
    )  # fmt: skip
    hours = hourly["granularity"]
    assert len(hours) == 23
    # Local 02:00 does not exist on the 29th: 01:00 is followed by 03:00.
    assert [h["stat_hour"] for h in hours[:4]] == [0, 1, 3, 4]


async def test_a_single_scope_narrows_the_report(
    client: httpx.AsyncClient, tree: dict[str, str]
) -> None:
    async def summary(**scope: Any) -> dict[str, Any]:
        body = await ok(await client.get("/ad_reports", params={**WINDOW, **scope}))
        return body["summary"]  # type: ignore[no-any-return]

    ads = [await summary(ad_id=tree[ad]) for ad in ("a1", "a2")]
    group = await summary(ad_group_id=tree["g1"])
    assert group["impressions"] == sum(ad["impressions"] for ad in ads)
    both = await summary(ad_ids=[tree["a1"], tree["a2"]])
    assert both["impressions"] == group["impressions"] and both["spend"] == group["spend"]
    campaign = await summary(ad_campaign_id=tree["c1"])
    groups = await summary(ad_group_ids=[tree["g1"], tree["g2"]])
    assert campaign == groups


async def test_empty_window(
    client: httpx.AsyncClient, tree: dict[str, str], tenant: Tenant
) -> None:
    report = await ok(
        await client.get(
            "/ad_reports",
            params={"from": "2025-01-01", "to": "2025-01-02", "company_id": tenant.company_id,
                    "granularity": "daily", "breakdown": "ad"},
        )
    )  # fmt: skip
    assert report["summary"]["spend"] == 0 and report["summary"]["impressions"] == 0
    assert report["summary"]["cost_per_mille"] is None
    assert report["summary"]["frequency"] is None
    assert [day["spend"] for day in report["granularity"]] == [0, 0]
    assert report["breakdown"] == []


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({}, "company_id"),
        ({"company_id": "{company}", "ad_id": "{a1}"}, "ad_id"),
        ({"ad_campaign_id": "{c1}", "ad_campaign_ids": "{c1}"}, "ad_campaign_ids"),
        ({"company_id": "{company}", "currency": "eur"}, "currency"),
        ({"company_id": "{company}", "granularity": "yearly"}, "granularity"),
        ({"company_id": "{company}", "breakdown": "creative"}, "breakdown"),
        ({"company_id": "{company}", "from": "yesterday"}, "from"),
        ({"company_id": "{company}", "from": "2026-03-30", "to": "2026-03-28"}, "to"),
    ],
)
async def test_invalid_requests(
    client: httpx.AsyncClient,
    tree: dict[str, str],
    tenant: Tenant,
    params: dict[str, str],
    param: str,
) -> None:
    names = {**tree, "company": tenant.company_id}
    query = {**WINDOW, **{key: value.format(**names) for key, value in params.items()}}
    response = await client.get("/ad_reports", params=query)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("parameter_invalid", param)


async def test_from_and_to_are_required(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.get(
        "/ad_reports", params={"to": "2026-03-01", "company_id": tenant.company_id}
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "from"


async def test_too_many_ids(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/ad_reports", params={**WINDOW, "ad_ids": [f"ad_{n}" for n in range(101)]}
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "ad_ids"


@pytest.mark.parametrize("scope", ["company_id", "ad_campaign_id", "ad_group_ids", "ad_ids"])
async def test_another_companys_ids_are_not_found(
    other_client: httpx.AsyncClient, tree: dict[str, str], tenant: Tenant, scope: str
) -> None:
    value = {
        "company_id": tenant.company_id,
        "ad_campaign_id": tree["c1"],
        "ad_group_ids": tree["g1"],
        "ad_ids": tree["a1"],
    }[scope]
    response = await other_client.get("/ad_reports", params={**WINDOW, scope: value})
    assert response.status_code == 404, response.text
    assert response.json()["error"]["param"] == scope
    series = await other_client.get(
        "/stats/time_series/ad_spend", params={**WINDOW, "ad_ids": tree["a1"]}
    )
    assert series.status_code == 404


async def test_stats_scope_is_required(
    anonymous: httpx.AsyncClient, tenant: Tenant, make_key: Any
) -> None:
    key = await make_key(tenant, [scopes.AD_CAMPAIGN_BASIC_READ])
    headers = {"Authorization": f"Bearer {key}"}
    for path in (
        "/ad_reports",
        "/stats/time_series",
        "/stats/time_series/ad_spend",
        "/stats/reports",
        "/stats",
        "/stats/ad_spend",
    ):
        response = await anonymous.get(
            path, params={**WINDOW, "company_id": tenant.company_id}, headers=headers
        )
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "missing_scope"
    allowed = await make_key(tenant, [scopes.AD_CAMPAIGN_STATS_READ])
    response = await anonymous.get(
        "/ad_reports",
        params={**WINDOW, "company_id": tenant.company_id},
        headers={"Authorization": f"Bearer {allowed}"},
    )
    assert response.status_code == 200


async def test_every_version_answers_the_same_report_in_its_names(
    client: httpx.AsyncClient, tree: dict[str, str], tenant: Tenant
) -> None:
    """The June 2026 clients (2026-06-20 and older) abbreviated a summary's ratios."""
    params = {**WINDOW, "company_id": tenant.company_id, "granularity": "daily", "breakdown": "ad"}
    newest = await ok(await client.get("/ad_reports", params=params))
    for version in ("2026-06-20", "2025-01-01"):
        older = await ok(
            await client.get("/ad_reports", params=params, headers={"Api-Version-Date": version})
        )
        AdReport20260620.model_validate(older, strict=True)
        for new, old in zip(
            [newest["summary"], *(row["summary"] for row in newest["breakdown"])],
            [older["summary"], *(row["summary"] for row in older["breakdown"])],
            strict=True,
        ):
            for newer_name, older_name in REPORT_METRIC_NAMES.items():
                assert old.pop(older_name) == new.pop(newer_name)
        assert older == newest
        newest = await ok(await client.get("/ad_reports", params=params))
    release_report = await ok(
        await client.get("/ad_reports", params=params, headers={"Api-Version-Date": "2026-07-08-1"})
    )
    assert release_report == newest


# --- time series ----------------------------------------------------------------------


async def test_the_metric_catalog(client: httpx.AsyncClient) -> None:
    catalog = await ok(await client.get("/stats/time_series"))
    assert [metric["key"] for metric in catalog["data"]] == ["ad_spend", "ad_delivery"]


@pytest.mark.parametrize("interval", ["hour", "day", "week", "month", "year"])
@pytest.mark.parametrize("metric", ["ad_spend", "ad_delivery"])
async def test_time_series_totals_equal_the_sum_of_points(
    client: httpx.AsyncClient, tree: dict[str, str], interval: str, metric: str
) -> None:
    series = await ok(
        await client.get(
            f"/stats/time_series/{metric}",
            params={**WINDOW, "interval": interval, "time_zone": "Europe/Paris"},
        )
    )
    data = series["data"]
    [total] = data["totals"]
    assert total["name"] == metric
    points = data["points"]
    stamps = [point["timestamp"] for point in points]
    assert stamps == sorted(stamps)
    if metric == "ad_spend":
        assert data["currency"] == "usd"
        assert sum(cents(point["value"]) for point in points) == cents(total["value"])
    else:
        assert "currency" not in data
        assert sum(point["value"] for point in points) == total["value"]
        assert total["value"] == sum(100 + i * 7 + a for i in range(HOURS) for a in range(1, 5))
    if interval == "day":
        assert stamps == [
            int(datetime(2026, 3, 27, 23, tzinfo=UTC).timestamp()),
            int(datetime(2026, 3, 28, 23, tzinfo=UTC).timestamp()),
            int(datetime(2026, 3, 29, 22, tzinfo=UTC).timestamp()),
        ]


async def test_time_series_scopes_sum_and_match_the_report(
    client: httpx.AsyncClient, tree: dict[str, str]
) -> None:
    series = await ok(
        await client.get(
            "/stats/time_series/ad_spend",
            params={**WINDOW, "ad_ids": [tree["a1"], tree["a2"]], "time_zone": "Europe/Paris"},
        )
    )
    report = await ok(await client.get("/ad_reports", params={**WINDOW, "ad_group_id": tree["g1"]}))
    assert series["data"]["totals"][0]["value"] == report["summary"]["spend"]


async def test_time_series_empty_window_and_errors(
    client: httpx.AsyncClient, tree: dict[str, str]
) -> None:
    empty = await ok(
        await client.get(
            "/stats/time_series/ad_delivery", params={"from": "2025-01-01", "to": "2025-01-03"}
        )
    )
    assert [point["value"] for point in empty["data"]["points"]] == [0, 0, 0]
    assert empty["data"]["totals"] == [{"name": "ad_delivery", "value": 0}]
    for params, param, status in (
        ({"interval": "minute"}, "interval", 400),
        ({"interval": "fortnight"}, "interval", 400),
        ({"convert_to": "eur"}, "convert_to", 400),
        ({"breakdown_by": "currency"}, "breakdown_by", 400),
        ({"time_zone": "Mars/Olympus"}, "time_zone", 400),
        ({"account_id": "biz_other"}, "account_id", 404),
    ):
        response = await client.get("/stats/time_series/ad_spend", params={**WINDOW, **params})
        assert response.status_code == status, (params, response.text)
        assert response.json()["error"]["param"] == param
    unknown = await client.get("/stats/time_series/net_revenue", params=WINDOW)
    assert unknown.status_code == 404


def test_largest_remainder_sums_to_the_rounded_total() -> None:
    parts = [3_350, 3_350, 3_350]  # 0.335 cents each
    assert allocate_cents(parts, round_cents(sum(parts))) == [1, 0, 0]
    parts = [335_000] * 3  # $0.335 each: $1.005 rounds half-even to $1.00
    assert sum(allocate_cents(parts, round_cents(sum(parts)))) == 100
    assert allocate_cents([], 0) == []


async def test_utc_days_from_the_rollups_equal_the_hours_summed_by_day(
    client: httpx.AsyncClient, engine: AsyncEngine, tree: dict[str, str], tenant: Tenant
) -> None:
    """In UTC, daily buckets and points come from the daily rollups; they equal the hourly
    buckets (read from the hours) added up per day, object by object."""
    await set_company_timezone(engine, tenant.company_id, "UTC")
    params = {**WINDOW, "company_id": tenant.company_id, "breakdown": "ad"}
    daily = await ok(await client.get("/ad_reports", params={**params, "granularity": "daily"}))
    hourly = await ok(await client.get("/ad_reports", params={**params, "granularity": "hourly"}))

    def by_day(buckets: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
        days: dict[str, tuple[int, int]] = {}
        for bucket in buckets:
            impressions, clicks = days.get(bucket["stat_date"], (0, 0))
            days[bucket["stat_date"]] = (
                impressions + bucket["impressions"],
                clicks + bucket["clicks"],
            )
        return days

    hourly_rows = {row["id"]: row for row in hourly["breakdown"]}
    assert len(daily["breakdown"]) == 4
    for row in daily["breakdown"]:
        assert by_day(row["granularity"]) == by_day(hourly_rows[row["id"]]["granularity"])
        assert row["summary"] == hourly_rows[row["id"]]["summary"]
        assert_sums(row["granularity"], row["summary"])
    series = await ok(
        await client.get("/stats/time_series/ad_delivery", params={**WINDOW, "interval": "day"})
    )
    per_day = by_day(hourly["granularity"])
    assert [point["value"] for point in series["data"]["points"]] == [
        per_day[day][0] for day in sorted(per_day)
    ]


@pytest.mark.parametrize(("release", "version"), RELEASES)
async def test_reports_answer_in_each_release_shapes(
    client: httpx.AsyncClient, tree: dict[str, str], tenant: Tenant, release: str, version: str
) -> None:
    """The report and time-series objects of each client release that has them validate
    against that release's own types (src/adline/versions/releases/)."""
    headers = {"Api-Version-Date": version}
    checked = 0
    report_shape = release_object(release, "ad_report")
    if report_shape is not None:
        for breakdown in (None, "ad"):
            params = {**WINDOW, "granularity": "daily", "company_id": tenant.company_id}
            if breakdown:
                params["breakdown"] = breakdown
            report = await ok(await client.get("/ad_reports", params=params, headers=headers))
            report_shape.model_validate(report, strict=True)
            checked += 1
    series_shape = release_object(release, "time_series")
    if series_shape is not None:
        for metric in ("ad_spend", "ad_delivery"):
            series = await ok(
                await client.get(
                    f"/stats/time_series/{metric}",
                    params={**WINDOW, "interval": "day"},
                    headers=headers,
                )
            )
            series_shape.model_validate(series, strict=True)
            checked += 1
    # 0.0.41 and 1.0.14 have the report; 2.3.0 and later the time series.
    assert checked == (
        2 if release in ("0.0.41", "1.0.14", "2.3.0", "2.4.0", "2.5.0", "2.6.0") else 0
    )
