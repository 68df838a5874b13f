"""What the server benchmarks share: `adline serve` in a subprocess over a seeded store,
the code it runs (the working tree or an exported revision), the load generators (wrk, or
an asyncio httpx client) and the printing of results and of the machine.

Nothing here imports adline: with `--rev` the seeding and the server run the exported
code in subprocesses, and a working tree that others are editing cannot break the driver.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import json
import math
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 60.0

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


def code_env(code: Path | None) -> dict[str, str]:
    """The environment of a subprocess running Adline from `code` (None: the working tree)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if code is not None:
        # Ahead of the venv's editable install (a .pth entry), so this copy is imported.
        env["PYTHONPATH"] = str(code)
    return env


def seed_store(
    database_url: str,
    code: Path | None,
    *,
    days: list[int],
    groups: int,
    ads_per_group: int,
    conversions_per_day: float,
) -> dict[str, Any]:
    """Seed the store with bench/store.py in a subprocess running the same code as the
    server; answers what it printed (company, key, campaigns, row counts, times)."""
    command = [sys.executable, str(REPO / "bench" / "store.py"), "--database-url", database_url]
    command += ["--days", ",".join(str(d) for d in days), "--groups", str(groups)]
    command += ["--ads-per-group", str(ads_per_group)]
    command += ["--conversions-per-day", str(conversions_per_day)]
    done = subprocess.run(
        command, env=code_env(code), capture_output=True, text=True, timeout=3600, check=False
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("SEED_JSON ")), None)
    if done.returncode != 0 or line is None:
        sys.exit(
            f"bench: seeding failed ({done.returncode}):\n{done.stdout}\n{done.stderr[-5000:]}"
        )
    seeded: dict[str, Any] = json.loads(line.removeprefix("SEED_JSON "))
    return seeded


class Server:
    """`adline serve` in a subprocess; stdout and stderr go to files in `workdir`."""

    def __init__(
        self, database_url: str, workdir: Path, code: Path | None, workers: int = 1
    ) -> None:
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.env = {
            **code_env(code),
            "ADLINE_DATABASE_URL": database_url,
            # No delivery worker: the simulated network would launch the seeded campaigns and
            # write stats during the measurement. The reads are what is measured.
            "ADLINE_DELIVERY_INTERVAL": "0",
            # Rate limits so high that wrk never meets them: the limiter's cost is measured,
            # not its 429s (docs/api.md#rate-limits). An explicit setting in the environment
            # wins (0 turns the limiter off).
            "ADLINE_RATE_LIMIT_PER_SECOND": os.environ.get(
                "ADLINE_RATE_LIMIT_PER_SECOND", "1000000000"
            ),
            "ADLINE_RATE_LIMIT_BURST": os.environ.get("ADLINE_RATE_LIMIT_BURST", "1000000000"),
        }
        self.stdout_path = workdir / "server.stdout"
        self.stderr_path = workdir / "server.stderr"
        self._stdout = self.stdout_path.open("wb")
        self._stderr = self.stderr_path.open("wb")
        self.process = subprocess.Popen(
            [
                adline_executable(),
                "serve",
                "--host",
                HOST,
                "--port",
                str(self.port),
                *(["--workers", str(workers)] if workers > 1 else []),
            ],
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

    def settle(self, probe: Target, normal_s: float, limit_s: float = 180.0) -> float:
        """Wait until the requests a generator left in flight are done: until two probe
        requests in a row take at most 1.5 x `normal_s` + 2 ms (the probe's idle latency).
        The server keeps working on a request after its client went away, and on
        PostgreSQL that work is in the database, so the probe's latency is the signal, not
        this process's CPU. Answers the seconds waited (at most about `limit_s`)."""
        started = time.perf_counter()
        bound = 1.5 * normal_s + 0.002
        quick = 0
        with httpx.Client(
            base_url=self.base_url, headers=probe.headers, timeout=limit_s, trust_env=False
        ) as client:
            while quick < 2 and time.perf_counter() - started < limit_s:
                began = time.perf_counter()
                client.get(probe.path)
                quick = quick + 1 if time.perf_counter() - began <= bound else 0
        return time.perf_counter() - started

    def error_lines(self, limit: int = 5) -> list[str]:
        """The last distinct error lines the server logged (e.g. why it answered a 500)."""
        found: list[str] = []
        for line in reversed(self.stderr_path.read_text(errors="replace").splitlines()):
            line = line.strip()
            if ("Error" in line or "Exception" in line) and line not in found:
                found.append(line)
                if len(found) == limit:
                    break
        return found[::-1]

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
    # A request slower than the slice cannot complete in it anyway: not a timeout error.
    timeout = max(5, round(seconds) + 1)
    command += ["--timeout", f"{timeout}s", "--latency", "-s", str(lua)]
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


# --- shared command line and run set-up ----------------------------------------------------

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def add_common_arguments(parser: argparse.ArgumentParser, *, seconds: float) -> None:
    parser.add_argument(
        "--seconds",
        type=float,
        default=seconds,
        help=f"measured seconds per endpoint and client count (default {seconds:g})",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="split the measured time into this many interleaved slices (floor, then each "
        "read), so drifting background load hits all alike (default 5)",
    )
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="warm-up seconds per endpoint (default 2)"
    )
    parser.add_argument(
        "--generator", choices=("auto", "wrk", "httpx"), default="auto", help="load generator"
    )
    parser.add_argument(
        "--wrk-threads", type=int, default=1, help="wrk threads (default 1: 2 cores are shared)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes (`adline serve --workers`; above 1 needs PostgreSQL, as in "
        "production, docs/deployment.md) (default 1)",
    )
    parser.add_argument(
        "--rev",
        default=None,
        help="serve (and seed with) src/ of this git revision, exported to the temporary "
        "directory, instead of the working tree, e.g. HEAD while others edit src/",
    )
    store = parser.add_mutually_exclusive_group()
    store.add_argument(
        "--database-url",
        default=None,
        help="store to seed and serve (default: a fresh temporary SQLite file); the seed "
        "is written to it, so never point it at a database in use",
    )
    store.add_argument(
        "--postgres",
        nargs="?",
        const=DEFAULT_POSTGRES,
        default=None,
        metavar="URL",
        help="create a fresh database on this PostgreSQL server (default "
        f"{DEFAULT_POSTGRES}), seed and serve it, and drop it at the end",
    )


def check_common_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str:
    """Validate the shared options; answers the generator to use."""
    if not 0 < args.seconds <= 600 or not 0 <= args.warmup <= 60:
        parser.error("need 0 < --seconds <= 600 and 0 <= --warmup <= 60")
    if args.rounds < 1:
        parser.error("need --rounds >= 1")
    if args.workers < 1 or (args.workers > 1 and not (args.postgres or args.database_url)):
        parser.error("need --workers >= 1, and PostgreSQL (--postgres) for more than one")
    generator: str = args.generator
    if generator == "auto":
        generator = "wrk" if shutil.which("wrk") else "httpx"
    elif generator == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not on PATH (Debian: apt-get install wrk)")
    return generator


@contextmanager
def scratch_postgres(server_url: str) -> Iterator[str]:
    """A fresh database on the PostgreSQL server of `server_url` (any database of it),
    dropped on the way out: yields its URL."""
    name = f"adline_bench_{uuid.uuid4().hex[:12]}"
    admin = make_url(server_url).set(database="postgres")

    async def run(statement: str) -> None:
        engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(text(statement))
        finally:
            await engine.dispose()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def bench_store(args: argparse.Namespace, workdir: Path) -> Iterator[str]:
    """The store of the run: --database-url, a scratch PostgreSQL database, or SQLite."""
    if args.postgres is not None:
        with scratch_postgres(args.postgres) as url:
            yield url
    else:
        yield args.database_url or f"sqlite+aiosqlite:///{workdir / 'adline.db'}"


def store_name(database_url: str) -> str:
    return database_url.split("+", 1)[0].split(":", 1)[0]


def code_under_test(rev: str | None, workdir: Path) -> tuple[Path | None, str]:
    """(src dir to put on PYTHONPATH or None for the working tree, its description)."""
    if rev is None:
        return None, working_tree_description()
    code, sha = export_revision(rev, workdir / "code")
    return code, f"git {sha} (src/ exported, working tree ignored)"


class Load:
    """One generator against one server: measure(target, seconds, connections)."""

    def __init__(self, generator: str, base_url: str, workdir: Path, wrk_threads: int) -> None:
        self.generator = generator
        self.base_url = base_url
        self.wrk_threads = wrk_threads
        self.lua = workdir / "report.lua"
        self.lua.write_text(WRK_LUA)

    def slice_seconds(self, seconds: float, rounds: int) -> float:
        per_slice = seconds / rounds
        return max(1, round(per_slice)) if self.generator == "wrk" else per_slice  # wrk: whole s

    def measure(self, target: Target, seconds: float, connections: int) -> Result:
        if self.generator == "wrk":
            threads = max(1, min(self.wrk_threads, connections))
            return run_wrk(self.base_url, target, seconds, connections, threads, self.lua)
        return run_httpx(self.base_url, target, seconds, connections)

    def describe(self) -> str:
        if self.generator == "wrk":
            return f"wrk -t{self.wrk_threads} --latency, keep-alive connections"
        return "httpx (asyncio), keep-alive connections"

    def interleaved(
        self,
        targets: list[Target],
        seconds: float,
        rounds: int,
        connections: int,
        warmup: float,
        settle: Callable[[Result], None] | None = None,
    ) -> list[Result]:
        """Each target for `seconds` at `connections`, cut into `rounds` slices that go
        through the targets in turn, after a warm-up of each; one combined row per target.
        `settle` runs after every slice with its result (see `Server.settle`: requests still
        in flight when the generator stops would otherwise weigh on the next slice)."""
        per_slice = self.slice_seconds(seconds, rounds)
        if warmup > 0:
            for target in targets:
                warm = self.measure(target, warmup, connections)
                if settle is not None:
                    settle(warm)
        slices: list[list[Result]] = [[] for _ in targets]
        for number in range(1, rounds + 1):
            for index, target in enumerate(targets):
                slices[index].append(self.measure(target, per_slice, connections))
                if settle is not None:
                    settle(slices[index][-1])
            summary = ", ".join(f"{s[-1].rps:.1f}" for s in slices)
            print(
                f"  {connections} conn, round {number}/{rounds} ({per_slice:g} s slices): "
                f"req/s {summary}",
                flush=True,
            )
        return [combine(target.name, s) for target, s in zip(targets, slices, strict=True)]


def slices_for(
    latency_s: float, connections: int, seconds: float, rounds: int, per_slice: float
) -> tuple[float, int]:
    """(slice seconds, rounds) for a request that takes `latency_s` alone: at N connections
    it waits for the N-1 others, and a slice shorter than a few such waits measures nothing,
    so slices grow (to 60 s at most) and rounds shrink to keep about `seconds` in all."""
    wanted = min(max(per_slice, math.ceil(3 * connections * latency_s)), 60)
    if wanted <= per_slice:
        return per_slice, rounds
    return wanted, max(1, round(seconds / wanted))


def after_single_client(slowest_s: float) -> Callable[[Result], None]:
    """A settle step for one-connection slices: the one request the generator may have
    left in flight ends within about the slowest latency the slice saw, or `slowest_s`
    (the slowest read measured before) when none ended in it (a warm-up, say)."""

    def settle(result: Result) -> None:
        time.sleep(min(result.p99_ms / 1000 if result.requests else slowest_s, 60))

    return settle


def print_run_header(
    *, store: str, code: str, generator: str, params: str, load_before: float
) -> None:
    print(f"date:      {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}")
    print(
        f"machine:   {os.cpu_count()} cpus, {platform.machine()}, {cpu_model()}, "
        f"{memory_gib():.0f} GiB RAM, Python {platform.python_version()}; "
        f"load average before the run {load_before:.2f}"
    )
    print(f"code:      {code}")
    print(f"store:     {store}")
    print(f"generator: {generator}")
    print(f"params:    {params}")


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"
