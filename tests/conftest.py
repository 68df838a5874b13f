"""Fixtures: a migrated store (SQLite or PostgreSQL), an app on a manual clock, companies
with keys, and HTTP clients.

`ADLINE_TEST_DATABASE` picks the store: `sqlite` (default; a fresh file per run) or a
PostgreSQL URL (the run creates and later drops a database of its own on that server).
Either store is built by running the migrations, so every run tests them too. Tests stay
independent by each using companies of their own: everything is tenant-scoped.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from whop_sdk import AsyncWhop
from whop_sdk.environment import WhopEnvironment

from adline.app import create_app
from adline.auth.scopes import ALL_SCOPES
from adline.auth.service import create_api_key
from adline.companies.service import create_company
from adline.config import Settings
from adline.core.clock import ManualClock
from adline.core.db import create_engine, create_sessionmaker
from adline.core.migrate import migrate
from adline.funding.processor import SUCCEEDS
from adline.funding.service import save_test_card
from adline.networks.fakes.meta import FakeMeta
from adline.networks.fakes.tiktok import FakeTikTok
from adline.versions import NEWEST
from tests.connections.helpers import META_TOKEN, OTHER_META_TOKEN, TIKTOK_TOKEN

# No test reaches a real ad network. Servers and workers the tests start as processes
# (`adline serve`, `adline worker`) read their settings from this environment: their
# clients for companies' network connections get a closed local port, refused at once.
for _setting, _closed in (
    ("ADLINE_META_GRAPH_URL", "http://127.0.0.1:9"),
    ("ADLINE_TIKTOK_API_URL", "http://127.0.0.1:9/open_api/v1.3"),
):
    os.environ.setdefault(_setting, _closed)

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# Clients here speak the newest version, as the official client does; tests of the older
# versions and of the default set or drop the header themselves.
NEWEST_HEADER = {"Api-Version-Date": NEWEST}


async def _postgres_admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


@dataclass
class StoreTemplate:
    """A migrated store no test writes to, and the stores cloned from it: the run's shared
    store, and one of its own for each test that asks (tests/own_store.py)."""

    url: str
    # Where SQLite clones go; None on PostgreSQL (clones are databases on the server).
    directory: Path | None

    def clone(self) -> str:
        name = f"adline_test_{secrets.token_hex(4)}"
        template = make_url(self.url)
        if self.directory is not None:
            assert template.database is not None
            path = self.directory / f"{name}.db"
            shutil.copyfile(template.database, path)
            return f"sqlite+aiosqlite:///{path}"
        asyncio.run(
            _postgres_admin(self.url, f'CREATE DATABASE "{name}" TEMPLATE "{template.database}"')
        )
        return template.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        database = make_url(url).database
        assert database is not None
        if self.directory is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(database + suffix).unlink(missing_ok=True)
            return
        asyncio.run(_postgres_admin(self.url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def store_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreTemplate]:
    """The run's stores start as copies of one store built by running the migrations (so
    every run tests them too).

    On PostgreSQL the run's databases are its own on the server the URL names, dropped
    afterwards, so concurrent runs (and the database in the URL) are left alone."""
    choice = os.environ.get("ADLINE_TEST_DATABASE", "sqlite")
    if choice == "sqlite":
        directory = tmp_path_factory.mktemp("db")
        url = f"sqlite+aiosqlite:///{directory / 'template.db'}"
        migrate(url)
        yield StoreTemplate(url, directory)
        return
    server = make_url(choice)
    name = f"adline_test_{secrets.token_hex(4)}_template"
    asyncio.run(_postgres_admin(choice, f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield StoreTemplate(url, None)
    finally:
        asyncio.run(_postgres_admin(choice, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def database_url(store_template: StoreTemplate) -> Iterator[str]:
    """The store the run's tests share. Tests stay independent by each using companies of
    their own (everything is tenant-scoped); a test whose work spans every company (the
    delivery worker's passes) takes a store of its own instead (tests/own_store.py)."""
    url = store_template.clone()
    yield url
    store_template.drop(url)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(scope="session")
def files_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the tests' apps keep uploaded files (the local store), not ./var/files."""
    return tmp_path_factory.mktemp("files")


@pytest.fixture
def fake_meta(clock: ManualClock) -> FakeMeta:
    """The Meta the tests' app talks to (Graph, in process): it accepts the connection
    tests' tokens (tests/connections/helpers.py) on any ad account, and refuses any other
    token with 190 (the fake's token rule, adline.networks.fakes.meta)."""
    return FakeMeta(clock, access_token=META_TOKEN, tokens=[OTHER_META_TOKEN], any_account=True)


@pytest.fixture
def fake_tiktok(clock: ManualClock) -> FakeTikTok:
    """The TikTok the tests' app talks to: `TIKTOK_TOKEN` on any advertiser; any other
    token answers 40105 (adline.networks.fakes.tiktok)."""
    return FakeTikTok(clock, access_token=TIKTOK_TOKEN, any_advertiser=True)


@pytest.fixture
def app(
    database_url: str,
    engine: AsyncEngine,
    clock: ManualClock,
    files_root: Path,
    fake_meta: FakeMeta,
    fake_tiktok: FakeTikTok,
) -> FastAPI:
    # Rate limits off: how many requests a test sends in a second depends on hypothesis's
    # examples and the machine's speed, not on what it tests. tests/rate_limits builds its
    # apps with limits of its own.
    settings = Settings(
        database_url=database_url,
        rate_limit_per_second=0,
        address_rate_limit_per_second=0,
        files_root=str(files_root),
    )
    # The real networks' clients (the token check of /network_connections) reach the
    # in-process fakes, on the test's clock: nothing leaves the machine.
    transports = {
        "meta": httpx.ASGITransport(app=fake_meta),
        "tiktok": httpx.ASGITransport(app=fake_tiktok),
    }
    return create_app(settings, clock=clock, engine=engine, network_transports=transports)


@dataclass
class Tenant:
    company_id: str
    user_id: str
    key: str
    key_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@pytest.fixture
def make_tenant(engine: AsyncEngine, clock: ManualClock):  # type: ignore[no-untyped-def]
    async def make(
        name: str = "Acme",
        scopes: list[str] | None = None,
        api_version_date: str | None = None,
        funded: bool = True,
    ) -> Tenant:
        """`funded`: the company has a working payment method (the simulated processor's
        4242 card), so its campaigns launch as they did before funding (docs/funding.md);
        funding tests pass `funded=False`."""
        async with create_sessionmaker(engine)() as session, session.begin():
            company, owner = await create_company(session, clock, name=name)
            if funded:
                await save_test_card(session, clock, company.id, SUCCEEDS)
            issued = await create_api_key(
                session,
                clock,
                company_id=company.id,
                scopes=list(ALL_SCOPES) if scopes is None else scopes,
                api_version_date=api_version_date,
            )
        return Tenant(company.id, owner.id, issued.secret, issued.key.id)

    return make


@pytest.fixture
def make_key(engine: AsyncEngine, clock: ManualClock):  # type: ignore[no-untyped-def]
    """Another key for an existing company, with the given scopes."""

    async def make(tenant: Tenant, scopes: list[str], **options: object) -> str:
        async with create_sessionmaker(engine)() as session, session.begin():
            issued = await create_api_key(
                session,
                clock,
                company_id=tenant.company_id,
                scopes=scopes,
                **options,  # type: ignore[arg-type]
            )
        return issued.secret

    return make


@pytest.fixture
async def tenant(make_tenant) -> Tenant:  # type: ignore[no-untyped-def]
    return await make_tenant()


@pytest.fixture
async def other_tenant(make_tenant) -> Tenant:  # type: ignore[no-untyped-def]
    return await make_tenant(name="Other Co")


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client with no API key, rooted at /api/v1, speaking the newest version."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://adline.test/api/v1", headers=NEWEST_HEADER
    ) as c:
        yield c


@pytest.fixture
async def client(anonymous: httpx.AsyncClient, tenant: Tenant) -> httpx.AsyncClient:
    """A client authenticated as `tenant` with every scope."""
    anonymous.headers.update(tenant.headers)
    return anonymous


@pytest.fixture
def cli_env(database_url: str) -> Iterator[dict[str, str]]:
    yield dict(os.environ, ADLINE_DATABASE_URL=database_url)


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture
async def other_client(app: FastAPI, other_tenant: Tenant) -> AsyncIterator[httpx.AsyncClient]:
    """A second client, authenticated as `other_tenant` (another company)."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://adline.test/api/v1",
        headers={**NEWEST_HEADER, **other_tenant.headers},
    ) as c:
        yield c


@pytest.fixture
async def whop(app: FastAPI, tenant: Tenant) -> AsyncIterator[AsyncWhop]:
    """The newest official client (whop-sdk 2.6.0, unmodified) as `tenant`, against the
    tests' app in process; no retries, so every answer is the server's first."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, headers=NEWEST_HEADER) as http:
        yield AsyncWhop(
            token=tenant.key,
            environment=WhopEnvironment(
                api="http://adline.test/api/v1", vault="http://adline.test"
            ),
            httpx_client=http,
            max_retries=0,
        )
