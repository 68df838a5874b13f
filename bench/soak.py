"""Soak: N minutes of a steady mix of what apps do, against PostgreSQL, with two server
processes and a delivery worker; prints error rate, p50/p99 latency and memory over time.

Standalone: not part of the test suite, never imported by it. Run from the repo root:

    .venv/bin/python bench/soak.py --postgres --minutes 10 --rate 40

It seeds a scratch PostgreSQL database (bench/store.py: one company, `--campaigns`
campaigns of 3 ad groups x 2 ads with `--days` days of hourly stats and conversions),
starts two `adline serve` processes on it (delivery off in them) and one `adline worker`
(every `--worker-interval` seconds: the simulated network delivers the campaigns the soak
creates and launches), then sends `--rate` requests per second, open loop (a request is
sent on schedule whether or not earlier ones have answered; its latency counts from its
scheduled time, so a stalled server cannot hide behind a slowed client), alternating
between the two servers:

  45% read one seeded campaign with a 30-day stats window
  20% list 20 campaigns with a 30-day stats window
  10% a 7-day daily report of the company, broken down by campaign
  13% list spend caps
   2% write: create a campaign, an ad group and an ad, launch the campaign
  10% pause or unpause one of the campaigns the soak launched (whichever it is not)

Every `--every` seconds it prints one line: requests answered in the window, errors
(anything but 2xx, or no answer), p50 and p99, and the resident memory (VmRSS) of both
servers and the worker. At the end: totals, error rate, and each process's memory at the
first sample against the last (a leak shows as steady growth).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from serve import (
    DEFAULT_POSTGRES,
    Server,
    adline_executable,
    code_env,
    print_run_header,
    scratch_postgres,
    seed_store,
    working_tree_description,
)

STATS_DAYS = 30


@dataclass
class Window:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    def record(self, latency_ms: float, error: str | None) -> None:
        self.latencies_ms.append(latency_ms)
        if error is not None:
            self.errors += 1
            if len(self.error_samples) < 5:
                self.error_samples.append(error)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def rss_mib(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Worker:
    """`adline worker` in a subprocess."""

    def __init__(self, database_url: str, workdir: Path, interval: float) -> None:
        self.log = (workdir / "worker.stderr").open("wb")
        self.process = subprocess.Popen(
            [adline_executable(), "worker", "--interval", str(interval)],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
            env={**code_env(None), "ADLINE_DATABASE_URL": database_url},
            cwd=workdir,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


class Mix:
    """What each request of the soak does; the campaigns it launched, with their state."""

    def __init__(self, seeded: dict[str, Any], rng: random.Random) -> None:
        self.rng = rng
        self.company_id: str = seeded["company_id"]
        self.seeded_campaigns: list[str] = [c["id"] for c in seeded["campaigns"]]
        self.launched: dict[str, str] = {}  # id -> "active" | "paused"
        self.busy: set[str] = set()
        today = datetime.now(UTC).date()
        self.window = {
            "stats_from": (today - timedelta(days=STATS_DAYS)).isoformat(),
            "stats_to": today.isoformat(),
        }
        self.report = {
            "from": (today - timedelta(days=7)).isoformat(),
            "to": today.isoformat(),
            "company_id": self.company_id,
            "granularity": "daily",
            "breakdown": "campaign",
        }
        self.created = 0

    async def one(self, http: httpx.AsyncClient) -> None:
        """One request of the mix (a write is four); raises on anything but 2xx."""
        draw = self.rng.random()
        if draw < 0.45:
            campaign = self.rng.choice(self.seeded_campaigns)
            ok(await http.get(f"/ad_campaigns/{campaign}", params=self.window))
        elif draw < 0.65:
            ok(await http.get("/ad_campaigns", params={"first": 20, **self.window}))
        elif draw < 0.75:
            ok(await http.get("/ad_reports", params=self.report))
        elif draw < 0.88:
            ok(await http.get("/spend_caps"))
        elif draw < 0.90 or not self.launched:
            await self.create(http)
        else:
            await self.toggle(http)

    async def create(self, http: httpx.AsyncClient) -> None:
        self.created += 1
        campaign = ok(
            await http.post(
                "/ad_campaigns",
                json={
                    "title": f"Soak {self.created}",
                    "objective": "sales",
                    "platform": "meta",
                    "budget_optimization": "ad_group",
                },
            )
        )
        group = ok(
            await http.post(
                "/ad_groups",
                json={
                    "ad_campaign_id": campaign["id"],
                    "title": "Soak group",
                    "budget_type": "daily",
                    "budget_amount": 10,
                    "optimization_goal": "conversions",
                    "conversion_location": "website",
                    "conversion_event": "purchase",
                },
            )
        )
        ok(
            await http.post(
                "/ads",
                json={
                    "ad_group_id": group["id"],
                    "title": "Soak ad",
                    "url": "https://shop.example.com/soak",
                    "call_to_action": "shop_now",
                    "creatives": [{"id": "file_AAAAAAAAAAAAAA", "format": "square"}],
                    "primary_texts": [{"text": "Soak"}],
                    "headlines": [{"text": "Soak"}],
                },
            )
        )
        ok(await http.patch(f"/ad_campaigns/{campaign['id']}", json={"status": "active"}))
        self.launched[campaign["id"]] = "active"

    async def toggle(self, http: httpx.AsyncClient) -> None:
        idle = [c for c in self.launched if c not in self.busy]
        if not idle:
            ok(await http.get("/ad_campaigns", params={"first": 20, **self.window}))
            return
        campaign = self.rng.choice(idle)
        self.busy.add(campaign)
        try:
            action = "pause" if self.launched[campaign] == "active" else "unpause"
            ok(await http.post(f"/ad_campaigns/{campaign}/{action}"))
            self.launched[campaign] = "paused" if action == "pause" else "active"
        finally:
            self.busy.discard(campaign)


def ok(response: httpx.Response) -> Any:
    if not 200 <= response.status_code < 300:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code} {response.text[:200]}"
        )
    return response.json()


async def soak(
    servers: list[Server],
    worker: Worker,
    seeded: dict[str, Any],
    *,
    minutes: float,
    rate: float,
    every: float,
    seed: int,
) -> bool:
    headers = {"Authorization": f"Bearer {seeded['key']}", "Api-Version-Date": "2026-10-15-1"}
    clients = [
        httpx.AsyncClient(
            base_url=f"{server.base_url}/api/v1", headers=headers, timeout=60, trust_env=False
        )
        for server in servers
    ]
    pids = {"server 1": servers[0].process.pid, "server 2": servers[1].process.pid}
    pids["worker"] = worker.process.pid
    mix = Mix(seeded, random.Random(seed))
    window, total = Window(), Window()
    tasks: set[asyncio.Task[None]] = set()
    memory: dict[str, list[float]] = {name: [] for name in pids}

    async def timed(index: int, scheduled: float) -> None:
        error: str | None = None
        try:
            await mix.one(clients[index % 2])
        except Exception as failure:  # every failure is counted, the soak goes on
            error = f"{type(failure).__name__}: {failure}"[:300]
        latency = (time.perf_counter() - scheduled) * 1000
        window.record(latency, error)
        total.record(latency, error)

    print(f"{'t (s)':>6} {'answered':>8} {'errors':>6} {'p50 ms':>8} {'p99 ms':>8}  RSS MiB")
    start = time.perf_counter()
    end = start + minutes * 60
    next_report = start + every
    index = 0
    while True:
        scheduled = start + index / rate
        now = time.perf_counter()
        if scheduled >= end:
            break
        if scheduled > now:
            await asyncio.sleep(min(scheduled, next_report) - now)
        if time.perf_counter() >= next_report:
            sizes = {name: rss_mib(pid) for name, pid in pids.items()}
            for name, size in sizes.items():
                memory[name].append(size)
            print(
                f"{next_report - start:6.0f} {len(window.latencies_ms):8d} {window.errors:6d} "
                f"{percentile(window.latencies_ms, 0.5):8.1f} "
                f"{percentile(window.latencies_ms, 0.99):8.1f}  "
                + "  ".join(f"{name} {size:.0f}" for name, size in sizes.items()),
                flush=True,
            )
            for sample in window.error_samples:
                print(f"       error: {sample}", flush=True)
            window = Window()
            next_report += every
            continue
        if scheduled > time.perf_counter():
            continue
        task = asyncio.create_task(timed(index, scheduled))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        index += 1
    await asyncio.gather(*tasks)
    for client in clients:
        await client.aclose()

    answered = len(total.latencies_ms)
    error_rate = total.errors / answered if answered else 1.0
    print()
    print(
        f"requests {answered} in {minutes:g} min ({answered / (minutes * 60):.1f}/s; writes "
        f"count once and are 4 calls), errors {total.errors} ({error_rate:.4%}), "
        f"p50 {percentile(total.latencies_ms, 0.5):.1f} ms, "
        f"p99 {percentile(total.latencies_ms, 0.99):.1f} ms, "
        f"campaigns created and launched {mix.created}"
    )
    for sample in total.error_samples:
        print(f"  error: {sample}")
    for name, sizes in memory.items():
        if len(sizes) >= 2:
            later = sizes[len(sizes) // 2 :]
            print(
                f"{name}: RSS first {sizes[0]:.0f} MiB, last {sizes[-1]:.0f} MiB, max "
                f"{max(sizes):.0f} MiB; second half mean {statistics.fmean(later):.0f} MiB, "
                f"slope over the second half {slope(later) * 60 / every:+.2f} MiB/min"
            )
    return total.errors == 0


def slope(values: list[float]) -> float:
    """Least-squares growth per sample."""
    if len(values) < 2:
        return 0.0
    xs = range(len(values))
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(values)
    denominator = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, values, strict=True)) / denominator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_POSTGRES, default=DEFAULT_POSTGRES)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=40.0, help="requests per second")
    parser.add_argument("--every", type=float, default=30.0, help="seconds per report line")
    parser.add_argument("--campaigns", type=int, default=20, help="seeded campaigns")
    parser.add_argument("--days", type=int, default=90, help="days of history per campaign")
    parser.add_argument("--worker-interval", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.minutes <= 0 or args.rate <= 0 or args.every <= 0:
        parser.error("--minutes, --rate and --every must be positive")
    load_before = float(Path("/proc/loadavg").read_text().split()[0])
    with tempfile.TemporaryDirectory(prefix="adline-soak-") as scratch:
        workdir = Path(scratch)
        with scratch_postgres(args.postgres) as url:
            began = time.perf_counter()
            seeded = seed_store(
                url,
                None,
                days=[args.days] * args.campaigns,
                groups=3,
                ads_per_group=2,
                conversions_per_day=3.0,
            )
            print_run_header(
                store="PostgreSQL (scratch database)",
                code=working_tree_description(),
                generator="open-loop asyncio httpx client, two servers alternately",
                params=(
                    f"{args.minutes:g} min at {args.rate:g}/s; {args.campaigns} seeded "
                    f"campaigns x {args.days} days (seeded in "
                    f"{time.perf_counter() - began:.0f} s); worker every "
                    f"{args.worker_interval:g} s; seed {args.seed}"
                ),
                load_before=load_before,
            )
            servers = []
            for number in (1, 2):
                folder = workdir / f"server{number}"
                folder.mkdir()
                servers.append(Server(url, folder, None))
            worker = Worker(url, workdir, args.worker_interval)
            try:
                for server in servers:
                    server.wait_ready()
                clean = asyncio.run(
                    soak(
                        servers,
                        worker,
                        seeded,
                        minutes=args.minutes,
                        rate=args.rate,
                        every=args.every,
                        seed=args.seed,
                    )
                )
            finally:
                for server in servers:
                    server.stop()
                worker.stop()
    sys.exit(0 if clean else 1)


if __name__ == "__main__":
    main()
