"""Benchmark a page of 100 realistic campaigns with a 90-day stats window, one client.

Standalone: not part of the test suite, never imported by it. Run from the repo root:

    .venv/bin/python bench/bench_list_campaigns.py --postgres      # a scratch PostgreSQL database
    .venv/bin/python bench/bench_list_campaigns.py [--campaigns 100] [--days 90] [--seconds 10]
    .venv/bin/python bench/bench_list_campaigns.py --database-url URL --seeded FILE  # reuse a seed

It seeds a fresh store (as bench_get_campaign.py does, with bench/store.py) with one company
and `--campaigns` (100) campaigns of 3 ad groups x 2 ads, each with `--days` (90) days of
hourly stats ingested through `adline.stats.service.ingest` and about one attributed
conversion a day (`--conversions-per-day`; clicks through `record_click`, events through
`POST /events/batch`).
Then it starts `adline serve` over that store (delivery worker off) and loads, with one
connection, in interleaved rounds:

  - the floor, `GET /healthz`;
  - one campaign, `GET /api/v1/ad_campaigns/{id}?stats_from=...&stats_to=...`;
  - the page, `GET /api/v1/ad_campaigns?first=100&stats_from=...&stats_to=...`;

with the window the seeded 90 days (bare dates, UTC). It prints requests/s, p50 and p99 of
each, the ratios page / one campaign and page / floor, and the issue-11 target (page p99 at
one client <= 50 ms), then stops the server (and drops a `--postgres` database).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from serve import (
    Load,
    Server,
    Target,
    add_common_arguments,
    after_single_client,
    bench_store,
    check_common_arguments,
    code_under_test,
    print_run_header,
    print_table,
    ratio,
    seed_store,
    slices_for,
    store_name,
    verdict,
)

VERSION = "2026-10-15-1"
MAX_PAGE_P99_MS = 50.0  # issue 11's target


def check_page(server: Server, page: Target, seeded: dict[str, Any]) -> float:
    """The page lists every seeded campaign with the spend ingested for it; answers how
    long the read took."""
    expected = {c["id"]: c["spend_micros"] / 1e6 for c in seeded["campaigns"]}
    with httpx.Client(
        base_url=server.base_url, headers=page.headers, timeout=600.0, trust_env=False
    ) as client:
        started = time.perf_counter()
        response = client.get(page.path)
        took = time.perf_counter() - started
    if response.status_code != 200:
        server.fail(f"list: {response.status_code} {response.text[:500]}")
    items = response.json()["data"]
    read = {item["id"]: item["spend"] for item in items}
    if read.keys() != expected.keys():
        server.fail(f"list: {len(read)} campaigns read, {len(expected)} seeded")
    wrong = [i for i in expected if abs(read[i] - expected[i]) > 0.01]
    if wrong:
        server.fail(f"list: {wrong[0]} spend {read[wrong[0]]}, {expected[wrong[0]]} ingested")
    total = sum(read.values())
    print(f"  the page lists {len(items)} campaigns, spend ${total:,.2f}, read in {took:.2f} s")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_common_arguments(parser, seconds=10.0)
    parser.add_argument("--campaigns", type=int, default=100, help="campaigns (100, the page)")
    parser.add_argument("--days", type=int, default=90, help="days of history and window (90)")
    parser.add_argument(
        "--conversions-per-day",
        type=float,
        default=1.0,
        help="attributed events a day per campaign (1: 9,000 in all; each costs a click and "
        "an event through the API at seeding, a few ms on this machine)",
    )
    parser.add_argument(
        "--seeded",
        type=Path,
        default=None,
        metavar="FILE",
        help="with --database-url, keep the seeded store for later runs: when FILE is "
        "missing, seed the store and write what seeding answered to FILE (then create "
        "--database-url's database empty: seeding writes into it); when FILE exists, skip "
        "seeding and serve the store it describes, as it was left (the other options must "
        "be the ones it was seeded with)",
    )
    args = parser.parse_args()
    generator = check_common_arguments(parser, args)
    if not 1 <= args.campaigns <= 100 or args.days < 1:
        parser.error("need 1 <= --campaigns <= 100 (one page) and --days >= 1")
    if args.seeded is not None and args.database_url is None:
        parser.error("--seeded needs --database-url (a database kept between runs)")
    load_before = os.getloadavg()[0]

    with tempfile.TemporaryDirectory(prefix="adline-bench-") as tmp:
        workdir = Path(tmp)
        code, code_description = code_under_test(args.rev, workdir)
        with bench_store(args, workdir) as database_url:
            store = store_name(database_url)
            started = time.perf_counter()
            if args.seeded is not None and args.seeded.exists():
                seeded = json.loads(args.seeded.read_text())
                if len(seeded["campaigns"]) != args.campaigns:
                    parser.error(f"{args.seeded}: seeded with other --campaigns")
                print(f"reusing the store seeded as {args.seeded} says", flush=True)
            else:
                seeded = seed_store(
                    database_url,
                    code,
                    days=[args.days] * args.campaigns,
                    groups=3,
                    ads_per_group=2,
                    conversions_per_day=args.conversions_per_day,
                )
                seeded["seconds"] = time.perf_counter() - started
                if args.seeded is not None:
                    args.seeded.write_text(json.dumps(seeded))
            print(
                f"seeded {store} in {seeded['seconds']:.1f} s: {args.campaigns} "
                f"campaigns x 3 groups x 2 ads, {args.days} days; {seeded['stat_rows']:,} stat "
                f"rows ingested in {seeded['stats_seconds']:.1f} s, {seeded['events']:,} events "
                f"({seeded['attributed']:,} attributed to recorded clicks) in "
                f"{seeded['conversions_seconds']:.1f} s",
                flush=True,
            )
            end = datetime.fromisoformat(seeded["end"])
            window = (
                f"stats_from={(end - timedelta(days=args.days)).date()}"
                f"&stats_to={(end - timedelta(days=1)).date()}"
            )
            server = Server(database_url, workdir, code, args.workers)
            try:
                server.wait_ready()
                headers = {
                    "Authorization": f"Bearer {seeded['key']}",
                    "Api-Version-Date": VERSION,
                }
                one_id = seeded["campaigns"][0]["id"]
                floor = Target("GET /healthz (floor)", "/healthz", {})
                one = Target(
                    f"GET campaign, {args.days}-day window",
                    f"/api/v1/ad_campaigns/{one_id}?{window}",
                    headers,
                )
                page = Target(
                    f"GET {args.campaigns} campaigns, {args.days}-day",
                    f"/api/v1/ad_campaigns?first=100&{window}",
                    headers,
                )
                took = check_page(server, page, seeded)
                load = Load(generator, server.base_url, workdir, args.wrk_threads)
                per_slice = load.slice_seconds(args.seconds, args.rounds)
                slice_s, rounds = slices_for(took, 1, args.seconds, args.rounds, per_slice)
                print(
                    f"adline bench: {generator}, 1 connection, {rounds} rounds x {slice_s:g} s "
                    f"per endpoint after {args.warmup:g} s warm-up each, store {store}, "
                    f"server {server.base_url}",
                    flush=True,
                )
                results = load.interleaved(
                    [floor, one, page],
                    slice_s * rounds,
                    rounds,
                    1,
                    args.warmup,
                    settle=after_single_client(took),
                )
            finally:
                server.stop()
                server_errors = server.error_lines()

    print()
    print_run_header(
        store=store,
        code=code_description,
        generator=load.describe(),
        params=f"1 connection, {rounds} rounds x {slice_s:g} s per endpoint (floor, one "
        f"campaign, the page, each round), {args.warmup:g} s warm-up each; {args.campaigns} "
        f"campaigns of 3 x 2 ads with {args.days} days of hourly stats, "
        f"{args.conversions_per_day:g} attributed conversions a day; window {window}",
        load_before=load_before,
    )
    print()
    print_table(results)
    print("(req/s over all rounds; p50/p99 are the median of the rounds' percentiles)")
    floor_result, one_result, page_result = results
    print()
    print(
        f"ratio page / one campaign: p50 {ratio(page_result.p50_ms, one_result.p50_ms):.1f}"
        f"   page / floor: p50 {ratio(page_result.p50_ms, floor_result.p50_ms):.0f}"
    )
    met = page_result.p99_ms <= MAX_PAGE_P99_MS
    print(
        f"page p99 at 1 connection: {page_result.p99_ms:.1f} ms   target <= "
        f"{MAX_PAGE_P99_MS:g} ms  {verdict(met)}"
    )
    if any(r.errors for r in results):
        print("WARNING: some requests failed (see the errors column); the server logged:")
        for line in server_errors:
            print(f"  {line[:300]}")
        sys.exit(1)


if __name__ == "__main__":
    main()
