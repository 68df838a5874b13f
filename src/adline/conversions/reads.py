"""Reading recorded events back: `GET /events` (a person's journey, or an account's events
in a time range) and `POST /events/validate_pixel` (is the account, or one page, sending
events?). Both answer from `conversion_events` alone, the caller's company only. See
docs/conversions.md#reading-events and docs/pixels.md#validate_pixel.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from adline.ad_groups.models import AdGroup
from adline.ads.models import Ad
from adline.auth.service import Principal, ensure_own_account
from adline.campaigns.models import AdCampaign
from adline.conversions.models import ConversionEvent
from adline.core.clock import Clock
from adline.core.errors import InvalidRequest, ParameterMissing
from adline.core.ids import BASE62, RANDOM_PART_LENGTH
from adline.core.listing import parse_optional_timestamp
from adline.core.money import MICROS_PER_UNIT
from adline.core.pagination import Direction, Page, PageRequest, paginate
from adline.core.timestamps import format_timestamp

PERSON_PREFIX = "prsn"
# The identity fields a person is known by, strongest first: (where in `details`, kind).
# The first one an event carries names its person (docs/conversions.md#people).
IDENTITY_PATHS: tuple[tuple[tuple[str, str], str], ...] = (
    (("user", "user_id"), "user"),
    (("user", "email"), "email"),
    (("user", "phone"), "phone"),
    (("user", "external_id"), "external"),
    (("user", "anonymous_id"), "anonymous"),
    (("context", "fbp"), "fbp"),
    (("context", "ga"), "ga"),
    (("context", "ttp"), "ttp"),
)
CLICK_ID_PARAMS = ("fbclid", "ttclid", "gclid")
# Filters the client offers that need what Adline does not record (parsed user agents,
# split page URLs): refused by name rather than ignored.
UNSUPPORTED_FILTERS = ("device", "browser", "os", "hostname", "page")
# At most this many values in one comma-separated filter.
MAX_FILTER_VALUES = 100


@dataclass(frozen=True)
class EventFilters:
    identifier: str | None = None
    from_: str | None = None
    to: str | None = None
    event: str | None = None
    source: str | None = None
    attribution_model: str = "last_touch"
    country: str | None = None
    city: str | None = None
    utm_source: str | None = None
    unsupported: tuple[tuple[str, str | None], ...] = ()


def _detail(*path: str) -> ColumnElement[str]:
    value: ColumnElement[str] = ConversionEvent.details[path].as_string()
    return value


def _values(raw: str, param: str) -> list[str]:
    values = [value.strip() for value in raw.split(",") if value.strip()]
    if not values or len(values) > MAX_FILTER_VALUES:
        raise InvalidRequest(
            f"Invalid value for {param}: 1 to {MAX_FILTER_VALUES} comma-separated values.",
            param=param,
        )
    return values


def _event_condition(raw: str) -> ColumnElement[bool]:
    """`pixel.<event_name>`, `pixel.custom:<name>`; `payment.completed` is a purchase."""
    conditions = []
    for name in _values(raw, "event"):
        if name == "payment.completed":
            conditions.append(ConversionEvent.event_name == "purchase")
        elif name.startswith("pixel.custom:") and len(name) > len("pixel.custom:"):
            custom = name.removeprefix("pixel.custom:")
            conditions.append(
                and_(ConversionEvent.event_name == "custom", ConversionEvent.custom_name == custom)
            )
        elif name.startswith("pixel.") and name != "pixel.custom" and len(name) > len("pixel."):
            conditions.append(ConversionEvent.event_name == name.removeprefix("pixel."))
        else:
            raise InvalidRequest(
                f"Invalid value for event: {name!r} is not an event name; use "
                "payment.completed, pixel.<event_name> or pixel.custom:<name>.",
                param="event",
            )
    return or_(*conditions)


def _source_condition(raw: str, model: str) -> ColumnElement[bool]:
    """`whop:<campaign>[:<ad group>[:<ad>]]`, exact or ending `:*`; `unknown`: events no ad
    click is credited with under `model`."""
    prefix = "last_touch" if model == "last_touch" else "first_touch"
    campaign: InstrumentedAttribute[str | None] = getattr(
        ConversionEvent, f"{prefix}_ad_campaign_id"
    )
    group: InstrumentedAttribute[str | None] = getattr(ConversionEvent, f"{prefix}_ad_group_id")
    ad: InstrumentedAttribute[str | None] = getattr(ConversionEvent, f"{prefix}_ad_id")
    if raw == "unknown":
        return campaign.is_(None)
    parts = raw.split(":")
    wildcard = parts[-1] == "*"
    if wildcard:
        parts = parts[:-1]
    # Exact: the whole path (campaign, ad group, ad); with :* any prefix of it.
    lengths = range(2, 5) if wildcard else range(4, 5)
    if parts[0] != "whop" or len(parts) not in lengths or not all(parts[1:]):
        raise InvalidRequest(
            "Invalid value for source: use whop:<campaign>:<ad group>:<ad>, a prefix of it "
            "ending :* (whop:<campaign>:*), or unknown. Adline credits only its own ads' "
            "clicks, so ext:, referrer: and direct sources name nothing here.",
            param="source",
        )
    columns = (campaign, group, ad)
    condition: ColumnElement[bool] = and_(
        *(column == value for column, value in zip(columns, parts[1:], strict=False))
    )
    return condition


def _identifier_condition(identifier: str) -> ColumnElement[bool]:
    if identifier.startswith(f"{PERSON_PREFIX}_"):
        raise InvalidRequest(
            "Invalid value for identifier: Adline derives person ids and cannot look one up; "
            "pass the user id, email, phone, anonymous id or cookie value instead.",
            param="identifier",
        )
    conditions = []
    for path, kind in IDENTITY_PATHS:
        value = _detail(*path)
        if kind == "email":
            conditions.append(func.lower(value) == identifier.strip().lower())
        else:
            conditions.append(value == identifier)
    return or_(*conditions)


async def list_events(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    *,
    account_id: str | None,
    filters: EventFilters,
    page: PageRequest,
    direction: Direction,
) -> Page[ConversionEvent]:
    owner = ensure_own_account(principal, account_id, "account_id")
    for name, value in filters.unsupported:
        if value is not None:
            raise InvalidRequest(
                f"Invalid value for {name}: Adline does not record {name}s of events, so it "
                "cannot filter by one.",
                param=name,
            )
    start = parse_optional_timestamp(filters.from_, "from")
    end = parse_optional_timestamp(filters.to, "to")
    if filters.identifier is None:
        if start is None:
            raise ParameterMissing("from is required when identifier is omitted.", param="from")
        if end is None:
            raise ParameterMissing("to is required when identifier is omitted.", param="to")
    end = end if end is not None else clock.now()
    if start is not None and start > end:
        raise InvalidRequest("Invalid value for to: must not be before from.", param="to")
    statement: Select[Any] = select(ConversionEvent).where(
        ConversionEvent.company_id == owner, ConversionEvent.event_time <= end
    )
    if start is not None:
        statement = statement.where(ConversionEvent.event_time >= start)
    if filters.identifier is not None:
        statement = statement.where(_identifier_condition(filters.identifier))
    if filters.event is not None:
        statement = statement.where(_event_condition(filters.event))
    if filters.source is not None:
        statement = statement.where(_source_condition(filters.source, filters.attribution_model))
    if filters.country is not None:
        countries = [value.upper() for value in _values(filters.country, "country")]
        statement = statement.where(func.upper(_detail("user", "country")).in_(countries))
    if filters.city is not None:
        statement = statement.where(_detail("user", "city").in_(_values(filters.city, "city")))
    if filters.utm_source is not None:
        values = _values(filters.utm_source, "utm_source")
        statement = statement.where(_detail("context", "utm_source").in_(values))
    return await paginate(
        session,
        statement,
        model=ConversionEvent,
        order="event_time",
        direction=direction,
        page=page,
    )


def person_id(event: ConversionEvent) -> str:
    """The event's person: derived from the strongest identity it carries (the same value
    always names the same person within a company), else a person of this event alone."""
    identity = f"event:{event.id}"
    for (section, key), kind in IDENTITY_PATHS:
        value = (event.details.get(section) or {}).get(key)
        if isinstance(value, str) and value.strip():
            identity = f"{kind}:{value.strip().lower() if kind == 'email' else value}"
            break
    digest = int.from_bytes(hashlib.sha256(f"{event.company_id}|{identity}".encode()).digest())
    characters = []
    for _ in range(RANDOM_PART_LENGTH):
        digest, digit = divmod(digest, 62)
        characters.append(BASE62[digit])
    return f"{PERSON_PREFIX}_{''.join(characters)}"


async def event_objects(
    session: AsyncSession, events: Sequence[ConversionEvent], attribution_model: str
) -> list[dict[str, Any]]:
    """The API shape of each event, its credited ad, group and campaign hydrated (one query
    each for the page; they are the event's own company's, as attribution only ever
    credits the company's own clicks)."""
    prefix = "last_touch" if attribution_model == "last_touch" else "first_touch"
    credited = [
        (
            getattr(event, f"{prefix}_ad_campaign_id"),
            getattr(event, f"{prefix}_ad_group_id"),
            getattr(event, f"{prefix}_ad_id"),
        )
        for event in events
    ]
    campaigns = await _titles(session, AdCampaign, {c for c, _, _ in credited if c}, True)
    groups = await _titles(session, AdGroup, {g for _, g, _ in credited if g}, False)
    ads = await _titles(session, Ad, {a for _, _, a in credited if a}, False)
    objects = []
    for event, (campaign_id, group_id, ad_id) in zip(events, credited, strict=True):
        details = event.details
        context_in: dict[str, Any] = details.get("context") or {}
        user_in: dict[str, Any] = details.get("user") or {}
        click_param = next((name for name in CLICK_ID_PARAMS if context_in.get(name)), None)
        related: dict[str, Any] = {}
        if campaign_id in campaigns:
            title, platform = campaigns[campaign_id]
            related["ad_campaign"] = {"id": campaign_id, "platform": platform, "title": title}
        if group_id in groups:
            related["ad_group"] = {"id": group_id, "title": groups[group_id][0]}
        if ad_id in ads:
            related["ad"] = {"id": ad_id, "title": ads[ad_id][0], "thumbnail_url": None}
        source_type = None
        if campaign_id is not None:
            source_type = "ad_click"
        elif details.get("referrer_url"):
            source_type = "referrer"
        value = None if event.value is None else float(event.value)
        objects.append(
            {
                "id": event.id,
                "event_id": event.event_id,
                "event_name": event.event_name,
                "custom_name": event.custom_name,
                "event_time": format_timestamp(event.event_time),
                "person_id": person_id(event),
                "context": {
                    "ad_campaign_id": campaign_id,
                    "ad_set_id": group_id,
                    "ad_id": ad_id,
                    "ad_click_id": context_in.get(click_param)
                    if campaign_id and click_param
                    else None,
                    "ad_click_type": click_param if campaign_id else None,
                    "source_type": source_type,
                    **{
                        name: context_in.get(name)
                        for name in (
                            "utm_campaign",
                            "utm_content",
                            "utm_medium",
                            "utm_source",
                            "utm_term",
                        )
                    },
                },
                "user": {
                    name: user_in.get(name)
                    for name in (
                        "city",
                        "country",
                        "email",
                        "first_name",
                        "last_name",
                        "name",
                        "phone",
                    )
                },
                "currency": event.currency,
                "value": value,
                "total_usd_amount": event.value_micros / MICROS_PER_UNIT,
                "url": event.url,
                "path": _path(event.url),
                "referrer_url": details.get("referrer_url"),
                "questions": None,
                "related": related or None,
            }
        )
    return objects


async def _titles(
    session: AsyncSession,
    model: type[AdCampaign] | type[AdGroup] | type[Ad],
    ids: set[str],
    with_platform: bool,
) -> dict[str, tuple[str | None, str | None]]:
    if not ids:
        return {}
    platform = model.platform if with_platform else model.id
    rows = await session.execute(
        select(model.id, model.title, platform).where(model.id.in_(sorted(ids)))
    )
    return {row_id: (title, value if with_platform else None) for row_id, title, value in rows}


def _path(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlsplit(url).path or "/"
    except ValueError:
        return None


# --- validate_pixel ------------------------------------------------------------------------

# An account (or page) counts as installed when it sent an event this recently.
INSTALLED_WITHIN = timedelta(days=7)
# `last_seen_days` looks this far back; `last_fired_days` as far as events are kept
# (events older than 90 days are refused when sent, docs/conversions.md#fields).
SEEN_WINDOW = timedelta(days=30)
FIRED_WINDOW = timedelta(days=90)


def normalized_url(url: str) -> str | None:
    """Scheme and host lowercased, default port, query and fragment dropped, no trailing
    slash but the root's: what a page is, for matching events to it. None: not an http(s)
    URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if port is not None and port != (443 if scheme == "https" else 80):
        host = f"{host}:{port}"
    path = parts.path.rstrip("/") or "/"
    return f"{scheme}://{host}{path}"


def _event_label(event_name: str, custom_name: str | None) -> str:
    return custom_name if event_name == "custom" and custom_name else event_name


async def validate_pixel(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    *,
    account_id: str | None,
    url: str | None,
) -> dict[str, Any]:
    """Whether the account, or the page at `url`, has sent events recently. Adline never
    fetches the page (a self-hosted server reaching arbitrary URLs is a risk without a
    benefit here): events settle the answer, or `reachable` stays null."""
    owner = ensure_own_account(principal, account_id, "account_id")
    page = None
    if url is not None:
        page = normalized_url(url)
        if page is None:
            raise InvalidRequest("Invalid value for url: must be an http(s) URL.", param="url")
    now = clock.now()
    rows = await session.execute(
        select(
            ConversionEvent.url,
            ConversionEvent.event_name,
            ConversionEvent.custom_name,
            func.max(ConversionEvent.event_time),
        )
        .where(
            ConversionEvent.company_id == owner,
            ConversionEvent.event_time >= now - FIRED_WINDOW,
            ConversionEvent.event_time <= now,
        )
        .group_by(ConversionEvent.url, ConversionEvent.event_name, ConversionEvent.custom_name)
    )
    host_last: dict[str, datetime] = {}
    page_last: dict[str, datetime] = {}
    for event_url, event_name, custom_name, last in rows:
        label = _event_label(event_name, custom_name)
        host_last[label] = max(last, host_last.get(label, last))
        if page is not None and event_url and normalized_url(event_url) == page:
            page_last[label] = max(last, page_last.get(label, last))
    scope = page_last if page is not None else host_last
    latest = max(scope.values(), default=None)
    installed = latest is not None and now - latest <= INSTALLED_WITHIN
    seen = latest is not None and now - latest <= SEEN_WINDOW
    return {
        "installed": installed,
        "last_seen_days": (now - latest).days if seen and latest is not None else None,
        "last_fired_days": {label: (now - last).days for label, last in sorted(scope.items())},
        "host_events": sorted(
            label for label, last in host_last.items() if now - last <= SEEN_WINDOW
        ),
        "page_events": sorted(
            label for label, last in page_last.items() if now - last <= SEEN_WINDOW
        ),
        "firing_data_ok": True,
        "native_tracking": False,
        "affiliate_tracking_detected": False,
        "reachable": (True if page_last else None) if page is not None else None,
        "url": page,
    }
