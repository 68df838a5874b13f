"""Recording conversion events and ad clicks, attributing events to ads, and summing the
attributed events for the metrics. See docs/conversions.md.

An event is attributed when it is recorded: the click ids in its context (`fbclid`,
`ttclid`, `gclid`) are looked up among the company's recorded clicks, and a click counts
when it came within `ATTRIBUTION_WINDOW` before `event_time`. Of the matching clicks,
the latest one's ad is the last-touch ad and the earliest one's the first-touch ad; both
are stored, and `StatsWindow.attribution_model` picks which one the metrics count.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Table,
    TextClause,
    bindparam,
    func,
    literal_column,
    select,
    text,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from adline.ads.models import Ad
from adline.auth.service import Principal
from adline.conversions.models import AdClick, ConversionEvent
from adline.conversions.rates import usd_per_unit
from adline.conversions.schemas import EventCreate, EventFields
from adline.core.clock import Clock
from adline.core.db import postgres_array_type, postgres_array_values
from adline.core.errors import AdlineError, InvalidRequest, NotFound, ParameterMissing
from adline.core.http import validate_body
from adline.core.ids import new_id
from adline.core.money import INT64_MAX, MICROS_PER_UNIT
from adline.stats import rollups
from adline.value_rules import valuation

# A click attributes events up to 7 days after it (spec I: the default window).
ATTRIBUTION_WINDOW = timedelta(days=7)
# Events older than this are refused: far past any attribution window.
MAX_EVENT_AGE = timedelta(days=90)
# A client's clock may run a little ahead of Adline's.
CLOCK_SKEW = timedelta(minutes=5)
CLICK_ID_KEYS = ("fbclid", "ttclid", "gclid")


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _insert(session: AsyncSession, table: Any) -> Any:
    return (postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert)(table)


def _by_key(
    session: AsyncSession,
    columns: Sequence[InstrumentedAttribute[Any]],
    key: InstrumentedAttribute[str],
    values: Sequence[str],
    *conditions: ColumnElement[bool],
) -> Select[Any]:
    """`SELECT columns WHERE key IN (values) AND conditions`, where the conditions name the
    company and (company_id, key) is unique, so that each value is one lookup in that index.

    The values are one bound parameter (an array on PostgreSQL, a JSON array on SQLite), so
    the statement's text is the same for any number of them: compiled and prepared once,
    not given a parameter per value. On PostgreSQL each value drives a `LATERAL … LIMIT 1`
    lookup: without fresh statistics (a table just filled, autovacuum behind) the planner
    may otherwise scan all of the company's rows and test each against the whole list, a
    cost that grows with the company's rows. SQLite looks `IN (SELECT …)` values up in the
    index by itself."""
    if _dialect(session) == "postgresql":
        array = bindparam(None, list(values), type_=postgresql.ARRAY(String))
        wanted = func.unnest(array).table_valued("value").render_derived(name="wanted")
        found = select(*columns).where(key == wanted.c.value, *conditions).limit(1).lateral()
        return select(*(found.c[column.key] for column in columns)).select_from(
            wanted.join(found, true())
        )
    values_json = bindparam(None, json.dumps(list(values)), type_=String)
    among: Select[Any] = select(literal_column("value")).select_from(func.json_each(values_json))
    return select(*columns).where(key.in_(among), *conditions)


# --- clicks ---------------------------------------------------------------------------


async def record_click(
    session: AsyncSession, ad_id: str, click_id: str, clicked_at: datetime
) -> str:
    """Record a click on an ad under the network's click id; answer the click's row id.

    Idempotent per (company, click id): a repeat (even concurrent) keeps the first click
    and answers its id. Raises LookupError for an unknown ad, ValueError for a blank click
    id or a naive time. Only flushes.
    """
    if not click_id.strip():
        raise ValueError("click_id must not be blank")
    if clicked_at.tzinfo is None:
        raise ValueError("clicked_at must be timezone-aware")
    ad = (
        await session.execute(
            select(Ad.company_id, Ad.ad_campaign_id, Ad.ad_group_id).where(Ad.id == ad_id)
        )
    ).one_or_none()
    if ad is None:
        raise LookupError(f"no ad {ad_id!r}")
    company_id, campaign_id, group_id = ad
    insert = _insert(session, AdClick)
    statement = (
        insert.values(
            id=new_id("adclk"),
            company_id=company_id,
            ad_id=ad_id,
            ad_campaign_id=campaign_id,
            ad_group_id=group_id,
            click_id=click_id,
            clicked_at=clicked_at.astimezone(UTC),
        )
        .on_conflict_do_nothing(index_elements=[AdClick.company_id, AdClick.click_id])
        .returning(AdClick.id)
    )
    inserted = (await session.execute(statement)).scalar_one_or_none()
    if inserted is not None:
        return str(inserted)
    existing = await session.scalar(
        select(AdClick.id).where(AdClick.company_id == company_id, AdClick.click_id == click_id)
    )
    assert existing is not None
    return existing


def value_in_usd_micros(value: float | None, currency: str | None) -> int:
    """The value converted to USD micro-units with Adline's rate table, half-even to the
    micro; 0 without a value. Raises InvalidRequest for an unknown currency."""
    rate = usd_per_unit(currency or "usd")
    if rate is None:
        raise InvalidRequest(
            f"Invalid value for currency: {currency!r} is not a currency Adline converts.",
            param="currency",
        )
    if value is None:
        return 0
    micros = (Decimal(str(value)) * rate * MICROS_PER_UNIT).quantize(
        Decimal(1), rounding=ROUND_HALF_EVEN
    )
    if micros > INT64_MAX:
        raise InvalidRequest("Invalid value for value: too large.", param="value")
    return int(micros)


def _check(body: EventFields, now: datetime) -> datetime:
    """The rules beyond the schema; answers the event time."""
    if body.event_name == "custom" and body.custom_name is None:
        raise ParameterMissing(
            "custom_name is required when event_name is custom.", param="custom_name"
        )
    if body.event_name != "custom" and body.custom_name is not None:
        raise InvalidRequest(
            "Invalid value for custom_name: only custom events have a name.", param="custom_name"
        )
    event_time = body.event_time or now
    if event_time > now + CLOCK_SKEW:
        raise InvalidRequest(
            "Invalid value for event_time: must not be in the future.", param="event_time"
        )
    if event_time < now - MAX_EVENT_AGE:
        raise InvalidRequest(
            "Invalid value for event_time: must be within the last 90 days.", param="event_time"
        )
    return event_time


# A row of `conversion_events` gets these from the body itself; the rest of what the client
# sent goes, as sent, into `details`.
COLUMN_FIELDS: set[str] = {
    "company_id",
    "account_id",
    "event_name",
    "custom_name",
    "action_source",
    "event_id",
    "event_time",
    "value",
    "currency",
    "url",
}
TOUCH_COLUMNS = ("ad_id", "ad_group_id", "ad_campaign_id")
EVENTS_TABLE = ConversionEvent.__table__
assert isinstance(EVENTS_TABLE, Table)


@dataclass(frozen=True)
class Touches:
    last: tuple[str, str, str] | None = None
    first: tuple[str, str, str] | None = None


@dataclass
class _Event:
    """One valid event, ready to be recorded: its row without the attribution columns."""

    event_id: str
    # The client named the event_id (else it is the new row's own id: it cannot exist yet).
    named: bool
    event_time: datetime
    click_ids: tuple[str, ...]
    row: dict[str, Any]


def _prepare(
    principal: Principal, now: datetime, company_id: str, body: EventFields, company_param: str
) -> _Event:
    """Check one event against the rules beyond its schema; raises the item's AdlineError."""
    if company_id != principal.company_id:
        raise NotFound(f"No company with id {company_id!r}.", param=company_param)
    event_time = _check(body, now)
    value_micros = value_in_usd_micros(body.value, body.currency)
    row_id = new_id("evt")
    event_id = body.event_id or row_id
    context = body.context
    click_ids = tuple(
        value
        for key in CLICK_ID_KEYS
        if context is not None and (value := getattr(context, key)) is not None and value.strip()
    )
    row = {
        "id": row_id,
        "company_id": company_id,
        "event_id": event_id,
        "event_name": body.event_name,
        "custom_name": body.custom_name,
        "action_source": body.action_source,
        "event_time": event_time,
        "value": None if body.value is None else str(Decimal(str(body.value))),
        "currency": None if body.currency is None else body.currency.lower(),
        "value_micros": value_micros,
        "url": body.url,
        "details": body.model_dump(exclude_none=True, exclude=COLUMN_FIELDS),
        "created_at": now,
    }
    return _Event(event_id, body.event_id is not None, event_time, click_ids, row)


async def attribute_many(
    session: AsyncSession,
    company_id: str,
    events: Sequence[tuple[Sequence[str], datetime]],
) -> list[Touches]:
    """Per (click ids, event time): the (ad, group, campaign) of the latest and of the
    earliest of the company's clicks named by the click ids within the window before the
    event time (ties: by click row id). One query for all the events' clicks."""
    wanted = sorted({click_id for click_ids, _ in events for click_id in click_ids})
    if not wanted:
        return [Touches() for _ in events]
    times = [event_time for click_ids, event_time in events if click_ids]
    statement = _by_key(
        session,
        [
            AdClick.click_id,
            AdClick.clicked_at,
            AdClick.id,
            AdClick.ad_id,
            AdClick.ad_group_id,
            AdClick.ad_campaign_id,
        ],
        AdClick.click_id,
        wanted,
        AdClick.company_id == company_id,
        AdClick.clicked_at <= max(times),
        AdClick.clicked_at >= min(times) - ATTRIBUTION_WINDOW,
    )
    clicks = {row.click_id: row for row in await session.execute(statement)}
    answers: list[Touches] = []
    for click_ids, event_time in events:
        matches = sorted(
            (click.clicked_at, click.id, (click.ad_id, click.ad_group_id, click.ad_campaign_id))
            for click_id in set(click_ids)
            if (click := clicks.get(click_id)) is not None
            and event_time - ATTRIBUTION_WINDOW <= click.clicked_at <= event_time
        )
        if not matches:
            answers.append(Touches())
        else:
            answers.append(Touches(last=matches[-1][2], first=matches[0][2]))
    return answers


async def attribute(
    session: AsyncSession, company_id: str, click_ids: Sequence[str], event_time: datetime
) -> Touches:
    """`attribute_many` for one event."""
    [touches] = await attribute_many(session, company_id, [(click_ids, event_time)])
    return touches


async def _event_ids(
    session: AsyncSession, company_id: str, event_ids: Sequence[str]
) -> dict[str, str]:
    """{event_id: the recorded event's id} of those of `event_ids` the company has."""
    if not event_ids:
        return {}
    statement = _by_key(
        session,
        [ConversionEvent.event_id, ConversionEvent.id],
        ConversionEvent.event_id,
        sorted(set(event_ids)),
        ConversionEvent.company_id == company_id,
    )
    rows = await session.execute(statement)
    return {event_id: row_id for event_id, row_id in rows}


# PostgreSQL: the batch's rows go in as one array per column, `unnest`ed into rows: one
# statement whose text and parameters are the same for any number of rows (prepared once,
# no parameter per value). The company is one value for all.
SHARED_COLUMNS = ("company_id",)
ARRAY_COLUMNS = [column for column in EVENTS_TABLE.columns if column.name not in SHARED_COLUMNS]


def _postgres_insert() -> TextClause:
    names = [column.name for column in EVENTS_TABLE.columns]

    arrays = ", ".join(
        f"CAST(:{column.name} AS {postgres_array_type(column)})" for column in ARRAY_COLUMNS
    )
    values = ", ".join(
        f":{name}"
        if name in SHARED_COLUMNS
        else "CAST(new.details AS JSON)"
        if name == "details"
        else f"new.{name}"
        for name in names
    )
    return text(
        f"INSERT INTO conversion_events ({', '.join(names)}) "
        f"SELECT {values} FROM unnest({arrays}) "
        f"AS new({', '.join(column.name for column in ARRAY_COLUMNS)}) "
        "ON CONFLICT (company_id, event_id) DO NOTHING RETURNING event_id, id"
    )


POSTGRES_INSERT = _postgres_insert()


async def _insert_new(
    session: AsyncSession, company_id: str, rows: list[dict[str, Any]]
) -> dict[str, str]:
    """Insert the rows, skipping an event_id the company already has (`ON CONFLICT
    (company_id, event_id) DO NOTHING`), in one statement; answer {event_id: id} of the
    rows inserted. SQLite gets a multi-row `INSERT … VALUES` (SQLAlchemy's
    "insertmanyvalues"), PostgreSQL the same rows as arrays (`POSTGRES_INSERT`)."""
    connection = await session.connection()
    if _dialect(session) == "postgresql":
        parameters: dict[str, Any] = {"company_id": company_id}
        for column in ARRAY_COLUMNS:
            parameters[column.name] = postgres_array_values(
                column, (row[column.name] for row in rows)
            )
        result = await connection.execute(POSTGRES_INSERT, parameters)
    else:
        statement = (
            sqlite.insert(ConversionEvent)
            .on_conflict_do_nothing(index_elements=["company_id", "event_id"])
            .returning(ConversionEvent.event_id, ConversionEvent.id)
        )
        result = await connection.execute(statement, rows)
    return {event_id: row_id for event_id, row_id in result}


async def _record(session: AsyncSession, company_id: str, events: Sequence[_Event]) -> list[str]:
    """Record valid events of one company, set-based; answer each one's id, in order.

    One query finds the event_ids already recorded (those answer the recorded id and change
    nothing), one finds the clicks that attribute the new ones, one (two when some apply)
    the conversion value rules that value them, one multi-row insert writes
    them (ON CONFLICT DO NOTHING, so a concurrent writer of the same event_id cannot make
    two), and one query reads the ids of the events such a writer recorded first. Within
    `events`, the first of an event_id wins and the later ones answer its id. The inserted
    events are added to the rollups in one call. Only flushes.
    """
    recorded = await _event_ids(session, company_id, [e.event_id for e in events if e.named])
    new: dict[str, _Event] = {}
    for event in events:
        if event.event_id not in recorded:
            new.setdefault(event.event_id, event)
    if new:
        fresh = list(new.values())
        touches = await attribute_many(
            session, company_id, [(event.click_ids, event.event_time) for event in fresh]
        )
        # The value each attribution credits: the event's own, or what the most specific
        # conversion value rule active now makes of it (stored, so history never moves).
        valuations = await valuation.value_events(
            session,
            company_id,
            [
                valuation.EventToValue(
                    event_name=event.row["event_name"],
                    custom_name=event.row["custom_name"],
                    value_micros=event.row["value_micros"],
                    touches={"last_touch": touch.last, "first_touch": touch.first},
                )
                for event, touch in zip(fresh, touches, strict=True)
            ],
        )
        rows: list[dict[str, Any]] = []
        for event, touch, valued in zip(fresh, touches, valuations, strict=True):
            row = dict(event.row)
            for source, ids in (("last_touch", touch.last), ("first_touch", touch.first)):
                for column, value in zip(TOUCH_COLUMNS, ids or (None, None, None), strict=True):
                    row[f"{source}_{column}"] = value
                rule_value = valued.get(source)
                row[f"{source}_value_micros"] = (
                    None if rule_value is None else rule_value.value_micros
                )
                row[f"{source}_value_rule_id"] = None if rule_value is None else rule_value.rule_id
            rows.append(row)
        # In event_id order, so that concurrent batches take the unique index's entries in
        # the same order (no deadlock on PostgreSQL).
        rows.sort(key=lambda row: row["event_id"])
        inserted = await _insert_new(session, company_id, rows)
        recorded.update(inserted)
        # Concurrent writers recorded these event_ids first.
        lost = [event_id for event_id in new if event_id not in inserted]
        recorded.update(await _event_ids(session, company_id, lost))
        await rollups.add_attributed_events(
            session,
            [
                rollups.AttributedEvent(
                    event_time=event.event_time,
                    event_name=event.row["event_name"],
                    custom_name=event.row["custom_name"],
                    value_micros=event.row["value_micros"],
                    touches={"last_touch": touch.last, "first_touch": touch.first},
                    adjusted_value_micros={
                        source: rule_value.value_micros for source, rule_value in valued.items()
                    },
                )
                for event, touch, valued in zip(fresh, touches, valuations, strict=True)
                if event.event_id in inserted
            ],
        )
    return [recorded[event.event_id] for event in events]


async def record_event(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    company_id: str,
    body: EventFields,
    *,
    company_param: str = "company_id",
) -> str:
    """Record one event for the caller's company; answer its id.

    Idempotent by (company, event_id): a repeat, even a concurrent one, answers the first
    event's id and changes nothing (its attribution and value stay as first recorded).
    Another company's id (or an unknown one) is a 404. Only flushes.
    """
    event = _prepare(principal, clock.now(), company_id, body, company_param)
    [event_id] = await _record(session, principal.company_id, [event])
    return event_id


async def record_batch(
    session: AsyncSession, clock: Clock, principal: Principal, items: Sequence[Any]
) -> list[dict[str, Any]]:
    """Record each item as `POST /events` would; answer `{"id"}` or `{"error"}` per item, in
    order. A bad item fails alone (its error's param is prefixed `events[i]`); the valid
    ones are recorded together by `_record`."""
    now = clock.now()
    results: list[dict[str, Any]] = []
    valid: list[tuple[int, _Event]] = []
    for index, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise InvalidRequest("Each event must be a JSON object.")
            body = validate_body(EventCreate, item)
            event = _prepare(principal, now, body.account_id, body, "account_id")
        except AdlineError as error:
            prefix = f"events[{index}]"
            error.param = f"{prefix}.{error.param}" if error.param else prefix
            results.append(error.body())
            continue
        results.append({})
        valid.append((index, event))
    ids = await _record(session, principal.company_id, [event for _, event in valid])
    for (index, _), event_id in zip(valid, ids, strict=True):
        results[index] = {"id": event_id}
    return results
