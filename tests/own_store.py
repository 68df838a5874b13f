"""A store of its own for each test of a module: `from tests.own_store import database_url,
engine` there overrides the run's shared store (tests/conftest.py).

For tests whose work spans every company in the store: the delivery worker's passes sync
every launched campaign there is, so on the shared store they would also sync every
campaign the run's earlier tests launched, and take longer the later they run. A clone of
the migrated template costs milliseconds on SQLite and about 0.2 s on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.db import create_engine
from tests.conftest import StoreTemplate


@pytest.fixture
def database_url(store_template: StoreTemplate) -> Iterator[str]:
    url = store_template.clone()
    yield url
    store_template.drop(url)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()
