"""A demo server in process: its own store, its lifespan run (the embedded delivery worker
that steps drive), the demo clock over the test's ManualClock (so only steps move it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from adline.app import create_app
from adline.config import Settings
from adline.core.clock import ManualClock
from tests.networks.offline import offline_transports
from tests.own_store import database_url, engine

__all__ = ["database_url", "engine"]


def demo_app(
    database_url: str, clock: ManualClock, files_root: Path, *, demo: bool = True
) -> FastAPI:
    settings = Settings(
        database_url=database_url,
        # The periodic pass stays in its slot (the base clock does not move): the passes
        # the tests see are the steps'.
        delivery_interval=3600,
        rate_limit_per_second=0,
        address_rate_limit_per_second=0,
        files_root=str(files_root),
        demo=demo,
    )
    return create_app(settings, clock=clock, network_transports=offline_transports())


@pytest.fixture
async def app(database_url: str, clock: ManualClock, files_root: Path) -> AsyncIterator[FastAPI]:
    app = demo_app(database_url, clock, files_root)
    async with app.router.lifespan_context(app):
        yield app
