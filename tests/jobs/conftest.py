"""Fixtures for the job tests: a sessionmaker, and handlers registered under kinds of
each test's own (the store is shared by the whole run), removed afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adline.core.db import create_sessionmaker
from adline.core.ids import random_base62
from adline.jobs.registry import JobHandler, job_handler, unregister


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


class Handlers:
    """Registers test handlers under fresh kinds and forgets them at teardown."""

    def __init__(self) -> None:
        self.kinds: list[str] = []

    def register(self, handler: JobHandler, *, max_attempts: int = 10) -> str:
        kind = f"test.{handler.__name__}.{random_base62(8)}"
        job_handler(kind, max_attempts=max_attempts)(handler)
        self.kinds.append(kind)
        return kind


@pytest.fixture
def handlers() -> Iterator[Handlers]:
    registered = Handlers()
    yield registered
    for kind in registered.kinds:
        unregister(kind)
