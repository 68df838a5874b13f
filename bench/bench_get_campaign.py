"""Benchmark GET /api/v1/ad_campaigns/{id} of realistic campaigns against GET /healthz.

Standalone: not part of the test suite, never imported by it. Run from the repo root:

    .venv/bin/python bench/bench_get_campaign.py [--seconds 10] [--concurrency 64]
    .venv/bin/python bench/bench_get_campaign.py --postgres     # a scratch PostgreSQL database

It seeds a fresh store (a temporary SQLite file, `--postgres`, or `--database-url`) with one
company and three campaigns of 3 ad groups x 2 ads each, with `--days` (90), `--short-days`
(7) and `--long-days` (365) days of history: every hour of every ad ingested through
`adline.stats.service.ingest` (a day at a time, with event maps: views, carts, purchases
with values, leads), and about `--conversions-per-day` (3) conversion events a day, each
following a click recorded with `record_click` and attributed to it, through
`POST /events/batch` (bench/store.py). Then it starts `adline serve` on a free 127.0.0.1
port over that store (delivery worker off) and loads, with the same generator:

  - at one connection: the floor (`/healthz`, a constant answer from the same process) and
    the lifetime read of each of the three campaigns, in interleaved rounds so that
    drifting background load weighs on all alike (single-client latency, and the cost of
    the 365-day read against the 7-day one);
  - at `--concurrency` (64) connections: the floor and the 90-day read, interleaved the
    same way. A read still slow enough that 64 of them queue for longer than a slice gets
    longer slices (up to 60 s), and after every slice the script waits until a probe read
    is as quick as alone again (the server finishes what the generator left in flight).

It prints requests/s, p50 and p99 of each, the ratio 90-day read / floor, the cost ratio of
the 365-day read to the 7-day one, and the issue-11 targets beside them, then stops the
server (and drops a `--postgres` database).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx
from serve import (
    Load,
    Result,
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
# Issue 11's targets.
MIN_FLOOR_RATIO = 0.25
MAX_P99_MS = 100.0
MAX_SINGLE_P99_MS = 10.0
MAX_HISTORY_RATIO = 1.5


def check_reads(server: Server, headers: dict[str, str], seeded: dict[str, object]) -> float:
    """Each campaign reads back with the spend that was ingested for it; answers the
    longest a second read of one took."""
    campaigns = seeded["campaigns"]
    assert isinstance(campaigns, list)
    with httpx.Client(
        base_url=server.base_url, headers=headers, timeout=60.0, trust_env=False
    ) as client:
        slowest = 0.0
        for campaign in campaigns:
            client.get(f"/api/v1/ad_campaigns/{campaign['id']}")
            started = time.perf_counter()
            response = client.get(f"/api/v1/ad_campaigns/{campaign['id']}")
            took = time.perf_counter() - started
            slowest = max(slowest, took)
            if response.status_code != 200:
                server.fail(f"read {campaign['id']}: {response.status_code} {response.text}")
            body = response.json()
            expected = campaign["spend_micros"] / 1e6
            if abs(body["spend"] - expected) > 0.01:
                server.fail(f"{campaign['id']}: spend {body['spend']} read, {expected} ingested")
            print(
                f"  {campaign['days']:>3} days: {campaign['id']} reads spend ${body['spend']:,.2f}"
                f", {body['impressions']:,.0f} impressions, {body['purchases']:,.0f} purchases"
                f" (read in {took * 1000:.0f} ms)",
                flush=True,
            )
    return slowest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_common_arguments(parser, seconds=10.0)
    parser.add_argument(
        "--concurrency", type=int, default=64, help="keep-alive connections (default 64)"
    )
    parser.add_argument("--days", type=int, default=90, help="history of the main campaign")
    parser.add_argument("--short-days", type=int, default=7, help="the short history (7)")
    parser.add_argument("--long-days", type=int, default=365, help="the long history (365)")
    parser.add_argument("--groups", type=int, default=3, help="ad groups per campaign (3)")
    parser.add_argument("--ads-per-group", type=int, default=2, help="ads per group (2)")
    parser.add_argument(
        "--conversions-per-day", type=float, default=3.0, help="attributed events a day (3)"
    )
    args = parser.parse_args()
    generator = check_common_arguments(parser, args)
    if args.concurrency < 1 or min(args.days, args.short_days, args.long_days) < 1:
        parser.error("need --concurrency >= 1 and positive day counts")
    load_before = os.getloadavg()[0]

    with tempfile.TemporaryDirectory(prefix="adline-bench-") as tmp:
        workdir = Path(tmp)
        code, code_description = code_under_test(args.rev, workdir)
        with bench_store(args, workdir) as database_url:
            store = store_name(database_url)
            days = [args.days, args.short_days, args.long_days]
            started = time.perf_counter()
            seeded = seed_store(
                database_url,
                code,
                days=days,
                groups=args.groups,
                ads_per_group=args.ads_per_group,
                conversions_per_day=args.conversions_per_day,
            )
            print(
                f"seeded {store} in {time.perf_counter() - started:.1f} s: 3 campaigns x "
                f"{args.groups} groups x {args.ads_per_group} ads, {'/'.join(map(str, days))} "
                f"days; {seeded['stat_rows']:,} stat rows ingested in "
                f"{seeded['stats_seconds']:.1f} s, {seeded['events']:,} events "
                f"({seeded['attributed']:,} attributed to recorded clicks) in "
                f"{seeded['conversions_seconds']:.1f} s",
                flush=True,
            )
            server = Server(database_url, workdir, code, args.workers)
            try:
                server.wait_ready()
                headers = {
                    "Authorization": f"Bearer {seeded['key']}",
                    "Api-Version-Date": VERSION,
                }
                slowest = check_reads(server, headers, seeded)
                ids = {c["days"]: c["id"] for c in seeded["campaigns"]}
                floor = Target("GET /healthz (floor)", "/healthz", {})
                reads = [
                    Target(f"GET campaign, {d} days", f"/api/v1/ad_campaigns/{ids[d]}", headers)
                    for d in days
                ]
                load = Load(generator, server.base_url, workdir, args.wrk_threads)
                per_slice = load.slice_seconds(args.seconds, args.rounds)
                # Slices long enough for a few of the slowest read, even with one client.
                single_slice, single_rounds = slices_for(
                    slowest, 1, args.seconds, args.rounds, per_slice
                )
                print(
                    f"adline bench: {generator}, at 1 connection then {args.concurrency}, "
                    f"{args.warmup:g} s warm-up per endpoint, store {store}, "
                    f"server {server.base_url}",
                    flush=True,
                )
                single = load.interleaved(
                    [floor, *reads],
                    single_slice * single_rounds,
                    single_rounds,
                    1,
                    args.warmup,
                    settle=after_single_client(slowest),
                )
                normal = single[1].p50_ms / 1000
                loaded_slice, loaded_rounds = slices_for(
                    normal, args.concurrency, args.seconds, args.rounds, per_slice
                )
                if loaded_slice > per_slice:
                    print(
                        f"  (the read takes {normal * 1000:.0f} ms alone: at "
                        f"{args.concurrency} connections, {loaded_rounds} round(s) of "
                        f"{loaded_slice} s slices)",
                        flush=True,
                    )
                settled: list[float] = []
                loaded = load.interleaved(
                    [floor, reads[0]],
                    loaded_slice * loaded_rounds,
                    loaded_rounds,
                    args.concurrency,
                    args.warmup,
                    settle=lambda _: settled.append(server.settle(reads[0], normal)),
                )
            finally:
                server.stop()
                server_errors = server.error_lines()

    print()
    print_run_header(
        store=store,
        code=code_description,
        generator=load.describe(),
        params=f"1 connection: {single_rounds} rounds x {single_slice:g} s per endpoint (floor, "
        f"then the reads, each round); {args.concurrency} connections: {loaded_rounds} rounds x "
        f"{loaded_slice:g} s (floor and the {args.days}-day read), waiting after each slice "
        f"for the requests left in flight (in all {sum(settled):.0f} s); {args.warmup:g} s "
        "warm-up per endpoint; "
        f"campaigns of {args.groups} x {args.ads_per_group} ads with {'/'.join(map(str, days))} "
        f"days of hourly stats, {args.conversions_per_day:g} attributed conversions a day",
        load_before=load_before,
    )
    report(args, loaded, single)
    if any(r.errors for r in [*loaded, *single]):
        print("WARNING: some requests failed (see the errors column); the server logged:")
        for line in server_errors:
            print(f"  {line[:300]}")
        sys.exit(1)


def report(args: argparse.Namespace, loaded: list[Result], single: list[Result]) -> None:
    floor, main_read = loaded
    print(f"\nat {args.concurrency} connections:")
    print_table(loaded)
    print("\nat 1 connection:")
    print_table(single)
    print("(req/s over all rounds; p50/p99 are the median of the rounds' percentiles)")

    floor_ratio = ratio(main_read.rps, floor.rps)
    single_p99 = single[1].p99_ms
    _, _, short, long = single
    history_rps = ratio(short.rps, long.rps)
    history_p50 = ratio(long.p50_ms, short.p50_ms)
    print()
    print(f"{'':58} {'measured':>10}  target")
    rows = [
        (
            f"{args.days}-day read / floor, req/s at {args.concurrency} conn",
            f"{floor_ratio:.4f}",
            f">= {MIN_FLOOR_RATIO}",
            floor_ratio >= MIN_FLOOR_RATIO,
        ),
        (
            f"{args.days}-day read p99 at {args.concurrency} conn, ms",
            f"{main_read.p99_ms:.1f}",
            f"<= {MAX_P99_MS:g}",
            main_read.p99_ms <= MAX_P99_MS,
        ),
        (
            f"{args.days}-day read p99 at 1 connection, ms",
            f"{single_p99:.2f}",
            f"<= {MAX_SINGLE_P99_MS:g}",
            single_p99 <= MAX_SINGLE_P99_MS,
        ),
        (
            f"cost {args.long_days}d / {args.short_days}d read (req/s at 1 connection)",
            f"{history_rps:.2f}",
            f"<= {MAX_HISTORY_RATIO}",
            history_rps <= MAX_HISTORY_RATIO,
        ),
        (
            f"cost {args.long_days}d / {args.short_days}d read (p50 at 1 connection)",
            f"{history_p50:.2f}",
            f"<= {MAX_HISTORY_RATIO}",
            history_p50 <= MAX_HISTORY_RATIO,
        ),
    ]
    for label, measured, target, met in rows:
        print(f"{label:58} {measured:>10}  {target:<8} {verdict(met)}")


if __name__ == "__main__":
    main()
