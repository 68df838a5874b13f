"""Rollups: the stats pre-summed per object (ad, ad group, campaign) by UTC day and for all
time, kept exact at every write, and rebuilt from the rows they sum on demand.

Two writers keep them up to date, each in the transaction of the rows it sums:
- `apply_hour_changes`, called by `adline.stats.service.ingest` with each stored hourly row
  that changed, as (stored before, stored now): the old row's contribution is taken out
  and the new one's put in, so a correction replaces its old figures exactly. Sums move by
  their difference (`x = x + delta`, atomic on both stores); the largest-figure fields
  (reach, unique clicks) move up with GREATEST and, when a correction lowers a figure, are
  recomputed for that day from the hourly rows (the caller holds the campaign's stats lock,
  so those rows cannot change meanwhile).
- `add_attributed_events`, called when conversion events are recorded: events are never
  changed afterwards, so their entries only grow.

Beside the days, each object's counters are kept per aligned span of 4 and of 32 days
(`stat_spans`), and each event-map entry cumulatively, summed up to each day it changed
(`stat_entry_cumulative`), so a window of whole days reads a few rows per object: both
writers move them in the same transaction.

`rebuild` recomputes every rollup (of one company, or all) from `ad_stat_hours` and
`conversion_events` in set-based statements, the spans and cumulative entries from the
rebuilt days; `adline stats rebuild` runs it, and the migrations that created the tables
(0008, 0024) ran it once. See docs/metrics.md.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Date,
    Executable,
    Integer,
    String,
    Table,
    TextClause,
    bindparam,
    cast,
    delete,
    func,
    literal,
    literal_column,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from adline.campaigns.models import AdCampaign
from adline.companies.models import Company
from adline.conversions.models import ConversionEvent
from adline.core.db import Base, execute_rows_in_driver, lock_row, postgres_array_type
from adline.stats.models import (
    AdStatHour,
    StatDay,
    StatEntryCumulative,
    StatEntryDay,
    StatEntryLifetime,
    StatLifetime,
    StatSpan,
)

Level = Literal["ad_campaign", "ad_group", "ad"]
LEVELS: tuple[Level, ...] = ("ad", "ad_group", "ad_campaign")
# The column of an hourly row that names its object of each level.
LEVEL_COLUMNS: dict[Level, InstrumentedAttribute[str]] = {
    "ad_campaign": AdStatHour.ad_campaign_id,
    "ad_group": AdStatHour.ad_group_id,
    "ad": AdStatHour.ad_id,
}
# Counters that add up across hours and ads, and those that are the largest figure reported
# for one ad in one hour (people recur; docs/metrics.md).
SUMMED = ("impressions", "clicks", "link_clicks", "spend_micros", "custom_conversions")
PEAKS = ("reach", "unique_clicks")
MAPS = ("event_counts", "event_value_micros", "custom_event_counts", "custom_event_value_micros")
NETWORK = "network"
ATTRIBUTION_SOURCES = ("last_touch", "first_touch")
DAY = timedelta(days=1)
# The lengths of the aligned spans of days kept beside the days (`stat_spans`): a window of
# n whole days reads at most 3 + 3 days, 7 + 7 spans of 4 and about n / 32 spans of 32.
SPANS = (4, 32)


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


STAT_DAYS = _table(StatDay)
STAT_LIFETIMES = _table(StatLifetime)
STAT_ENTRY_DAYS = _table(StatEntryDay)
STAT_ENTRY_LIFETIMES = _table(StatEntryLifetime)
STAT_SPANS = _table(StatSpan)
STAT_ENTRY_CUMULATIVE = _table(StatEntryCumulative)
# Every table the rollups keep (what a rebuild recomputes).
ROLLUP_MODELS = (
    StatDay,
    StatLifetime,
    StatEntryDay,
    StatEntryLifetime,
    StatSpan,
    StatEntryCumulative,
)
HOURS_TABLE = _table(AdStatHour)
EVENTS_TABLE = _table(ConversionEvent)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), UTC)


def span_start(day: date, span: int) -> date:
    """The first day of the aligned span of `span` days that holds `day`."""
    ordinal = day.toordinal()
    return date.fromordinal(ordinal - ordinal % span)


# --- what changed ---------------------------------------------------------------------------


@dataclass
class _Counters:
    company_id: str
    level: Level
    ad_campaign_id: str
    ad_group_id: str | None
    sums: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SUMMED, 0))
    peaks: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PEAKS, 0))

    def row(self, **key: Any) -> dict[str, Any]:
        return {
            **key,
            "company_id": self.company_id,
            "level": self.level,
            "ad_campaign_id": self.ad_campaign_id,
            "ad_group_id": self.ad_group_id,
            **self.sums,
            **self.peaks,
        }

    def add(self, other: _Counters) -> None:
        """Fold `other` in: sums add up, peaks keep the larger figure."""
        for name in SUMMED:
            self.sums[name] += other.sums[name]
        for name in PEAKS:
            self.peaks[name] = max(self.peaks[name], other.peaks[name])


@dataclass
class _Changes:
    """What a set of hourly changes does to the rollups, summed per bucket (spans and
    lifetimes are the days folded further: `_span_rows`, `_lifetime_rows`)."""

    days: dict[tuple[str, date], _Counters] = field(default_factory=dict)
    # Event-map entry changes per (object id, day, source, map, name): [amount, entries].
    entry_days: dict[tuple[str, date, str, str, str], list[int]] = field(default_factory=dict)
    # (level, object id, day) whose peak may have dropped: recomputed from the hours.
    lowered: set[tuple[Level, str, date]] = field(default_factory=set)

    def add_entry(
        self,
        object_id: str,
        day: date,
        source: str,
        map_name: str,
        name: str,
        amount: int,
        entries: int,
    ) -> None:
        key = (object_id, day, source, map_name, name)
        entry = self.entry_days.get(key)
        if entry is None:
            self.entry_days[key] = [amount, entries]
        else:
            entry[0] += amount
            entry[1] += entries


def _hour_changes(
    changes: Sequence[tuple[Mapping[str, Any] | None, Mapping[str, Any]]],
) -> _Changes:
    """Each change puts the new row's figures in and takes the old row's out: first per ad
    and day, then folded into the ad's group and campaign by day (an ad never changes group
    or campaign, so its old and new rows have the same owners)."""
    ad_days: dict[tuple[str, date], list[int]] = {}
    owners: dict[str, tuple[str, str, str]] = {}
    entries: dict[tuple[str, date, str, str], list[int]] = {}
    lowered: set[tuple[str, date]] = set()
    width = len(SUMMED)
    for old, new in changes:
        ad = new["ad_id"]
        day = new["hour_start"].date()
        owners[ad] = (new["company_id"], new["ad_campaign_id"], new["ad_group_id"])
        bucket = ad_days.get((ad, day))
        if bucket is None:
            bucket = ad_days[(ad, day)] = [0] * (width + len(PEAKS))
        for index, name in enumerate(SUMMED):
            bucket[index] += new[name] if old is None else new[name] - old[name]
        for index, name in enumerate(PEAKS, start=width):
            if new[name] > bucket[index]:
                bucket[index] = new[name]
            if old is not None and old[name] > new[name]:
                lowered.add((ad, day))
        for map_name in MAPS:
            for name, amount in new[map_name].items():
                entry = entries.get((ad, day, map_name, name))
                if entry is None:
                    entry = entries[(ad, day, map_name, name)] = [0, 0]
                entry[0] += amount
                entry[1] += 1
            if old is not None:
                for name, amount in old[map_name].items():
                    entry = entries.get((ad, day, map_name, name))
                    if entry is None:
                        entry = entries[(ad, day, map_name, name)] = [0, 0]
                    entry[0] -= amount
                    entry[1] -= 1

    summary = _Changes()
    for (ad, day), bucket in ad_days.items():
        company, campaign, group = owners[ad]
        levels: tuple[tuple[Level, str, str | None], ...] = (
            ("ad", ad, group),
            ("ad_group", group, group),
            ("ad_campaign", campaign, None),
        )
        for level, object_id, group_id in levels:
            day_counters = summary.days.get((object_id, day))
            if day_counters is None:
                day_counters = _Counters(company, level, campaign, group_id)
                summary.days[(object_id, day)] = day_counters
            for index, name in enumerate(SUMMED):
                day_counters.sums[name] += bucket[index]
            for index, name in enumerate(PEAKS, start=width):
                day_counters.peaks[name] = max(day_counters.peaks[name], bucket[index])
    for ad, day in lowered:
        _, campaign, group = owners[ad]
        summary.lowered.update(
            {("ad", ad, day), ("ad_group", group, day), ("ad_campaign", campaign, day)}
        )
    for (ad, day, map_name, name), (amount, count) in entries.items():
        _, campaign, group = owners[ad]
        for object_id in (ad, group, campaign):
            summary.add_entry(object_id, day, NETWORK, map_name, name, amount, count)
    return summary


# --- writing ------------------------------------------------------------------------------


def _sqlite_upsert_text(table: Table, names: tuple[str, ...]) -> str:
    """SQLite: `INSERT … ON CONFLICT DO UPDATE` of one row of `names` (named parameters)
    into a rollup table: sums add up, peaks keep the larger figure."""
    keys = [column.name for column in table.primary_key.columns]
    moves = [
        f"{name} = {name} + excluded.{name}"
        for name in (*SUMMED, "amount", "entries")
        if name in table.c
    ] + [f"{name} = max({name}, excluded.{name})" for name in PEAKS if name in table.c]
    return (
        f"INSERT INTO {table.name} ({', '.join(names)}) "
        f"VALUES ({', '.join(f':{name}' for name in names)}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {', '.join(moves)}"
    )


_SQLITE_UPSERTS: dict[tuple[str, tuple[str, ...]], str] = {}


async def _upsert(
    connection: AsyncConnection,
    model: type[StatDay]
    | type[StatLifetime]
    | type[StatEntryDay]
    | type[StatEntryLifetime]
    | type[StatSpan],
    rows: list[dict[str, Any]],
) -> None:
    """SQLite: add `rows` into a rollup table (PostgreSQL writes the rollups in
    `POSTGRES_WRITE_COUNTERS` and `POSTGRES_WRITE_ENTRIES`).

    One statement text per table and columns, executed for each row by the driver
    (`core.db.execute_rows_in_driver`)."""
    if not rows:
        return
    table = _table(model)
    names = tuple(rows[0])
    statement = _SQLITE_UPSERTS.get((table.name, names))
    if statement is None:
        statement = _SQLITE_UPSERTS[(table.name, names)] = _sqlite_upsert_text(table, names)
    await execute_rows_in_driver(connection, statement, table, names, rows)


# PostgreSQL: a batch's event-map entry changes per (object, day, source, map, name) in one
# statement: they move the daily entries, their sums per entry move the lifetime entries,
# and they move the cumulative entries (`_cumulate`, here in one pass). Data-modifying CTEs
# of one statement all read the rows as they were before it, and each writes its own table.
# The text is the same for any number of changes: prepared once.
POSTGRES_WRITE_ENTRIES = text(
    """
WITH asked AS (
    SELECT * FROM unnest(
        CAST(:object_id AS TEXT[]), CAST(:day AS DATE[]), CAST(:source AS TEXT[]),
        CAST(:map AS TEXT[]), CAST(:name AS TEXT[]), CAST(:amount AS BIGINT[]),
        CAST(:entries AS BIGINT[])
    ) AS asked(object_id, day, source, map, name, amount, entries)
),
days AS (
    INSERT INTO stat_entry_days (object_id, day, source, map, name, amount, entries)
    SELECT object_id, day, source, map, name, amount, entries FROM asked
    ON CONFLICT (object_id, day, source, map, name) DO UPDATE SET
        amount = stat_entry_days.amount + excluded.amount,
        entries = stat_entry_days.entries + excluded.entries
),
lifetimes AS (
    INSERT INTO stat_entry_lifetimes (object_id, source, map, name, amount, entries)
    SELECT object_id, source, map, name, sum(amount), sum(entries) FROM asked
    GROUP BY object_id, source, map, name
    HAVING sum(amount) <> 0 OR sum(entries) <> 0
    ON CONFLICT (object_id, source, map, name) DO UPDATE SET
        amount = stat_entry_lifetimes.amount + excluded.amount,
        entries = stat_entry_lifetimes.entries + excluded.entries
),
-- The stored cumulative rows each change moves: those of its entry from its day on.
-- OFFSET 0: each entry looks its rows up in the primary key.
stored AS (
    SELECT later.object_id, later.source, later.map, later.name, later.day
    FROM (
        SELECT object_id, source, map, name, min(day) AS day FROM asked
        GROUP BY object_id, source, map, name
    ) AS first
    CROSS JOIN LATERAL (
        SELECT c.object_id, c.source, c.map, c.name, c.day FROM stat_entry_cumulative AS c
        WHERE c.object_id = first.object_id AND c.source = first.source
            AND c.map = first.map AND c.name = first.name AND c.day >= first.day
        OFFSET 0
    ) AS later
),
-- Every row to write, stored or new (a changed day without a row), with the sum of the
-- changes up to its day.
moved AS (
    SELECT object_id, source, map, name, day, bool_or(is_stored) AS is_stored,
        sum(sum(amount)) OVER entry AS amount, sum(sum(entries)) OVER entry AS entries
    FROM (
        SELECT object_id, source, map, name, day, amount, entries, false AS is_stored
        FROM asked
        UNION ALL
        SELECT object_id, source, map, name, day, 0, 0, true FROM stored
    ) AS rows
    GROUP BY object_id, source, map, name, day
    WINDOW entry AS (PARTITION BY object_id, source, map, name ORDER BY day)
)
-- A stored row moves by its sum; a new one starts from the latest row before its day.
INSERT INTO stat_entry_cumulative (object_id, source, map, name, day, amount, entries)
SELECT moved.object_id, moved.source, moved.map, moved.name, moved.day,
    moved.amount + coalesce(before.amount, 0), moved.entries + coalesce(before.entries, 0)
FROM moved
LEFT JOIN LATERAL (
    SELECT c.amount, c.entries FROM stat_entry_cumulative AS c
    WHERE NOT moved.is_stored AND c.object_id = moved.object_id
        AND c.source = moved.source AND c.map = moved.map AND c.name = moved.name
        AND c.day < moved.day
    ORDER BY c.day DESC LIMIT 1
) AS before ON true
ON CONFLICT (object_id, source, map, name, day) DO UPDATE SET
    amount = stat_entry_cumulative.amount + excluded.amount,
    entries = stat_entry_cumulative.entries + excluded.entries
"""
)


async def _write_entries(connection: AsyncConnection, dialect: str, summary: _Changes) -> None:
    """Move the daily, lifetime and cumulative event-map entries by `summary`'s changes.
    The caller holds the stats lock of the objects' campaigns."""
    if dialect == "postgresql":
        columns: tuple[list[Any], ...] = ([], [], [], [], [], [], [])
        for key, (amount, entries) in sorted(summary.entry_days.items()):
            if amount or entries:
                for column, value in zip(columns, (*key, amount, entries), strict=True):
                    column.append(value)
        if columns[0]:
            names = ("object_id", "day", "source", "map", "name", "amount", "entries")
            await connection.execute(POSTGRES_WRITE_ENTRIES, dict(zip(names, columns, strict=True)))
        return
    day_rows = [
        {"object_id": o, "day": d, "source": s, "map": m, "name": n, "amount": a, "entries": e}
        for (o, d, s, m, n), (a, e) in sorted(summary.entry_days.items())
        if a or e
    ]
    lifetimes: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for (object_id, _, source, map_name, name), (amount, entries) in summary.entry_days.items():
        life = lifetimes[(object_id, source, map_name, name)]
        life[0] += amount
        life[1] += entries
    life_rows = [
        {"object_id": o, "source": s, "map": m, "name": n, "amount": a, "entries": e}
        for (o, s, m, n), (a, e) in sorted(lifetimes.items())
        if a or e
    ]
    await _upsert(connection, StatEntryDay, day_rows)
    await _upsert(connection, StatEntryLifetime, life_rows)
    await _cumulate(connection, day_rows)


_ENTRY_KEY = ("object_id", "source", "map", "name")


# SQLite: the two statements of `_cumulate`, each executed once per changed entry and day
# (named parameters: the entry's key, the day, the change).
_ENTRY_IS = " AND ".join(f"{name} = :{name}" for name in _ENTRY_KEY)
SQLITE_CUMULATIVE_FILL = (
    "INSERT OR IGNORE INTO stat_entry_cumulative "
    "(object_id, source, map, name, day, amount, entries) "
    "SELECT :object_id, :source, :map, :name, :day, "
    + ", ".join(
        f"coalesce((SELECT {column} FROM stat_entry_cumulative WHERE {_ENTRY_IS} "
        "AND day < :day ORDER BY day DESC LIMIT 1), 0)"
        for column in ("amount", "entries")
    )
)
SQLITE_CUMULATIVE_MOVE = (
    "UPDATE stat_entry_cumulative SET amount = amount + :amount, entries = entries + :entries "
    f"WHERE {_ENTRY_IS} AND day >= :day"
)
CUMULATIVE_NAMES = (*_ENTRY_KEY, "day", "amount", "entries")


async def _cumulate(connection: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """SQLite: move the cumulative entries by each day's change (`rows`: object, day, source,
    map, name, amount, entries): the change of day d adds to the entry's rows of every day
    >= d (PostgreSQL does it within `POSTGRES_WRITE_ENTRIES`).

    First each changed day gets its row if it has none (a copy of the latest row before it,
    or zero), then every row from that day on moves. The caller holds the stats lock of the
    objects' campaigns, so no other writer moves these entries meanwhile."""
    if not rows:
        return
    for statement in (SQLITE_CUMULATIVE_FILL, SQLITE_CUMULATIVE_MOVE):
        await execute_rows_in_driver(
            connection, statement, STAT_ENTRY_CUMULATIVE, CUMULATIVE_NAMES, rows
        )


def _lifetime_rows(summary: _Changes) -> list[dict[str, Any]]:
    """The changes of the days, summed per object for all time."""
    lifetimes: dict[str, _Counters] = {}
    for (object_id, _), counters in summary.days.items():
        held = lifetimes.get(object_id)
        if held is None:
            held = lifetimes[object_id] = _Counters(
                counters.company_id, counters.level, counters.ad_campaign_id, counters.ad_group_id
            )
        held.add(counters)
    return [counters.row(object_id=object_id) for object_id, counters in sorted(lifetimes.items())]


def _span_rows(summary: _Changes) -> list[dict[str, Any]]:
    """The changes of the days, summed into the aligned spans that hold them."""
    spans: dict[tuple[str, int, date], _Counters] = {}
    for (object_id, day), counters in summary.days.items():
        for span in SPANS:
            key = (object_id, span, span_start(day, span))
            held = spans.get(key)
            if held is None:
                held = spans[key] = _Counters(
                    counters.company_id, counters.level, counters.ad_campaign_id, None
                )
            held.add(counters)
    return [
        {
            "object_id": object_id,
            "span": span,
            "start": start,
            "company_id": counters.company_id,
            **counters.sums,
            **counters.peaks,
        }
        for (object_id, span, start), counters in sorted(spans.items())
    ]


def _span_peaks_statement() -> Any:
    """Recompute one span's peaks from its days (bound per row)."""
    spans, days = STAT_SPANS, STAT_DAYS
    in_span = (
        (days.c.object_id == spans.c.object_id)
        & (days.c.day >= spans.c.start)
        & (days.c.day < bindparam("until", type_=Date()))
    )
    return (
        update(spans)
        .where(
            spans.c.object_id == bindparam("id"),
            spans.c.span == bindparam("length"),
            spans.c.start == bindparam("first", type_=Date()),
        )
        .values(
            {
                name: select(func.coalesce(func.max(days.c[name]), 0))
                .where(in_span)
                .scalar_subquery()
                for name in PEAKS
            }
        )
    )


def _day_peaks_statement(level: Level) -> Any:
    """Recompute one (object, day)'s peaks from its hourly rows (bound per row)."""
    day_table = STAT_DAYS
    hours = HOURS_TABLE
    column = hours.c[LEVEL_COLUMNS[level].key]
    in_day = (
        (column == day_table.c.object_id)
        & (hours.c.hour_start >= bindparam("day_from", type_=AdStatHour.hour_start.type))
        & (hours.c.hour_start < bindparam("day_to", type_=AdStatHour.hour_start.type))
    )
    return (
        update(day_table)
        .where(day_table.c.object_id == bindparam("id"), day_table.c.day == bindparam("d"))
        .values(
            {
                name: select(func.coalesce(func.max(hours.c[name]), 0))
                .where(in_day)
                .scalar_subquery()
                for name in PEAKS
            }
        )
    )


def _lifetime_peaks_statement() -> Any:
    life = STAT_LIFETIMES
    days = STAT_DAYS
    return (
        update(life)
        .where(life.c.object_id == bindparam("id"))
        .values(
            {
                name: select(func.coalesce(func.max(days.c[name]), 0))
                .where(days.c.object_id == life.c.object_id)
                .scalar_subquery()
                for name in PEAKS
            }
        )
    )


COUNTER_ROW_COLUMNS = (
    "object_id",
    "day",
    "company_id",
    "level",
    "ad_campaign_id",
    "ad_group_id",
    *SUMMED,
    *PEAKS,
)


def _postgres_write_counters() -> TextClause:
    """PostgreSQL: the counters' changes per (object, UTC day) move the daily rollups, and,
    summed (peaks: the largest) per aligned span and per object, the spans and lifetimes:
    one statement (data-modifying CTEs, each writing its own table), prepared once."""
    days = _table(StatDay)
    arrays = ", ".join(
        f"CAST(:{name} AS {postgres_array_type(days.c[name])})" for name in COUNTER_ROW_COLUMNS
    )
    counters = [*SUMMED, *PEAKS]

    def moved(table: str) -> str:
        return ", ".join(
            [f"{name} = {table}.{name} + excluded.{name}" for name in SUMMED]
            + [f"{name} = greatest({table}.{name}, excluded.{name})" for name in PEAKS]
        )

    totals = ", ".join([f"sum({name})" for name in SUMMED] + [f"max({name})" for name in PEAKS])
    owners = "company_id, level, ad_campaign_id, ad_group_id"
    ordinal = "(day - DATE '0001-01-01' + 1)"
    return text(
        f"""
WITH asked AS (
    SELECT * FROM unnest({arrays}) AS asked({", ".join(COUNTER_ROW_COLUMNS)})
),
spans AS (
    INSERT INTO stat_spans (object_id, span, start, company_id, {", ".join(counters)})
    SELECT object_id, span_length, day - {ordinal} % span_length, company_id, {totals}
    FROM asked CROSS JOIN unnest(CAST(:spans AS INTEGER[])) AS span_length
    GROUP BY object_id, span_length, day - {ordinal} % span_length, company_id
    ON CONFLICT (object_id, span, start) DO UPDATE SET {moved("stat_spans")}
),
lifetimes AS (
    INSERT INTO stat_lifetimes (object_id, {owners}, {", ".join(counters)})
    SELECT object_id, {owners}, {totals} FROM asked
    GROUP BY object_id, {owners}
    ON CONFLICT (object_id) DO UPDATE SET {moved("stat_lifetimes")}
)
INSERT INTO stat_days ({", ".join(COUNTER_ROW_COLUMNS)})
SELECT * FROM asked
ON CONFLICT (object_id, day) DO UPDATE SET {moved("stat_days")}
"""
    ).bindparams(spans=list(SPANS))


POSTGRES_WRITE_COUNTERS = _postgres_write_counters()


async def apply_hour_changes(
    session: AsyncSession,
    changes: Sequence[tuple[Mapping[str, Any] | None, Mapping[str, Any]]],
) -> None:
    """Move the rollups by each hourly row's change (stored before or None, stored now).

    The caller holds the stats lock of every campaign involved (`ingest` does), so no other
    writer changes these objects' hourly rows until the transaction ends."""
    if not changes:
        return
    summary = _hour_changes(changes)
    connection = await session.connection()
    dialect = connection.dialect.name
    day_rows = [
        bucket.row(object_id=object_id, day=day)
        for (object_id, day), bucket in sorted(summary.days.items())
    ]
    if dialect == "postgresql":
        # Days, spans and lifetimes in one statement; the peaks a correction lowered are
        # recomputed below, after it, as on SQLite.
        await connection.execute(
            POSTGRES_WRITE_COUNTERS,
            {name: [row[name] for row in day_rows] for name in COUNTER_ROW_COLUMNS},
        )
    else:
        await _upsert(connection, StatDay, day_rows)
    await _write_entries(connection, dialect, summary)
    by_level: dict[Level, list[dict[str, Any]]] = defaultdict(list)
    for level, object_id, day in sorted(summary.lowered):
        by_level[level].append(
            {"id": object_id, "d": day, "day_from": day_start(day), "day_to": day_start(day + DAY)}
        )
    for level, params in by_level.items():
        await connection.execute(_day_peaks_statement(level), params)
    if dialect != "postgresql":
        await _upsert(connection, StatSpan, _span_rows(summary))
    lowered_spans = sorted(
        {
            (object_id, span, span_start(day, span))
            for _, object_id, day in summary.lowered
            for span in SPANS
        }
    )
    if lowered_spans:
        await connection.execute(
            _span_peaks_statement(),
            [
                {"id": object_id, "length": span, "first": first, "until": first + span * DAY}
                for object_id, span, first in lowered_spans
            ],
        )
    if dialect != "postgresql":
        await _upsert(connection, StatLifetime, _lifetime_rows(summary))
    lowered_objects = sorted({object_id for _, object_id, _ in summary.lowered})
    if lowered_objects:
        await connection.execute(
            _lifetime_peaks_statement(), [{"id": object_id} for object_id in lowered_objects]
        )


def _lock_key(campaign_id: str) -> int:
    digest = hashlib.blake2b(f"adline.stats:{campaign_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock_campaign_stats(session: AsyncSession, campaign_ids: Iterable[str]) -> None:
    """Hold the stats lock of each campaign until the transaction ends: ingests of one
    campaign's hours take turns, so each reads the stored rows it replaces (and moves the
    rollups by the difference) while no one else can change them.

    PostgreSQL: transaction-level advisory locks, taken in one order (no deadlocks) and
    blocking nothing but other ingests. SQLite: the database's write lock (a no-op write),
    which serializes every writer anyway."""
    ids = sorted(set(campaign_ids))
    if not ids:
        return
    if session.get_bind().dialect.name == "postgresql":
        keys = sorted({_lock_key(campaign_id) for campaign_id in ids})
        await session.execute(LOCK_STATEMENT, {"keys": keys})
    else:
        await lock_row(session, AdCampaign.title, ids[0])


LOCK_STATEMENT = text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k")


@dataclass(frozen=True)
class AttributedEvent:
    """A recorded conversion event, as the rollups count it."""

    event_time: datetime
    event_name: str
    custom_name: str | None
    value_micros: int
    # Per attribution source ("last_touch", "first_touch"): the (ad, group, campaign) ids,
    # or None when no click matched.
    touches: Mapping[str, tuple[str, str, str] | None]
    # Per attribution source, the value a conversion value rule credits instead of
    # `value_micros` (docs/value-rules.md); a source absent here counts `value_micros`.
    adjusted_value_micros: Mapping[str, int] = field(default_factory=dict)


def event_entries(
    event_name: str, custom_name: str | None, count: int, value_micros: int
) -> list[tuple[str, str, int]]:
    """The (map, name, amount) entries `count` events of one name add (entries = count)."""
    if event_name == "custom":
        entries = [("custom_conversions", "", count)]
        if custom_name is not None:
            entries += [
                ("custom_event_counts", custom_name, count),
                ("custom_event_value_micros", custom_name, value_micros),
            ]
        return entries
    return [("event_counts", event_name, count), ("event_value_micros", event_name, value_micros)]


def event_entry_columns(
    event_name: Any, custom_name: Any, *, count: Any, value: Any
) -> list[tuple[str, Any, Any, ColumnElement[bool]]]:
    """`event_entries` in SQL: per map, (map, name column, amount, which events count).
    `count` and `value` are what an event adds (1 and its value on single rows; COUNT and
    SUM when grouped)."""
    custom = event_name == "custom"
    named = custom & custom_name.is_not(None)
    return [
        ("event_counts", event_name, count, ~custom),
        ("event_value_micros", event_name, value, ~custom),
        ("custom_conversions", literal("", String), count, custom),
        ("custom_event_counts", custom_name, count, named),
        ("custom_event_value_micros", custom_name, value, named),
    ]


async def add_attributed_events(session: AsyncSession, events: Iterable[AttributedEvent]) -> None:
    """Count newly recorded events in the rollups of the objects they are attributed to
    (events of one name, day and touch are summed first: a batch shares few of them)."""
    grouped: dict[tuple[str, tuple[str, str, str], date, str, str | None], list[int]] = {}
    for event in events:
        day = event.event_time.astimezone(UTC).date()
        for source, touch in event.touches.items():
            if touch is None:
                continue
            key = (source, touch, day, event.event_name, event.custom_name)
            sums = grouped.get(key)
            if sums is None:
                sums = grouped[key] = [0, 0]
            sums[0] += 1
            sums[1] += event.adjusted_value_micros.get(source, event.value_micros)
    if not grouped:
        return
    # Events of a campaign's objects move its cumulative entries: one writer at a time.
    await lock_campaign_stats(session, {touch[2] for _, touch, *_ in grouped})
    summary = _Changes()
    for (source, touch, day, event_name, custom_name), (count, value) in grouped.items():
        for map_name, name, amount in event_entries(event_name, custom_name, count, value):
            for object_id in touch:
                summary.add_entry(object_id, day, source, map_name, name, amount, count)
    connection = await session.connection()
    await _write_entries(connection, connection.dialect.name, summary)


# --- rebuilding -----------------------------------------------------------------------------


def _day_of(dialect: str, column: Any) -> ColumnElement[date]:
    # Timestamps are stored as naive UTC on both stores.
    if dialect == "postgresql":
        return cast(column, Date)
    return func.date(column, type_=Date)


def _json_entries(dialect: str, column: Any) -> Any:
    if dialect == "postgresql":
        return func.json_each_text(column).table_valued("key", "value")
    return func.json_each(column).table_valued("key", "value")


def integer_sum(expression: Any) -> ColumnElement[int]:
    """SUM of integers as an integer: PostgreSQL sums bigints into numeric; the sums are
    exact, so cast back."""
    return cast(func.sum(expression), BigInteger)


def integer_max(expression: Any) -> ColumnElement[int]:
    return cast(func.max(expression), BigInteger)


def _span_start_sql(dialect: str, column: Any, span: int) -> ColumnElement[date]:
    """`span_start` in SQL (an ordinal counts days from 0001-01-01, which is 1)."""
    if dialect == "postgresql":
        ordinal = cast(column - literal_column("DATE '0001-01-01'"), Integer) + 1
        return column - ordinal % span  # type: ignore[no-any-return]
    ordinal = cast(func.julianday(column) - 1721424.5, Integer)
    return func.date(column, "-" + cast(ordinal % span, String) + " days", type_=Date)


def derived_statements(dialect: str, company_id: str | None = None) -> list[Executable]:
    """Statements that recompute the spans and cumulative entries (of one company, or all)
    from the daily rollups: delete, then insert. Run them after the daily rollups are
    current, in the same transaction."""
    days, entry_days = STAT_DAYS, STAT_ENTRY_DAYS
    spans, cumulative = STAT_SPANS, STAT_ENTRY_CUMULATIVE
    statements: list[Executable] = []
    if company_id is None:
        statements += [delete(spans), delete(cumulative)]
        owned: Any = None
    else:
        owned = select(days.c.object_id).where(days.c.company_id == company_id).distinct()
        statements.append(delete(spans).where(spans.c.company_id == company_id))
        # Objects with attributed events but no reported hour have entries and no days.
        events = EVENTS_TABLE
        owned = union_all(
            owned,
            *(
                select(events.c[f"{source}_{level}_id"]).where(events.c.company_id == company_id)
                for source in ATTRIBUTION_SOURCES
                for level in LEVELS
            ),
        )
        statements.append(delete(cumulative).where(cumulative.c.object_id.in_(owned)))
    scope = [] if company_id is None else [days.c.company_id == company_id]
    for span in SPANS:
        start = _span_start_sql(dialect, days.c.day, span)
        statements.append(
            spans.insert().from_select(
                ["object_id", "span", "start", "company_id", *SUMMED, *PEAKS],
                select(
                    days.c.object_id,
                    literal(span, Integer),
                    start,
                    days.c.company_id,
                    *(integer_sum(days.c[name]) for name in SUMMED),
                    *(integer_max(days.c[name]) for name in PEAKS),
                )
                .where(*scope)
                .group_by(days.c.object_id, days.c.company_id, start),
            )
        )
    key = [entry_days.c[name] for name in _ENTRY_KEY]
    running = {
        name: cast(
            func.sum(entry_days.c[name]).over(
                partition_by=key, order_by=entry_days.c.day, rows=(None, 0)
            ),
            BigInteger,
        )
        for name in ("amount", "entries")
    }
    statements.append(
        cumulative.insert().from_select(
            [*_ENTRY_KEY, "day", "amount", "entries"],
            select(*key, entry_days.c.day, running["amount"], running["entries"]).where(
                *([] if owned is None else [entry_days.c.object_id.in_(owned)])
            ),
        )
    )
    return statements


def rebuild_statements(
    dialect: str,
    company_id: str | None = None,
    *,
    value_rules: bool = True,
    derived: bool = True,
) -> list[Executable]:
    """Statements that recompute the rollups (of one company, or all) from the rows they
    sum: delete, then insert grouped sums. Run them in one transaction, in order.
    `value_rules=False` reads events as stored before they carried conversion value rules'
    values (revision 0016): their own values. `derived=False` leaves out the spans and
    cumulative entries (tables of revision 0024)."""
    hours = HOURS_TABLE
    statements: list[Executable] = []
    scope_hours: list[ColumnElement[bool]] = (
        [] if company_id is None else [hours.c.company_id == company_id]
    )
    counter_tables = (STAT_DAYS, STAT_LIFETIMES)
    entry_tables = (STAT_ENTRY_DAYS, STAT_ENTRY_LIFETIMES)
    if company_id is None:
        statements += [delete(table) for table in (*counter_tables, *entry_tables)]
    else:
        statements += [
            delete(table).where(table.c.company_id == company_id) for table in counter_tables
        ]
        owned = union_all(
            select(hours.c.ad_id).where(*scope_hours),
            select(hours.c.ad_group_id).where(*scope_hours),
            select(hours.c.ad_campaign_id).where(*scope_hours),
            *(
                select(EVENTS_TABLE.c[f"{source}_{level}_id"]).where(
                    ConversionEvent.company_id == company_id
                )
                for source in ATTRIBUTION_SOURCES
                for level in LEVELS
            ),
        )
        statements += [delete(table).where(table.c.object_id.in_(owned)) for table in entry_tables]

    day = _day_of(dialect, hours.c.hour_start)
    for level in LEVELS:
        object_column = hours.c[LEVEL_COLUMNS[level].key]
        group = hours.c.ad_group_id if level != "ad_campaign" else literal(None, String)
        counters = [
            *(integer_sum(hours.c[name]).label(name) for name in SUMMED),
            *(integer_max(hours.c[name]).label(name) for name in PEAKS),
        ]
        owner_columns = [hours.c.company_id, hours.c.ad_campaign_id]
        group_by = [
            object_column,
            *owner_columns,
            *(() if level == "ad_campaign" else (hours.c.ad_group_id,)),
        ]
        names = [
            "object_id",
            "company_id",
            "ad_campaign_id",
            "ad_group_id",
            "level",
            *SUMMED,
            *PEAKS,
        ]
        for table, extra in ((STAT_DAYS, [day]), (STAT_LIFETIMES, [])):
            query = (
                select(
                    object_column,
                    hours.c.company_id,
                    hours.c.ad_campaign_id,
                    group,
                    literal(level, String),
                    *counters,
                    *extra,
                )
                .where(*scope_hours)
                .group_by(*group_by, *extra)
            )
            statements.append(table.insert().from_select(names + (["day"] if extra else []), query))
        for map_name in MAPS:
            entries = _json_entries(dialect, hours.c[map_name])
            for table, extra in (
                (STAT_ENTRY_DAYS, [day]),
                (STAT_ENTRY_LIFETIMES, []),
            ):
                query = (
                    select(
                        object_column,
                        literal(NETWORK, String),
                        literal(map_name, String),
                        entries.c.key,
                        integer_sum(cast(entries.c.value, BigInteger)),
                        cast(func.count(), BigInteger),
                        *extra,
                    )
                    .select_from(hours)
                    .join(entries, true())
                    .where(*scope_hours)
                    .group_by(object_column, entries.c.key, *extra)
                )
                statements.append(
                    table.insert().from_select(
                        ["object_id", "source", "map", "name", "amount", "entries"]
                        + (["day"] if extra else []),
                        query,
                    )
                )
    statements += _attributed_rebuild(dialect, company_id, value_rules=value_rules)
    if derived:
        statements += derived_statements(dialect, company_id)
    return statements


def credited_value(events: Any, source: str) -> ColumnElement[int]:
    """The value an event credits under an attribution source: a conversion value rule's
    (stored when the event was recorded), else its own."""
    return func.coalesce(events.c[f"{source}_value_micros"], events.c.value_micros)


def _attributed_rebuild(
    dialect: str, company_id: str | None, *, value_rules: bool
) -> list[Executable]:
    events = EVENTS_TABLE
    scope = [] if company_id is None else [events.c.company_id == company_id]
    day = _day_of(dialect, events.c.event_time)
    statements: list[Executable] = []
    # Each group's entries are its number of events.
    count = cast(func.count(), BigInteger)
    for source in ATTRIBUTION_SOURCES:
        kinds = event_entry_columns(
            events.c.event_name,
            events.c.custom_name,
            count=count,
            value=integer_sum(
                credited_value(events, source) if value_rules else events.c.value_micros
            ),
        )
        for level in LEVELS:
            object_column = events.c[f"{source}_{level}_id"]
            for map_name, name_column, amount, condition in kinds:
                for table, extra in (
                    (STAT_ENTRY_DAYS, [day]),
                    (STAT_ENTRY_LIFETIMES, []),
                ):
                    query = (
                        select(
                            object_column,
                            literal(source, String),
                            literal(map_name, String),
                            name_column,
                            amount,
                            count,
                            *extra,
                        )
                        .where(object_column.is_not(None), condition, *scope)
                        .group_by(object_column, name_column, *extra)
                    )
                    statements.append(
                        table.insert().from_select(
                            ["object_id", "source", "map", "name", "amount", "entries"]
                            + (["day"] if extra else []),
                            query,
                        )
                    )
    return statements


def lock_statement(dialect: str) -> list[Executable]:
    """Keep writers of the rollups out while a rebuild runs (readers go on)."""
    if dialect != "postgresql":
        return []
    tables = ", ".join(model.__tablename__ for model in ROLLUP_MODELS)
    return [
        text(f"LOCK TABLE ad_stat_hours, conversion_events, {tables} IN SHARE ROW EXCLUSIVE MODE")
    ]


def rebuild_sync(connection: Connection, company_id: str | None = None) -> None:
    """Rebuild on a synchronous connection (the migration that created the rollups, 0008:
    before events carried conversion value rules' values, so it reads their own)."""
    dialect = connection.dialect.name
    statements = rebuild_statements(dialect, company_id, value_rules=False, derived=False)
    tables = "ad_stat_hours, conversion_events, stat_days, stat_lifetimes, stat_entry_days"
    lock = (
        [text(f"LOCK TABLE {tables}, stat_entry_lifetimes IN SHARE ROW EXCLUSIVE MODE")]
        if dialect == "postgresql"
        else []
    )
    for statement in [*lock, *statements]:
        connection.execute(statement)


def derived_rebuild_sync(connection: Connection) -> None:
    """Derive the spans and cumulative entries from the daily rollups on a synchronous
    connection (the migration that created them, 0024)."""
    for statement in derived_statements(connection.dialect.name):
        connection.execute(statement)


async def company_ids(session: AsyncSession, company_id: str | None = None) -> list[str]:
    """Every company's id (or just `company_id`, if it exists), in order."""
    statement = select(Company.id).order_by(Company.id)
    if company_id is not None:
        statement = statement.where(Company.id == company_id)
    return list((await session.execute(statement)).scalars())


async def rebuild(session: AsyncSession, company_id: str | None = None) -> None:
    """Recompute the rollups from the hourly rows and the recorded events. Only flushes."""
    connection = await session.connection()
    dialect = connection.dialect.name
    for statement in [*lock_statement(dialect), *rebuild_statements(dialect, company_id)]:
        await connection.execute(statement)
