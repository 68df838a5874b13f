"""Fixtures: a respx router behind an injected transport (no test reaches the network),
a Graph client whose sleeps are recorded instead of waited, and a Meta adapter on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest
import respx

from adline.core.clock import ManualClock
from adline.networks.base import MemoryDirectory, NetworkCredentials
from adline.networks.meta.adapter import MetaAdapter
from adline.networks.meta.client import MetaGraphClient

from .contracts import GRAPH, VERSION, Replay, replay

TOKEN = "EAAtestToken123"
PAGE_ID = "987654321"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class FakeMonotonic:
    """The client's monotonic clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def graph() -> Iterator[respx.Router]:
    router = respx.Router(assert_all_called=True, assert_all_mocked=True)
    yield router
    router.assert_all_called()


@pytest.fixture
def contract(graph: respx.Router) -> Iterator[Callable[..., Replay]]:
    """Load scenarios (once per test, in the order the calls make them)."""
    played: list[Replay] = []

    def load(*names: str) -> Replay:
        assert not played, "load every scenario of a test in one call"
        played.append(replay(graph, *names))
        return played[0]

    yield load
    for each in played:
        each.assert_done()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def monotonic() -> FakeMonotonic:
    return FakeMonotonic()


def make_client(
    graph: respx.Router,
    sleeps: list[float],
    monotonic: FakeMonotonic,
    *,
    app_secret: str | None = None,
) -> MetaGraphClient:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return MetaGraphClient(
        GRAPH,
        VERSION,
        TOKEN,
        app_secret=app_secret,
        transport=httpx.MockTransport(graph.async_handler),
        sleep=sleep,
        monotonic=monotonic,
    )


@pytest.fixture
async def meta_client(
    graph: respx.Router, sleeps: list[float], monotonic: FakeMonotonic
) -> AsyncIterator[MetaGraphClient]:
    client = make_client(graph, sleeps, monotonic)
    yield client
    await client.aclose()


@pytest.fixture
def meta_clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def directory() -> MemoryDirectory:
    return MemoryDirectory()


@pytest.fixture
def adapter(
    meta_client: MetaGraphClient, directory: MemoryDirectory, meta_clock: ManualClock
) -> MetaAdapter:
    credentials = NetworkCredentials("meta", "act_1234", TOKEN, page_id=PAGE_ID)
    return MetaAdapter(credentials, directory, meta_clock, meta_client)
