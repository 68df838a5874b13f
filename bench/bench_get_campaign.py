"""Benchmark GET /api/v1/ad_campaigns/{id} against the framework floor (GET /healthz).

Standalone: not part of the test suite, never imported by it. Run from the repo root:

    .venv/bin/python bench/bench_get_campaign.py [--seconds 10] [--concurrency 16]

It starts a real `adline serve` on a free 127.0.0.1 port over a fresh temporary SQLite file
(or `--database-url`), creates one campaign, then loads both endpoints with the same
generator, the same concurrency and the same duration, after a warm-up of each. The
measured time is cut into `--rounds` slices that alternate floor and campaign, so that
background load drifting during the run weighs on both alike. It prints requests/s, p50
and p99 latency for each and the ratios campaign / floor, then stops the server.

The load generator is `wrk` when it is on PATH (Debian: `apt-get install wrk`), otherwise
an asyncio httpx client. On a small machine httpx is the bottleneck itself (it tops out
well below the floor), so its ratio says little: prefer wrk.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 60.0
KEY_LINE = re.compile(r"^\s*API key:\s*(adl_sk_\S+)\s*$", re.MULTILINE)

# wrk runs this script: the done() hook prints one JSON line with the summary, so nothing
# depends on wrk's human-readable output. Latencies are in microseconds.
WRK_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nBENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


@dataclass(frozen=True)
class Result:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    error_detail: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    headers: dict[str, str]


# --- server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def adline_executable() -> str:
    candidate = REPO / ".venv" / "bin" / "adline"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("adline")
    if found is None:
        sys.exit("bench: no adline executable (expected .venv/bin/adline)")
    return found


class Server:
    """`adline serve` in a subprocess; stdout and stderr go to files in `workdir`."""

    def __init__(self, database_url: str, workdir: Path, code: Path | None) -> None:
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.env = {**os.environ, "ADLINE_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
        if code is not None:
            # Ahead of the venv's editable install (a .pth entry), so this copy is imported.
            self.env["PYTHONPATH"] = str(code)
        self.stdout_path = workdir / "server.stdout"
        self.stderr_path = workdir / "server.stderr"
        self._stdout = self.stdout_path.open("wb")
        self._stderr = self.stderr_path.open("wb")
        self.process = subprocess.Popen(
            [adline_executable(), "serve", "--host", HOST, "--port", str(self.port)],
            stdin=subprocess.DEVNULL,
            stdout=self._stdout,
            stderr=self._stderr,
            env=self.env,
            cwd=workdir,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    self.fail(f"server exited with code {self.process.returncode}")
                try:
                    if client.get(f"{self.base_url}/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        self.fail(f"server not ready after {STARTUP_TIMEOUT_S:.0f} s")

    def api_key(self) -> str:
        """The demo key printed on first start; on a non-empty store, a new one via the CLI."""
        match = KEY_LINE.search(self.stdout_path.read_text(errors="replace"))
        if match:
            return match.group(1)
        company = self._cli("companies", "create", "--name", "Bench")
        return self._cli("keys", "create", "--company", company, "--all-scopes")

    def _cli(self, *args: str) -> str:
        done = subprocess.run(
            [adline_executable(), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            self.fail(f"adline {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def fail(self, message: str) -> None:
        tail = self.stderr_path.read_text(errors="replace")[-3000:]
        self.stop()
        sys.exit(f"bench: {message}\n--- server stderr (tail) ---\n{tail}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._stdout.close()
        self._stderr.close()


# --- code under test ---------------------------------------------------------------------


def git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(REPO), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def export_revision(rev: str, destination: Path) -> tuple[Path, str]:
    """`src/` of a committed revision, extracted under `destination`: (its src dir, sha)."""
    sha = git("rev-parse", "--short", f"{rev}^{{commit}}")
    if sha is None:
        sys.exit(f"bench: unknown git revision {rev!r}")
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", sha, "src"],
        capture_output=True,
        timeout=60,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(destination, filter="data")
    return destination / "src", sha


def working_tree_description() -> str:
    sha = git("rev-parse", "--short", "HEAD")
    if sha is None:
        return "working tree (not a git checkout)"
    dirty = git("status", "--porcelain", "--", "src")
    return f"working tree at {sha}" + (
        " + uncommitted changes in src/" if dirty else " (clean src/)"
    )


# --- load generators ---------------------------------------------------------------------


def run_wrk(
    base_url: str, target: Target, seconds: float, concurrency: int, threads: int, lua: Path
) -> Result:
    command = ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{max(1, round(seconds))}s"]
    command += ["--timeout", "5s", "--latency", "-s", str(lua)]
    for name, value in target.headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(base_url + target.path)
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        sys.exit(f"bench: wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    data: dict[str, int] = json.loads(line.removeprefix("BENCH_JSON "))
    kinds = ("connect", "read", "write", "status", "timeout")
    errors = {kind: data[kind] for kind in kinds if data[kind]}
    return Result(
        name=target.name,
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1e3,
        p99_ms=data["p99_us"] / 1e3,
        # wrk counts 4xx/5xx as "status" errors; a 3xx would pass, which this API never sends.
        errors=sum(errors.values()),
        error_detail=", ".join(f"{kind} {count}" for kind, count in errors.items()),
    )


async def _httpx_load(
    base_url: str, target: Target, seconds: float, concurrency: int
) -> tuple[list[float], int, int, float]:
    latencies: list[float] = []
    errors = 0
    requests = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base_url,
        headers=target.headers,
        limits=limits,
        timeout=5.0,
        trust_env=False,  # no proxy: traffic stays on 127.0.0.1
    ) as client:
        start = time.perf_counter()
        deadline = start + seconds

        async def worker() -> None:
            nonlocal errors, requests
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                try:
                    response = await client.get(target.path)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - began)
                requests += 1
                errors += not ok

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return latencies, requests, errors, elapsed


def run_httpx(base_url: str, target: Target, seconds: float, concurrency: int) -> Result:
    latencies, requests, errors, elapsed = asyncio.run(
        _httpx_load(base_url, target, seconds, concurrency)
    )
    cuts = statistics.quantiles(latencies, n=100, method="inclusive") if latencies else [0.0] * 99
    return Result(
        name=target.name,
        requests=requests,
        seconds=elapsed,
        p50_ms=cuts[49] * 1e3,
        p99_ms=cuts[98] * 1e3,
        errors=errors,
        error_detail=f"non-200 or transport {errors}" if errors else "",
    )


# --- report ------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def combine(name: str, slices: list[Result]) -> Result:
    """One row from a target's interleaved slices: summed counts, median slice percentiles."""
    details = [r.error_detail for r in slices if r.error_detail]
    return Result(
        name=name,
        requests=sum(r.requests for r in slices),
        seconds=sum(r.seconds for r in slices),
        p50_ms=statistics.median(r.p50_ms for r in slices),
        p99_ms=statistics.median(r.p99_ms for r in slices),
        errors=sum(r.errors for r in slices),
        error_detail="; ".join(details),
    )


def print_table(rows: list[Result]) -> None:
    header = f"{'endpoint':<34} {'requests':>9} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} errors"
    print(header)
    print("-" * len(header))
    for r in rows:
        errors = f"{r.errors}" + (f" ({r.error_detail})" if r.error_detail else "")
        print(
            f"{r.name:<34} {r.requests:>9} {r.rps:>9.0f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {errors}"
        )


def memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="measured seconds per endpoint (default 10)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="split the measured time into this many interleaved floor/campaign slices, so "
        "drifting background load hits both alike (default 5)",
    )
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="warm-up seconds per endpoint (default 2)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=16, help="keep-alive connections (default 16)"
    )
    parser.add_argument(
        "--generator", choices=("auto", "wrk", "httpx"), default="auto", help="load generator"
    )
    parser.add_argument(
        "--wrk-threads", type=int, default=1, help="wrk threads (default 1: 2 cores are shared)"
    )
    parser.add_argument(
        "--rev",
        default=None,
        help="serve src/ of this git revision (exported to the temporary directory) instead "
        "of the working tree, e.g. HEAD while others edit src/; same venv and dependencies",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="store for the server (default: a fresh temporary SQLite file), e.g. "
        "postgresql+asyncpg://postgres@127.0.0.1:5432/bench; a company, key and campaign "
        "are written to it",
    )
    args = parser.parse_args()
    if not 0 < args.seconds <= 600 or not 0 <= args.warmup <= 60:
        parser.error("need 0 < --seconds <= 600 and 0 <= --warmup <= 60")
    if args.concurrency < 1 or args.rounds < 1:
        parser.error("need --concurrency >= 1 and --rounds >= 1")

    generator: str = args.generator
    if generator == "auto":
        generator = "wrk" if shutil.which("wrk") else "httpx"
    elif generator == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not on PATH (Debian: apt-get install wrk)")
    concurrency: int = args.concurrency
    rounds: int = args.rounds
    wrk_threads = max(1, min(args.wrk_threads, concurrency))
    slice_seconds: float = args.seconds / rounds
    if generator == "wrk":  # wrk takes whole seconds
        slice_seconds = max(1, round(slice_seconds))
    load_before = os.getloadavg()[0]

    with tempfile.TemporaryDirectory(prefix="adline-bench-") as tmp:
        workdir = Path(tmp)
        database_url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'adline.db'}"
        store = database_url.split("+", 1)[0].split(":", 1)[0]
        lua = workdir / "report.lua"
        lua.write_text(WRK_LUA)
        code: Path | None = None
        if args.rev is not None:
            code, sha = export_revision(args.rev, workdir / "code")
            code_description = f"git {sha} (src/ exported, working tree ignored)"
        else:
            code_description = working_tree_description()

        server = Server(database_url, workdir, code)
        try:
            server.wait_ready()
            key = server.api_key()
            auth = {"Authorization": f"Bearer {key}"}
            with httpx.Client(
                base_url=server.base_url, headers=auth, timeout=10.0, trust_env=False
            ) as client:
                created = client.post(
                    "/api/v1/ad_campaigns",
                    json={"title": "Bench", "objective": "sales", "platform": "meta"},
                )
                if created.status_code != 200:
                    server.fail(f"create campaign: {created.status_code} {created.text}")
                campaign_id: str = created.json()["id"]
                check = client.get(f"/api/v1/ad_campaigns/{campaign_id}")
                if check.status_code != 200 or check.json().get("id") != campaign_id:
                    server.fail(f"retrieve campaign: {check.status_code} {check.text}")

            floor_target = Target("GET /healthz (floor)", "/healthz", {})
            campaign_target = Target(
                "GET /api/v1/ad_campaigns/{id}", f"/api/v1/ad_campaigns/{campaign_id}", auth
            )

            def measure(target: Target, seconds: float) -> Result:
                if generator == "wrk":
                    return run_wrk(server.base_url, target, seconds, concurrency, wrk_threads, lua)
                return run_httpx(server.base_url, target, seconds, concurrency)

            print(
                f"adline bench: {generator}, concurrency {concurrency}, {rounds} x "
                f"{slice_seconds:g} s per endpoint after {args.warmup:g} s warm-up each, "
                f"store {store}, server {server.base_url}",
                flush=True,
            )
            if args.warmup > 0:
                measure(floor_target, args.warmup)
                measure(campaign_target, args.warmup)
            pairs: list[tuple[Result, Result]] = []
            for number in range(1, rounds + 1):
                pair = (
                    measure(floor_target, slice_seconds),
                    measure(campaign_target, slice_seconds),
                )
                pairs.append(pair)
                print(
                    f"  round {number}/{rounds}: floor {pair[0].rps:.0f} req/s, "
                    f"campaign {pair[1].rps:.0f} req/s",
                    flush=True,
                )
        finally:
            server.stop()

    floor = combine(floor_target.name, [f for f, _ in pairs])
    campaign = combine(campaign_target.name, [c for _, c in pairs])
    round_ratios = [ratio(c.rps, f.rps) for f, c in pairs]

    print()
    print(f"date:      {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}")
    print(
        f"machine:   {os.cpu_count()} cpus, {platform.machine()}, {cpu_model()}, "
        f"{memory_gib():.0f} GiB RAM, Python {platform.python_version()}; "
        f"load average before the run {load_before:.2f}"
    )
    print(f"code:      {code_description}")
    print(f"store:     {store}")
    generator_detail = f"wrk -t{wrk_threads} --latency" if generator == "wrk" else "httpx (asyncio)"
    print(f"generator: {generator_detail}, keep-alive connections")
    print(
        f"params:    concurrency {concurrency}, {rounds} rounds x {slice_seconds:g} s per endpoint "
        f"(floor then campaign each round), {args.warmup:g} s warm-up each"
    )
    print()
    print_table([floor, campaign])
    if rounds > 1:
        print("(req/s over all rounds; p50/p99 are the median of the rounds' percentiles)")
    print()
    print(
        f"ratio campaign / floor:  req/s {ratio(campaign.rps, floor.rps):.3f}   "
        f"p50 {ratio(campaign.p50_ms, floor.p50_ms):.2f}   "
        f"p99 {ratio(campaign.p99_ms, floor.p99_ms):.2f}"
    )
    if rounds > 1:
        print(
            f"req/s ratio per round:   median {statistics.median(round_ratios):.3f}, "
            f"min {min(round_ratios):.3f}, max {max(round_ratios):.3f}"
        )
    if floor.errors or campaign.errors:
        print("WARNING: some requests failed (see the errors column)")
        sys.exit(1)


if __name__ == "__main__":
    main()
