"""`adline export spend-caps --date D --out DIR`: every cap's daily summary row for local
day D (each company's own zone) as Parquet in DIR/date=D/, read back with pyarrow."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.clock import ManualClock
from adline.spend_caps.summary import day_bounds
from tests.conftest import Tenant
from tests.helpers import set_company_timezone
from tests.spend_caps.test_daily_summary import (
    USD,
    cap_with_campaigns,
    days,
    micros,
    spend,
    utc,
)
from tests.test_cli import run

SCHEMA = pa.schema(
    [
        ("company_id", pa.string()),
        ("spend_cap_id", pa.string()),
        ("date", pa.date32()),
        ("time_zone", pa.string()),
        ("currency", pa.string()),
        ("spend_micro", pa.int64()),
        ("applied_ad_spending_micro", pa.int64()),
        ("remaining_micro", pa.int64()),
        ("amount_micro", pa.int64()),
        ("status", pa.string()),
        ("campaign_ids", pa.list_(pa.string())),
        ("day_closed", pa.bool_()),
    ]
)


def export(cli_env: dict[str, str], day: str, out: Path) -> list[dict[str, object]]:
    result = run(cli_env, "export", "spend-caps", "--date", day, "--out", str(out))
    assert result.returncode == 0, result.stderr
    path = out / f"date={day}" / "spend_cap_daily_summary.parquet"
    assert result.stdout.strip() == str(path)
    assert "rows" in result.stderr
    table = pq.read_table(path)
    assert table.schema.remove_metadata() == SCHEMA
    rows: list[dict[str, object]] = table.to_pylist()
    return rows


def folders(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


async def test_the_export_holds_each_caps_row_in_its_companys_zone(
    cli_env: dict[str, str],
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
    tenant: Tenant,
    other_tenant: Tenant,
    tmp_path: Path,
) -> None:
    await set_company_timezone(engine, other_tenant.company_id, "America/New_York")
    utc_cap = await cap_with_campaigns(client, engine, clock, period="TOTAL", end=None)
    ny_cap = await cap_with_campaigns(
        other_client, engine, clock, campaigns=1, period="DAILY", amount_micro=str(5 * USD)
    )
    first, second = utc_cap.ads
    [ny_ad] = ny_cap.ads
    hours = [
        (first, utc(2026, 3, 1, 10), 1.0),
        (first, utc(2026, 3, 2, 10), 2.0),
        (second, utc(2026, 3, 2, 23), 3.0),
        (first, utc(2026, 3, 3, 3), 4.0),  # 2026-03-03 in UTC
        (ny_ad, utc(2026, 3, 2, 10), 2.5),
        (ny_ad, utc(2026, 3, 3, 3), 4.0),  # 22:00 on 2026-03-02 in New York
    ]
    await spend(engine, clock, *hours)

    rows = export(cli_env, "2026-03-02", tmp_path)
    assert all(row["date"] == date(2026, 3, 2) for row in rows)
    mine = {row["spend_cap_id"]: row for row in rows}
    assert len(mine) == len(rows)  # one row per cap
    now = datetime.now(UTC)
    utc_row, ny_row = mine[utc_cap.cap["id"]], mine[ny_cap.cap["id"]]
    assert utc_row == {
        "company_id": tenant.company_id,
        "spend_cap_id": utc_cap.cap["id"],
        "date": date(2026, 3, 2),
        "time_zone": "UTC",
        "currency": "USD",
        "spend_micro": 5 * USD,
        "applied_ad_spending_micro": 6 * USD,
        "remaining_micro": 50_000 * USD - 6 * USD,
        "amount_micro": 50_000 * USD,
        "status": "ACTIVE",
        "campaign_ids": sorted(utc_cap.campaigns),
        "day_closed": now >= day_bounds(date(2026, 3, 2), ZoneInfo("UTC")).end,
    }
    assert ny_row == {
        "company_id": other_tenant.company_id,
        "spend_cap_id": ny_cap.cap["id"],
        "date": date(2026, 3, 2),
        "time_zone": "America/New_York",
        "currency": "USD",
        "spend_micro": 6_500_000,
        "applied_ad_spending_micro": 6_500_000,
        "remaining_micro": 0,
        "amount_micro": 5 * USD,
        "status": "DEPLETED",
        "campaign_ids": ny_cap.campaigns,
        "day_closed": now >= day_bounds(date(2026, 3, 2), ZoneInfo("America/New_York")).end,
    }

    # The file agrees with the API, and a TOTAL cap's days add up to its cumulative spend.
    for cap, http in ((utc_cap, client), (ny_cap, other_client)):
        [api] = (await days(http, cap.cap["id"], "2026-03-02", "2026-03-02"))["daily_summary"]
        row = mine[cap.cap["id"]]
        assert row["spend_micro"] == micros(api["spend"])
        assert row["applied_ad_spending_micro"] == micros(api["applied_ad_spending"])
        assert row["status"] == api["status"]
    spent = 0
    for day in ("2026-03-01", "2026-03-02"):
        [row] = [
            r for r in export(cli_env, day, tmp_path) if r["spend_cap_id"] == utc_cap.cap["id"]
        ]
        spent += int(row["spend_micro"])  # type: ignore[call-overload]
    assert spent == utc_row["applied_ad_spending_micro"]
    assert folders(tmp_path) == ["date=2026-03-01", "date=2026-03-02"]


async def test_a_day_still_to_come_is_not_closed(
    cli_env: dict[str, str],
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    setup = await cap_with_campaigns(client, engine, clock, campaigns=1, period="DAILY", end=None)
    rows = export(cli_env, "2099-01-01", tmp_path)
    [row] = [row for row in rows if row["spend_cap_id"] == setup.cap["id"]]
    assert row["day_closed"] is False
    assert (row["spend_micro"], row["campaign_ids"], row["status"]) == (0, [], "ACTIVE")
    # Exporting the day again replaces its file.
    again = export(cli_env, "2099-01-01", tmp_path)
    assert len(again) == len(rows)
