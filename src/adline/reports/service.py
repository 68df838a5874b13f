"""Reports over the stats store: `GET /ad_reports` (spec B.8) and the stats time series.

Both read their buckets in one statement, per object and UTC day from the daily
rollups (`stat_days`) when the buckets follow UTC days, else per object and hour from
`ad_stat_hours`, and add each row into its bucket by the local calendar of a time zone:
an hour belongs to the bucket (hour, day, week, month, year) its start lies in, locally,
so a daily bucket on a DST day holds 23 or 25 hours. Empty buckets inside the window are
answered with zeros. Buckets are kept as columns (a list per counter, `Columns`) and
written to JSON straight from them (`Buckets`): a breakdown over 1,000 ads and 90 days
has 90,000 of them.

Totals equal the sum of their parts. Counts are integers and add up by themselves; spend is
summed in micro-units and rounded once, half-even to the cent, for the total; the parts
(buckets, breakdown rows, points) then share the total's cents by largest remainder
(`allocate_cents`), so the rendered parts always sum exactly to the rendered total. See
docs/reports.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    String,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from adline.ad_groups.models import AdGroup
from adline.ads.models import Ad
from adline.auth.service import Principal
from adline.campaigns.models import AdCampaign
from adline.core.errors import InvalidRequest, NotFound
from adline.core.json_encoding import EncodedList, dumps
from adline.core.money import MICROS_PER_CENT, ratio_to_dollars
from adline.core.timestamps import format_timestamp
from adline.metrics.window import BARE_DATE, StatsWindow, parse_stats_window
from adline.stats.models import AdStatHour
from adline.stats.rollups import (
    LEVEL_COLUMNS,
    STAT_DAYS,
    Level,
    day_start,
    integer_max,
    integer_sum,
)
from adline.stats.service import window_conditions, window_parts

Calendar = Literal["hourly", "daily", "weekly", "monthly", "yearly"]
MAX_IDS = 100
# Hours a window may span (about eleven years): bucketing walks them one by one.
MAX_HOURS = 100_000
HOUR = timedelta(hours=1)

ScopeParam = Literal[
    "company_id",
    "account_id",
    "ad_campaign_id",
    "ad_group_id",
    "ad_id",
    "ad_campaign_ids",
    "ad_group_ids",
    "ad_ids",
]
_MODELS: dict[str, type[AdCampaign] | type[AdGroup] | type[Ad]] = {
    "ad_campaign": AdCampaign,
    "ad_group": AdGroup,
    "ad": Ad,
}
# Breakdown (B.8 `level`) -> the kind of object it lists.
BREAKDOWN_KINDS: dict[str, Level] = {"campaign": "ad_campaign", "ad_group": "ad_group", "ad": "ad"}


# --- money -------------------------------------------------------------------------------


def round_cents(micros: int) -> int:
    """Micro-units to whole cents, half-even (the one rounding rule of adline.core.money)."""
    return int((Decimal(micros) / MICROS_PER_CENT).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def cents_to_dollars(cents: int) -> float:
    # Division is correctly rounded: the nearest double to cents / 100, as from a Decimal.
    return cents / 100


def allocate_cents(parts_micros: Sequence[int], total_cents: int) -> list[int]:
    """Share `total_cents` among parts by largest remainder, so the parts sum to it exactly.

    Each part gets its amount rounded down to the cent; the cents left over go one each to
    the parts with the largest remainders (ties: the earlier part). `total_cents` must lie
    between the floor and the ceiling of the parts' sum, which holds for the half-even
    rounding of that sum and for any share this function handed out.
    """
    floors: list[int] = []
    # (-remainder, index) of the parts with a remainder: sorted, the order they get a cent.
    remainders: list[tuple[int, int]] = []
    for index, micros in enumerate(parts_micros):
        cents, rest = divmod(micros, MICROS_PER_CENT)
        floors.append(cents)
        if rest:
            remainders.append((-rest, index))
    left = total_cents - sum(floors)
    if left < 0 or left > len(remainders):
        raise ValueError("total_cents is not a rounding of the parts' sum")
    if left:
        remainders.sort()
        for _, index in remainders[:left]:
            floors[index] += 1
    return floors


# --- windows and buckets -----------------------------------------------------------------


def parse_window(from_: str | None, to: str | None, time_zone: str) -> StatsWindow:
    """`from` and `to` (both required, inclusive) as a window; errors name `from` / `to`."""
    if not from_:
        raise InvalidRequest(
            "Missing required parameter: from.", param="from", code="parameter_missing"
        )
    if not to:
        raise InvalidRequest(
            "Missing required parameter: to.", param="to", code="parameter_missing"
        )
    try:
        window = parse_stats_window(from_, to, time_zone, None)
    except InvalidRequest as error:
        names = {"stats_from": "from", "stats_to": "to"}
        param = names.get(error.param or "", error.param)
        message = error.message.replace("stats_from", "from").replace("stats_to", "to")
        raise InvalidRequest(message, param=param) from None
    # A bare `to` is its whole day: a day that ends where the window starts lies before it
    # (`from=2026-03-02&to=2026-03-01`), though its end does not precede the start.
    assert window.start is not None and window.end is not None
    if BARE_DATE.match(to) and window.end <= window.start:
        raise InvalidRequest("to must not be before from.", param="to")
    return window


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(UTC)


def bucket_of(hour: datetime, zone: ZoneInfo, calendar: Calendar) -> datetime:
    """The UTC start of the bucket holding the hour that starts at `hour` (UTC)."""
    if calendar == "hourly":
        return hour
    day = hour.astimezone(zone).date()
    if calendar == "weekly":
        day -= timedelta(days=day.weekday())
    elif calendar == "monthly":
        day = day.replace(day=1)
    elif calendar == "yearly":
        day = day.replace(month=1, day=1)
    return _local_midnight(day, zone)


def _window_hours(window: StatsWindow) -> list[datetime]:
    """Every hour start in [start, end): the hours the window counts."""
    assert window.start is not None and window.end is not None
    first = window.start.replace(minute=0, second=0, microsecond=0)
    if first < window.start:
        first += HOUR
    count = max(0, (window.end - first + HOUR - timedelta(microseconds=1)) // HOUR)
    if count > MAX_HOURS:
        raise InvalidRequest(
            f"The window from from to to is too long: at most {MAX_HOURS} hours.", param="to"
        )
    return [first + HOUR * index for index in range(count)]


def bucket_starts(window: StatsWindow, zone: ZoneInfo, calendar: Calendar) -> list[datetime]:
    """The buckets the window touches, ascending (an empty bucket is still a bucket)."""
    starts: dict[datetime, None] = {}
    for hour in _window_hours(window):
        starts.setdefault(bucket_of(hour, zone, calendar), None)
    return sorted(starts)


# --- reading the hours -------------------------------------------------------------------


@dataclass
class Tally:
    impressions: int = 0
    clicks: int = 0
    spend_micros: int = 0
    # Reach is never summed (people recur across hours and ads): the largest reported figure.
    reach: int = 0

    def add(self, other: Tally) -> None:
        self.impressions += other.impressions
        self.clicks += other.clicks
        self.spend_micros += other.spend_micros
        self.reach = max(self.reach, other.reach)


@dataclass(frozen=True)
class Scope:
    """Stats rows of one company, narrowed by each (column, ids) filter."""

    company_id: str
    filters: tuple[tuple[Level, tuple[str, ...]], ...] = ()


async def check_ids(
    session: AsyncSession, principal: Principal, kind: Level, ids: Iterable[str], param: str
) -> tuple[str, ...]:
    """The ids, deduplicated, once each is known to be the caller's (deleted ones count)."""
    wanted = tuple(dict.fromkeys(ids))
    if len(wanted) > MAX_IDS:
        raise InvalidRequest(f"Invalid value for {param}: at most {MAX_IDS} ids.", param=param)
    model = _MODELS[kind]
    found = set(
        (
            await session.execute(
                select(model.id).where(
                    model.company_id == principal.company_id, model.id.in_(wanted)
                )
            )
        ).scalars()
    )
    for object_id in wanted:
        if object_id not in found:
            raise NotFound(f"No such {kind}: {object_id}.", param=param)
    return wanted


def check_account(principal: Principal, value: str, param: str) -> None:
    if value != principal.company_id:
        raise NotFound(f"No such account: {value}.", param=param)


# Levels from the finest: a report reads the rollups of the finest level among its
# breakdown and its scope filters, which can both filter and group by the others.
LEVEL_ORDER: tuple[Level, ...] = ("ad", "ad_group", "ad_campaign")


def _rollup_column(table: Any, level: Level, kind: Level) -> Any:
    """In rollup rows of `level`, the column naming the object of `kind` (at or above)."""
    if kind == level:
        return table.c.object_id
    return table.c.ad_group_id if kind == "ad_group" else table.c.ad_campaign_id


def _report_level(scope: Scope, by: Level | None) -> Level:
    """The rollups a report reads: of the finest level among the breakdown and filters."""
    kinds = [kind for kind, _ in scope.filters] + ([by] if by is not None else [])
    return min(kinds or ("ad_campaign",), key=LEVEL_ORDER.index)


def _days_branch(
    scope: Scope, days_range: tuple[date | None, date | None], by: Level | None, per_day: bool
) -> Any:
    """(key, [day,] impressions, clicks, spend, reach) of the daily rollups in the range
    (first day included, last excluded), one row per object of the report's level and
    day."""
    days = STAT_DAYS
    level = _report_level(scope, by)
    key = _rollup_column(days, level, by) if by else literal_column("''", String)
    conditions = [days.c.company_id == scope.company_id, days.c.level == level]
    first, last = days_range
    if first is not None:
        conditions.append(days.c.day >= first)
    if last is not None:
        conditions.append(days.c.day < last)
    for kind, ids in scope.filters:
        conditions.append(_rollup_column(days, level, kind).in_(ids))
    return select(
        key.label("key"),
        *((days.c.day,) if per_day else ()),
        days.c.impressions,
        days.c.clicks,
        days.c.spend_micros,
        days.c.reach,
    ).where(*conditions)


def _report_rows(scope: Scope, window: StatsWindow, by: Level | None) -> Any:
    """The rows a report sums, as one subquery (key, impressions, clicks, spend, reach):
    whole UTC days from the daily rollups of the finest level among the breakdown and the
    filters, the window's edges from the hourly rows (`window_parts`)."""
    parts = window_parts(window)
    branches: list[Any] = []
    if parts.days is not None:
        branches.append(_days_branch(scope, parts.days, by, per_day=False))
    for edge_from, edge_to in parts.edges:
        key = LEVEL_COLUMNS[by] if by is not None else literal_column("''", String)
        conditions = [
            AdStatHour.company_id == scope.company_id,
            AdStatHour.hour_start >= edge_from,
            AdStatHour.hour_start < edge_to,
        ]
        for kind, ids in scope.filters:
            conditions.append(LEVEL_COLUMNS[kind].in_(ids))
        branches.append(
            select(
                key.label("key"),
                AdStatHour.impressions,
                AdStatHour.clicks,
                AdStatHour.spend_micros,
                AdStatHour.reach,
            ).where(*conditions)
        )
    return union_all(*branches).subquery("report_rows") if branches else None


def _tally_columns(rows: Any) -> list[Any]:
    return [
        integer_sum(rows.c.impressions),
        integer_sum(rows.c.clicks),
        integer_sum(rows.c.spend_micros),
        integer_max(rows.c.reach),
    ]


async def object_tallies(
    session: AsyncSession, scope: Scope, window: StatsWindow, by: Level | None
) -> dict[str, Tally]:
    """Object of kind `by` (or "" without one) -> its tally over the window, in one
    statement over the rollups (`_report_rows`; docs/metrics.md)."""
    rows = _report_rows(scope, window, by)
    if rows is None:
        return {}
    statement = select(rows.c.key, *_tally_columns(rows)).group_by(rows.c.key)
    return {
        str(object_key): Tally(
            int(impressions or 0), int(clicks or 0), int(spend or 0), int(reach or 0)
        )
        for object_key, impressions, clicks, spend, reach in (
            await session.execute(statement)
        ).all()
    }


def _daily_statement(scope: Scope, window: StatsWindow, by: Level | None) -> Any:
    """(key, day, impressions, clicks, spend, reach) per object of kind `by` (or "") and
    UTC day, from the daily rollups; for a window of whole UTC days."""
    parts = window_parts(window)
    assert not parts.edges and parts.days is not None, "per-day rows need whole UTC days"
    branch = _days_branch(scope, parts.days, by, per_day=True)
    if by is not None and by == _report_level(scope, by):
        return branch  # rollups of the breakdown's own level: one row per object and day
    rows = branch.subquery("report_rows")
    return select(rows.c.key, rows.c.day, *_tally_columns(rows)).group_by(rows.c.key, rows.c.day)


def _hourly_statement(scope: Scope, window: StatsWindow, by: Level | None) -> Any:
    """(key, hour_start, impressions, clicks, spend, reach) per object of kind `by` (or
    "") and hour, from the hourly rows."""
    key = LEVEL_COLUMNS[by] if by is not None else literal_column("''", String)
    conditions: list[ColumnElement[bool]] = [AdStatHour.company_id == scope.company_id]
    conditions += window_conditions(window)
    for kind, ids in scope.filters:
        conditions.append(LEVEL_COLUMNS[kind].in_(ids))
    return (
        select(
            key.label("key"),
            AdStatHour.hour_start,
            integer_sum(AdStatHour.impressions),
            integer_sum(AdStatHour.clicks),
            integer_sum(AdStatHour.spend_micros),
            integer_max(AdStatHour.reach),
        )
        .where(*conditions)
        .group_by(*((LEVEL_COLUMNS[by],) if by is not None else ()), AdStatHour.hour_start)
    )


def buckets_follow_utc_days(window: StatsWindow, starts: Sequence[datetime]) -> bool:
    """Do the window and each of its buckets begin at a UTC midnight? Then every UTC day
    lies in one bucket, and daily rollups can fill the buckets (a zone at UTC+0 all along:
    UTC itself, or London in winter)."""
    if window.start is None or window.end is None or window.end <= window.start:
        return False  # an empty window has no day to read (and the hours read nothing)
    bounds = [window.start, window.end, *starts]
    return all(
        bound is not None
        and (bound.hour, bound.minute, bound.second, bound.microsecond) == (0,) * 4
        for bound in bounds
    )


@dataclass
class Columns:
    """Tallies per bucket, one list per counter, each as long as the report's buckets."""

    impressions: list[int]
    clicks: list[int]
    spend_micros: list[int]
    reach: list[int]

    @classmethod
    def zeros(cls, count: int) -> Columns:
        return cls([0] * count, [0] * count, [0] * count, [0] * count)

    @classmethod
    def combined(cls, parts: Iterable[Columns], count: int) -> Columns:
        """The buckets of several objects together: counts summed, reach the largest."""
        parts = list(parts)
        if not parts:
            return cls.zeros(count)
        return cls(
            [sum(values) for values in zip(*(part.impressions for part in parts), strict=True)],
            [sum(values) for values in zip(*(part.clicks for part in parts), strict=True)],
            [sum(values) for values in zip(*(part.spend_micros for part in parts), strict=True)],
            [max(values) for values in zip(*(part.reach for part in parts), strict=True)],
        )

    def add(self, bucket: int, impressions: int, clicks: int, spend: int, reach: int) -> None:
        self.impressions[bucket] += impressions
        self.clicks[bucket] += clicks
        self.spend_micros[bucket] += spend
        if reach > self.reach[bucket]:
            self.reach[bucket] = reach

    def tally(self) -> Tally:
        """All the buckets together."""
        return Tally(
            sum(self.impressions),
            sum(self.clicks),
            sum(self.spend_micros),
            max(self.reach, default=0),
        )


async def bucket_columns(
    session: AsyncSession,
    scope: Scope,
    window: StatsWindow,
    by: Level | None,
    starts: Sequence[datetime],
    zone: ZoneInfo,
    calendar: Calendar,
    from_days: bool,
) -> dict[str, Columns]:
    """Object of kind `by` (or "" without one) -> its tallies in each bucket of `starts`,
    for the objects with stats in the window; in one statement, over the daily rollups
    when `from_days` (buckets that follow UTC days), else over the hourly rows. Each day's
    or hour's bucket is looked up once, in the local calendar.

    PostgreSQL answers one row per object with its days (or hours) and figures as arrays
    in time order (`array_agg`): 1,000 rows for 1,000 ads over 90 days, not 90,000, and
    when each day is a bucket of its own the arrays are the columns as they come. SQLite
    has no arrays: one row per object and day (or hour)."""
    statement = (_daily_statement if from_days else _hourly_statement)(scope, window, by)
    count = len(starts)
    position = {start: index for index, start in enumerate(starts)}
    index_of: dict[Any, int] = {}

    def index(at: Any) -> int:
        found = index_of.get(at)
        if found is None:
            if from_days:
                start = day_start(at)
            else:
                start = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
            found = index_of[at] = position[bucket_of(start, zone, calendar)]
        return found

    objects: dict[str, Columns] = {}
    if session.get_bind().dialect.name == "postgresql":
        rows = statement.subquery("bucket_rows")
        key, at, *counters = rows.c
        arrays = select(
            key, func.array_agg(aggregate_order_by(at, at)),
            *(func.array_agg(aggregate_order_by(counter, at)) for counter in counters),
        ).group_by(key)  # fmt: skip
        every_bucket = list(range(count))
        for object_key, ats, impressions, clicks, spend, reach in (
            await session.execute(arrays)
        ).all():
            indexes = [index(at) for at in ats]
            if indexes == every_bucket:  # one day (or hour) per bucket, each with stats
                objects[object_key] = Columns(impressions, clicks, spend, reach)
                continue
            columns = objects[object_key] = Columns.zeros(count)
            for bucket, *figures in zip(indexes, impressions, clicks, spend, reach, strict=True):
                columns.add(bucket, *figures)
        return objects
    for object_key, at, *figures in (await session.execute(statement)).all():
        found = objects.get(object_key)
        if found is None:
            found = objects[object_key] = Columns.zeros(count)
        found.add(index(at), *figures)
    return objects


# --- GET /ad_reports ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRequest:
    from_: str | None
    to: str | None
    scopes: dict[ScopeParam, str | list[str] | None]
    granularity: Literal["hourly", "daily", "weekly", "monthly"] | None = None
    breakdown: Literal["campaign", "ad_group", "ad"] | None = None
    currency: str | None = None


_SINGLE_KINDS: dict[str, Level] = {
    "ad_campaign_id": "ad_campaign",
    "ad_group_id": "ad_group",
    "ad_id": "ad",
}
_ARRAY_KINDS: dict[str, Level] = {
    "ad_campaign_ids": "ad_campaign",
    "ad_group_ids": "ad_group",
    "ad_ids": "ad",
}


async def report_scope(
    session: AsyncSession, principal: Principal, scopes: dict[ScopeParam, str | list[str] | None]
) -> Scope:
    given = [(name, value) for name, value in scopes.items() if value]
    if not given:
        raise InvalidRequest(
            "Exactly one of company_id, account_id, ad_campaign_id, ad_group_id, ad_id, "
            "ad_campaign_ids, ad_group_ids or ad_ids is required.",
            param="company_id",
        )
    if len(given) > 1:
        name = given[1][0]
        raise InvalidRequest(
            f"Invalid value for {name}: give exactly one scope ({given[0][0]} is already set).",
            param=name,
        )
    [(name, value)] = given
    if name in ("company_id", "account_id"):
        assert isinstance(value, str)
        check_account(principal, value, name)
        return Scope(principal.company_id)
    kind = _SINGLE_KINDS.get(name) or _ARRAY_KINDS[name]
    ids = [value] if isinstance(value, str) else value
    return Scope(
        principal.company_id, ((kind, await check_ids(session, principal, kind, ids, name)),)
    )


def check_currency(principal: Principal, currency: str | None, param: str) -> str:
    if currency is not None and currency.strip().lower() != principal.currency:
        raise InvalidRequest(
            f"Invalid value for {param}: reports are in the account's currency "
            f"({principal.currency}); conversion is not supported.",
            param=param,
        )
    return principal.currency


def _summary(tally: Tally, cents: int, currency: str) -> dict[str, Any]:
    spend = tally.spend_micros
    return {
        "impressions": tally.impressions,
        "clicks": tally.clicks,
        "reach": tally.reach,
        "spend": cents_to_dollars(cents),
        "spend_currency": currency,
        "click_through_rate": tally.clicks / tally.impressions if tally.impressions else 0.0,
        "cost_per_click": ratio_to_dollars(spend, tally.clicks) if tally.clicks else 0.0,
        "cost_per_mille": (
            ratio_to_dollars(spend * 1000, tally.impressions) if tally.impressions else None
        ),
        "frequency": tally.impressions / tally.reach if tally.reach else None,
        # Adapters do not report platform ROAS nor B.8's result labels yet.
        "return_on_ad_spend": None,
        "result_count": None,
        "result_label_key": None,
        "result_label_override": None,
        "cost_per_result": None,
    }


def bucket_labels(
    starts: Sequence[datetime], zone: ZoneInfo, granularity: str
) -> list[tuple[str, str, int | None]]:
    """Each bucket's `bucket_start`, `stat_date` and `stat_hour` (made once per report)."""
    labels = []
    for start in starts:
        local = start.astimezone(zone)
        labels.append(
            (
                format_timestamp(start),
                format_timestamp(datetime.combine(local.date(), time(0), UTC)),
                local.hour if granularity == "hourly" else None,
            )
        )
    return labels


class BucketShape:
    """What a report's buckets have in common: their labels, granularity and currency, and
    the JSON text around each bucket's figures (made once per report)."""

    def __init__(
        self,
        labels: Sequence[tuple[str, str, int | None]],
        granularity: Literal["hourly", "daily", "weekly", "monthly"],
        currency: str,
    ) -> None:
        self.labels = labels
        self.granularity = granularity
        self.currency = currency
        self.hourly = granularity == "hourly"
        # The text of a bucket's dict (`Buckets.build_items`) as json.dumps writes it, up to
        # its impressions, and from its spend_currency on.
        self.heads = [
            f'{{"bucket_start":{dumps(start)},"stat_date":{dumps(stat_date)},'
            f'"stat_hour":{dumps(stat_hour)},"granularity":{dumps(granularity)},"impressions":'
            for start, stat_date, stat_hour in labels
        ]
        self.tail = (
            f',"spend_currency":{dumps(currency)},"result_count":null,'
            '"result_label_key":null,"result_label_override":null}'
        )


class Buckets(EncodedList):
    """One report's (or breakdown row's) buckets: their figures by column, written to JSON
    straight from the columns; each bucket's `spend` is its `cents` share, in dollars."""

    def __init__(self, shape: BucketShape, columns: Columns, cents: Sequence[int]) -> None:
        self.shape = shape
        self.columns = columns
        self.cents = cents

    def __len__(self) -> int:
        return len(self.shape.labels)

    def _reach(self) -> Sequence[int]:
        # Networks report reach per hour, not deduplicated within one: 0 hourly (B.8).
        return [0] * len(self) if self.shape.hourly else self.columns.reach

    def build_items(self) -> list[dict[str, Any]]:
        shape, columns = self.shape, self.columns
        return [
            {
                "bucket_start": start,
                "stat_date": stat_date,
                "stat_hour": stat_hour,
                "granularity": shape.granularity,
                "impressions": impressions,
                "clicks": clicks,
                "reach": reach,
                "spend": cents_to_dollars(share),
                "spend_currency": shape.currency,
                "result_count": None,
                "result_label_key": None,
                "result_label_override": None,
            }
            for (start, stat_date, stat_hour), impressions, clicks, reach, share in zip(
                shape.labels,
                columns.impressions,
                columns.clicks,
                self._reach(),
                self.cents,
                strict=True,
            )
        ]

    def encode(self) -> str:
        # json.dumps writes an int as int.__repr__ and a float as float.__repr__ (`!r`);
        # spend is cents_to_dollars(share), share / 100.
        tail = self.shape.tail
        columns = self.columns
        return (
            "["
            + ",".join(
                [
                    f'{head}{impressions},"clicks":{clicks},"reach":{reach},'
                    f'"spend":{share / 100!r}{tail}'
                    for head, impressions, clicks, reach, share in zip(
                        self.shape.heads,
                        columns.impressions,
                        columns.clicks,
                        self._reach(),
                        self.cents,
                        strict=True,
                    )
                ]
            )
            + "]"
        )


async def _names(session: AsyncSession, kind: Level, ids: Sequence[str]) -> dict[str, str | None]:
    model = _MODELS[kind]
    names: dict[str, str | None] = {}
    for offset in range(0, len(ids), 500):
        rows = await session.execute(
            select(model.id, model.title).where(model.id.in_(ids[offset : offset + 500]))
        )
        names.update({object_id: title for object_id, title in rows})
    return names


async def ad_report(
    session: AsyncSession, principal: Principal, request: ReportRequest
) -> dict[str, Any]:
    """The report of spec B.8 over [from, to] in the company's time zone."""
    scope = await report_scope(session, principal, request.scopes)
    currency = check_currency(principal, request.currency, "currency")
    zone = ZoneInfo(principal.timezone)
    window = parse_window(request.from_, request.to, principal.timezone)
    kind = BREAKDOWN_KINDS[request.breakdown] if request.breakdown else None
    granularity = request.granularity
    starts = bucket_starts(window, zone, granularity) if granularity else []
    # Buckets come per object from one statement: over the daily rollups when they follow
    # UTC days (the summaries are then their sums: the same rows), from the hours
    # otherwise. Summaries without those come from the rollups (`object_tallies`).
    objects: dict[str, Columns] = {}
    rows: dict[str, Tally]
    if granularity is None:
        rows = await object_tallies(session, scope, window, kind)
    else:
        from_days = granularity != "hourly" and buckets_follow_utc_days(window, starts)
        objects = await bucket_columns(
            session, scope, window, kind, starts, zone, granularity, from_days
        )
        if from_days:
            rows = {key: columns.tally() for key, columns in objects.items()}
        else:
            rows = await object_tallies(session, scope, window, kind)

    total = Tally()
    for tally in rows.values():
        total.add(tally)
    cents = round_cents(total.spend_micros)
    shape = None
    if granularity is not None:
        shape = BucketShape(bucket_labels(starts, zone, granularity), granularity, currency)

    def buckets_of(columns: Columns, share: int) -> Buckets | None:
        if shape is None:
            return None
        return Buckets(shape, columns, allocate_cents(columns.spend_micros, share))

    breakdown: list[dict[str, Any]] | None = None
    if request.breakdown is not None and kind is not None:
        ids = sorted(rows, key=lambda object_id: (-rows[object_id].spend_micros, object_id))
        shares = allocate_cents([rows[object_id].spend_micros for object_id in ids], cents)
        names = await _names(session, kind, ids)
        count = len(starts)
        breakdown = [
            {
                "id": object_id,
                "level": request.breakdown,
                "name": names.get(object_id),
                "summary": _summary(rows[object_id], share, currency),
                "granularity": buckets_of(objects.get(object_id) or Columns.zeros(count), share),
            }
            for object_id, share in zip(ids, shares, strict=True)
        ]
    return {
        "summary": _summary(total, cents, currency),
        "granularity": buckets_of(Columns.combined(objects.values(), len(starts)), cents),
        "breakdown": breakdown,
    }


# --- GET /stats/time_series ------------------------------------------------------------

INTERVALS: dict[str, Calendar] = {
    "hour": "hourly",
    "day": "daily",
    "week": "weekly",
    "month": "monthly",
    "year": "yearly",
}
SUB_HOUR_INTERVALS = frozenset({"minute", "five_minutes", "thirty_minutes"})
SCOPE_PROPERTIES = ["ad_campaign_ids", "ad_group_ids", "ad_ids"]
METRICS: list[dict[str, Any]] = [
    {
        "key": "ad_spend",
        "name": "Ad spend",
        "description": "Amount charged for your ads, in the account's ads reporting currency.",
        "unit": "currency",
        "properties": SCOPE_PROPERTIES,
    },
    {
        "key": "ad_delivery",
        "name": "Ad delivery",
        "description": "Impressions your ads delivered.",
        "unit": "count",
        "properties": SCOPE_PROPERTIES,
    },
]


@dataclass(frozen=True)
class SeriesRequest:
    metric: str
    from_: str | None
    to: str | None
    interval: str | None = None
    time_zone: str | None = None
    account_id: str | None = None
    ad_campaign_ids: list[str] | None = None
    ad_group_ids: list[str] | None = None
    ad_ids: list[str] | None = None
    convert_to: str | None = None
    breakdown_by: str | None = None


async def time_series(
    session: AsyncSession, principal: Principal, request: SeriesRequest
) -> dict[str, Any]:
    """`{data: {currency?, points, totals}}`: one point per interval, totals = their sum."""
    if request.metric not in ("ad_spend", "ad_delivery"):
        raise NotFound(
            f"No such metric: {request.metric}. Adline serves ad_spend and ad_delivery.",
            param="metric",
        )
    interval = request.interval or "day"
    if interval in SUB_HOUR_INTERVALS:
        raise InvalidRequest(
            f"Invalid value for interval: {interval} is finer than the stats, which networks "
            "report per hour; use hour, day, week, month or year.",
            param="interval",
        )
    if interval not in INTERVALS:
        raise InvalidRequest(f"Invalid value for interval: {interval!r}.", param="interval")
    if request.breakdown_by is not None:
        raise InvalidRequest(
            "Invalid value for breakdown_by: the ads metrics cannot be broken down.",
            param="breakdown_by",
        )
    currency = check_currency(principal, request.convert_to, "convert_to")
    if request.account_id is not None:
        check_account(principal, request.account_id, "account_id")
    filters = []
    for param, kind in _ARRAY_KINDS.items():
        ids = getattr(request, param)
        if ids:
            filters.append((kind, await check_ids(session, principal, kind, ids, param)))
    zone_name = request.time_zone or "UTC"
    window = parse_window(request.from_, request.to, zone_name)
    zone = ZoneInfo(window.time_zone)
    calendar = INTERVALS[interval]
    starts = bucket_starts(window, zone, calendar)
    # Days from the daily rollups when the points follow UTC days, hours otherwise.
    from_days = calendar != "hourly" and buckets_follow_utc_days(window, starts)
    objects = await bucket_columns(
        session,
        Scope(principal.company_id, tuple(filters)),
        window,
        None,
        starts,
        zone,
        calendar,
        from_days,
    )
    columns = Columns.combined(objects.values(), len(starts))

    values: list[float]
    data: dict[str, Any] = {}
    if request.metric == "ad_spend":
        cents = round_cents(sum(columns.spend_micros))
        shares = allocate_cents(columns.spend_micros, cents)
        values = [cents_to_dollars(share) for share in shares]
        total: float = cents_to_dollars(cents)
        data["currency"] = currency
    else:
        values = [float(impressions) for impressions in columns.impressions]
        total = float(sum(columns.impressions))
    data["points"] = [
        {"timestamp": int(start.timestamp()), "value": value}
        for start, value in zip(starts, values, strict=True)
    ]
    data["totals"] = [{"name": request.metric, "value": total}]
    return {"data": data}


# --- GET /stats/reports --------------------------------------------------------------------

# The reports Adline serves, described as whop-sdk 2.6.0's report catalog describes them:
# the aggregates that are not bucketed over time. Adline's one such report is
# `GET /ad_reports` (without `granularity`); Whop's own reports (platform trends) are
# marketplace data an ads server does not have, so they are not listed.
REPORT_BREAKDOWNS = list(BREAKDOWN_KINDS)


def _property(key: str, name: str) -> dict[str, Any]:
    # `open`: a breakdown lists the objects with stats in the window, not every object.
    return {
        "key": key,
        "name": name,
        "type": "property",
        "available_on": REPORT_BREAKDOWNS,
        "set": "open",
        "unit": None,
        "aggregate": None,
        "weight": None,
        "default": None,
        "breakdowns": None,
        "windows": None,
    }


def _metric(
    key: str, name: str, unit: str, aggregate: str, weight: str | None = None
) -> dict[str, Any]:
    # Every metric comes with every row (`/ad_reports` has no `columns` to choose from),
    # under every breakdown, for any window.
    return {
        "key": key,
        "name": name,
        "type": "metric",
        "available_on": None,
        "set": None,
        "unit": unit,
        "aggregate": aggregate,
        "weight": weight,
        "default": True,
        "breakdowns": None,
        "windows": None,
    }


REPORTS: list[dict[str, Any]] = [
    {
        "key": "ad_reports",
        "path": "/ad_reports",
        "description": (
            "Delivery of your ads over a window: impressions, clicks, reach and spend, for the "
            "whole account or a scope of campaigns, ad groups or ads, optionally one row per "
            "campaign, ad group or ad (breakdown)."
        ),
        "window_kind": "range",
        "window_field": "hour_start",
        "breakdowns": REPORT_BREAKDOWNS,
        "columns": [
            _property("id", "ID"),
            _property("name", "Name"),
            _metric("impressions", "Impressions", "count", "sum"),
            _metric("clicks", "Clicks", "count", "sum"),
            # The largest figure a network reported for one ad and hour: people recur, so
            # rows' reach does not add up to the total's.
            _metric("reach", "Reach", "count", "none"),
            _metric("spend", "Spend", "money", "sum"),
            # Ratios of sums: the rows' ratios weighted by their denominators give the total.
            _metric("click_through_rate", "Click-through rate", "rate", "average", "impressions"),
            _metric("cost_per_click", "Cost per click", "money", "average", "clicks"),
            _metric("cost_per_mille", "Cost per mille", "money", "average", "impressions"),
            _metric("frequency", "Frequency", "count", "none"),
            # Null until adapters report platform ROAS and result labels (docs/reports.md).
            _metric("return_on_ad_spend", "Return on ad spend", "count", "none"),
            _metric("result_count", "Results", "count", "sum"),
            _metric("cost_per_result", "Cost per result", "money", "none"),
        ],
    }
]
