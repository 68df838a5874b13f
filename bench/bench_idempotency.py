"""Benchmark the latency cost of idempotency on POST: `POST /api/v1/ad_campaigns` with a
fresh `Idempotency-Key` against the same POST without the header, in the same run.

Standalone: not part of the test suite, never imported by it. Run from the repo root:

    .venv/bin/python bench/bench_idempotency.py                 # a scratch PostgreSQL database
    .venv/bin/python bench/bench_idempotency.py --sqlite        # a temporary SQLite file

It creates a fresh store (by default a scratch database on the PostgreSQL server of
`--postgres`, dropped at the end), migrates it and writes one company with `--campaigns`
(20,000) campaigns straight through the ORM, so that each create inserts into tables and
indexes of a realistic size; then it starts `adline serve` on a free 127.0.0.1 port over it
(delivery worker off; rate limits far above the load, so the limiter takes its token but
never refuses). With one API key of every scope it sends campaign creates with a realistic
body (a $25 daily campaign budget, CBO, cost-cap bidding), at each `--concurrency` (1 and
8): each client alternates the two arms request by request (plain, idempotent, plain, ...;
half the clients start with the other arm), so drifting load weighs on both alike. An
idempotent request carries a new key (a UUID), as a client's first attempt does: the cost
measured is the reservation, the stored answer and its commit. After a warm-up of
`--warmup` requests per arm it measures `--requests` (3,000) per arm and client count.

It prints p50 and p99 of each arm, the ratios idempotent / plain, and the same ratios of
the run's first and second halves (their spread says how far to trust the ratios). Every
answer must be 200; at the end one key is sent again and must replay the first answer.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from serve import (  # bench/serve.py, beside this script
    DEFAULT_POSTGRES,
    Server,
    print_run_header,
    ratio,
    scratch_postgres,
    store_name,
    working_tree_description,
)

from adline.auth.scopes import ALL_SCOPES
from adline.auth.service import create_api_key
from adline.campaigns.models import AdCampaign
from adline.companies.service import create_company
from adline.core.clock import ManualClock
from adline.core.db import create_engine, create_sessionmaker
from adline.core.ids import new_id
from adline.core.migrate import migrate
from adline.versions import NEWEST

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
SEED_BATCH = 2_000
OBJECTIVES = ("sales", "traffic", "leads", "awareness")


def create_body(number: int) -> dict[str, object]:
    """A campaign create as a client sends one: CBO with a daily budget and a cost cap."""
    return {
        "title": f"Winter sale {number:05d} (EU, prospecting)",
        "objective": "sales",
        "platform": "meta",
        "budget_optimization": "ad_campaign",
        "budget_type": "daily",
        "budget_amount": 25,
        "bid_type": "average_target",
        "desired_cost_per_result": 12.5,
    }


async def seed(database_url: str, campaigns: int) -> tuple[str, str]:
    """One company with `campaigns` campaigns (created over the last year) and a key of
    every scope: (company id, key)."""
    engine = create_engine(database_url)
    clock = ManualClock(datetime.now(UTC) - timedelta(days=365))
    sessionmaker = create_sessionmaker(engine)
    try:
        async with sessionmaker() as session, session.begin():
            company, _ = await create_company(session, clock, name="Bench Co")
            issued = await create_api_key(
                session, clock, company_id=company.id, scopes=list(ALL_SCOPES)
            )
        step = timedelta(days=365) / max(1, campaigns)
        for first in range(0, campaigns, SEED_BATCH):
            async with sessionmaker() as session, session.begin():
                for number in range(first, min(campaigns, first + SEED_BATCH)):
                    at = clock.now() + number * step
                    session.add(
                        AdCampaign(
                            id=new_id("adcamp"),
                            company_id=company.id,
                            title=f"Campaign {number:05d}",
                            status=("active", "paused", "draft")[number % 3],
                            platform="meta",
                            campaign_type="standard",
                            objective=OBJECTIVES[number % len(OBJECTIVES)],
                            special_ad_categories=[],
                            budget_optimization="ad_group",
                            target_country_codes=[],
                            ad_creative_set_ids=[],
                            created_at=at,
                            updated_at=at,
                        )
                    )
        return company.id, issued.secret
    finally:
        await engine.dispose()


@dataclass
class Arm:
    name: str
    idempotent: bool
    latencies: list[float] = field(default_factory=list)


def percentiles(latencies: list[float]) -> tuple[float, float]:
    """(p50, p99) in milliseconds."""
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return cuts[49] * 1e3, cuts[98] * 1e3


async def load(
    base_url: str,
    headers: dict[str, str],
    arms: tuple[Arm, Arm],
    per_arm: int,
    concurrency: int,
    numbers: list[int],
) -> None:
    """`per_arm` requests of each arm from `concurrency` clients, each alternating arms."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    turns = [
        per_arm * 2 // concurrency + (i < per_arm * 2 % concurrency) for i in range(concurrency)
    ]
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=60.0, trust_env=False
    ) as client:

        async def one_client(index: int) -> None:
            for turn in range(turns[index]):
                arm = arms[(turn + index) % 2]
                numbers[0] += 1
                extra = {IDEMPOTENCY_HEADER: str(uuid.uuid4())} if arm.idempotent else {}
                began = time.perf_counter()
                answer = await client.post(
                    "/api/v1/ad_campaigns", json=create_body(numbers[0]), headers=extra
                )
                took = time.perf_counter() - began
                if answer.status_code != 200:
                    sys.exit(f"bench: {arm.name} answered {answer.status_code}: {answer.text}")
                arm.latencies.append(took)

        await asyncio.gather(*(one_client(index) for index in range(concurrency)))


async def check_replay(base_url: str, headers: dict[str, str]) -> None:
    """An idempotent create sent twice: the second answer is the first, replayed."""
    key = {IDEMPOTENCY_HEADER: str(uuid.uuid4())}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, trust_env=False) as client:
        first = await client.post("/api/v1/ad_campaigns", json=create_body(0), headers=key)
        again = await client.post("/api/v1/ad_campaigns", json=create_body(0), headers=key)
    if (
        first.status_code != 200
        or again.status_code != 200
        or again.headers.get(REPLAYED_HEADER) != "true"
        or again.json()["id"] != first.json()["id"]
    ):
        sys.exit(f"bench: no replay: {first.status_code} {again.status_code} {again.headers}")


def measure(
    base_url: str, headers: dict[str, str], concurrency: int, per_arm: int, warmup: int
) -> list[tuple[Arm, Arm]]:
    """Warm-up, then two halves of `per_arm` / 2 requests per arm: [(plain, idempotent)]."""
    numbers = [0]
    warm = (Arm("plain", False), Arm("idempotent", True))
    asyncio.run(load(base_url, headers, warm, warmup, concurrency, numbers))
    halves = []
    for _ in range(2):
        arms = (Arm("plain", False), Arm("idempotent", True))
        asyncio.run(load(base_url, headers, arms, per_arm // 2, concurrency, numbers))
        halves.append(arms)
    return halves


def report(concurrency: int, halves: list[tuple[Arm, Arm]]) -> None:
    plain = [x for half in halves for x in half[0].latencies]
    idempotent = [x for half in halves for x in half[1].latencies]
    plain_p50, plain_p99 = percentiles(plain)
    idem_p50, idem_p99 = percentiles(idempotent)
    print(f"\nconcurrency {concurrency}:")
    print(f"  {'arm':<40} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8}")
    print(f"  {'POST /ad_campaigns':<40} {len(plain):>9} {plain_p50:>8.2f} {plain_p99:>8.2f}")
    print(
        f"  {'POST /ad_campaigns + Idempotency-Key':<40} {len(idempotent):>9} "
        f"{idem_p50:>8.2f} {idem_p99:>8.2f}"
    )
    print(
        f"  ratio idempotent / plain: p50 {ratio(idem_p50, plain_p50):.2f}, "
        f"p99 {ratio(idem_p99, plain_p99):.2f}"
    )
    spread = []
    for number, (half_plain, half_idem) in enumerate(halves, start=1):
        hp50, hp99 = percentiles(half_plain.latencies)
        ip50, ip99 = percentiles(half_idem.latencies)
        spread.append(f"half {number}: p50 {ratio(ip50, hp50):.2f}, p99 {ratio(ip99, hp99):.2f}")
    print("  (" + "; ".join(spread) + ")")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--postgres",
        default=DEFAULT_POSTGRES,
        metavar="URL",
        help=f"PostgreSQL server for the scratch database (default {DEFAULT_POSTGRES})",
    )
    parser.add_argument(
        "--sqlite", action="store_true", help="a temporary SQLite file instead of PostgreSQL"
    )
    parser.add_argument("--campaigns", type=int, default=20_000, help="seeded (20,000)")
    parser.add_argument("--requests", type=int, default=3_000, help="per arm (3,000)")
    parser.add_argument("--warmup", type=int, default=200, help="warm-up requests per arm")
    parser.add_argument(
        "--concurrency",
        default="1,8",
        help="comma-separated client counts, each measured in turn (default 1,8)",
    )
    args = parser.parse_args()
    levels = [int(part) for part in args.concurrency.split(",")]
    if args.requests < 200 or args.campaigns < 0 or min(levels) < 1:
        parser.error("need --requests >= 200, --campaigns >= 0 and client counts >= 1")
    load_before = os.getloadavg()[0]

    with tempfile.TemporaryDirectory(prefix="adline-bench-") as tmp:
        workdir = Path(tmp)
        store = (
            contextlib.nullcontext(f"sqlite+aiosqlite:///{workdir / 'adline.db'}")
            if args.sqlite
            else scratch_postgres(args.postgres)
        )
        with store as database_url:
            started = time.perf_counter()
            migrate(database_url)
            company_id, key = asyncio.run(seed(database_url, args.campaigns))
            print(
                f"seeded {store_name(database_url)} in {time.perf_counter() - started:.1f} s: "
                f"company {company_id} with {args.campaigns:,} campaigns",
                flush=True,
            )
            server = Server(database_url, workdir, None)
            try:
                server.wait_ready()
                headers = {"Authorization": f"Bearer {key}", "Api-Version-Date": NEWEST}
                asyncio.run(check_replay(server.base_url, headers))
                print_run_header(
                    store=store_name(database_url),
                    code=working_tree_description(),
                    generator="httpx (asyncio), keep-alive connections, arms alternated",
                    params=f"{args.campaigns:,} campaigns seeded, {args.requests:,} requests "
                    f"per arm and client count, {args.warmup} warm-up, clients {args.concurrency}",
                    load_before=load_before,
                )
                for concurrency in levels:
                    began = time.perf_counter()
                    halves = measure(
                        server.base_url, headers, concurrency, args.requests, args.warmup
                    )
                    report(concurrency, halves)
                    print(f"  ({time.perf_counter() - began:.0f} s)", flush=True)
            finally:
                server.stop()


if __name__ == "__main__":
    main()
