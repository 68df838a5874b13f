"""A spend cap's daily summary (issue 7, point 7): one row per local day in the company's
time zone, for `GET /spend_caps/{id}/daily_summary` (JSON or CSV) and `adline export
spend-caps` (Parquet).

A day is [its local midnight, the next local midnight), both from zoneinfo and compared in
UTC, so a DST day is 23 or 25 hours long. An hour counts toward the cap as everywhere else
(`service.hourly_spend`): its campaign was under the cap at `hour_start`, and it belongs to
the day, and the period, in which its `hour_start` falls, within the cap's schedule.

Each row is the cap as of the day's end, read from the revision in force at the day's last
instant (`SpendCapRevision`; a day before the first revision reads the first): its schedule
clips the day and the period, its amount is the row's `amount`, and `periods.compute_status`
decides the status (without `error_reason`, which is not part of the history). The period
is the one the day belongs to, clipped to the schedule and cut at the day's end: DAILY the
day itself, WEEKLY since the ISO week's Monday, TOTAL since the schedule's start, counting
days before the requested range too.

See docs/spend-caps-daily-summary.md.
"""

from __future__ import annotations

import csv
import io
import os
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.auth.service import Principal
from adline.companies.models import Company
from adline.core.errors import InvalidRequest, ParameterMissing
from adline.core.timestamps import RANGE, day_in_range
from adline.spend_caps import service
from adline.spend_caps.models import SpendCap, SpendCapRevision
from adline.spend_caps.periods import (
    Period,
    Schedule,
    Status,
    Window,
    compute_status,
    local_midnight,
)

# The longest range one request may ask for: a leap year's days.
MAX_DAYS = 366
BARE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CSV_HEADER = (
    "date",
    "currency",
    "spend_micro",
    "applied_ad_spending_micro",
    "remaining_micro",
    "amount_micro",
    "status",
    "campaign_ids",
)
PARQUET_NAME = "spend_cap_daily_summary.parquet"
ONE_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class DailyRow:
    """One local day of a cap, as of the day's end (amounts in micro-units)."""

    date: date
    spend_micros: int
    applied_micros: int
    remaining_micros: int
    amount_micros: int
    status: Status
    campaign_ids: tuple[str, ...]


@dataclass(frozen=True)
class DailySummary:
    spend_cap_id: str
    company_id: str
    time_zone: str
    currency: str
    rows: list[DailyRow]


# -- days, periods, revisions -------------------------------------------------------------


def parse_day(value: str, param: str) -> date:
    """A `YYYY-MM-DD` local date; anything else is a 400 naming `param`."""
    if BARE_DATE.match(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            pass
        else:
            if not day_in_range(day):
                raise InvalidRequest(f"Invalid value for {param}: {RANGE}.", param=param)
            return day
    raise InvalidRequest(
        f"Invalid value for {param}: {value!r} is not a date (YYYY-MM-DD).", param=param
    )


def parse_day_range(first: str | None, last: str | None) -> tuple[date, date]:
    """`from` and `to`: both required, inclusive, in order, at most MAX_DAYS days."""
    if not first:
        raise ParameterMissing("Missing required parameter: from.", param="from")
    if not last:
        raise ParameterMissing("Missing required parameter: to.", param="to")
    start, end = parse_day(first, "from"), parse_day(last, "to")
    if end < start:
        raise InvalidRequest(
            f"Invalid value for to: {end.isoformat()} is before from ({start.isoformat()}).",
            param="to",
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidRequest(
            f"Invalid value for to: the range from {start.isoformat()} to {end.isoformat()} "
            f"is {(end - start).days + 1} days; at most {MAX_DAYS} per request.",
            param="to",
        )
    return start, end


@dataclass(frozen=True)
class Span:
    """[start, end) in UTC, both bounds known."""

    start: datetime
    end: datetime

    @property
    def last_instant(self) -> datetime:
        return self.end - ONE_MICROSECOND

    def window(self) -> Window:
        return Window(self.start, self.end)


def day_bounds(day: date, zone: ZoneInfo) -> Span:
    """The local day as [midnight, next midnight) in UTC: 23, 24 or 25 hours."""
    return Span(
        local_midnight(day, zone).astimezone(UTC),
        local_midnight(day + timedelta(days=1), zone).astimezone(UTC),
    )


def _clip(start: datetime, end: datetime, schedule: Schedule) -> Span | None:
    """[start, end) within the schedule; None when nothing is left."""
    start = max(start, schedule.starts_at)
    stops = schedule.stops_at
    if stops is not None:
        end = min(end, stops)
    return Span(start, end) if start < end else None


def period_until_day_end(
    period: Period, schedule: Schedule, day: date, zone: ZoneInfo
) -> Span | None:
    """The part of the period `day` belongs to that has elapsed by the day's end, within the
    schedule (as `periods.period_at` clips it); None when the schedule holds none of it."""
    bounds = day_bounds(day, zone)
    if period == "DAILY":
        start = bounds.start
    elif period == "WEEKLY":
        start = day_bounds(day - timedelta(days=day.weekday()), zone).start
    else:
        start = schedule.starts_at
    return _clip(start, bounds.end, schedule)


def revision_at(revisions: Sequence[SpendCapRevision], instant: datetime) -> SpendCapRevision:
    """The revision in force at `instant` (revisions sorted by valid_from); before the first
    one, the first (the cap as created)."""
    index = bisect_right([revision.valid_from for revision in revisions], instant) - 1
    return revisions[max(index, 0)]


async def _revisions(session: AsyncSession, cap: SpendCap) -> list[SpendCapRevision]:
    found = list(
        await session.scalars(
            select(SpendCapRevision)
            .where(SpendCapRevision.spend_cap_id == cap.id)
            .order_by(SpendCapRevision.valid_from, SpendCapRevision.id)
        )
    )
    if found:
        return found
    # Every cap gets a revision at creation; should one lack it, its current values stand.
    return [service.revision_of(cap, cap.created_at)]


class _Hours:
    """The counted hours of a range: sums over [a, b) by prefix sums, campaigns by hour."""

    def __init__(self, hourly: Sequence[tuple[datetime, str, int]]) -> None:
        self.starts: list[datetime] = []
        self.campaigns: list[dict[str, int]] = []
        for hour, campaign_id, spend in hourly:
            if not self.starts or self.starts[-1] != hour:
                self.starts.append(hour)
                self.campaigns.append({})
            self.campaigns[-1][campaign_id] = self.campaigns[-1].get(campaign_id, 0) + spend
        self.prefix = [0]
        for spends in self.campaigns:
            self.prefix.append(self.prefix[-1] + sum(spends.values()))

    def _slice(self, span: Span) -> tuple[int, int]:
        first = bisect_left(self.starts, span.start)
        return first, max(first, bisect_left(self.starts, span.end))

    def spend(self, span: Span) -> int:
        first, last = self._slice(span)
        return self.prefix[last] - self.prefix[first]

    def campaign_ids(self, span: Span) -> tuple[str, ...]:
        first, last = self._slice(span)
        spent = {
            campaign_id
            for spends in self.campaigns[first:last]
            for campaign_id, micros in spends.items()
            if micros > 0
        }
        return tuple(sorted(spent))


# -- the summary --------------------------------------------------------------------------


async def summarize(
    session: AsyncSession, cap: SpendCap, time_zone: str, first: date, last: date
) -> DailySummary:
    """The cap's rows for the local days `first` to `last` (inclusive) in `time_zone`."""
    zone = ZoneInfo(time_zone)
    revisions = await _revisions(session, cap)
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    span = Span(day_bounds(first, zone).start, day_bounds(last, zone).end)
    hours = _Hours(await service.hourly_spend(session, cap.id, span.window()))

    plans: list[tuple[date, Span, SpendCapRevision, Span | None, Span | None]] = []
    carries: dict[Span, int] = {}
    for day in days:
        bounds = day_bounds(day, zone)
        revision = revision_at(revisions, bounds.last_instant)
        schedule = service.schedule_of(revision)
        today = _clip(bounds.start, bounds.end, schedule)
        period = period_until_day_end(cap.period, schedule, day, zone)  # type: ignore[arg-type]
        if period is not None and period.start < span.start:
            # The part of the period before the range: one sum per distinct part.
            carries.setdefault(Span(period.start, min(period.end, span.start)), 0)
        plans.append((day, bounds, revision, today, period))
    for part in carries:
        spent = await service.spend_by_cap(session, {cap.id: part.window()})
        carries[part] = spent[cap.id]

    rows: list[DailyRow] = []
    for day, bounds, revision, today, period in plans:
        applied = 0
        if period is not None:
            if period.start < span.start:
                applied = carries[Span(period.start, min(period.end, span.start))]
            applied += hours.spend(Span(max(period.start, span.start), period.end))
        rows.append(
            DailyRow(
                date=day,
                spend_micros=0 if today is None else hours.spend(today),
                applied_micros=applied,
                remaining_micros=max(revision.amount_micros - applied, 0),
                amount_micros=revision.amount_micros,
                status=compute_status(
                    schedule=service.schedule_of(revision),
                    enabled=revision.enabled,
                    error_reason=None,
                    amount_micros=revision.amount_micros,
                    applied_micros=applied,
                    instant=bounds.last_instant,
                ),
                campaign_ids=() if today is None else hours.campaign_ids(today),
            )
        )
    return DailySummary(cap.id, cap.company_id, time_zone, cap.currency, rows)


async def daily_summary(
    session: AsyncSession,
    principal: Principal,
    spend_cap_id: str,
    first: str | None,
    last: str | None,
) -> DailySummary:
    """`GET /spend_caps/{id}/daily_summary?from=&to=`: the company's cap (else 404), the
    days in the company's time zone."""
    start, end = parse_day_range(first, last)
    cap = await service.get_spend_cap(session, principal.company_id, spend_cap_id)
    return await summarize(session, cap, principal.timezone, start, end)


# -- rendering ----------------------------------------------------------------------------


def to_json(summary: DailySummary) -> dict[str, Any]:
    currency = summary.currency
    return {
        "spend_cap_id": summary.spend_cap_id,
        "time_zone": summary.time_zone,
        "currency": currency,
        "daily_summary": [
            {
                "date": row.date.isoformat(),
                "spend": service.money_micro(currency, row.spend_micros),
                "applied_ad_spending": service.money_micro(currency, row.applied_micros),
                "remaining": service.money_micro(currency, row.remaining_micros),
                "amount": service.money_micro(currency, row.amount_micros),
                "status": row.status,
                "campaign_ids": list(row.campaign_ids),
            }
            for row in summary.rows
        ],
    }


def to_csv(summary: DailySummary) -> str:
    """The rows as CSV (RFC 4180 line ends), campaign ids joined by a space."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in summary.rows:
        writer.writerow(
            (
                row.date.isoformat(),
                summary.currency,
                row.spend_micros,
                row.applied_micros,
                row.remaining_micros,
                row.amount_micros,
                row.status,
                " ".join(row.campaign_ids),
            )
        )
    return out.getvalue()


def wants_csv(accept: str | None) -> bool:
    """Whether the Accept header prefers `text/csv` to JSON (by q, then by order)."""
    best: tuple[float, int, bool] | None = None
    for position, media_range in enumerate((accept or "").split(",")):
        kind, *params = (part.strip() for part in media_range.split(";"))
        kind = kind.lower()
        if kind not in {"text/csv", "application/json", "*/*", "application/*"}:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        candidate = (quality, -position, kind == "text/csv")
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return best is not None and best[2]


# -- the export ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportRow:
    company_id: str
    spend_cap_id: str
    time_zone: str
    currency: str
    row: DailyRow
    # Whether the day had ended in the company's zone when the row was exported.
    day_closed: bool


async def export_day(
    session: AsyncSession,
    day: date,
    now: datetime,
    on_cap: Callable[[int, int], None] | None = None,
) -> list[ExportRow]:
    """Every cap's row for local day `day`, each in its company's time zone, ordered by
    company and cap. `on_cap(done, total)` is called after each cap."""
    caps = list(
        await session.execute(
            select(SpendCap, Company.timezone)
            .join(Company, Company.id == SpendCap.company_id)
            .order_by(SpendCap.company_id, SpendCap.id)
        )
    )
    exported: list[ExportRow] = []
    for done, (cap, time_zone) in enumerate(caps, start=1):
        summary = await summarize(session, cap, time_zone, day, day)
        exported.append(
            ExportRow(
                company_id=cap.company_id,
                spend_cap_id=cap.id,
                time_zone=time_zone,
                currency=cap.currency,
                row=summary.rows[0],
                day_closed=now >= day_bounds(day, ZoneInfo(time_zone)).end,
            )
        )
        if on_cap is not None:
            on_cap(done, len(caps))
    return exported


def export_path(directory: Path, day: date) -> Path:
    """`DIR/date=YYYY-MM-DD/spend_cap_daily_summary.parquet`: one folder per day."""
    return directory / f"date={day.isoformat()}" / PARQUET_NAME


def write_parquet(rows: Sequence[ExportRow], directory: Path, day: date) -> Path:
    """Write the rows as Parquet (replacing the day's file, atomically); answer its path."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [
            ("company_id", pa.string()),
            ("spend_cap_id", pa.string()),
            ("date", pa.date32()),
            ("time_zone", pa.string()),
            ("currency", pa.string()),
            ("spend_micro", pa.int64()),
            ("applied_ad_spending_micro", pa.int64()),
            ("remaining_micro", pa.int64()),
            ("amount_micro", pa.int64()),
            ("status", pa.string()),
            ("campaign_ids", pa.list_(pa.string())),
            ("day_closed", pa.bool_()),
        ]
    )
    columns: dict[str, list[Any]] = {
        "company_id": [row.company_id for row in rows],
        "spend_cap_id": [row.spend_cap_id for row in rows],
        "date": [row.row.date for row in rows],
        "time_zone": [row.time_zone for row in rows],
        "currency": [row.currency for row in rows],
        "spend_micro": [row.row.spend_micros for row in rows],
        "applied_ad_spending_micro": [row.row.applied_micros for row in rows],
        "remaining_micro": [row.row.remaining_micros for row in rows],
        "amount_micro": [row.row.amount_micros for row in rows],
        "status": [row.row.status for row in rows],
        "campaign_ids": [list(row.row.campaign_ids) for row in rows],
        "day_closed": [row.day_closed for row in rows],
    }
    table = pa.Table.from_pydict(columns, schema=schema)
    path = export_path(directory, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    pq.write_table(table, partial)
    os.replace(partial, path)
    return path
