"""Recording conversion events and ad clicks, attributing events to ads, and summing the
attributed events for the metrics. See docs/conversions.md.

An event is attributed when it is recorded: the click ids in its context (`fbclid`,
`ttclid`, `gclid`) are looked up among the company's recorded clicks, and a click counts
when it came within `ATTRIBUTION_WINDOW` before `event_time`. Of the matching clicks,
the latest one's ad is the last-touch ad and the earliest one's the first-touch ad; both
are stored, and `StatsWindow.attribution_model` picks which one the metrics count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from adline.ads.models import Ad
from adline.auth.service import Principal
from adline.conversions.models import AdClick, ConversionEvent
from adline.conversions.rates import usd_per_unit
from adline.conversions.schemas import EventCreate, EventFields
from adline.core.clock import Clock
from adline.core.errors import AdlineError, InvalidRequest, NotFound, ParameterMissing
from adline.core.http import validate_body
from adline.core.ids import new_id
from adline.core.money import INT64_MAX, MICROS_PER_UNIT
from adline.stats import rollups

# A click attributes events up to 7 days after it (spec I: the default window).
ATTRIBUTION_WINDOW = timedelta(days=7)
# Events older than this are refused: far past any attribution window.
MAX_EVENT_AGE = timedelta(days=90)
# A client's clock may run a little ahead of Adline's.
CLOCK_SKEW = timedelta(minutes=5)
CLICK_ID_KEYS = ("fbclid", "ttclid", "gclid")


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _insert(session: AsyncSession, table: type[Any]) -> Any:
    return (postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert)(table)


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


# --- events ---------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Touches:
    last: tuple[str, str, str] | None = None
    first: tuple[str, str, str] | None = None


async def attribute(
    session: AsyncSession, company_id: str, click_ids: Sequence[str], event_time: datetime
) -> Touches:
    """The (ad, group, campaign) of the latest and of the earliest of the company's clicks
    named by `click_ids` within the window before `event_time` (ties: by click row id)."""
    if not click_ids:
        return Touches()
    rows = (
        await session.execute(
            select(AdClick.ad_id, AdClick.ad_group_id, AdClick.ad_campaign_id)
            .where(
                AdClick.company_id == company_id,
                AdClick.click_id.in_(sorted(set(click_ids))),
                AdClick.clicked_at <= event_time,
                AdClick.clicked_at >= event_time - ATTRIBUTION_WINDOW,
            )
            .order_by(AdClick.clicked_at, AdClick.id)
        )
    ).all()
    if not rows:
        return Touches()
    first, last = rows[0], rows[-1]
    return Touches(last=(last[0], last[1], last[2]), first=(first[0], first[1], first[2]))


async def _existing_event(session: AsyncSession, company_id: str, event_id: str) -> str | None:
    return await session.scalar(
        select(ConversionEvent.id).where(
            ConversionEvent.company_id == company_id, ConversionEvent.event_id == event_id
        )
    )


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
    if company_id != principal.company_id:
        raise NotFound(f"No company with id {company_id!r}.", param=company_param)
    now = clock.now()
    event_time = _check(body, now)
    value_micros = value_in_usd_micros(body.value, body.currency)
    event_row_id = new_id("evt")
    event_id = body.event_id or event_row_id
    if body.event_id is not None:
        existing = await _existing_event(session, company_id, event_id)
        if existing is not None:
            return existing
    context = body.context
    click_ids = [
        value
        for key in CLICK_ID_KEYS
        if context is not None and (value := getattr(context, key)) is not None and value.strip()
    ]
    touches = await attribute(session, company_id, click_ids, event_time)
    details = body.model_dump(
        exclude_none=True,
        exclude={
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
        },
    )
    last = touches.last or (None, None, None)
    first = touches.first or (None, None, None)
    insert = _insert(session, ConversionEvent)
    statement = (
        insert.values(
            id=event_row_id,
            company_id=company_id,
            event_id=event_id,
            event_name=body.event_name,
            custom_name=body.custom_name,
            action_source=body.action_source,
            event_time=event_time,
            value=None if body.value is None else str(Decimal(str(body.value))),
            currency=None if body.currency is None else body.currency.lower(),
            value_micros=value_micros,
            url=body.url,
            details=details,
            last_touch_ad_id=last[0],
            last_touch_ad_group_id=last[1],
            last_touch_ad_campaign_id=last[2],
            first_touch_ad_id=first[0],
            first_touch_ad_group_id=first[1],
            first_touch_ad_campaign_id=first[2],
            created_at=now,
        )
        .on_conflict_do_nothing(
            index_elements=[ConversionEvent.company_id, ConversionEvent.event_id]
        )
        .returning(ConversionEvent.id)
    )
    inserted = (await session.execute(statement)).scalar_one_or_none()
    if inserted is not None:
        await rollups.add_attributed_events(
            session,
            [
                rollups.AttributedEvent(
                    event_time=event_time,
                    event_name=body.event_name,
                    custom_name=body.custom_name,
                    value_micros=value_micros,
                    touches={"last_touch": touches.last, "first_touch": touches.first},
                )
            ],
        )
        return str(inserted)
    # A concurrent request recorded the same event_id first.
    existing = await _existing_event(session, company_id, event_id)
    assert existing is not None
    return existing


async def record_batch(
    session: AsyncSession, clock: Clock, principal: Principal, items: Sequence[Any]
) -> list[dict[str, Any]]:
    """Record each item as `POST /events` would; answer `{"id"}` or `{"error"}` per item, in
    order. A bad item fails alone (its error's param is prefixed `events[i]`)."""
    results: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        prefix = f"events[{index}]"
        try:
            if not isinstance(item, dict):
                raise InvalidRequest("Each event must be a JSON object.")
            body = validate_body(EventCreate, item)
            event_id = await record_event(
                session, clock, principal, body.account_id, body, company_param="account_id"
            )
        except AdlineError as error:
            error.param = f"{prefix}.{error.param}" if error.param else prefix
            results.append(error.body())
            continue
        results.append({"id": event_id})
    return results
