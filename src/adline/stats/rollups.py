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

`rebuild` recomputes every rollup (of one company, or all) from `ad_stat_hours` and
`conversion_events` in set-based statements; `adline stats rebuild` runs it and the
migration that created the rollups ran it once. See docs/metrics.md.
"""

from __future__ import annotations

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
    String,
    Table,
    bindparam,
    cast,
    delete,
    func,
    literal,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from adline.companies.models import Company
from adline.conversions.models import ConversionEvent
from adline.core.db import Base, unnest_rows
from adline.stats.models import (
    AdStatHour,
    StatDay,
    StatEntryDay,
    StatEntryLifetime,
    StatLifetime,
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


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


STAT_DAYS = _table(StatDay)
STAT_LIFETIMES = _table(StatLifetime)
STAT_ENTRY_DAYS = _table(StatEntryDay)
STAT_ENTRY_LIFETIMES = _table(StatEntryLifetime)
HOURS_TABLE = _table(AdStatHour)
EVENTS_TABLE = _table(ConversionEvent)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), UTC)


def _insert(dialect: str, table: Any) -> Any:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _greatest(dialect: str, a: Any, b: Any) -> ColumnElement[int]:
    # SQLite's two-argument max() is its GREATEST.
    return func.greatest(a, b) if dialect == "postgresql" else func.max(a, b)


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


@dataclass
class _Changes:
    """What a set of hourly changes does to the rollups, summed per bucket."""

    days: dict[tuple[str, date], _Counters] = field(default_factory=dict)
    lifetimes: dict[str, _Counters] = field(default_factory=dict)
    entry_days: dict[tuple[str, date, str, str, str], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0])
    )
    entry_lifetimes: dict[tuple[str, str, str, str], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0])
    )
    # (level, object id, day) whose peak may have dropped: recomputed from the hours.
    lowered: set[tuple[Level, str, date]] = field(default_factory=set)

    def add_entry(
        self,
        object_id: str,
        day: date,
        source: str,
        name_key: tuple[str, str],
        amount: int,
        entries: int,
    ) -> None:
        entry = self.entry_days[(object_id, day, source, *name_key)]
        entry[0] += amount
        entry[1] += entries
        life = self.entry_lifetimes[(object_id, source, *name_key)]
        life[0] += amount
        life[1] += entries


def _hour_changes(
    changes: Sequence[tuple[Mapping[str, Any] | None, Mapping[str, Any]]],
) -> _Changes:
    """Each change puts the new row's figures in and takes the old row's out: first per ad
    and day, then folded into the ad's group and campaign, by day and for all time (an ad
    never changes group or campaign, so its old and new rows have the same owners)."""
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
            lifetime = summary.lifetimes.get(object_id)
            if lifetime is None:
                lifetime = summary.lifetimes[object_id] = _Counters(
                    company, level, campaign, group_id
                )
            for counters in (day_counters, lifetime):
                for index, name in enumerate(SUMMED):
                    counters.sums[name] += bucket[index]
                for index, name in enumerate(PEAKS, start=width):
                    counters.peaks[name] = max(counters.peaks[name], bucket[index])
    for ad, day in lowered:
        _, campaign, group = owners[ad]
        summary.lowered.update(
            {("ad", ad, day), ("ad_group", group, day), ("ad_campaign", campaign, day)}
        )
    for (ad, day, map_name, name), (amount, count) in entries.items():
        _, campaign, group = owners[ad]
        for object_id in (ad, group, campaign):
            summary.add_entry(object_id, day, NETWORK, (map_name, name), amount, count)
    return summary


# --- writing ------------------------------------------------------------------------------


async def _upsert(
    connection: AsyncConnection,
    model: type[StatDay] | type[StatLifetime] | type[StatEntryDay] | type[StatEntryLifetime],
    rows: list[dict[str, Any]],
) -> None:
    """Add `rows` into a rollup table: sums add up, peaks keep the larger figure.

    PostgreSQL gets all rows in one statement (an array per column, unnested), SQLite one
    compiled statement executed for each row (its driver loops in C)."""
    if not rows:
        return
    table = _table(model)
    keys = [column.name for column in table.primary_key.columns]
    dialect = connection.dialect.name
    insert: Any = _insert(dialect, table)
    statement = (
        insert.from_select(list(rows[0]), unnest_rows(table, rows))
        if dialect == "postgresql"
        else insert
    )
    summed = [name for name in (*SUMMED, "amount", "entries") if name in table.c]
    set_: dict[str, Any] = {name: table.c[name] + insert.excluded[name] for name in summed}
    for name in PEAKS:
        if name in table.c:
            set_[name] = _greatest(dialect, table.c[name], insert.excluded[name])
    upsert = statement.on_conflict_do_update(index_elements=keys, set_=set_)
    if dialect == "postgresql":
        await connection.execute(upsert)
    else:
        await connection.execute(upsert, rows)


async def _write_entries(connection: AsyncConnection, dialect: str, summary: _Changes) -> None:
    day_rows = [
        {"object_id": o, "day": d, "source": s, "map": m, "name": n, "amount": a, "entries": e}
        for (o, d, s, m, n), (a, e) in sorted(summary.entry_days.items())
        if a or e
    ]
    life_rows = [
        {"object_id": o, "source": s, "map": m, "name": n, "amount": a, "entries": e}
        for (o, s, m, n), (a, e) in sorted(summary.entry_lifetimes.items())
        if a or e
    ]
    await _upsert(connection, StatEntryDay, day_rows)
    await _upsert(connection, StatEntryLifetime, life_rows)


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
    life_rows = [bucket.row(object_id=oid) for oid, bucket in sorted(summary.lifetimes.items())]
    await _upsert(connection, StatDay, day_rows)
    await _write_entries(connection, dialect, summary)
    by_level: dict[Level, list[dict[str, Any]]] = defaultdict(list)
    for level, object_id, day in sorted(summary.lowered):
        by_level[level].append(
            {"id": object_id, "d": day, "day_from": day_start(day), "day_to": day_start(day + DAY)}
        )
    for level, params in by_level.items():
        await connection.execute(_day_peaks_statement(level), params)
    await _upsert(connection, StatLifetime, life_rows)
    lowered_objects = sorted({object_id for _, object_id, _ in summary.lowered})
    if lowered_objects:
        await connection.execute(
            _lifetime_peaks_statement(), [{"id": object_id} for object_id in lowered_objects]
        )


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
    summary = _Changes()
    for (source, touch, day, event_name, custom_name), (count, value) in grouped.items():
        for map_name, name, amount in event_entries(event_name, custom_name, count, value):
            for object_id in touch:
                summary.add_entry(object_id, day, source, (map_name, name), amount, count)
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


def rebuild_statements(
    dialect: str, company_id: str | None = None, *, value_rules: bool = True
) -> list[Executable]:
    """Statements that recompute the rollups (of one company, or all) from the rows they
    sum: delete, then insert grouped sums. Run them in one transaction, in order.
    `value_rules=False` reads events as stored before they carried conversion value rules'
    values (revision 0016): their own values."""
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
    tables = ", ".join(
        table.__tablename__ for table in (StatDay, StatLifetime, StatEntryDay, StatEntryLifetime)
    )
    return [
        text(f"LOCK TABLE ad_stat_hours, conversion_events, {tables} IN SHARE ROW EXCLUSIVE MODE")
    ]


def rebuild_sync(connection: Connection, company_id: str | None = None) -> None:
    """Rebuild on a synchronous connection (the migration that created the rollups, 0008:
    before events carried conversion value rules' values, so it reads their own)."""
    dialect = connection.dialect.name
    statements = rebuild_statements(dialect, company_id, value_rules=False)
    for statement in [*lock_statement(dialect), *statements]:
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
