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
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    Date,
    String,
    TableValuedAlias,
    Text,
    TextualSelect,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    select,
    text,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from adline.ads.models import Ad
from adline.core.clock import Clock
from adline.core.db import execute_rows_in_driver, postgres_array_type, postgres_array_values
from adline.funding import service as funding
from adline.metrics.formulas import StatTotals
from adline.metrics.window import AttributionModel, StatsWindow
from adline.stats import rollups
from adline.stats.models import AdStatHour
from adline.stats.rollups import (
    EVENTS_TABLE,
    HOURS_TABLE,
    LEVEL_COLUMNS,
    STAT_DAYS,
    STAT_ENTRY_CUMULATIVE,
    STAT_ENTRY_LIFETIMES,
    STAT_LIFETIMES,
    STAT_SPANS,
    Level,
    day_start,
    integer_max,
    integer_sum,
    lock_campaign_stats,
)

log = logging.getLogger(__name__)

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
    if type(value) is int and value >= 0:  # the common case, first (bool is not int here)
        return value
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
        if not mapping:
            values[name] = {}
            continue
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
    stored row whole (a correction never adds to it). Ingests of a campaign's hours take
    turns (`lock_campaign_stats`): each reads the rows it replaces, writes the changed
    rows in one upsert statement (on PostgreSQL the read and the upsert are one statement),
    and moves the rollups by the difference (`adline.stats.rollups`), all in the caller's
    transaction, so two workers ingesting the same hours concurrently cannot double-apply or
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
    await lock_campaign_stats(session, {row["ad_campaign_id"] for row in values})
    postgres = _dialect(session) == "postgresql"
    if postgres:
        # One statement reads the stored rows and writes the new revisions.
        stored = await _write_hours_postgres(session, values)
    else:
        stored = await _stored_rows(session, [(row["ad_id"], row["hour_start"]) for row in values])
    changes: list[tuple[dict[str, Any] | None, dict[str, Any]]] = []
    for new in values:
        old = stored.get((new["ad_id"], new["hour_start"]))
        if old is None or new["revision"] > old["revision"]:
            changes.append((old, new))
    if not changes:
        return 0
    if not postgres:
        await execute_rows_in_driver(
            await session.connection(),
            SQLITE_WRITE_HOURS,
            HOURS_TABLE,
            HOURS_COLUMN_NAMES,
            (new for _, new in changes),
        )
    await rollups.apply_hour_changes(session, changes)
    # The funding ledger records the spend in the same transaction (docs/funding.md).
    spent: dict[str, tuple[str, int]] = {}
    for old, new in changes:
        added = new["spend_micros"] - (0 if old is None else old["spend_micros"])
        company, before = spent.get(new["ad_campaign_id"], (new["company_id"], 0))
        spent[new["ad_campaign_id"]] = (company, before + added)
    await funding.record_spend(session, clock, spent)
    return len(changes)


def _sqlite_write_hours() -> str:
    """SQLite: one row upserted into `ad_stat_hours` (a named parameter per column),
    replacing a stored row only with a higher revision."""
    replaced = ", ".join(
        f"{name} = excluded.{name}" for name in HOURS_COLUMN_NAMES if name not in KEY
    )
    return (
        f"INSERT INTO ad_stat_hours ({', '.join(HOURS_COLUMN_NAMES)}) "
        f"VALUES ({', '.join(f':{name}' for name in HOURS_COLUMN_NAMES)}) "
        f"ON CONFLICT (ad_id, hour_start) DO UPDATE SET {replaced} "
        "WHERE excluded.revision > ad_stat_hours.revision"
    )


def _postgres_write_hours() -> TextualSelect:
    """PostgreSQL: the batch's rows, one array per column, upserted into `ad_stat_hours` (a
    stored row is replaced only by a higher revision), answering the stored rows they met
    as they were before: every data-modifying CTE of a statement reads the rows as they
    were when it began. Each key is looked up in the primary key (a LATERAL lookup per key),
    a plan that holds whatever the table's statistics say (they may be missing: autovacuum
    can be off). One text for any number of rows: prepared once."""
    columns = list(HOURS_TABLE.columns)
    names = ", ".join(column.name for column in columns)
    arrays = ", ".join(
        f"CAST(:{column.name} AS {postgres_array_type(column)})" for column in columns
    )
    inserted = ", ".join(
        f"CAST(asked.{column.name} AS JSON)"
        if isinstance(column.type, JSON)
        else f"asked.{column.name}"
        for column in columns
    )
    replaced = ", ".join(
        f"{column.name} = excluded.{column.name}" for column in columns if column.name not in KEY
    )
    return text(
        f"""
WITH asked AS (SELECT * FROM unnest({arrays}) AS asked({names})),
stored AS (
    SELECT found.* FROM asked CROSS JOIN LATERAL (
        SELECT * FROM ad_stat_hours AS hours
        WHERE hours.ad_id = asked.ad_id AND hours.hour_start = asked.hour_start LIMIT 1
    ) AS found
),
written AS (
    INSERT INTO ad_stat_hours ({names}) SELECT {inserted} FROM asked
    ON CONFLICT (ad_id, hour_start) DO UPDATE SET {replaced}
    WHERE excluded.revision > ad_stat_hours.revision
)
SELECT * FROM stored
"""
    ).columns(*columns)


POSTGRES_WRITE_HOURS = _postgres_write_hours()
HOURS_COLUMN_NAMES = tuple(column.name for column in HOURS_TABLE.columns)
SQLITE_WRITE_HOURS = _sqlite_write_hours()


async def _write_hours_postgres(
    session: AsyncSession, values: Sequence[Mapping[str, Any]]
) -> dict[tuple[str, datetime], dict[str, Any]]:
    """`POSTGRES_WRITE_HOURS` for `values` (column values, sorted by key, so that concurrent
    ingests take the rows' locks in one order); answers the stored rows they met, by key."""
    parameters = {
        column.name: postgres_array_values(column, (row[column.name] for row in values))
        for column in HOURS_TABLE.columns
    }
    connection = await session.connection()
    rows = (await connection.execute(POSTGRES_WRITE_HOURS, parameters)).mappings()
    return {(row["ad_id"], row["hour_start"]): dict(row) for row in rows}


async def _stored_rows(
    session: AsyncSession, keys: Sequence[tuple[str, datetime]]
) -> dict[tuple[str, datetime], dict[str, Any]]:
    """SQLite: the stored rows of these (ad, hour) keys, as column values (PostgreSQL reads
    them in `POSTGRES_WRITE_HOURS`). A batch usually covers the same hours of many ads, so
    one query for every ad and hour of the batch (their cross product, at most a few times
    the keys) beats matching key by key; otherwise the keys are matched as pairs."""
    table = HOURS_TABLE
    wanted = set(keys)
    pairs = sorted(wanted)
    statements = []
    ads = sorted({ad_id for ad_id, _ in wanted})
    hours = sorted({hour for _, hour in wanted})
    if len(ads) * len(hours) <= 4 * len(wanted) and len(ads) + len(hours) <= CHUNK:
        statements.append(
            select(table).where(table.c.ad_id.in_(ads), table.c.hour_start.in_(hours))
        )
    else:
        for offset in range(0, len(pairs), CHUNK):
            chunk_pairs = pairs[offset : offset + CHUNK]
            statements.append(
                select(table).where(tuple_(table.c.ad_id, table.c.hour_start).in_(chunk_pairs))
            )
    stored: dict[tuple[str, datetime], dict[str, Any]] = {}
    for statement in statements:
        for row in (await session.execute(statement)).mappings():
            key = (row["ad_id"], row["hour_start"])
            if key in wanted:
                stored[key] = dict(row)
    return stored


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


def counter_aggregates() -> dict[str, ColumnElement[int]]:
    """How each counter combines over hours and ads: sums, except reach and unique clicks,
    which are de-duplicated people and are never summed (the largest reported figure, a
    lower bound; docs/metrics.md)."""
    return {
        "impressions": integer_sum(AdStatHour.impressions),
        "reach": integer_max(AdStatHour.reach),
        "clicks": integer_sum(AdStatHour.clicks),
        "unique_clicks": integer_max(AdStatHour.unique_clicks),
        "link_clicks": integer_sum(AdStatHour.link_clicks),
        "spend_micros": integer_sum(AdStatHour.spend_micros),
        "custom_conversions": integer_sum(AdStatHour.custom_conversions),
    }


def _entries(column: Any, dialect: str) -> TableValuedAlias:
    """The (key, value) pairs of a JSON object column, as a table joined to its row."""
    if dialect == "postgresql":
        return func.json_each_text(column).table_valued("key", "value")
    return func.json_each(column).table_valued("key", "value")


@dataclass(frozen=True)
class WindowParts:
    """A window cut into what the rollups answer and what the hourly rows answer.

    `lifetime`: the whole of time (the lifetime rollups). Otherwise `days` = [first, end)
    of whole UTC days (a None bound is open; None: no whole day) from the daily rollups,
    and `edges`: at most two ranges [from, to) of instants the hourly rows (and recorded
    events) answer, each shorter than a day.
    """

    lifetime: bool
    days: tuple[date | None, date | None] | None
    edges: tuple[tuple[datetime, datetime], ...]


def window_parts(window: StatsWindow) -> WindowParts:
    start, end = window.start, window.end
    if start is None and end is None:
        return WindowParts(True, None, ())
    first = None
    if start is not None:
        first = start.astimezone(UTC).date()
        if day_start(first) < start:
            first += timedelta(days=1)
    last = None if end is None else end.astimezone(UTC).date()
    if first is not None and last is not None and first >= last:
        # No whole UTC day inside: all of it from the hours.
        assert start is not None and end is not None
        return WindowParts(False, None, ((start, end),))
    edges: list[tuple[datetime, datetime]] = []
    if start is not None and first is not None and start < day_start(first):
        edges.append((start, day_start(first)))
    if end is not None and last is not None and day_start(last) < end:
        edges.append((day_start(last), end))
    return WindowParts(False, (first, last), tuple(edges))


# Row shape of the totals statement: (object id, part, map, name, a number per counter).
# Part "c": the counters, in this order; part "e": an event-map entry (amount, entries).
COUNTER_NAMES = (*rollups.SUMMED, *rollups.PEAKS)
_TOTALS_CACHE: dict[tuple[Any, ...], Any] = {}


def _zeros(count: int) -> list[Any]:
    return [literal_column("0", BigInteger) for _ in range(count)]


def _of_objects(dialect: str, param: str, column: Any, query: Any) -> Any:
    """`query` restricted to rows whose `column` is one of the ids bound as `param`.

    PostgreSQL: one index lookup per id (the ids unnested, the query run LATERAL for each),
    a plan that holds whatever the statistics say: without them (autovacuum off) an
    `IN` list was planned as a scan of every object's rows in the date range. SQLite
    looks `IN` values up in the index by itself."""
    if dialect != "postgresql":
        return query.where(column.in_(bindparam(param, expanding=True)))
    ids = cast(bindparam(param, type_=postgresql.ARRAY(Text())), postgresql.ARRAY(Text()))
    wanted = func.unnest(ids).table_valued("id").render_derived(name=f"wanted_{param}")
    # OFFSET 0 keeps PostgreSQL from flattening the lookup into a join it may plan badly.
    found = query.where(column == wanted.c.id).offset(0).lateral(f"found_{param}")
    return select(*found.c).select_from(wanted.join(found, true()))


def _in_edge(column: Any, index: int) -> list[ColumnElement[bool]]:
    """column in edge `index`, [e{index}_from, e{index}_to): one range, so an index on
    (object, time) serves it."""
    return [
        column >= bindparam(f"e{index}_from", type_=column.type),
        column < bindparam(f"e{index}_to", type_=column.type),
    ]


def _edge_rows(
    levels: tuple[Level, ...], edges: int, model: AttributionModel, dialect: str
) -> tuple[Any, list[Any]]:
    """The counter rows and event-map entries of the window's edges, from the hourly rows
    and the recorded events (each read once, as a CTE, per level and edge)."""
    hours, events = HOURS_TABLE, EVENTS_TABLE
    hour_parts = []
    event_parts = []
    for level in levels:
        column = hours.c[LEVEL_COLUMNS[level].key]
        touch = events.c[f"{model}_{level}_id"]
        for index in range(edges):
            hour_parts.append(
                _of_objects(
                    dialect,
                    f"ids_{level}",
                    column,
                    select(
                        column.label("object_id"),
                        *(hours.c[name] for name in COUNTER_NAMES),
                        *(hours.c[name] for name in MAPS),
                    ).where(*_in_edge(hours.c.hour_start, index)),
                )
            )
            event_parts.append(
                _of_objects(
                    dialect,
                    f"ids_{level}",
                    touch,
                    select(
                        touch.label("object_id"),
                        events.c.event_name,
                        events.c.custom_name,
                        rollups.credited_value(events, model).label("value_micros"),
                    ).where(*_in_edge(events.c.event_time, index)),
                )
            )
    edge_hours = union_all(*hour_parts).cte("edge_hours")
    edge_events = union_all(*event_parts).cte("edge_events")
    one = literal_column("1", BigInteger)
    counter_rows = select(edge_hours.c.object_id, *(edge_hours.c[name] for name in COUNTER_NAMES))
    entry_rows: list[Any] = []
    for map_name in MAPS:
        entries = _entries(edge_hours.c[map_name], dialect)
        entry_rows.append(
            select(
                edge_hours.c.object_id,
                literal_column(f"'{map_name}'", String).label("map"),
                entries.c.key.label("name"),
                cast(entries.c.value, BigInteger).label("amount"),
                one.label("entries"),
            )
            .select_from(edge_hours)
            .join(entries, true())
        )
    for map_name, name, amount, condition in rollups.event_entry_columns(
        edge_events.c.event_name,
        edge_events.c.custom_name,
        count=one,
        value=edge_events.c.value_micros,
    ):
        entry_rows.append(
            select(
                edge_events.c.object_id,
                literal_column(f"'{map_name}'", String).label("map"),
                name.label("name"),
                amount.label("amount"),
                one.label("entries"),
            ).where(condition)
        )
    return counter_rows, entry_rows


def _day_conditions(table: Any, day_bounds: tuple[bool, bool] | None) -> list[Any]:
    """Whole days in [d_from, d_to) (each bound only when present)."""
    if day_bounds is None:
        return []
    conditions = []
    if day_bounds[0]:
        conditions.append(table.c.day >= bindparam("d_from", type_=Date()))
    if day_bounds[1]:
        conditions.append(table.c.day < bindparam("d_to", type_=Date()))
    return conditions


def _in_range(column: Any, name: str) -> list[ColumnElement[bool]]:
    """column in [{name}_from, {name}_to) (empty when they are equal)."""
    return [
        column >= bindparam(f"{name}_from", type_=Date()),
        column < bindparam(f"{name}_to", type_=Date()),
    ]


def _counter_rows(dialect: str, table: Any, conditions: list[Any]) -> Any:
    """The counter rows of a rollup table (days, spans or lifetimes) of the objects."""
    return _of_objects(
        dialect,
        "ids",
        table.c.object_id,
        select(
            table.c.object_id.label("object_id"),
            *(table.c[name].label(name) for name in COUNTER_NAMES),
        ).where(*conditions),
    )


def _entry_columns(table: Any) -> Any:
    return select(
        table.c.object_id.label("object_id"),
        table.c.map.label("map"),
        table.c.name.label("name"),
        table.c.amount.label("amount"),
        table.c.entries.label("entries"),
    )


def _cumulative_entries(
    dialect: str, sources: tuple[str, ...], day_bounds: tuple[bool, bool]
) -> Any:
    """Each event-map entry of the objects over whole days [d_from, d_to): its cumulative
    row before d_to minus its cumulative row before d_from (a missing bound: everything, or
    nothing), for every entry the objects ever had (their lifetime entries).

    An entry that has no cumulative row from d_to on (a window up to the last day it
    changed, such as one ending today) stands at its lifetime figures before d_to: the
    lifetime row, already read, answers without a seek (an index probe that finds nothing
    reads no table page)."""
    names = STAT_ENTRY_LIFETIMES
    cumulative = STAT_ENTRY_CUMULATIVE
    same = [cumulative.c[name] == names.c[name] for name in ("object_id", "source", "map", "name")]

    def before(param: str) -> list[Any]:
        return [*same, cumulative.c.day < bindparam(param, type_=Date())]

    def latest(conditions: list[Any], column: str) -> Any:
        return (
            select(cumulative.c[column])
            .where(*conditions)
            .order_by(cumulative.c.day.desc())
            .limit(1)
            .scalar_subquery()
        )

    joined: Any = names
    # Up to d_to: the lifetime figures unless the entry changed on d_to or later (then the
    # latest row before d_to; CASE runs that seek only then).
    up_to: dict[str, Any] = {column: names.c[column] for column in ("amount", "entries")}
    if day_bounds[1]:
        later: Any = (
            select(literal_column("1"))
            .where(*same, cumulative.c.day >= bindparam("d_to", type_=Date()))
            .correlate(names)
            .exists()
        )
        if dialect == "postgresql":
            # Probed once per entry (a LATERAL column), not once per CASE that asks.
            changed = select(later.label("changed")).offset(0).lateral("changed")
            joined = joined.join(changed, true())
            later = changed.c.changed
        up_to = {
            column: case(
                (later, func.coalesce(latest(before("d_to"), column), 0)),
                else_=names.c[column],
            )
            for column in up_to
        }
    # Before d_from: the latest row before it (nothing: zero).
    since: dict[str, Any] = {}
    if day_bounds[0]:
        if dialect == "postgresql":
            found = (
                select(cumulative.c.amount, cumulative.c.entries)
                .where(*before("d_from"))
                .order_by(cumulative.c.day.desc())
                .limit(1)
                .lateral("before")
            )
            joined = joined.outerjoin(found, true())
            since = {column: found.c[column] for column in up_to}
        else:
            since = {column: latest(before("d_from"), column) for column in up_to}

    def window(column: str) -> Any:
        total: Any = up_to[column]
        if since:
            total = total - func.coalesce(since[column], 0)
        return cast(total, BigInteger)

    return _of_objects(
        dialect,
        "ids",
        names.c.object_id,
        select(
            names.c.object_id.label("object_id"),
            names.c.map.label("map"),
            names.c.name.label("name"),
            window("amount").label("amount"),
            window("entries").label("entries"),
        )
        .select_from(joined)
        .where(names.c.source.in_(sources)),
    )


def _totals_statement(
    levels: tuple[Level, ...],
    lifetime: bool,
    day_bounds: tuple[bool, bool] | None,
    edges: int,
    model: AttributionModel,
    dialect: str,
) -> Any:
    """The one statement that answers a totals read of this shape (cached by shape)."""
    key = (levels, lifetime, day_bounds, edges, model, dialect)
    cached = _TOTALS_CACHE.get(key)
    if cached is not None:
        return cached
    sources = (rollups.NETWORK, model)
    counter_rows: list[Any] = []
    entry_rows: list[Any] = []
    if lifetime:
        counter_rows.append(_counter_rows(dialect, STAT_LIFETIMES, []))
        entry_rows.append(
            _of_objects(
                dialect,
                "ids",
                STAT_ENTRY_LIFETIMES.c.object_id,
                _entry_columns(STAT_ENTRY_LIFETIMES).where(
                    STAT_ENTRY_LIFETIMES.c.source.in_(sources)
                ),
            )
        )
    elif day_bounds == (True, True):
        # Whole days between two dates: the days at the ends and aligned spans between.
        for index in range(2):
            counter_rows.append(
                _counter_rows(dialect, STAT_DAYS, _in_range(STAT_DAYS.c.day, f"dr{index}"))
            )
            for span in rollups.SPANS:
                counter_rows.append(
                    _counter_rows(
                        dialect,
                        STAT_SPANS,
                        [
                            STAT_SPANS.c.span == span,
                            *_in_range(STAT_SPANS.c.start, f"s{span}_{index}"),
                        ],
                    )
                )
    elif day_bounds is not None:
        conditions = _day_conditions(STAT_DAYS, day_bounds)
        counter_rows.append(_counter_rows(dialect, STAT_DAYS, conditions))
    if day_bounds is not None:
        entry_rows.append(_cumulative_entries(dialect, sources, day_bounds))
    if edges:
        counter_rows_, entry_rows_ = _edge_rows(levels, edges, model, dialect)
        counter_rows.append(counter_rows_)
        entry_rows.extend(entry_rows_)
    branches: list[Any] = []
    if counter_rows:
        counters = union_all(*counter_rows).subquery("counters")
        branches.append(
            select(
                counters.c.object_id,
                literal_column("'c'", String).label("part"),
                literal_column("''", String).label("map"),
                literal_column("''", String).label("name"),
                *(integer_sum(counters.c[name]) for name in rollups.SUMMED),
                *(integer_max(counters.c[name]) for name in rollups.PEAKS),
            ).group_by(counters.c.object_id)
        )
    if entry_rows:
        entry = union_all(*entry_rows).subquery("entry")
        branches.append(
            select(
                entry.c.object_id,
                literal_column("'e'", String),
                entry.c.map,
                entry.c.name,
                integer_sum(entry.c.amount),
                integer_sum(entry.c.entries),
                *_zeros(len(COUNTER_NAMES) - 2),
            ).group_by(entry.c.object_id, entry.c.map, entry.c.name)
        )
    statement: Any = union_all(*branches) if len(branches) > 1 else branches[0]
    _TOTALS_CACHE[key] = statement
    return statement


def day_cover(first: date, last: date) -> dict[int, list[tuple[date, date]]]:
    """Whole days [first, last) as aligned spans: per length (1 for single days, then each
    of `rollups.SPANS`), two ranges [from, to) of the start days of its spans, the left
    one and the right one (empty ranges: from == to). Longer spans cover the middle, each
    shorter length what is left at the two ends."""
    cover: dict[int, list[tuple[date, date]]] = {}
    middle: tuple[date, date] | None = None
    for span in sorted(rollups.SPANS, reverse=True):
        low = rollups.span_start(first + (span - 1) * rollups.DAY, span)
        high = rollups.span_start(last, span)
        if middle is None:
            if low < high:
                middle = (low, high)
                cover[span] = [(low, high), (high, high)]
            else:
                cover[span] = [(first, first), (first, first)]
            continue
        left = (low, middle[0]) if low < middle[0] else (first, first)
        right = (middle[1], high) if middle[1] < high else (first, first)
        middle = (min(low, middle[0]), max(high, middle[1]))
        cover[span] = [left, right]
    if middle is None:
        cover[1] = [(first, last), (last, last)]
    else:
        cover[1] = [(first, middle[0]), (middle[1], last)]
    return cover


def _cover_params(first: date, last: date) -> dict[str, date]:
    params: dict[str, date] = {}
    for span, ranges in day_cover(first, last).items():
        prefix = "dr" if span == 1 else f"s{span}_"
        for index, (start, end) in enumerate(ranges):
            params[f"{prefix}{index}_from"] = start
            params[f"{prefix}{index}_to"] = end
    return params


async def totals_by_level(
    session: AsyncSession, wanted: Mapping[Level, Iterable[str]], window: StatsWindow
) -> dict[str, StatTotals]:
    """Each object's totals over the window (zero for objects without stats), for objects
    of several levels at once: one statement per 500 objects (docs/metrics.md).

    Whole UTC days come from the rollups (all of time from the lifetime rollups; days
    between two dates from aligned spans and cumulative entries, a few rows per object),
    the window's edge hours from the hourly rows and the recorded events. `wanted` names
    objects of each level; scope them to the tenant first (ids are global, and no other
    company's rows carry them)."""
    pairs = sorted({(level, object_id) for level, ids in wanted.items() for object_id in ids})
    result: dict[str, StatTotals] = {object_id: StatTotals() for _, object_id in pairs}
    if not pairs:
        return result
    parts = window_parts(window)
    dialect = _dialect(session)
    counters: dict[str, list[int]] = {}
    maps: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for offset in range(0, len(pairs), CHUNK):
        chunk = pairs[offset : offset + CHUNK]
        by_level: dict[Level, list[str]] = defaultdict(list)
        for level, object_id in chunk:
            by_level[level].append(object_id)
        levels = tuple(level for level in LEVEL_COLUMNS if level in by_level)
        day_bounds = None
        params: dict[str, Any] = {"ids": [object_id for _, object_id in chunk]}
        if parts.days is not None:
            first, last = parts.days
            day_bounds = (first is not None, last is not None)
            if first is not None:
                params["d_from"] = first
            if last is not None:
                params["d_to"] = last
            if first is not None and last is not None:
                params.update(_cover_params(first, last))
        for index, (edge_from, edge_to) in enumerate(parts.edges):
            params[f"e{index}_from"] = edge_from
            params[f"e{index}_to"] = edge_to
        for level in levels if parts.edges else ():
            params[f"ids_{level}"] = by_level[level]
        statement = _totals_statement(
            levels, parts.lifetime, day_bounds, len(parts.edges), window.attribution_model, dialect
        )
        for object_id, part, map_name, name, *numbers in await session.execute(statement, params):
            if part == "c":
                counters[object_id] = [int(number or 0) for number in numbers]
            elif int(numbers[1] or 0) > 0:
                maps[object_id][map_name][name] = int(numbers[0] or 0)
    for object_id in result:
        own = maps.get(object_id, {})
        values = dict(
            zip(
                COUNTER_NAMES,
                counters.get(object_id, [0] * len(COUNTER_NAMES)),
                strict=True,
            )
        )
        values["custom_conversions"] += own.get("custom_conversions", {}).get("", 0)
        result[object_id] = StatTotals(
            **values,
            event_counts=dict(own.get("event_counts", {})),
            event_value_micros=dict(own.get("event_value_micros", {})),
            custom_event_counts=dict(own.get("custom_event_counts", {})),
            custom_event_value_micros=dict(own.get("custom_event_value_micros", {})),
        )
    return result


async def totals(
    session: AsyncSession, level: Level, ids: Iterable[str], window: StatsWindow
) -> dict[str, StatTotals]:
    """Each object's totals over the window, for objects of one level (`totals_by_level`)."""
    return await totals_by_level(session, {level: ids}, window)
