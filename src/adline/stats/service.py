"""The stats store: ingesting what networks report, and totals over a stats window.

Networks report per ad and UTC hour. `ingest` stores those reports idempotently (one row
per ad and hour, the highest revision wins); `totals` sums them per campaign, ad group or
ad over a window in one query. Ranking lists by a stat lives in `adline.stats.ordering`.
See docs/metrics.md.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    ColumnExpressionArgument,
    CompoundSelect,
    String,
    TableValuedAlias,
    cast,
    func,
    literal_column,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from adline.ads.models import Ad
from adline.conversions.service import attributed_sums, with_attributed
from adline.core.clock import Clock
from adline.metrics.formulas import StatTotals
from adline.metrics.window import StatsWindow
from adline.stats.models import AdStatHour

log = logging.getLogger(__name__)

Level = Literal["ad_campaign", "ad_group", "ad"]

LEVEL_COLUMNS: dict[Level, InstrumentedAttribute[str]] = {
    "ad_campaign": AdStatHour.ad_campaign_id,
    "ad_group": AdStatHour.ad_group_id,
    "ad": AdStatHour.ad_id,
}
# Ids per IN list: far below both stores' bind-parameter limits.
CHUNK = 500

COUNTERS = ("impressions", "reach", "clicks", "unique_clicks", "link_clicks", "spend_micros")
KEY = ("ad_id", "hour_start")
MAPS = ("event_counts", "event_value_micros", "custom_event_counts", "custom_event_value_micros")


@dataclass(frozen=True, kw_only=True)
class HourStats:
    """What a network reports for one ad and one UTC hour, in one revision.

    `hour_start` is on the hour (any time zone; stored as UTC). `revision` grows with each
    correction the network sends for the hour. Counts are non-negative integers, amounts
    integer micro-units (USD). `reach` and `unique_clicks` are the network's figures for
    this ad and hour (Meta reports no hourly reach: 0).
    """

    ad_id: str
    hour_start: datetime
    revision: int
    impressions: int = 0
    reach: int = 0
    clicks: int = 0
    unique_clicks: int = 0
    link_clicks: int = 0
    spend_micros: int = 0
    event_counts: Mapping[str, int] = field(default_factory=dict)
    event_value_micros: Mapping[str, int] = field(default_factory=dict)
    custom_event_counts: Mapping[str, int] = field(default_factory=dict)
    custom_event_value_micros: Mapping[str, int] = field(default_factory=dict)
    custom_conversions: int = 0


def _count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} must be a non-negative integer, not {value!r}")
    return value


def _hour(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("hour_start must be timezone-aware")
    hour = value.astimezone(UTC)
    if (hour.minute, hour.second, hour.microsecond) != (0, 0, 0):
        raise ValueError(f"hour_start must be on the hour, not {value.isoformat()}")
    return hour


def _values(row: HourStats, owner: tuple[str, str, str], now: datetime) -> dict[str, Any]:
    """The row's column values, checked: a malformed report is the adapter's bug."""
    company_id, campaign_id, group_id = owner
    values: dict[str, Any] = {
        "ad_id": row.ad_id,
        "hour_start": _hour(row.hour_start),
        "company_id": company_id,
        "ad_campaign_id": campaign_id,
        "ad_group_id": group_id,
        "revision": _count(row.revision, "revision"),
        "custom_conversions": _count(row.custom_conversions, "custom_conversions"),
        "reported_at": now,
    }
    for name in COUNTERS:
        values[name] = _count(getattr(row, name), name)
    for name in MAPS:
        mapping: Mapping[str, int] = getattr(row, name)
        values[name] = {
            str(key): _count(count, f"{name}[{key!r}]") for key, count in sorted(mapping.items())
        }
    return values


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def _owners(session: AsyncSession, ad_ids: Iterable[str]) -> dict[str, tuple[str, str, str]]:
    """Each ad's (company, campaign, group), deleted ads included: their stats stay."""
    ids = sorted(set(ad_ids))
    owners: dict[str, tuple[str, str, str]] = {}
    for offset in range(0, len(ids), CHUNK):
        rows = await session.execute(
            select(Ad.id, Ad.company_id, Ad.ad_campaign_id, Ad.ad_group_id).where(
                Ad.id.in_(ids[offset : offset + CHUNK])
            )
        )
        for ad_id, company_id, campaign_id, group_id in rows:
            owners[ad_id] = (company_id, campaign_id, group_id)
    return owners


async def ingest(
    session: AsyncSession,
    clock: Clock,
    rows: Sequence[HourStats],
    *,
    company_id: str | None = None,
) -> int:
    """Store network reports; answer how many (ad, hour) rows were inserted or replaced.

    Idempotent: a row whose revision is not higher than the stored one changes nothing
    (a re-delivery, or an older revision arriving late); a higher revision replaces the
    stored row whole (a correction never adds to it). The rows go in as one upsert
    statement (sent in multi-row batches) whose WHERE compares revisions inside the
    database, so two workers ingesting the same hours concurrently cannot double-apply or
    let an older revision win.

    Rows for unknown ads, and when `company_id` is given (an adapter working for one
    company) rows for another company's ads, are skipped and logged. Within `rows` the
    highest revision of each (ad, hour) wins; of equal revisions, the first. Only flushes.
    """
    latest: dict[tuple[str, datetime], HourStats] = {}
    for row in rows:
        key = (row.ad_id, _hour(row.hour_start))
        held = latest.get(key)
        if held is None or row.revision > held.revision:
            latest[key] = row
    if not latest:
        return 0
    owners = await _owners(session, (ad_id for ad_id, _ in latest))
    now = clock.now()
    values: list[dict[str, Any]] = []
    skipped = 0
    # Sorted: concurrent ingests lock overlapping rows in the same order (no deadlocks).
    for key in sorted(latest):
        owner = owners.get(key[0])
        if owner is None or (company_id is not None and owner[0] != company_id):
            skipped += 1
            continue
        values.append(_values(latest[key], owner, now))
    if skipped:
        log.warning("stats ingest skipped %d row(s) for unknown or foreign ads", skipped)

    if not values:
        return 0
    insert = (postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert)(AdStatHour)
    upsert = insert.on_conflict_do_update(
        index_elements=[AdStatHour.ad_id, AdStatHour.hour_start],
        set_={name: insert.excluded[name] for name in values[0] if name not in KEY},
        where=insert.excluded.revision > AdStatHour.revision,
    ).returning(AdStatHour.ad_id)
    # One compiled statement; SQLAlchemy sends the rows as multi-row batches
    # ("insertmanyvalues"). RETURNING answers only the rows inserted or replaced.
    connection = await session.connection()
    result = await connection.execute(upsert, values)
    return len(result.all())


# --- totals ---------------------------------------------------------------------------


def window_conditions(window: StatsWindow) -> list[ColumnElement[bool]]:
    """An hour counts in the window when it starts in [start, end) (end None: until now;
    no network reports an hour that has not begun, so that is no bound at all)."""
    conditions: list[ColumnElement[bool]] = []
    if window.start is not None:
        conditions.append(AdStatHour.hour_start >= window.start)
    if window.end is not None:
        conditions.append(AdStatHour.hour_start < window.end)
    return conditions


def _sum(expression: ColumnExpressionArgument[Any]) -> ColumnElement[int]:
    # PostgreSQL sums bigints into numeric: cast back, the sums are exact integers.
    return cast(func.sum(expression), BigInteger)


def _max(expression: ColumnExpressionArgument[Any]) -> ColumnElement[int]:
    return cast(func.max(expression), BigInteger)


def counter_aggregates() -> dict[str, ColumnElement[int]]:
    """How each counter combines over hours and ads: sums, except reach and unique clicks,
    which are de-duplicated people and are never summed (the largest reported figure, a
    lower bound; docs/metrics.md)."""
    return {
        "impressions": _sum(AdStatHour.impressions),
        "reach": _max(AdStatHour.reach),
        "clicks": _sum(AdStatHour.clicks),
        "unique_clicks": _max(AdStatHour.unique_clicks),
        "link_clicks": _sum(AdStatHour.link_clicks),
        "spend_micros": _sum(AdStatHour.spend_micros),
        "custom_conversions": _sum(AdStatHour.custom_conversions),
    }


def _entries(column: ColumnElement[Any], dialect: str) -> TableValuedAlias:
    """The (key, value) pairs of a JSON object column, as a table joined to its row."""
    if dialect == "postgresql":
        return func.json_each_text(column).table_valued("key", "value")
    return func.json_each(column).table_valued("key", "value")


def _totals_statement(
    level: Level, ids: list[str], window: StatsWindow, dialect: str
) -> CompoundSelect[Any]:
    """One statement: a row of counters per object (map ''), and a row per object, event
    map and event name with that name's sum in the first value column."""
    level_column = LEVEL_COLUMNS[level]
    where = [level_column.in_(ids), *window_conditions(window)]
    counters = counter_aggregates()
    zero = literal_column("0", BigInteger)
    branches: list[Any] = [
        select(
            level_column.label("object_id"),
            literal_column("''", String).label("map"),
            literal_column("''", String).label("name"),
            *(aggregate.label(name) for name, aggregate in counters.items()),
        )
        .where(*where)
        .group_by(level_column)
    ]
    for name in MAPS:
        entries = _entries(getattr(AdStatHour, name), dialect)
        branches.append(
            select(
                level_column,
                literal_column(f"'{name}'", String),
                entries.c.key,
                _sum(cast(entries.c.value, BigInteger)),
                *(zero for _ in range(len(counters) - 1)),
            )
            .select_from(AdStatHour)
            .join(entries, true())
            .where(*where)
            .group_by(level_column, entries.c.key)
        )
    return union_all(*branches)


async def totals(
    session: AsyncSession, level: Level, ids: Iterable[str], window: StatsWindow
) -> dict[str, StatTotals]:
    """Each object's totals over the window (zero for objects without stats), one query.

    `ids` name objects of `level`; scope them to the tenant first (ids are global, and
    each row carries the campaign and group of its ad, so no other company's rows match).
    """
    wanted = sorted(set(ids))
    result: dict[str, StatTotals] = {object_id: StatTotals() for object_id in wanted}
    if not wanted:
        return result
    counters: dict[str, dict[str, int]] = {}
    maps: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for offset in range(0, len(wanted), CHUNK):
        statement = _totals_statement(
            level, wanted[offset : offset + CHUNK], window, _dialect(session)
        )
        for row in await session.execute(statement):
            object_id, map_name, name, *numbers = row
            if map_name:
                maps[object_id][map_name][name] = int(numbers[0] or 0)
            else:
                counters[object_id] = {
                    key: int(value or 0)
                    for key, value in zip(counter_aggregates(), numbers, strict=True)
                }
    for object_id, values in counters.items():
        own = maps.get(object_id, {})
        result[object_id] = StatTotals(
            **values,
            event_counts=dict(own.get("event_counts", {})),
            event_value_micros=dict(own.get("event_value_micros", {})),
            custom_event_counts=dict(own.get("custom_event_counts", {})),
            custom_event_value_micros=dict(own.get("custom_event_value_micros", {})),
        )
    # Events Adline attributed itself (POST /events), by the window's attribution model.
    for object_id, extra in (await attributed_sums(session, level, wanted, window)).items():
        result[object_id] = with_attributed(result[object_id], extra)
    return result
