"""The `adline` command: serve, migrate, manage companies and API keys, and export data.

Commands print their result alone on stdout (ids, secrets) so scripts can capture it;
mistakes print one line on stderr and exit with code 2.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from typer._click import exceptions as click_exceptions  # typer vendors click

from adline.auth.scopes import ALL_SCOPES, parse_scopes
from adline.config import Settings
from adline.core.errors import AdlineError
from adline.versions import NEWEST, VERSION_BUNDLE

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from adline.funding.service import Posted
    from adline.spend_caps.summary import ExportRow

app = typer.Typer(
    name="adline",
    help="Adline: self-hosted ads-management API server.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
companies_app = typer.Typer(help="Manage companies (tenants).", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
versions_app = typer.Typer(help="The supported API versions.", no_args_is_help=True)
export_app = typer.Typer(help="Export data as Parquet files.", no_args_is_help=True)
stats_app = typer.Typer(help="The stats store and its rollups.", no_args_is_help=True)
pixels_app = typer.Typer(help="Companies' ad pixels (the operator's switch).", no_args_is_help=True)
funding_app = typer.Typer(help="The funding ledger (docs/funding.md).", no_args_is_help=True)
app.add_typer(companies_app, name="companies")
app.add_typer(keys_app, name="keys")
app.add_typer(versions_app, name="versions")
app.add_typer(export_app, name="export")
app.add_typer(stats_app, name="stats")
app.add_typer(pixels_app, name="pixels")
app.add_typer(funding_app, name="funding")

stderr = Console(stderr=True, highlight=False)


def fail(message: str) -> NoReturn:
    print(f"adline: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def settings_ready(database_url: str | None = None) -> Settings:
    """The settings from the environment (with another store, if given), migrated."""
    from dataclasses import replace

    from adline.core.migrate import migrate

    settings = Settings.from_env()
    if database_url is not None:
        settings = replace(settings, database_url=database_url)
    settings.ensure_sqlite_directory()
    migrate(settings.database_url)
    return settings


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8080,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            help="Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: "
            "comma-separated addresses or networks, '*' for any (default: "
            "ADLINE_FORWARDED_ALLOW_IPS, else none: the TCP peer is the client; "
            "docs/security.md)."
        ),
    ] = None,
    max_body_bytes: Annotated[
        int | None,
        typer.Option(
            help="The largest request body, in bytes; a larger one answers 413 (default: "
            "ADLINE_MAX_BODY_BYTES, else 1048576).",
            min=1,
        ),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(help="The store to serve (default: ADLINE_DATABASE_URL, or ./var/adline.db)."),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            help="Server processes sharing the port (PostgreSQL only above 1; docs/deployment.md).",
            min=1,
        ),
    ] = 1,
    demo_asked: Annotated[
        bool | None,
        typer.Option(
            "--demo/--no-demo",
            help="Demo mode: a clock you step forward or run at a speed (/api/v1/demo, "
            "docs/demo.md). Default: ADLINE_DEMO, else on for the embedded default store "
            "(./var/adline.db) with one process, off otherwise.",
        ),
    ] = None,
) -> None:
    """Migrate the store, create the demo company on first start, and serve the API."""
    from dataclasses import replace

    import uvicorn

    from adline.app import create_app
    from adline.bootstrap import create_demo_if_empty

    env = Settings.from_env()
    in_demo = demo_mode(
        env.demo if demo_asked is None else demo_asked,
        database_url or env.database_url,
        workers,
        env,
    )
    if workers > 1:
        check_several_workers(database_url or env.database_url)
    settings = settings_ready(database_url)
    settings = replace(edge_settings(settings, forwarded_allow_ips, max_body_bytes), demo=in_demo)
    demo = asyncio.run(create_demo_if_empty(settings))
    if demo is not None:
        stderr.print("[bold]Created the demo company (shown once):[/bold]")
        print(f"  company id: {demo.company_id}")
        print(f"  API key:    {demo.api_key}")
        stderr.print("Keep the key: only its hash is stored.")
    stderr.print(f"Serving Adline on http://{host}:{port}/api/v1 (store: {settings.database_url})")
    if in_demo:
        stderr.print(
            f"Demo mode: step or run the simulated networks' clock at "
            f"http://{host}:{port}/api/v1/demo (docs/demo.md; --no-demo turns it off)"
        )
    if workers > 1:
        # Each worker process builds its app from the environment (adline.app.app_from_env);
        # the store is migrated and the demo company made once, above, before they start.
        export_serve_settings(settings)
        stderr.print(f"with {workers} worker processes")
    uvicorn.run(
        "adline.app:app_from_env" if workers > 1 else create_app(settings),
        factory=workers > 1,
        workers=workers,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="info",
        server_header=False,
        # X-Forwarded-* only from the listed proxies; none listed: not read at all.
        proxy_headers=bool(trusted_proxies(settings)),
        forwarded_allow_ips=trusted_proxies(settings),
    )


def demo_mode(asked: bool | None, database_url: str, workers: int, settings: Settings) -> bool:
    """Whether `adline serve` runs in demo mode: as asked (--demo/--no-demo, else
    ADLINE_DEMO), else on for the embedded default (the default SQLite store, one process,
    its own delivery worker). The demo clock lives in the one process, so demo mode with
    --workers above 1 is refused, as is demo mode without the embedded worker."""
    from adline.config import DEFAULT_DATABASE_URL

    if asked is None:
        return (
            database_url == DEFAULT_DATABASE_URL and workers == 1 and settings.delivery_interval > 0
        )
    if asked and workers > 1:
        fail("--demo needs a single server process (--workers 1): the demo clock is its own")
    if asked and settings.delivery_interval <= 0:
        fail(
            "--demo needs the embedded delivery worker: ADLINE_DELIVERY_INTERVAL=0 leaves "
            "the passes to `adline worker`, which the demo clock cannot move"
        )
    return asked


def check_several_workers(database_url: str) -> None:
    """Several server processes need PostgreSQL: on SQLite the rate-limit buckets live in
    each process's memory (every process would grant a key a full budget of its own), and
    the store takes one writer at a time anyway, so more processes add no write capacity."""
    if database_url.startswith("sqlite"):
        fail(
            "--workers above 1 needs PostgreSQL (ADLINE_DATABASE_URL or --database-url "
            "postgresql+asyncpg://...): on SQLite each process would keep rate limits of its "
            "own, and SQLite takes one writer at a time (docs/deployment.md)"
        )


def export_serve_settings(settings: Settings) -> None:
    """Put `adline serve`'s options in the environment, where the worker processes uvicorn
    starts read their settings (`Settings.from_env`)."""
    os.environ["ADLINE_DATABASE_URL"] = settings.database_url
    os.environ["ADLINE_FORWARDED_ALLOW_IPS"] = settings.forwarded_allow_ips
    os.environ["ADLINE_MAX_BODY_BYTES"] = str(settings.max_body_bytes)


def edge_settings(
    settings: Settings, forwarded_allow_ips: str | None, max_body_bytes: int | None
) -> Settings:
    """`settings` with `adline serve`'s options, where given, over the environment's."""
    from dataclasses import replace

    if forwarded_allow_ips is not None:
        settings = replace(settings, forwarded_allow_ips=forwarded_allow_ips)
    if max_body_bytes is not None:
        settings = replace(settings, max_body_bytes=max_body_bytes)
    return settings


def trusted_proxies(settings: Settings) -> list[str]:
    """The proxies whose X-Forwarded-* headers uvicorn believes: those
    `settings.forwarded_allow_ips` lists, none when it is empty. Always passed explicitly:
    uvicorn's own default would trust 127.0.0.1 (or its FORWARDED_ALLOW_IPS variable)."""
    return [part.strip() for part in settings.forwarded_allow_ips.split(",") if part.strip()]


@app.command("migrate")
def migrate_command() -> None:
    """Bring the store's schema to the newest revision and exit."""
    settings = settings_ready()
    stderr.print(f"Migrated {settings.database_url}")


@companies_app.command("create")
def companies_create(
    name: Annotated[str, typer.Option(help="The company's name.")],
    timezone: Annotated[str, typer.Option(help="IANA time zone for day boundaries.")] = "UTC",
) -> None:
    """Create a company; prints its id alone on stdout."""
    from adline.bootstrap import new_company

    settings = settings_ready()
    print(asyncio.run(new_company(settings, name, timezone)))


@companies_app.command("list")
def companies_list() -> None:
    """List every company (oldest first) with its number of live API keys."""
    from rich.table import Column, Table

    from adline.bootstrap import all_companies
    from adline.core.timestamps import format_timestamp

    settings = settings_ready()
    # Names may be long: they wrap, the other columns never do.
    fixed = ("id", "timezone", "currency", "created", "live keys")
    table = Table(*(Column(header, no_wrap=True) for header in fixed), "name")
    for company, live_keys in asyncio.run(all_companies(settings)):
        table.add_row(
            company.id,
            company.timezone,
            company.currency.upper(),
            format_timestamp(company.created_at),
            str(live_keys),
            company.name,
        )
    Console(width=200).print(table)


# `adline keys create --api-version none`: a key that pins no version.
UNPINNED = "none"


@keys_app.command("create")
def keys_create(
    company: Annotated[str, typer.Option(help="The company id (biz_...).")],
    scopes: Annotated[
        str | None, typer.Option(help="Comma-separated scopes, e.g. ad_campaign:basic:read.")
    ] = None,
    all_scopes: Annotated[bool, typer.Option("--all-scopes", help="Grant every scope.")] = False,
    name: Annotated[str, typer.Option(help="A label for the key.")] = "API key",
    api_version: Annotated[
        str,
        typer.Option(
            help=(
                "The API version the key is pinned to (its requests without an "
                f"Api-Version-Date header answer in it); `{UNPINNED}` pins none, so they "
                "answer in the default version, 2025-01-01."
            )
        ),
    ] = NEWEST,
) -> None:
    """Create an API key, pinned to the newest API version unless --api-version says
    otherwise; prints the secret alone on stdout (it is shown only once)."""
    from adline.bootstrap import new_api_key

    if all_scopes == (scopes is not None):
        fail("give exactly one of --scopes or --all-scopes")
    try:
        granted = list(ALL_SCOPES) if all_scopes else parse_scopes(scopes or "")
    except ValueError as error:
        fail(f"--scopes: {error}")
    pin = None if api_version == UNPINNED else api_version
    if pin is not None and not VERSION_BUNDLE.is_supported(pin):
        fail(f"--api-version: {VERSION_BUNDLE.unsupported(pin).message}")
    settings = settings_ready()
    issued = asyncio.run(new_api_key(settings, company, granted, name, pin))
    pinned = f"pinned to {pin}" if pin is not None else "pinned to no version"
    stderr.print(f"Created {issued.key.id} ({pinned}); the secret below is shown only once")
    print(issued.secret)


@app.command()
def worker(
    interval: Annotated[float, typer.Option(help="Seconds between delivery passes.", min=1)] = 60,
    fast_from: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Fast-forward on a simulated clock from this instant (ISO 8601): passes "
            "--interval seconds apart without waiting, up to --until, then exit. Started "
            "again, it resumes after the last pass the store recorded.",
        ),
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="With --from: the instant of the last pass.")
    ] = None,
) -> None:
    """Run a job worker as its own process: the delivery pass every --interval seconds and
    every other background job (docs/jobs.md; serve with ADLINE_DELIVERY_INTERVAL=0 to leave
    the passes to it). Run as many as you like: each pass and job runs once. Its simulated
    networks live in the store, so a restarted worker loses nothing."""
    from adline.core.timestamps import parse_timestamp
    from adline.delivery.worker import run_process

    if (fast_from is None) != (until is None):
        fail("give both --from and --until, or neither")
    try:
        start = None if fast_from is None else parse_timestamp(fast_from)
        end = None if until is None else parse_timestamp(until)
    except ValueError as error:
        fail(f"--from/--until: {error}")
    settings = settings_ready()
    if start is None or end is None:
        stderr.print(
            f"Delivery worker on {settings.database_url}, every {interval:g} s "
            "(and every other background job)"
        )
    else:
        stderr.print(
            f"Delivery worker on {settings.database_url}, fast-forward from "
            f"{start.isoformat()} to {end.isoformat()}, {interval:g} s apart"
        )
    asyncio.run(
        run_process(
            settings.database_url,
            settings.simulator_seed,
            timedelta(seconds=interval),
            start=start,
            until=end,
        )
    )


# adline.delivery.simulate.MAX_CAMPAIGNS (not imported here: the module is heavy).
SIMULATE_MAX_CAMPAIGNS = 100_000
# Above this many campaigns the table shows the first rows, a gap and the last row.
SIMULATE_TABLE_ROWS = 50
# `adline simulate` writes to a store of its own: this SQLite file, beside the live
# ./var/adline.db, made anew by every run (or the empty store --database-url names).
SIMULATE_DATABASE_URL = "sqlite+aiosqlite:///./var/adline-simulate.db"
# adline.delivery.simulate.SIMULATION_START, as a date.
SIMULATE_START = "2026-03-02"


def simulation_store(database_url: str | None) -> Settings:
    """The store `adline simulate` writes to, migrated and empty: its own SQLite file
    (deleted first), or the store --database-url names, which must hold no company. Never
    the live store (ADLINE_DATABASE_URL, or ./var/adline.db)."""
    from dataclasses import replace

    from adline.bootstrap import store_is_empty
    from adline.core.migrate import migrate

    live = Settings.from_env()
    url = SIMULATE_DATABASE_URL if database_url is None else database_url
    if url == live.database_url:
        fail(f"{url} is the live store (ADLINE_DATABASE_URL); simulate writes to its own")
    settings = replace(live, database_url=url, delivery_interval=0)
    if database_url is None:
        path = Path(url.removeprefix("sqlite+aiosqlite:///"))
        for leftover in (path, *(path.with_name(path.name + end) for end in SQLITE_SIDES)):
            leftover.unlink(missing_ok=True)
    settings.ensure_sqlite_directory()
    migrate(settings.database_url)
    if not asyncio.run(store_is_empty(settings)):
        fail(f"--database-url: {url} already holds companies; simulate needs an empty store")
    return settings


# The files SQLite keeps beside a database (rollback journal, write-ahead log).
SQLITE_SIDES = ("-journal", "-wal", "-shm")


@app.command()
def simulate(
    days: Annotated[int, typer.Option(help="Days to deliver.", min=1, max=90)] = 7,
    campaigns: Annotated[
        int, typer.Option(help="Campaigns to create.", min=1, max=SIMULATE_MAX_CAMPAIGNS)
    ] = 50,
    seed: Annotated[int, typer.Option(help="The simulated network's seed.")] = 1,
    spend_cap: Annotated[
        float | None,
        typer.Option(help="Put every campaign under one spend cap of this many dollars.", min=1),
    ] = None,
    start: Annotated[
        str,
        typer.Option(
            help="The first simulated day (YYYY-MM-DD, from midnight UTC); the days must be "
            "over by now."
        ),
    ] = SIMULATE_START,
    database_url: Annotated[
        str | None,
        typer.Option(
            help="An empty store to write to (default: ./var/adline-simulate.db, made anew).",
        ),
    ] = None,
) -> None:
    """Create a demo company's campaigns in a store of their own, deliver them fast-forward
    on the simulated network and print a summary per campaign (and of the spend cap, with
    --spend-cap), then the company, a key and the command that serves the store."""
    import resource
    import time
    from datetime import UTC, date, datetime

    from rich.progress import Progress
    from rich.table import Table

    from adline.core.clock import SystemClock
    from adline.delivery.simulate import simulate as run_simulation
    from adline.spend_caps.service import MAX_CAMPAIGNS_PER_SPEND_CAP

    if spend_cap is not None and campaigns > MAX_CAMPAIGNS_PER_SPEND_CAP:
        fail(
            f"--spend-cap shares one spend cap, which takes at most "
            f"{MAX_CAMPAIGNS_PER_SPEND_CAP} campaigns; --campaigns is {campaigns}"
        )
    try:
        first_day = date.fromisoformat(start)
    except ValueError:
        fail(f"--start: {start!r} is not a date (YYYY-MM-DD)")
    started_at = datetime.combine(first_day, datetime.min.time(), UTC)
    ended_at = started_at + timedelta(days=days)
    # The last hour's reports arrive an hour after the simulated days.
    if ended_at + timedelta(hours=1) > SystemClock().now():
        fail(
            f"--start: {days} days from {start} are not over yet; the simulated days must be "
            "in the past, so that served, the store shows no stats in the future"
        )
    settings = simulation_store(database_url)
    started = time.perf_counter()
    with Progress(console=stderr) as progress:
        building = progress.add_task("Creating campaigns", total=campaigns)
        task = progress.add_task("Delivering", total=days * 24)
        result = asyncio.run(
            run_simulation(
                settings,
                days=days,
                campaigns=campaigns,
                seed=seed,
                spend_cap=spend_cap,
                start=started_at,
                on_hour=lambda done, total: progress.update(task, completed=done),
                on_built=lambda done, total: progress.update(building, completed=done),
            )
        )
    elapsed = time.perf_counter() - started
    summaries = result.campaigns
    last_day = ended_at - timedelta(days=1)
    window = f"{started_at:%Y-%m-%d} to {last_day:%Y-%m-%d} (UTC)"
    table = Table(title=f"{campaigns} campaigns, seed {seed}, {days} days: {window}")
    for column in (
        "campaign",
        "budget/day",
        "spend",
        "overspend",
        "impressions",
        "CTR",
        "CPM",
        "purchases",
        "ROAS",
    ):
        table.add_column(column, justify="left" if column == "campaign" else "right")
    shown = summaries
    if len(summaries) > SIMULATE_TABLE_ROWS:
        shown = [*summaries[: SIMULATE_TABLE_ROWS - 1], summaries[-1]]
    for number, row in enumerate(shown):
        if number == len(shown) - 1 and len(shown) < len(summaries):
            hidden = len(summaries) - len(shown)
            table.add_row(f"… ({hidden:,} more)", *["…"] * 8)
        table.add_row(
            row.title,
            f"${row.daily_budget:,.2f}",
            f"${row.spend:,.2f}",
            f"${row.overspend:,.2f}",
            f"{row.impressions:,}",
            f"{row.click_through_rate:.2%}",
            f"${row.cost_per_mille:,.2f}",
            f"{row.purchases:,}",
            f"{row.return_on_ad_spend:.2f}",
        )
    # In whole cents (the API's dollars have two decimals): no float sums of amounts.
    total_budget = sum(cents(row.daily_budget) for row in summaries) * days
    total_spend = sum(cents(row.spend) for row in summaries)
    total_over = sum(cents(row.overspend) for row in summaries)
    Console(width=140).print(table)
    print(
        f"total spend ${total_spend / 100:,.2f} of ${total_budget / 100:,.2f} budgeted "
        f"({total_spend / total_budget:.1%}); overspend ${total_over / 100:,.2f}"
    )
    cap = result.spend_cap
    if cap is not None:
        hour = timedelta(hours=1)
        when = (
            "never reached"
            if cap.depleted_after is None
            else f"reached after {(cap.depleted_after - result.started_at) / hour:.0f} h"
        )
        print(
            f"spend cap {cap.id}: ${cap.applied:,.2f} applied of ${cap.amount:,.2f} "
            f"({cap.applied / cap.amount:.2%}), {cap.status}, {when}"
        )
    serve_command = f"adline serve --database-url {settings.database_url}"
    print()
    print("Explore it through the API: serve its store (delivery off, so it stays as above)")
    print(f"  ADLINE_DELIVERY_INTERVAL=0 {serve_command}")
    print(f"  company id: {result.company_id}")
    print(f"  API key:    {result.api_key}")
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_mib = peak / 2**20 if sys.platform == "darwin" else peak / 2**10
    stderr.print(f"simulated in {elapsed:,.1f} s wall time; peak RSS {peak_mib:,.0f} MiB")


def cents(dollars: float) -> int:
    """A dollar amount of the API (at most two decimals) in whole cents."""
    return round(dollars * 100)


@keys_app.command("list")
def keys_list(
    company: Annotated[str, typer.Option(help="The company id (biz_...).")],
) -> None:
    """List a company's API keys (ids, scopes, pinned version, state); a secret is never
    shown again, only its obfuscated form (adl_sk_...last 4 characters)."""
    from rich.table import Table

    from adline.auth.service import obfuscated_secret
    from adline.bootstrap import company_keys
    from adline.core.timestamps import format_timestamp

    settings = settings_ready()
    table = Table("id", "name", "secret", "scopes", "version", "created", "revoked")
    for key in asyncio.run(company_keys(settings, company)):
        table.add_row(
            key.id,
            key.name,
            obfuscated_secret(key),
            "all" if set(key.scopes) >= set(ALL_SCOPES) else ",".join(key.scopes),
            key.api_version_date or UNPINNED,
            format_timestamp(key.created_at),
            format_timestamp(key.revoked_at) if key.revoked_at else "-",
        )
    Console(width=200).print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id (apik_...).")]) -> None:
    """Revoke an API key: requests with it answer 401 from now on."""
    from adline.bootstrap import revoke_key

    settings = settings_ready()
    asyncio.run(revoke_key(settings, key_id))
    stderr.print(f"Revoked {key_id}")


def _switch_pixel(company: str, pixel_id: str, disabled: bool) -> str:
    from adline.bootstrap import in_transaction
    from adline.core.clock import SystemClock
    from adline.pixels.service import set_disabled

    async def work(session: AsyncSession) -> str:
        pixel = await set_disabled(session, SystemClock(), company, pixel_id, disabled)
        return pixel.status

    return asyncio.run(in_transaction(settings_ready(), work))


@pixels_app.command("disable")
def pixels_disable(
    pixel_id: Annotated[str, typer.Argument(help="The pixel's id (adpx_...).")],
    company: Annotated[str, typer.Option(help="Its company's id (biz_...).")],
) -> None:
    """Turn a pixel off: it is sent nothing, whatever its token, until enabled."""
    stderr.print(f"{pixel_id} is {_switch_pixel(company, pixel_id, True)}")


@pixels_app.command("enable")
def pixels_enable(
    pixel_id: Annotated[str, typer.Argument(help="The pixel's id (adpx_...).")],
    company: Annotated[str, typer.Option(help="Its company's id (biz_...).")],
) -> None:
    """Turn a disabled pixel back on: active, or errored when its token was refused."""
    stderr.print(f"{pixel_id} is {_switch_pixel(company, pixel_id, False)}")


@versions_app.command("changelog")
def versions_changelog() -> None:
    """Print docs/versions.md: `adline versions changelog > docs/versions.md`."""
    from adline.versions.changelog import render_changelog

    # UTF-8 whatever the locale: the file is UTF-8.
    sys.stdout.buffer.write(render_changelog().encode())
    sys.stdout.flush()


@export_app.command("spend-caps")
def export_spend_caps(
    day: Annotated[
        str, typer.Option("--date", help="The local day (YYYY-MM-DD), in each company's zone.")
    ],
    out: Annotated[Path, typer.Option(help="The export root: writes OUT/date=D/.")],
) -> None:
    """Write each spend cap's daily summary for a day as Parquet; prints the file's path."""
    from rich.progress import Progress

    from adline.core.clock import SystemClock
    from adline.core.db import create_engine, create_sessionmaker
    from adline.spend_caps.summary import export_day, parse_day, write_parquet

    try:
        wanted = parse_day(day, "--date")
    except AdlineError as error:
        fail(error.message)
    settings = settings_ready()

    async def run(on_cap: Callable[[int, int], None]) -> list[ExportRow]:
        engine = create_engine(settings.database_url)
        try:
            async with create_sessionmaker(engine)() as session:
                return await export_day(session, wanted, SystemClock().now(), on_cap)
        finally:
            await engine.dispose()

    with Progress(console=stderr) as progress:
        task = progress.add_task("Summarizing spend caps", total=None)
        rows = asyncio.run(
            run(lambda done, total: progress.update(task, completed=done, total=total))
        )
    path = write_parquet(rows, out, wanted)
    stderr.print(f"Wrote {len(rows)} rows to {path}")
    print(path)


@stats_app.command("rebuild")
def stats_rebuild(
    company: Annotated[
        str | None, typer.Option(help="Only this company (biz_...); default: every company.")
    ] = None,
) -> None:
    """Recompute the stats rollups from the hourly rows and the recorded events."""
    from rich.progress import Progress

    from adline.core.db import create_engine, create_sessionmaker
    from adline.stats.rollups import company_ids, rebuild

    settings = settings_ready()

    async def run(on_company: Callable[[int, int], None]) -> int:
        engine = create_engine(settings.database_url)
        try:
            sessions = create_sessionmaker(engine)
            async with sessions() as session:
                wanted = await company_ids(session, company)
            if company is not None and not wanted:
                fail(f"no company {company!r}")
            # A transaction per company: each company's rollups are exact when it commits.
            for done, company_id in enumerate(wanted, start=1):
                async with sessions() as session, session.begin():
                    await rebuild(session, company_id)
                on_company(done, len(wanted))
            return len(wanted)
        finally:
            await engine.dispose()

    with Progress(console=stderr) as progress:
        task = progress.add_task("Rebuilding stats rollups", total=None)
        count = asyncio.run(
            run(lambda done, total: progress.update(task, completed=done, total=total))
        )
    print(f"rebuilt the stats rollups of {count} compan{'y' if count == 1 else 'ies'}")


@funding_app.command("reconcile")
def funding_reconcile(
    company: Annotated[
        str | None, typer.Option(help="Only this company (biz_...); default: every company.")
    ] = None,
) -> None:
    """Check the ledger: every transaction sums to zero, every cached balance equals its
    entries' sum, no company balance is below zero. One line per problem; exit 1 if any."""
    from adline.core.db import create_engine, create_sessionmaker
    from adline.funding.ledger import reconcile

    settings = settings_ready()

    async def run() -> list[str]:
        engine = create_engine(settings.database_url)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                return await reconcile(session, company)
        finally:
            await engine.dispose()

    problems = asyncio.run(run())
    for problem in problems:
        print(f"mismatch: {problem}")
    if problems:
        raise SystemExit(1)
    print("the ledger balances: every transaction sums to zero, every balance matches")


def _micros(amount: str, signed: bool) -> int:
    """Dollars from the command line (at most two decimals) to micros, without a float."""
    from decimal import Decimal, InvalidOperation

    from adline.core.money import dollars_to_micros

    try:
        micros = dollars_to_micros(Decimal(amount.strip().replace(",", "")))
    except (InvalidOperation, ValueError) as error:
        reason = str(error) if isinstance(error, ValueError) else "must be a number"
        fail(f"--amount {amount!r}: {reason} (dollars, e.g. 12.50)")
    if micros == 0 or (micros < 0 and not signed):
        fail(f"--amount {amount!r}: must be {'other than 0' if signed else 'more than 0'}")
    return micros


def _posted_line(what: str, posted: Posted, company: str, balance_micros: int) -> None:
    """The transaction's id alone on stdout (for scripts), what happened on stderr."""
    from adline.core.money import micros_to_dollars

    transaction = posted.transaction
    state = "applied" if posted.applied_now else "already applied before (nothing new written)"
    stderr.print(
        f"{what} {transaction.id} {state}; the company balance of {company} holds "
        f"${micros_to_dollars(balance_micros):,.2f}"
    )
    print(transaction.id)


@funding_app.command("refund")
def funding_refund(
    payment: Annotated[
        str,
        typer.Argument(
            help="The payment: a paid checkout (cs_...) or its top-up or a card charge (ltxn_...)."
        ),
    ],
    company: Annotated[str, typer.Option(help="The company (biz_...) the payment is of.")],
    amount: Annotated[str, typer.Option(help="Dollars to give back (at most two decimals).")],
    reference: Annotated[
        str,
        typer.Option(help="Names this refund (a ticket id): run again, it is applied once."),
    ],
    reason: Annotated[str, typer.Option(help="Why, kept in the ledger's memo.")] = "",
) -> None:
    """Refund (part of) a payment to the card it came from, out of the company balance
    (docs/funding.md#refunds). Prints the ledger transaction's id; exit 2 if refused
    (nothing written)."""
    from adline.bootstrap import in_transaction
    from adline.core.clock import SystemClock
    from adline.funding.service import company_balance_micros, refund_payment

    micros = _micros(amount, signed=False)

    async def work(session: AsyncSession) -> tuple[Posted, int]:
        posted = await refund_payment(
            session, SystemClock(), company, payment, micros, reference, reason
        )
        return posted, await company_balance_micros(session, company)

    posted, balance = asyncio.run(in_transaction(settings_ready(), work))
    _posted_line(f"refund of {payment}:", posted, company, balance)


@funding_app.command("correct")
def funding_correct(
    company: Annotated[str, typer.Option(help="The company (biz_...).")],
    amount: Annotated[
        str,
        typer.Option(help="Signed dollars into the account corrected (negative: out of it)."),
    ],
    reason: Annotated[str, typer.Option(help="Why (required), kept in the ledger's memo.")],
    reference: Annotated[
        str, typer.Option(help="Names this correction: run again, it is applied once.")
    ],
    campaign: Annotated[
        str | None,
        typer.Option(help="Correct this campaign's account (adcamp_...); default: the balance."),
    ] = None,
    against: Annotated[
        str,
        typer.Option(
            help="The other side: outside (the payment processor) or balance (the company "
            "balance; with --campaign)."
        ),
    ] = "outside",
) -> None:
    """Post a signed correction to the company balance or a campaign's account, against
    the outside world or the company balance (docs/funding.md#corrections). Never takes a
    balance below zero. Prints the ledger transaction's id; exit 2 if refused (nothing
    written)."""
    from adline.bootstrap import in_transaction
    from adline.core.clock import SystemClock
    from adline.funding.service import company_balance_micros, post_correction

    micros = _micros(amount, signed=True)

    async def work(session: AsyncSession) -> tuple[Posted, int]:
        posted = await post_correction(
            session, SystemClock(), company, micros, reason, reference, campaign, against
        )
        return posted, await company_balance_micros(session, company)

    posted, balance = asyncio.run(in_transaction(settings_ready(), work))
    _posted_line("correction", posted, company, balance)


def main() -> None:
    try:
        app(standalone_mode=False)
    except click_exceptions.NoArgsIsHelpError:
        raise SystemExit(2) from None
    except click_exceptions.UsageError as error:
        fail(error.format_message().splitlines()[0])
    except typer.Abort:
        fail("aborted")
    except AdlineError as error:
        fail(error.message)
