"""What a campaign read costs in this process's CPU, layer by layer, against GET /healthz.

Standalone: not part of the test suite, never imported by it. Run from the repo root:

    .venv/bin/python bench/bench_read_layers.py [--requests 3200] [--concurrency 64]
    .venv/bin/python bench/bench_read_layers.py --postgres     # a scratch PostgreSQL database

It seeds a store as bench_get_campaign.py does (bench/store.py: one campaign of 3 ad
groups x 2 ads with `--days` (90) days of hourly stats and 3 attributed conversions a
day), builds the app in this process, adds seven probe routes that stop at successive
layers of a read, and calls the app directly through ASGI (no sockets, no HTTP parsing:
those cost every endpoint alike) with `--concurrency` requests in flight:

  - `/healthz`: the floor;
  - a plain route under /api/v1 (no dependency of its own): the edge's middleware for the
    API (rate limit headers, versions, idempotency) and the route table;
  - one SQL statement as bare as SQLAlchemy's async engine runs it (the campaign's row by
    its key: a pooled connection, its driver's own SQL text, autocommit, no ORM, no
    dependency), outside /api/v1 and under it: the least any route that reads the
    database costs in this stack;
  - + the auth dependency and the request's session (`CanReadAds`, `SessionDep`);
  - + the four stats window parameters (`Window`);
  - + one ORM statement (the campaign's row);
  - the real read, `GET /api/v1/ad_campaigns/{id}`.

It prints, per layer, this process's CPU time per request (what bounds throughput when
the process is saturated) and its wall time, in interleaved rounds. A read at 0.25 of the
floor's throughput must cost at most 4 x the floor's CPU (plus the HTTP layer's cost,
which is the same for both). The probe routes exist only in this script's app.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import uvloop
from fastapi import Request
from fastapi.responses import JSONResponse
from serve import bench_store, seed_store, store_name
from sqlalchemy import select

# The probe routes' annotations are resolved in this module's namespace.
from adline.app import create_app
from adline.auth.dependencies import CanReadAds, SessionDep
from adline.campaigns.models import AdCampaign
from adline.config import Settings
from adline.metrics.window import Window

VERSION = "2026-10-15-1"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3200, help="requests per layer a round")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--days", type=int, default=90)
    store = parser.add_mutually_exclusive_group()
    store.add_argument("--database-url", help="a store to seed (never one in use)")
    store.add_argument(
        "--postgres",
        nargs="?",
        const="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
        help="seed and use a scratch database on this PostgreSQL server, dropped after",
    )
    return parser.parse_args()


async def measure(url: str, seeded: dict[str, Any], args: argparse.Namespace) -> None:
    os.environ.update(
        ADLINE_DATABASE_URL=url,
        ADLINE_DELIVERY_INTERVAL="0",
        # As bench/serve.py: the limiter's cost is measured, never its 429s.
        ADLINE_RATE_LIMIT_PER_SECOND="1000000000",
        ADLINE_RATE_LIMIT_BURST="1000000000",
    )
    # The plain probe is answered before authentication: charged to the key while this
    # process has it cached, else to the address (docs/api.md#rate-limits); neither limit
    # may be met either.
    settings = replace(
        Settings.from_env(), address_rate_limit_per_second=1e9, address_rate_limit_burst=10**9
    )
    app = create_app(settings)

    @app.get("/api/v1/probe_plain")
    async def probe_plain() -> JSONResponse:
        return JSONResponse({"ok": True})

    @app.get("/api/v1/probe_auth")
    async def probe_auth(principal: CanReadAds, session: SessionDep) -> JSONResponse:
        return JSONResponse({"ok": True})

    @app.get("/api/v1/probe_window")
    async def probe_window(
        principal: CanReadAds, session: SessionDep, window: Window
    ) -> JSONResponse:
        return JSONResponse({"ok": True})

    @app.get("/api/v1/probe_query/{campaign_id}")
    async def probe_query(
        campaign_id: str, principal: CanReadAds, session: SessionDep, window: Window
    ) -> JSONResponse:
        statement = select(AdCampaign).where(
            AdCampaign.id == campaign_id, AdCampaign.company_id == principal.company_id
        )
        campaign = (await session.execute(statement)).scalar_one()
        return JSONResponse({"id": campaign.id})

    async def campaign_row(request: Request, campaign_id: str) -> JSONResponse:
        engine = request.app.state.engine
        mark = "$1" if engine.dialect.name == "postgresql" else "?"
        async with engine.connect() as connection:
            if mark == "$1":
                # As the app's reads run on PostgreSQL: no BEGIN and COMMIT around them
                # (SQLite reads outside a transaction anyway).
                await connection.execution_options(isolation_level="AUTOCOMMIT")
            row = (
                await connection.exec_driver_sql(
                    f"SELECT id, title, status FROM ad_campaigns WHERE id = {mark}",
                    (campaign_id,),
                )
            ).one()
        return JSONResponse({"id": row[0]})

    @app.get("/probe_statement/{campaign_id}")
    async def probe_statement(request: Request, campaign_id: str) -> JSONResponse:
        return await campaign_row(request, campaign_id)

    @app.get("/api/v1/probe_statement/{campaign_id}")
    async def probe_api_statement(request: Request, campaign_id: str) -> JSONResponse:
        return await campaign_row(request, campaign_id)

    campaign_id = seeded["campaigns"][0]["id"]
    headers = [
        (b"host", b"adline.bench"),
        (b"authorization", f"Bearer {seeded['key']}".encode()),
        (b"api-version-date", VERSION.encode()),
    ]
    layers = [
        ("GET /healthz (floor)", "/healthz"),
        ("plain route under /api/v1", "/api/v1/probe_plain"),
        ("one bare statement", f"/probe_statement/{campaign_id}"),
        ("one bare statement, /api/v1", f"/api/v1/probe_statement/{campaign_id}"),
        ("+ auth and session", "/api/v1/probe_auth"),
        ("+ stats window parameters", "/api/v1/probe_window"),
        ("+ one ORM statement", f"/api/v1/probe_query/{campaign_id}"),
        ("GET campaign (the read)", f"/api/v1/ad_campaigns/{campaign_id}"),
    ]

    async def call(path: str) -> tuple[int, bytes]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 80),
            "state": {},
        }
        status = 0
        body = b""

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status, body
            if message["type"] == "http.response.start":
                status = message["status"]
            else:
                body += message.get("body", b"")

        await app(scope, receive, send)
        return status, body

    async def run(path: str, requests: int) -> None:
        async def one_client(count: int) -> None:
            for _ in range(count):
                status, body = await call(path)
                if status != 200:
                    sys.exit(f"bench: {path} answered {status}: {body[:300]!r}")

        share = max(1, requests // args.concurrency)
        await asyncio.gather(*(one_client(share) for _ in range(args.concurrency)))

    cpu: dict[str, list[float]] = {name: [] for name, _ in layers}
    wall: dict[str, list[float]] = {name: [] for name, _ in layers}
    async with app.router.lifespan_context(app):
        for _, path in layers:
            await run(path, args.concurrency * 4)  # warm: pools, caches, prepared statements
        for round_number in range(args.rounds):
            for name, path in layers:
                count = max(1, args.requests // args.concurrency) * args.concurrency
                cpu_started, wall_started = time.process_time(), time.perf_counter()
                await run(path, count)
                cpu[name].append((time.process_time() - cpu_started) / count * 1000)
                wall[name].append((time.perf_counter() - wall_started) / count * 1000)
            print(f"  round {round_number + 1}/{args.rounds} done", flush=True)

    floor = sorted(cpu[layers[0][0]])[args.rounds // 2]
    print(f"\n{args.concurrency} requests in flight, {args.requests} requests a layer a round")
    print(f"{'layer':<32} {'CPU ms/req':>11} {'x floor':>8} {'wall ms/req':>12}")
    print("-" * 66)
    for name, _ in layers:
        median_cpu = sorted(cpu[name])[args.rounds // 2]
        median_wall = sorted(wall[name])[args.rounds // 2]
        print(f"{name:<32} {median_cpu:>11.3f} {median_cpu / floor:>8.1f} {median_wall:>12.3f}")
    print("(medians of the rounds; CPU is this process's: on PostgreSQL the server's is extra)")


def main() -> None:
    args = parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="adline-layers-") as workdir,
        bench_store(args, Path(workdir)) as url,
    ):
        seeded = seed_store(
            url, None, days=[args.days], groups=3, ads_per_group=2, conversions_per_day=3.0
        )
        load = os.getloadavg()[0]
        print(f"store {store_name(url)}, load average before {load:.2f}", flush=True)
        uvloop.run(measure(url, seeded, args))


if __name__ == "__main__":
    main()
