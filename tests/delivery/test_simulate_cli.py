"""`adline simulate` as a user runs it: a store of its own, the same output for a seed on
any store and at any wall-clock time, a printed key that works on the printed command's
server, and the README's blocks equal to what it prints."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import make_url, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from adline.core.db import create_engine, create_sessionmaker
from adline.stats.models import AdStatHour
from tests.readme_blocks import readme_blocks
from tests.test_serve import free_port, wait_until_serving

ADLINE = str(Path(sys.executable).parent / "adline")
SMALL = ["--days", "2", "--campaigns", "4", "--seed", "3", "--spend-cap", "40"]
# The names a run makes anew (company, spend cap, key): everything else is decided by the
# seed. The key's secret is random, never derived from the seed.
FRESH_NAMES = re.compile(r"\b(biz|sc)_[0-9A-Za-z]{14}\b|\badl_sk_[0-9A-Za-z]+")
# Moves the wall clock of a Python process by ADLINE_TEST_CLOCK_SHIFT seconds: `datetime`
# and `time` both answer the shifted time (imported before anything else, as
# sitecustomize).
SHIFT_CLOCK = """
import datetime as _datetime, os as _os, time as _time

_shift = float(_os.environ["ADLINE_TEST_CLOCK_SHIFT"])
_time_time, _time_ns = _time.time, _time.time_ns
_time.time = lambda: _time_time() + _shift
_time.time_ns = lambda: _time_ns() + int(_shift * 1e9)
_Base = _datetime.datetime


class _Shifted(_Base):
    @classmethod
    def now(cls, tz=None):
        return _Base.fromtimestamp(_time.time(), tz)

    @classmethod
    def utcnow(cls):
        return _Base.fromtimestamp(_time.time(), _datetime.UTC).replace(tzinfo=None)


_datetime.datetime = _Shifted
"""


def simulate(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run `adline simulate` in `cwd` and answer its stdout."""
    done = subprocess.run(
        [ADLINE, "simulate", *args],
        cwd=cwd,
        env=env or child_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def child_env(**extra: str) -> dict[str, str]:
    """The environment without the suite's store: `./var/adline.db` is the live one."""
    env = {k: v for k, v in os.environ.items() if k != "ADLINE_DATABASE_URL"}
    return {**env, "COLUMNS": "200", **extra}


def masked(output: str) -> str:
    def name(match: re.Match[str]) -> str:
        return "adl_sk_<secret>" if match.group(0).startswith("adl_sk_") else f"{match[1]}_<id>"

    return "\n".join(FRESH_NAMES.sub(name, line).rstrip() for line in output.splitlines())


def table_and_totals(output: str) -> str:
    """What the seed decides: everything before the lines about exploring the store."""
    return output.split("\nExplore it through the API")[0]


def explore(output: str) -> dict[str, str]:
    """The printed company id, key and serve command."""
    lines = output.split("\nExplore it through the API")[1].splitlines()
    serve = next(line.strip() for line in lines if "adline serve" in line)
    fields = dict(line.strip().split(": ", 1) for line in lines if ": " in line and "$" not in line)
    return {
        "serve": serve,
        "company": fields["company id"].strip(),
        "key": fields["API key"].strip(),
    }


def server_url() -> str | None:
    """The PostgreSQL server of this run, when the suite runs on PostgreSQL."""
    choice = os.environ.get("ADLINE_TEST_DATABASE", "sqlite")
    return None if choice == "sqlite" else choice


async def _admin(server: str, statement: str) -> None:
    engine = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


@contextmanager
def fresh_postgres(server: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on `server` (dropped afterwards)."""
    name = f"adline_simulate_{secrets.token_hex(4)}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def stored_hours(database_url: str) -> list[tuple[Any, ...]]:
    """Every hourly stats row the run stored, in key order (the ad ids come from the seed)."""

    async def read() -> list[tuple[Any, ...]]:
        engine = create_engine(database_url)
        try:
            async with create_sessionmaker(engine)() as session:
                columns = [
                    column
                    for column in AdStatHour.__table__.columns
                    if column.name not in ("company_id", "reported_at")
                ]
                rows = await session.execute(
                    select(*columns).order_by(AdStatHour.ad_id, AdStatHour.hour_start)
                )
                return [tuple(row) for row in rows]
        finally:
            await engine.dispose()

    return asyncio.run(read())


def sqlite_store(cwd: Path) -> str:
    return f"sqlite+aiosqlite:///{cwd / 'var' / 'adline-simulate.db'}"


def test_a_seed_prints_the_same_on_any_store_at_any_wall_clock_time(tmp_path: Path) -> None:
    # Twice in one folder: the default store is made anew each run, never ./var/adline.db.
    first = simulate(tmp_path, *SMALL)
    first_hours = stored_hours(sqlite_store(tmp_path))
    assert len(first_hours) > 4 * 24
    again = simulate(tmp_path, *SMALL)
    assert not (tmp_path / "var" / "adline.db").exists()
    assert masked(again) == masked(first)
    assert explore(again)["company"] != explore(first)["company"]
    assert stored_hours(sqlite_store(tmp_path)) == first_hours

    # A wall clock 400 days and 5 h 17 min later: the same days are simulated.
    shifted = tmp_path / "shifted"
    shifted.mkdir()
    (shifted / "sitecustomize.py").write_text(SHIFT_CLOCK)
    later_env = child_env(
        PYTHONPATH=str(shifted), ADLINE_TEST_CLOCK_SHIFT=str(400 * 86400 + 5 * 3600 + 17 * 60)
    )
    later = simulate(shifted, *SMALL, env=later_env)
    assert masked(later) == masked(first)

    # PostgreSQL (when the suite runs on it): twice, and equal to SQLite's.
    server = server_url()
    if server is None:
        return
    for _ in range(2):
        with fresh_postgres(server) as url:
            on_postgres = simulate(tmp_path, *SMALL, "--database-url", url)
            assert stored_hours(url) == first_hours
        assert table_and_totals(masked(on_postgres)) == table_and_totals(masked(first))
        assert explore(on_postgres)["serve"].endswith(f"--database-url {url}")


def test_the_spend_cap_run_shows_where_the_cap_stopped(tmp_path: Path) -> None:
    output = simulate(tmp_path, *SMALL)
    cap_line = next(line for line in output.splitlines() if line.startswith("spend cap "))
    assert re.fullmatch(
        r"spend cap sc_\w{14}: \$\d+\.\d\d applied of \$40\.00 \(\d+\.\d\d%\), \w+, .+", cap_line
    )


def test_the_printed_key_works_on_the_printed_server(tmp_path: Path) -> None:
    output = simulate(tmp_path, "--days", "1", "--campaigns", "3", "--seed", "5")
    printed = explore(output)
    assert printed["serve"] == (
        "ADLINE_DELIVERY_INTERVAL=0 adline serve "
        "--database-url sqlite+aiosqlite:///./var/adline-simulate.db"
    )
    env_part, command = printed["serve"].split(" ", 1)
    port = free_port()
    name, value = env_part.split("=")
    process = subprocess.Popen(
        [ADLINE, *command.split()[1:], "--port", str(port)],
        cwd=tmp_path,
        env=child_env(**{name: value}),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(process, url)
        headers = {"Authorization": f"Bearer {printed['key']}"}
        with httpx.Client(base_url=f"{url}/api/v1", headers=headers) as client:
            listed = client.get("/ad_campaigns", params={"first": 100})
            assert listed.status_code == 200, listed.text
            campaigns = listed.json()["data"]
            # The newest version (the key is pinned to it), and the table's spend.
            assert {c["budget_optimization"] for c in campaigns} == {"ad_campaign"}
            spend = {c["title"]: c["spend"] for c in campaigns}
            shown = {}
            for line in output.splitlines():
                cells = [cell.strip() for cell in line.strip("│ ").split("│")]
                if cells[0] in spend:
                    shown[cells[0]] = cells[2]
            assert shown == {title: f"${dollars:,.2f}" for title, dollars in spend.items()}
            assert len(spend) == 3 and sum(spend.values()) > 0
            # The stats are history to the served store: none after the simulated day.
            later = client.get("/ad_campaigns", params={"stats_from": "2026-03-03", "first": 100})
            assert {c["spend"] for c in later.json()["data"]} == {0}
            own = client.get("/ad_campaigns", params={"account_id": printed["company"]})
            assert own.status_code == 200, own.text
    finally:
        process.terminate()
        stdout, _ = process.communicate(timeout=30)
    # Not an empty store: serving it made no demo company.
    assert "API key" not in stdout


def readme_runs(name: str) -> list[tuple[list[str], str]]:
    """The README's blocks that show a `$ .venv/bin/adline simulate ...` run: each one's
    arguments and the output shown below them."""
    runs = []
    for block in readme_blocks():
        first, _, shown = block.text.partition("\n")
        if block.language == "" and first.startswith(f"$ .venv/bin/adline {name} "):
            runs.append((first.split()[3:], shown))
    return runs


@pytest.mark.parametrize("run", readme_runs("simulate"), ids=lambda run: " ".join(run[0]))
def test_the_readme_shows_what_simulate_prints(run: tuple[list[str], str], tmp_path: Path) -> None:
    args, shown = run
    printed = simulate(tmp_path, *args)
    assert masked(printed).rstrip("\n") == masked(shown).rstrip("\n")


def test_the_readme_shows_simulate_runs() -> None:
    assert len(readme_runs("simulate")) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2999-01-01"], "not over yet"),
        (["--start", "yesterday"], "not a date"),
        (["--days", "1", "--campaigns", "1", "--database-url", "LIVE"], "live store"),
        (["--days", "1", "--campaigns", "1", "--database-url", "BUSY"], "empty store"),
    ],
)
def test_simulate_refuses_what_it_must_not_write(
    tmp_path: Path, args: list[str], message: str
) -> None:
    live = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    busy = f"sqlite+aiosqlite:///{tmp_path / 'busy.db'}"
    created = subprocess.run(
        [ADLINE, "companies", "create", "--name", "Busy"],
        cwd=tmp_path,
        env=child_env(ADLINE_DATABASE_URL=busy),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    args = [{"LIVE": live, "BUSY": busy}.get(arg, arg) for arg in args]
    done = subprocess.run(
        [ADLINE, "simulate", *args],
        cwd=tmp_path,
        env=child_env(ADLINE_DATABASE_URL=live),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""
    assert done.stderr.startswith("adline: error: ") and message in done.stderr
    assert not (tmp_path / "live.db").exists()
