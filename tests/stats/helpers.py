"""Write stats through the service, as network adapters do, and read totals back."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.clock import Clock
from adline.core.db import create_sessionmaker
from adline.metrics.formulas import StatTotals
from adline.metrics.window import StatsWindow, parse_stats_window
from adline.stats.service import HourStats, Level, ingest, totals

ALL_TIME = parse_stats_window(None, None, None, None)


async def store(
    engine: AsyncEngine, clock: Clock, rows: Sequence[HourStats], company_id: str | None = None
) -> int:
    async with create_sessionmaker(engine)() as session, session.begin():
        return await ingest(session, clock, rows, company_id=company_id)


async def read_totals(
    engine: AsyncEngine, level: Level, ids: Iterable[str], window: StatsWindow = ALL_TIME
) -> dict[str, StatTotals]:
    async with create_sessionmaker(engine)() as session:
        return await totals(session, level, ids, window)


def hour(ad_id: str, start: datetime, revision: int = 1, **values: object) -> HourStats:
    return HourStats(ad_id=ad_id, hour_start=start, revision=revision, **values)  # type: ignore[arg-type]
