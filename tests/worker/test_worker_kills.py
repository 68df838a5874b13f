"""`adline worker`, killed with SIGKILL at random points and started again each time,
records exactly what the same run without kills records: every ad-hour (impressions,
clicks, spend to the micro, revisions, when each arrived), the stats rollups, the spend
cap's ledger and the issues it raised.

Both runs fast-forward (`adline worker --from --until`) over a copy of one store holding
a seeded scenario: three campaigns on two networks (meta and tiktok), two of them under a
TOTAL spend cap that depletes during the run, in a company on New York time.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import make_url, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from adline.app import create_app
from adline.auth.scopes import ALL_SCOPES
from adline.auth.service import create_api_key
from adline.companies.service import create_company
from adline.config import Settings
from adline.core.clock import ManualClock
from adline.core.db import create_engine, create_sessionmaker
from adline.core.migrate import migrate
from adline.delivery.models import SimulatedNetworkState
from adline.funding.processor import SUCCEEDS
from adline.funding.service import save_test_card
from adline.versions import NEWEST
from tests import own_store
from tests.hierarchy.builders import ad_body, group_body, ok
from tests.spend_caps.payloads import cap_body

# The worker's passes sync every company's campaigns: each test has a store of its own.
database_url, engine = own_store.database_url, own_store.engine

ADLINE = str(Path(sys.executable).parent / "adline")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
UNTIL = START + timedelta(hours=30)
STEP = "1800"  # seconds between passes: two passes an hour
SEED = "4242"
KILLS = 8
# What the two runs must agree on, each table read whole and in a fixed order (`id`
# columns the worker draws at random are left out).
COMPARED: dict[str, tuple[str, ...]] = {
    "ad_stat_hours": (),
    "stat_days": (),
    "stat_lifetimes": (),
    "stat_entry_days": (),
    "stat_entry_lifetimes": (),
    "spend_cap_grants": (),
    "spend_caps": (),
    "platform_issues": ("id",),
}


# --- Stores ---------------------------------------------------------------------------------


@dataclass
class Stores:
    """A scenario store and its copies, on the server ADLINE_TEST_DATABASE names."""

    choice: str
    root: Path

    def url(self, name: str) -> str:
        if self.choice == "sqlite":
            return f"sqlite+aiosqlite:///{self.root / name}.db"
        return make_url(self.choice).set(database=name).render_as_string(hide_password=False)

    def create(self, name: str) -> str:
        if self.choice != "sqlite":
            _admin(self.choice, f'CREATE DATABASE "{name}"')
        return self.url(name)

    def copy(self, source: str, name: str) -> str:
        if self.choice == "sqlite":
            shutil.copyfile(self.root / f"{source}.db", self.root / f"{name}.db")
        else:
            _admin(self.choice, f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        return self.url(name)

    def drop(self, name: str) -> None:
        if self.choice != "sqlite":
            _admin(self.choice, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(url: str, statement: str) -> None:
    async def run() -> None:
        engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.execute(text(statement))
        await engine.dispose()

    asyncio.run(run())


@contextmanager
def stores(tmp_path: Path) -> Iterator[tuple[Stores, list[str]]]:
    made: list[str] = []
    found = Stores(os.environ.get("ADLINE_TEST_DATABASE", "sqlite"), tmp_path)
    try:
        yield found, made
    finally:
        for name in made:
            found.drop(name)


# --- The scenario -------------------------------------------------------------------------


async def build_scenario(url: str) -> None:
    clock = ManualClock(START)
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            company, _ = await create_company(
                session, clock, name="Kill test", timezone="America/New_York"
            )
            # Its campaigns launch on the simulated processor's good card (docs/funding.md).
            await save_test_card(session, clock, company.id, SUCCEEDS)
            key = await create_api_key(
                session, clock, company_id=company.id, scopes=list(ALL_SCOPES)
            )
        app = create_app(Settings(database_url=url), clock=clock, engine=engine)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://adline.test/api/v1",
            headers={"Authorization": f"Bearer {key.secret}", "Api-Version-Date": NEWEST},
        ) as client:
            cap = await ok(await client.post("/spend_caps", json=cap_body("40000000")))
            cap_id = cap["spend_cap"]["id"]
            plans: list[tuple[dict[str, Any], list[float | None]]] = [
                # CBO on meta, $60 a day over two groups, under the cap.
                (
                    {
                        "title": "Under the cap (meta)",
                        "objective": "sales",
                        "platform": "meta",
                        "budget_optimization": "ad_campaign",
                        "budget_amount": 60,
                        "spend_cap_id": cap_id,
                    },
                    [None, None],
                ),
                # ABO on tiktok, one $40 group, under the same cap.
                (
                    {
                        "title": "Under the cap (tiktok)",
                        "objective": "sales",
                        "platform": "tiktok",
                        "spend_cap_id": cap_id,
                    },
                    [40],
                ),
                # ABO on meta, two groups, no cap: its own budgets stop it each day.
                (
                    {"title": "Budgets only", "objective": "sales", "platform": "meta"},
                    [15, 25],
                ),
            ]
            for body, groups in plans:
                campaign = await ok(await client.post("/ad_campaigns", json=body))
                for budget in groups:
                    settings: dict[str, Any] = {"regions": {"include": {"countries": ["US"]}}}
                    if budget is None:
                        settings.update(budget_type=None, budget_amount=None)
                    else:
                        settings["budget_amount"] = budget
                    group = await ok(
                        await client.post("/ad_groups", json=group_body(campaign["id"], **settings))
                    )
                    for number in range(2):
                        await ok(
                            await client.post(
                                "/ads", json=ad_body(group["id"], title=f"Ad {number}")
                            )
                        )
                await ok(
                    await client.patch(f"/ad_campaigns/{campaign['id']}", json={"status": "active"})
                )
    finally:
        await engine.dispose()


# --- Running the worker -------------------------------------------------------------------


def worker_command(url: str) -> tuple[list[str], dict[str, str]]:
    env = dict(
        os.environ,
        ADLINE_DATABASE_URL=url,
        ADLINE_SIMULATOR_SEED=SEED,
        ADLINE_DELIVERY_INTERVAL="0",
    )
    command = [
        ADLINE,
        "worker",
        "--from",
        START.isoformat(),
        "--until",
        UNTIL.isoformat(),
        "--interval",
        STEP,
    ]
    return command, env


def run_to_the_end(url: str) -> None:
    command, env = worker_command(url)
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr


def run_with_kills(url: str, rng: random.Random) -> list[str]:
    """Start the worker and kill it (SIGKILL) at a random point: in the middle of a pass
    drawn at random among the next few, or soon after it is ready (while it takes up the
    networks again); KILLS times, then let a last one finish. Answers where each life
    ended."""
    command, env = worker_command(url)
    lives: list[str] = []
    last: datetime | None = None
    for _ in range(KILLS):
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        assert process.stderr is not None
        ready = process.stderr.readline()  # printed once the store is migrated
        assert "Delivery worker on" in ready, ready
        passes = rng.randrange(6)  # whole passes to let it record first
        jitter = rng.uniform(0.0, 0.3 if passes == 0 else 0.15)
        asyncio.run(wait_for_passes(url, process, last, passes))
        try:
            process.wait(timeout=jitter)
            outcome = "finished"
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            assert process.returncode == -signal.SIGKILL
            outcome = "killed"
        process.stderr.close()
        last = asyncio.run(wait_for_passes(url, process, last, 0))
        when = "-" if last is None else f"{last:%d %H:%M}"
        lives.append(f"{outcome} {jitter:.2f} s after {passes} passes, last pass {when}")
    run_to_the_end(url)
    return lives


async def wait_for_passes(
    url: str, process: subprocess.Popen[str], since: datetime | None, passes: int
) -> datetime | None:
    """Wait until the store records `passes` passes after `since` (or the worker exits);
    answers the last recorded pass."""
    engine = create_engine(url)
    step = timedelta(seconds=int(STEP))
    try:
        while True:
            async with engine.connect() as connection:
                recorded = list(await connection.scalars(select(SimulatedNetworkState.pulled_at)))
            last = min(recorded) if recorded and None not in recorded else None
            done = 0 if last is None else (last - (since or START - step)) // step
            if done >= passes or process.poll() is not None:
                return last
            await asyncio.sleep(0.01)
    finally:
        await engine.dispose()


async def dump(url: str) -> dict[str, list[dict[str, Any]]]:
    """The compared tables, row by row, and each network's last recorded pass."""
    engine = create_engine(url)
    try:
        out: dict[str, list[dict[str, Any]]] = {}
        async with engine.connect() as connection:
            for table, left_out in COMPARED.items():
                result = await connection.execute(text(f"SELECT * FROM {table}"))
                rows = [
                    {name: value for name, value in row._mapping.items() if name not in left_out}
                    for row in result
                ]
                out[table] = sorted(rows, key=repr)
            result = await connection.execute(
                text("SELECT id, pulled_at FROM simulated_networks ORDER BY id")
            )
            out["networks"] = [dict(row._mapping) for row in result]
        return out
    finally:
        await engine.dispose()


# --- The test -----------------------------------------------------------------------------


def test_a_worker_killed_eight_times_records_what_an_unkilled_one_does(tmp_path: Path) -> None:
    started = time.monotonic()
    with stores(tmp_path) as (found, made):
        token = secrets.token_hex(4)
        base, calm, killed = (f"adline_kill_{token}_{name}" for name in ("base", "calm", "killed"))
        made.extend([calm, killed, base])  # dropped in this order (the copies first)
        base_url = found.create(base)
        migrate(base_url)
        asyncio.run(build_scenario(base_url))
        calm_url, killed_url = found.copy(base, calm), found.copy(base, killed)

        run_to_the_end(calm_url)
        lives = run_with_kills(killed_url, random.Random(13))
        expected, actual = asyncio.run(dump(calm_url)), asyncio.run(dump(killed_url))

    elapsed = time.monotonic() - started
    hours = expected["ad_stat_hours"]
    spend = sum(row["spend_micros"] for row in hours)
    [cap] = expected["spend_caps"]
    print(
        f"\n{len(hours)} ad-hours, ${spend / 1e6:,.2f} spent, cap committed "
        f"{cap['granted_micros']}; lives: {lives}; {elapsed:.1f} s"
    )
    # Most kills land while the run is under way, at different passes.
    killed = [life for life in lives if life.startswith("killed")]
    assert len(killed) >= KILLS - 2, lives
    assert len({life.rsplit("last pass ", 1)[-1] for life in killed}) >= 4, lives
    # Both runs did something worth comparing: every pass ran (on both networks), ads
    # delivered on both, late corrections arrived, the cap was spent to the micro.
    assert [network["id"] for network in expected["networks"]] == [f"meta:{SEED}", f"tiktok:{SEED}"]
    assert len({row["ad_id"] for row in hours}) == 10
    assert any(row["revision"] > 1 for row in hours)
    assert cap["granted_micros"] == 40_000_000
    for table in COMPARED:
        assert actual[table] == expected[table], table
    assert actual["networks"] == expected["networks"]
