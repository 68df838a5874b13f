"""Sustained webhook deliveries/s to a local receiver, against plain httpx in the same run.

The baseline is the receiver's capacity for the same signed bodies POSTed by plain httpx
clients (one keep-alive client per process, as Adline's sender keeps one per event loop),
with no store.

Standalone: not part of the test suite, never imported by it. Run from the repo root:

    .venv/bin/python bench/bench_webhooks.py              # a scratch PostgreSQL database
    .venv/bin/python bench/bench_webhooks.py --sqlite     # a temporary SQLite file

It creates a fresh store (by default a scratch database on the PostgreSQL server of
`--postgres`, dropped at the end), migrates it and writes one company with `--campaigns`
(2,000) campaigns of 1 ad group and 3 ads each through the ORM (bench/store.py). Then,
through the app in-process (httpx.ASGITransport), it registers `--endpoints` (4) webhook
endpoints with `POST /api/v1/webhooks`, all events, pinned to different API versions
(unpinned, the newest, 2026-06-20, 2025-01-01: each delivery renders its endpoint's
shape), all pointing at one receiver on a free 127.0.0.1 port
(`webhooks_allow_private` on, as `ADLINE_WEBHOOKS_ALLOW_PRIVATE=1` sets it).

The receiver is this script in a process of its own (`--role receiver`): a raw asyncio
(uvloop when installed) HTTP/1.1 server that reads each POST, verifies its Standard
Webhooks signature with the endpoint's secret (`standardwebhooks`, as docs/webhooks.md
tells receivers to), counts it and answers 200 `{"ok":true}`, keeping connections alive.

For each configuration (runner processes x concurrency, default 1x4 (the runner's
default), 1x16, 2x4, 2x16) it:
  1. enqueues a backlog: `--changes` campaign PATCHes (a new title, round robin over the
     campaigns) through the API in-process from 4 clients, each writing an
     `ad_campaign.updated` event, one delivery per endpoint and its `webhook.deliver` job
     in its transaction: `--changes` x `--endpoints` deliveries; it times them (events/s);
  2. drains it: starts the runner processes (`--role runner`: a `JobRunner` of the
     `webhook.deliver` kind only, with the app's settings as `adline serve` passes them,
     `run_forever` as in a server or `adline worker`, so LISTEN/NOTIFY and polls too), lets
     them connect, then says go and polls the store until no delivery is pending:
     deliveries/s end to end (claim, read, render in the endpoint's version, sign, POST,
     record the attempt and complete the job in one transaction);
  3. baseline: the same number of processes (`--role baseline`) POST the bodies just
     recorded by those deliveries, each signed afresh with its endpoint's secret, to the
     same receiver URLs at the same concurrency, through one keep-alive httpx client per
     process, with no store.
It checks that every delivery succeeded and that the receiver counted and verified
exactly as many requests, and prints deliveries/s, the baseline's requests/s, their ratio,
and the CPU time per request of the sending processes (runners or baseline clients).

`--profile DIR` writes each runner's cProfile.
Bigger runs: `--changes 2500` (10,000 deliveries per configuration), `--campaigns 20000`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from serve import (  # bench/serve.py, beside this script
    DEFAULT_POSTGRES,
    HOST,
    REPO,
    code_env,
    free_port,
    print_run_header,
    ratio,
    scratch_postgres,
    store_name,
    working_tree_description,
)
from sqlalchemy import func, select, text
from standardwebhooks import Webhook as StandardWebhook

SCRIPT = Path(__file__).resolve()
# Pins of the endpoints, in turn: unpinned (the newest shape), the newest, two older ones.
PINS: tuple[str | None, ...] = (None, "2026-10-15-1", "2026-06-20", "2025-01-01")
VERSION = "2026-10-15-1"
ENQUEUE_CLIENTS = 4
POLL_SECONDS = 0.05


# --- the receiver ---------------------------------------------------------------------------


class Receiver:
    """Counts POSTs and verifies their signatures: `GET /stats` answers the counts."""

    def __init__(self, secrets: dict[str, str]) -> None:
        self.verifiers = {
            f"/hook/{index}": StandardWebhook(base64.b64encode(secret.encode()).decode())
            for index, secret in secrets.items()
        }
        self.received = 0
        self.verified = 0
        self.refused = 0

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
        if method == "GET" and path == "/stats":
            counts = {"received": self.received, "verified": self.verified, "refused": 0}
            counts["refused"] = self.refused
            return json.dumps(counts).encode()
        self.received += 1
        verifier = self.verifiers.get(path)
        try:
            if verifier is None:
                raise ValueError(path)
            verifier.verify(body, headers)
        except Exception:
            self.refused += 1
            return b'{"ok":false}'
        self.verified += 1
        return b'{"ok":true}'

    async def serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                answer = self.handle(method, path, headers, body)
                close = headers.get("connection", "").lower() == "close"
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(answer)}\r\n".encode()
                    + (b"connection: close\r\n" if close else b"")
                    + b"\r\n"
                    + answer
                )
                await writer.drain()
                if close:
                    return
        finally:
            writer.close()


async def receiver_main(port: int, secrets: dict[str, str]) -> None:
    receiver = Receiver(secrets)
    server = await asyncio.start_server(receiver.serve_connection, HOST, port, backlog=1024)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


# --- the runner and the baseline client, each in processes of their own --------------------


async def wait_for_line() -> str:
    return await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


async def runner_main(database_url: str, concurrency: int, profile: Path | None) -> None:
    """A JobRunner of the webhook.deliver kind with the app's settings: connect, say ready,
    run from `go` until stdin closes (profiled into `profile` if given)."""
    import cProfile

    from adline.config import Settings
    from adline.core.clock import SystemClock
    from adline.core.db import create_engine, create_sessionmaker
    from adline.jobs import handlers  # noqa: F401  (every handler registered)
    from adline.jobs.runner import JobRunner
    from adline.webhooks.events import DELIVER_JOB

    engine = create_engine(database_url)
    settings = Settings(database_url=database_url, delivery_interval=0, webhooks_allow_private=True)
    runner = JobRunner(
        create_sessionmaker(engine),
        SystemClock(),
        concurrency=concurrency,
        kinds={DELIVER_JOB},
        services={"settings": settings},
    )
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    print("ready", flush=True)
    await wait_for_line()
    profiler = cProfile.Profile()
    if profile is not None:
        profiler.enable()
    cpu = time.process_time()
    task = asyncio.create_task(runner.run_forever())
    await wait_for_line()  # EOF: stop
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    print(f"cpu {time.process_time() - cpu:.3f}", flush=True)
    if profile is not None:
        profiler.disable()
        profiler.dump_stats(profile / f"runner-{os.getpid()}.prof")
    await engine.dispose()


@dataclass(frozen=True)
class Message:
    url: str
    secret: str
    message_id: str
    payload: str


def sign(message: Message) -> dict[str, str]:
    signer = StandardWebhook(base64.b64encode(message.secret.encode()).decode("ascii"))
    now = datetime.now(UTC)
    return {
        "webhook-id": message.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signer.sign(message.message_id, now, message.payload),
        "content-type": "application/json",
    }


async def baseline_main(messages: list[Message], concurrency: int) -> None:
    """POST `messages`, signed, from `concurrency` tasks through one keep-alive client."""
    queue = iter(messages)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    failures = 0

    async def post(client: httpx.AsyncClient, message: Message) -> None:
        nonlocal failures
        response = await client.post(
            message.url, content=message.payload.encode(), headers=sign(message)
        )
        if response.status_code != 200 or response.content != b'{"ok":true}':
            failures += 1

    async def worker(client: httpx.AsyncClient) -> None:
        for message in queue:
            await post(client, message)

    async with httpx.AsyncClient(limits=limits, timeout=15.0, trust_env=False) as client:
        await client.get(messages[0].url.rsplit("/hook/", 1)[0] + "/stats")  # connect
        print("ready", flush=True)
        await wait_for_line()
        cpu = time.process_time()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    print(f"done {len(messages)} {failures} {time.process_time() - cpu:.3f}", flush=True)


# --- the parent ------------------------------------------------------------------------------


def start(role: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), *role],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if line != "ready":
        process.kill()
        sys.exit(f"bench: {role[:2]} did not start: {line!r}")
    return process


def say(processes: list[subprocess.Popen[str]], line: str | None) -> None:
    """Write `line` to each process's stdin, or close it (None)."""
    for process in processes:
        assert process.stdin is not None
        if line is None:
            process.stdin.close()
        else:
            process.stdin.write(line + "\n")
            process.stdin.flush()


@dataclass
class Store:
    database_url: str
    key: str
    campaign_ids: list[str]
    base_url: str  # the receiver's


def make_app(database_url: str, engine: Any) -> Any:
    from adline.app import create_app
    from adline.config import Settings

    settings = Settings(
        database_url=database_url,
        delivery_interval=0,
        webhooks_allow_private=True,
        rate_limit_per_second=0,
        address_rate_limit_per_second=0,
    )
    return create_app(settings, engine=engine)


async def seed(
    database_url: str, campaigns: int, endpoints: int, base_url: str
) -> tuple[Store, dict[str, str]]:
    """The company, its tree and its endpoints: (store, receiver secrets by endpoint)."""
    from store import build_tree  # bench/store.py, beside this script

    from adline.campaigns.models import AdCampaign
    from adline.core.clock import ManualClock
    from adline.core.db import create_engine, create_sessionmaker

    engine = create_engine(database_url)
    try:
        clock = ManualClock(datetime.now(UTC) - timedelta(days=30))
        tree = await build_tree(
            create_sessionmaker(engine),
            clock,
            name="Bench Co",
            campaigns=campaigns,
            groups_per_campaign=1,
            ads_per_group=3,
        )
        async with create_sessionmaker(engine)() as session:
            ids = list(
                await session.scalars(
                    select(AdCampaign.id)
                    .where(AdCampaign.company_id == tree.company_id)
                    .order_by(AdCampaign.id)
                )
            )
        secrets = {}
        transport = httpx.ASGITransport(app=make_app(database_url, engine))
        headers = {"Authorization": f"Bearer {tree.key}", "Api-Version-Date": VERSION}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://adline", headers=headers
        ) as client:
            for index in range(endpoints):
                body: dict[str, Any] = {"url": f"{base_url}/hook/{index}"}
                pin = PINS[index % len(PINS)]
                if pin is not None:
                    body["api_version_date"] = pin
                answer = await client.post("/api/v1/webhooks", json=body)
                if answer.status_code != 200:
                    sys.exit(f"bench: POST /webhooks answered {answer.status_code}: {answer.text}")
                secrets[str(index)] = answer.json()["webhook_secret"]
        return Store(database_url, tree.key, ids, base_url), secrets
    finally:
        await engine.dispose()


async def enqueue(store: Store, changes: int, first: int) -> float:
    """`changes` campaign PATCHes through the API in-process from ENQUEUE_CLIENTS clients;
    answers the seconds they took."""
    from adline.core.db import create_engine

    engine = create_engine(store.database_url)
    try:
        transport = httpx.ASGITransport(app=make_app(store.database_url, engine))
        headers = {"Authorization": f"Bearer {store.key}", "Api-Version-Date": VERSION}
        numbers = iter(range(first, first + changes))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://adline", headers=headers
        ) as client:

            async def one_client() -> None:
                for number in numbers:
                    campaign = store.campaign_ids[number % len(store.campaign_ids)]
                    answer = await client.patch(
                        f"/api/v1/ad_campaigns/{campaign}",
                        json={"title": f"Winter sale {number:06d} (EU, prospecting)"},
                    )
                    if answer.status_code != 200:
                        sys.exit(f"bench: PATCH answered {answer.status_code}: {answer.text}")

            began = time.perf_counter()
            await asyncio.gather(*(one_client() for _ in range(ENQUEUE_CLIENTS)))
            return time.perf_counter() - began
    finally:
        await engine.dispose()


async def pending(database_url: str) -> tuple[int, int]:
    """(pending deliveries, failed ones) in the store."""
    from adline.core.db import create_engine
    from adline.webhooks.models import WebhookDelivery

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = dict(
                (
                    await connection.execute(
                        select(WebhookDelivery.status, func.count()).group_by(
                            WebhookDelivery.status
                        )
                    )
                ).all()
            )
        return int(rows.get("pending", 0)), int(rows.get("failed", 0))
    finally:
        await engine.dispose()


async def wait_drained(database_url: str, give_up_s: float) -> float:
    """Poll until no delivery is pending: the seconds it took."""
    from adline.core.db import create_engine
    from adline.webhooks.models import WebhookDelivery

    engine = create_engine(database_url)
    began = time.perf_counter()
    query = select(func.count()).where(WebhookDelivery.status == "pending")
    try:
        async with engine.connect() as connection:
            while True:
                left = (await connection.execute(query)).scalar_one()
                await connection.commit()
                if left == 0:
                    return time.perf_counter() - began
                if time.perf_counter() - began > give_up_s:
                    sys.exit(f"bench: {left} deliveries still pending after {give_up_s:.0f} s")
                await asyncio.sleep(POLL_SECONDS)
    finally:
        await engine.dispose()


async def recorded_bodies(database_url: str, count: int) -> list[tuple[str, str, str, str]]:
    """The latest `count` attempts' bodies, with their endpoints' URLs and secrets."""
    from adline.core.db import create_engine
    from adline.webhooks.models import Webhook, WebhookDelivery

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(
                        Webhook.url,
                        Webhook.secret,
                        WebhookDelivery.message_id,
                        WebhookDelivery.request_body,
                    )
                    .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                    .order_by(WebhookDelivery.sent_at.desc())
                    .limit(count)
                )
            ).all()
        return [
            (url, secret, message_id, json.dumps(body, separators=(",", ":"), ensure_ascii=False))
            for url, secret, message_id, body in rows
        ]
    finally:
        await engine.dispose()


def receiver_stats(base_url: str) -> dict[str, int]:
    counts: dict[str, int] = httpx.get(f"{base_url}/stats", trust_env=False).json()
    return counts


@dataclass(frozen=True)
class Rate:
    per_second: float
    cpu_s: float  # CPU seconds per request of the sending processes


@dataclass
class Row:
    processes: int
    concurrency: int
    deliveries: int
    events_per_second: float  # enqueued
    adline: Rate
    baseline: Rate  # one keep-alive client per process, no store


@dataclass
class Bench:
    store: Store
    env: dict[str, str]
    workdir: Path
    endpoints: int
    changes: int
    profile: Path | None
    changed: int = 0  # campaign updates so far (titles stay new)

    def backlog(self) -> tuple[int, float]:
        """Enqueue `changes` campaign updates: (pending deliveries, seconds)."""
        took = asyncio.run(enqueue(self.store, self.changes, self.changed))
        self.changed += self.changes
        left, _ = asyncio.run(pending(self.store.database_url))
        return left, took

    def drain(self, processes: int, concurrency: int, n: int) -> Rate:
        role = ["--role", "runner", "--database-url", self.store.database_url]
        role += ["--concurrency", str(concurrency)]
        if self.profile is not None:
            role += ["--profile", str(self.profile)]
        before = receiver_stats(self.store.base_url)
        runners = [start(role, self.env) for _ in range(processes)]
        try:
            say(runners, "go")
            took = asyncio.run(wait_drained(self.store.database_url, give_up_s=60 + n / 10))
        finally:
            say(runners, None)
            cpu = 0.0
            for runner in runners:
                assert runner.stdout is not None
                line = runner.stdout.readline().split()
                cpu += float(line[1]) if len(line) == 2 and line[0] == "cpu" else float("nan")
                runner.wait(timeout=60)
        after = receiver_stats(self.store.base_url)
        left, failed = asyncio.run(pending(self.store.database_url))
        if left or failed or after["refused"] or after["verified"] - before["verified"] < n:
            sys.exit(f"bench: {left} pending, {failed} failed, receiver {before} -> {after}")
        return Rate(n / took, cpu / n)

    def baseline(self, processes: int, concurrency: int, count: int) -> Rate:
        """Requests/s of keep-alive httpx clients POSTing `count` recorded bodies."""
        bodies = self.workdir / "bodies.json"
        bodies.write_text(json.dumps(asyncio.run(recorded_bodies(self.store.database_url, count))))
        role = ["--role", "baseline", "--bodies", str(bodies), "--parts", str(processes)]
        role += ["--concurrency", str(concurrency)]
        before = receiver_stats(self.store.base_url)["verified"]
        clients = [start([*role, "--part", str(part)], self.env) for part in range(processes)]
        cpu = 0.0
        began = time.perf_counter()
        say(clients, "go")
        for client in clients:
            assert client.stdout is not None
            done = client.stdout.readline().split()
            if len(done) != 4 or done[0] != "done" or done[2] != "0":
                sys.exit(f"bench: a baseline client failed: {done}")
            cpu += float(done[3])
        took = time.perf_counter() - began
        for client in clients:
            client.wait(timeout=60)
        if receiver_stats(self.store.base_url)["verified"] - before != count:
            sys.exit("bench: the receiver did not verify every baseline request")
        return Rate(count / took, cpu / count)

    def measure(self, processes: int, concurrency: int) -> Row:
        n, enqueue_s = self.backlog()
        adline = self.drain(processes, concurrency, n)
        baseline = self.baseline(processes, concurrency, n)
        return Row(processes, concurrency, n, n / self.endpoints / enqueue_s, adline, baseline)


def report(rows: list[Row]) -> None:
    print(
        f"\n{'runners x conc':>14} {'deliveries':>10} {'events/s in':>11} {'deliveries/s':>12} "
        f"{'baseline/s':>10} {'ratio':>6} {'CPU ms/delivery':>15} {'baseline':>8}"
    )
    for row in rows:
        print(
            f"{f'{row.processes} x {row.concurrency}':>14} {row.deliveries:>10,} "
            f"{row.events_per_second:>11.0f} {row.adline.per_second:>12.0f} "
            f"{row.baseline.per_second:>10.0f} "
            f"{ratio(row.adline.per_second, row.baseline.per_second):>6.2f} "
            f"{row.adline.cpu_s * 1e3:>15.1f} {row.baseline.cpu_s * 1e3:>8.1f}"
        )
    print(
        "\nevents/s in: campaign PATCHes/s through the API in-process (4 clients), each "
        "writing 1 event + 1 delivery and 1 job per endpoint. deliveries/s: the runner "
        "processes' drain of that backlog. baseline/s: the same signed bodies POSTed by "
        "plain httpx, one keep-alive client per process, same processes x concurrency, no "
        "store. ratio: deliveries/s / baseline/s. CPU ms/delivery: of the sending processes "
        "only (runners, or the baseline's clients per request; not PostgreSQL, not the "
        "receiver)."
    )


def parent(args: argparse.Namespace) -> None:
    configs = [tuple(int(x) for x in part.split("x")) for part in args.configs.split(",")]
    load_before = os.getloadavg()[0]
    # The working tree's src/ first, whatever the venv's editable install points at.
    env = {**code_env(REPO / "src"), "ADLINE_WEBHOOKS_ALLOW_PRIVATE": "1"}
    with tempfile.TemporaryDirectory(prefix="adline-bench-") as tmp:
        workdir = Path(tmp)
        store_context = (
            contextlib.nullcontext(f"sqlite+aiosqlite:///{workdir / 'adline.db'}")
            if args.sqlite
            else scratch_postgres(args.postgres)
        )
        with store_context as database_url:
            from adline.core.migrate import migrate

            began = time.perf_counter()
            migrate(database_url)
            port = free_port()
            store, secrets = asyncio.run(
                seed(database_url, args.campaigns, args.endpoints, f"http://{HOST}:{port}")
            )
            (workdir / "secrets.json").write_text(json.dumps(secrets))
            print(
                f"seeded {store_name(database_url)} in {time.perf_counter() - began:.1f} s: "
                f"{args.campaigns:,} campaigns x 1 ad group x 3 ads, {args.endpoints} endpoints",
                flush=True,
            )
            role = ["--role", "receiver", "--port", str(port)]
            receiver = start([*role, "--bodies", str(workdir / "secrets.json")], env)
            bench = Bench(
                store,
                env,
                workdir,
                args.endpoints,
                args.changes,
                args.profile,
            )
            try:
                pins = ", ".join(str(pin) for pin in PINS[: args.endpoints])
                print_run_header(
                    store=store_name(database_url),
                    code=working_tree_description(),
                    generator="JobRunner processes (asyncio, run_forever) -> raw asyncio "
                    "receiver (uvloop, signatures verified); baseline: httpx processes",
                    params=f"{args.campaigns:,} campaigns, {args.endpoints} endpoints "
                    f"(pins {pins}), {args.changes:,} campaign updates = "
                    f"{args.changes * args.endpoints:,} deliveries per configuration, "
                    f"runner processes x concurrency {args.configs}",
                    load_before=load_before,
                )
                rows = []
                for processes, concurrency in configs:
                    row = bench.measure(processes, concurrency)
                    print(
                        f"  {processes} x {concurrency}: {row.adline.per_second:.0f} "
                        f"deliveries/s, {row.events_per_second:.0f} events/s enqueued",
                        flush=True,
                    )
                    rows.append(row)
                report(rows)
            finally:
                receiver.kill()
                receiver.wait()


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
    parser.add_argument("--campaigns", type=int, default=2_000, help="seeded (2,000)")
    parser.add_argument("--endpoints", type=int, default=4, help="webhook endpoints (4)")
    parser.add_argument(
        "--changes",
        type=int,
        default=150,
        help="campaign updates per configuration (150), each x --endpoints deliveries",
    )
    parser.add_argument(
        "--configs",
        default="1x4,1x16,2x4,2x16",
        help="runner processes x concurrency, comma-separated (default 1x4,1x16,2x4,2x16; "
        "4 is the runner's default)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="cProfile each runner process into DIR/runner-PID.prof",
    )
    # Internal: the script's other processes.
    parser.add_argument(
        "--role", choices=("receiver", "runner", "baseline"), help=argparse.SUPPRESS
    )
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--concurrency", type=int, default=4, help=argparse.SUPPRESS)
    parser.add_argument("--bodies", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--part", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--parts", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "receiver":
        secrets = json.loads(args.bodies.read_text())
        try:
            import uvloop
        except ImportError:
            asyncio.run(receiver_main(args.port, secrets))
        else:
            uvloop.run(receiver_main(args.port, secrets))
    elif args.role == "runner":
        asyncio.run(runner_main(args.database_url, args.concurrency, args.profile))
    elif args.role == "baseline":
        rows = json.loads(args.bodies.read_text())[args.part :: args.parts]
        messages = [Message(*row) for row in rows]
        asyncio.run(baseline_main(messages, args.concurrency))
    else:
        if args.campaigns < 1 or args.endpoints < 1 or args.changes < 10:
            parser.error("need --campaigns >= 1, --endpoints >= 1 and --changes >= 10")
        sys.path.insert(0, str(REPO / "src"))
        if args.profile is not None:
            args.profile.mkdir(parents=True, exist_ok=True)
            args.profile = args.profile.resolve()
        parent(args)


if __name__ == "__main__":
    main()
