"""Ordering lists by a stat over the stats window, across the whole list (spec A.2 `order`).

The list statement is outer-joined to a subquery of per-object aggregates over the window;
the sort key is computed from it in SQL and pages walk (sort key, id) by keyset. Objects
without stats count zero; ratios whose denominator is zero (or that are undefined, like
`results` of an object that optimizes nothing) sort last in either direction.

Later pages rank as of the first one: the first page's instant travels in the cursor, and
only rows stored by then count, so hours reported between two pages move nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, TypeVar, get_args

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    Select,
    String,
    Subquery,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from adline.ad_groups.models import AdGroup
from adline.ads.models import Ad
from adline.campaigns.models import AdCampaign
from adline.core.pagination import (
    Direction,
    Page,
    PageRequest,
    SortKey,
    cursor_snapshot,
    paginate,
)
from adline.metrics.formulas import RESULT_EVENT_OF_CONVERSION, UNATTRIBUTED_CONVERSIONS
from adline.metrics.window import StatsWindow
from adline.stats.models import AdStatHour
from adline.stats.rollups import LEVEL_COLUMNS, Level
from adline.stats.service import counter_aggregates, window_conditions

T = TypeVar("T")

ListOrder = Literal[
    "created_at",
    "updated_at",
    "spend",
    "impressions",
    "reach",
    "clicks",
    "link_clicks",
    "unique_clicks",
    "frequency",
    "click_through_rate",
    "results",
    "cost_per_mille",
    "cost_per_click",
    "cost_per_result",
    "return_on_ad_spend",
]
TIMESTAMP_ORDERS = frozenset({"created_at", "updated_at"})
STAT_ORDERS = frozenset(get_args(ListOrder)) - TIMESTAMP_ORDERS

# Undefined values sort after every defined one: stats are never negative, and no ratio
# of int64 micro-units comes near 1e300.
LAST_WHEN_DESCENDING = -1.0
LAST_WHEN_ASCENDING = 1e300


def _json_number(column: Any, key: str) -> ColumnElement[int]:
    """A JSON object column's integer under a fixed key (NULL when absent)."""
    return cast(column[key].as_string(), BigInteger)


def _json_number_at(column: Any, key: ColumnElement[str], dialect: str) -> ColumnElement[int]:
    """A JSON object column's integer under a key read from another column."""
    if dialect == "postgresql":
        return cast(column.op("->>", return_type=String)(key), BigInteger)
    entries = func.json_each(column).table_valued("key", "value")
    return cast(
        select(entries.c.value).select_from(entries).where(entries.c.key == key).scalar_subquery(),
        BigInteger,
    )


def goal_is_attributable(group: Any) -> ColumnElement[bool]:
    """SQL for "`ad_group_goal` of this group has a result event" (metrics.formulas)."""
    event = group.conversion_event
    return or_(
        and_(event.is_not(None), event.not_in(sorted(UNATTRIBUTED_CONVERSIONS))),
        group.optimization_goal.in_(["conversations", "lead_generation", "quality_lead"]),
        group.conversion_location == "messaging",
    )


def _row_results(group: Any, dialect: str) -> ColumnElement[int | None]:
    """The results one stats row holds for its ad group's goal, as `ad_group_goal` and
    `result_count` decide them (NULL: the group optimizes nothing attributable)."""
    event = group.conversion_event

    def count(name: str) -> ColumnElement[int]:
        return func.coalesce(_json_number(AdStatHour.event_counts, name), 0)

    return case(
        *(
            (event == conversion, count(result))
            for conversion, result in RESULT_EVENT_OF_CONVERSION.items()
        ),
        (
            and_(event.is_not(None), event.not_in(sorted(UNATTRIBUTED_CONVERSIONS))),
            func.coalesce(_json_number_at(AdStatHour.custom_event_counts, event, dialect), 0),
        ),
        (
            or_(
                group.optimization_goal == "conversations", group.conversion_location == "messaging"
            ),
            count("messaging_conversation"),
        ),
        (group.optimization_goal.in_(["lead_generation", "quality_lead"]), count("lead")),
        else_=None,
    )


def _ranking(
    level: Level,
    company_id: str,
    window: StatsWindow,
    snapshot: datetime,
    *,
    results_dialect: str | None,
) -> Subquery:
    """Per-object aggregates of the company's rows in the window, as stored at `snapshot`;
    with `results` too when `results_dialect` names the store's dialect."""
    level_column = LEVEL_COLUMNS[level]
    counters = counter_aggregates()
    purchase_value = _json_number(AdStatHour.event_value_micros, "purchase")
    columns: list[Any] = [
        level_column.label("object_id"),
        *(counters[name].label(name) for name in counters),
        cast(func.sum(func.coalesce(purchase_value, 0)), BigInteger).label("purchase_value"),
    ]
    if results_dialect is not None:
        group = aliased(AdGroup)
        results = _row_results(group, results_dialect)
        if level == "ad_campaign":
            # A campaign's results are its live groups' (as the campaign read shows them).
            results = case((group.deleted_at.is_(None), results), else_=None)
        columns.append(cast(func.sum(results), BigInteger).label("results"))
        statement = (
            select(*columns).select_from(AdStatHour).join(group, group.id == AdStatHour.ad_group_id)
        )
    else:
        statement = select(*columns)
    return (
        statement.where(
            AdStatHour.company_id == company_id,
            AdStatHour.reported_at <= snapshot,
            *window_conditions(window),
        )
        .group_by(level_column)
        .subquery("ranking")
    )


def _optimizes(level: Level) -> ColumnElement[bool]:
    """Whether each listed object has a result event (then no stats means 0 results)."""
    if level == "ad_group":
        return goal_is_attributable(AdGroup)
    group = aliased(AdGroup)
    if level == "ad":
        return exists().where(group.id == Ad.ad_group_id, goal_is_attributable(group))
    return exists().where(
        group.ad_campaign_id == AdCampaign.id,
        group.deleted_at.is_(None),
        goal_is_attributable(group),
    )


def _ratio(numerator: ColumnElement[Any], denominator: ColumnElement[Any]) -> ColumnElement[Any]:
    # NULL when the denominator is zero or the object has no stats.
    return cast(numerator, Float) / func.nullif(denominator, 0)


def _sort_expression(
    order: str, direction: Direction, ranking: Subquery, level: Level
) -> ColumnElement[Any]:
    c = ranking.c
    last = LAST_WHEN_DESCENDING if direction == "desc" else LAST_WHEN_ASCENDING
    if order == "results":
        # Undefined (nothing attributable optimized) sorts last; optimized without stats: 0.
        results = case((_optimizes(level), func.coalesce(c.results, 0)), else_=None)
        return func.coalesce(cast(results, Float), literal(last, Float))
    ratios: dict[str, ColumnElement[Any]] = {
        "frequency": _ratio(c.impressions, c.reach),
        "click_through_rate": _ratio(c.clicks, c.impressions),
        "cost_per_mille": _ratio(c.spend_micros * 1000, c.impressions),
        "cost_per_click": _ratio(c.spend_micros, c.clicks),
        "return_on_ad_spend": _ratio(c.purchase_value, c.spend_micros),
    }
    if order == "cost_per_result":
        # NULL without results: nothing optimized, or no results yet (displayed as 0).
        ratios[order] = _ratio(c.spend_micros, c.results)
    if order in ratios:
        return func.coalesce(ratios[order], literal(last, Float))
    column = "spend_micros" if order == "spend" else order
    return func.coalesce(c[column], literal(0, BigInteger))


def stat_sorted(
    statement: Select[T],
    object_id: InstrumentedAttribute[str],
    *,
    level: Level,
    company_id: str,
    order: str,
    direction: Direction,
    window: StatsWindow,
    page: PageRequest,
    now: datetime,
    dialect: str,
) -> tuple[Select[T], SortKey]:
    """The list `statement` joined to its objects' stats, and the key to paginate it by."""
    tag = f"{order}:{direction}"
    snapshot = cursor_snapshot(page, tag) or now
    ranking = _ranking(
        level,
        company_id,
        window,
        snapshot,
        results_dialect=dialect if order in ("results", "cost_per_result") else None,
    )
    joined = statement.outerjoin(ranking, ranking.c.object_id == object_id)
    return joined, SortKey(tag, _sort_expression(order, direction, ranking, level), snapshot)


async def paginate_list(
    session: AsyncSession,
    statement: Select[T],
    *,
    model: type[T],
    level: Level,
    company_id: str,
    order: str,
    direction: Direction,
    page: PageRequest,
    window: StatsWindow,
    now: datetime,
) -> Page[T]:
    """One page of a campaign, ad group or ad list in any `order`: timestamps or stats."""
    if order not in STAT_ORDERS:
        return await paginate(
            session, statement, model=model, order=order, direction=direction, page=page
        )
    joined, sort = stat_sorted(
        statement,
        getattr(model, "id"),  # noqa: B009 - any model
        level=level,
        company_id=company_id,
        order=order,
        direction=direction,
        window=window,
        page=page,
        now=now,
        dialect=session.get_bind().dialect.name,
    )
    return await paginate(
        session, joined, model=model, order=order, direction=direction, page=page, sort=sort
    )
