"""Audience rules: create, list, update, delete and add people, and the checks ad groups
and reach estimates make of the audiences they name. Services only flush; the request owns
the transaction. Callable from tests without HTTP. See docs/audiences.md.

An audience is a customer list: people arrive through `add_people` as SHA-256 hashes of
their email or phone (never the raw values), deduplicated per audience. The simulated
network matches a fixed share of them (`adline.delivery.audience.person_matched`); the
matched count is the audience's size, which estimate_reach and delivery read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from adline.audiences import repository
from adline.audiences.models import Audience
from adline.audiences.schemas import AudienceCreate, AudiencePeopleAdd, AudienceUpdate, PersonIn
from adline.auth.service import Principal, ensure_own_account
from adline.core.clock import Clock
from adline.core.errors import Conflict, InvalidRequest, NotFound, ParameterMissing
from adline.core.ids import is_well_formed_id, new_id
from adline.core.pagination import Direction, Page, PageRequest, paginate
from adline.core.timestamps import format_timestamp
from adline.delivery.audience import person_matched
from adline.files import repository as files_repository

ID_PREFIX = "adaud"
MAX_NAME_LENGTH = 255
# People per add_people call: one request stays a bounded transaction.
MAX_PEOPLE_PER_REQUEST = 10_000
# Ad groups named in a 409's message.
NAMED_GROUPS = 5
# What a hashed identifier is: the lowercase hex SHA-256 of the normalized value.
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
# What raw identifiers look like, to say so rather than only "not a hash".
RAW_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
RAW_PHONE = re.compile(r"\+?[0-9][0-9 ().\-]{5,}")
IDENTIFIERS = ("email", "phone")


class AudienceInUse(Conflict):
    code = "audience_in_use"


# --- reading --------------------------------------------------------------------------------


async def get_audience(
    session: AsyncSession,
    company_id: str,
    audience_id: str,
    *,
    for_update: bool = False,
    param: str = "id",
) -> Audience:
    """The company's audience, or 404: the same answer for another company's and none."""
    audience = None
    if is_well_formed_id(audience_id):
        audience = await repository.find_audience(
            session, company_id, audience_id, for_update=for_update
        )
    if audience is None:
        raise NotFound(f"No audience with id {audience_id}.", param=param)
    return audience


async def list_audiences(
    session: AsyncSession,
    principal: Principal,
    *,
    account_id: str | None,
    audience_id: str | None,
    audience_type: str | None,
    source_type: str | None,
    page: PageRequest,
    direction: Direction = "desc",
) -> Page[Audience]:
    company_id = ensure_own_account(principal, account_id, "account_id")
    statement = repository.readable_audiences(company_id)
    if audience_id is not None:
        # An unseen id filters to nothing, as any filter that matches nothing.
        statement = statement.where(Audience.id == audience_id)
    if audience_type is not None:
        statement = statement.where(Audience.audience_type == audience_type)
    if source_type is not None:
        statement = statement.where(Audience.source_type == source_type)
    return await paginate(
        session, statement, model=Audience, order="created_at", direction=direction, page=page
    )


def audience_object(audience: Audience) -> dict[str, Any]:
    """The newest shape (whop-sdk 2.6.0's `Audience`)."""
    total, matched = audience.total_rows, audience.matched_rows
    if total:
        share = 100 * matched / total
        rate = {
            "platform": "meta",
            "status": "available",
            "lower_bound": float(math.floor(share)),
            "upper_bound": float(math.ceil(share)),
        }
    else:
        rate = {
            "platform": "meta",
            "status": "unavailable",
            "lower_bound": None,
            "upper_bound": None,
        }
    return {
        "id": audience.id,
        "name": audience.name,
        "audience_type": audience.audience_type,
        "source_type": audience.source_type,
        "status": audience.status,
        "auto_refresh": audience.auto_refresh,
        "engagement": None,
        "filters": audience.filters,
        "error_message": audience.error_message,
        "lookalike_ratio": None,
        "lookalike_starting_ratio": None,
        "source_audience_id": None,
        "match_rates": [rate],
        # The simulated network keeps no audiences of its own: nothing to point at.
        "platform_audience_ids": [],
        "total_rows": float(total),
        "processed_rows": float(audience.processed_rows),
        "matched_rows": float(matched),
        # People are processed within the request that sends them.
        "progress_percent": 100.0,
        "last_refreshed_at": (
            None
            if audience.last_refreshed_at is None
            else format_timestamp(audience.last_refreshed_at)
        ),
        "created_at": format_timestamp(audience.created_at),
        "updated_at": format_timestamp(audience.updated_at),
    }


# --- writing --------------------------------------------------------------------------------


def _not_built(param: str, what: str) -> InvalidRequest:
    return InvalidRequest(
        f"Invalid value for {param}: Adline does not build {what}; create a customer list "
        "(source_type csv_upload) and send its hashed people to POST /audiences/{id}/add_people.",
        param=param,
    )


async def _refuse_file(session: AsyncSession, company_id: str, file_id: str) -> InvalidRequest:
    """The answer to a CSV file: 404 when the company has no such file; otherwise a 400,
    since Adline's files hold media only (docs/files.md), never a customer CSV."""
    file = (
        await files_repository.find_file(session, company_id, file_id)
        if is_well_formed_id(file_id)
        else None
    )
    if file is None:
        raise NotFound(f"No file with id {file_id}.", param="file_id")
    return InvalidRequest(
        f"Invalid value for file_id: {file_id} is a {file.content_type} file, not a customer "
        "CSV (Adline's files hold media only); send the people's hashed identifiers in "
        "people instead.",
        param="file_id",
    )


def _name(value: str | None) -> str | None:
    """A name without surrounding blanks; None for a blank one."""
    if value is None or not value.strip():
        return None
    name = value.strip()
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidRequest(
            f"Invalid value for name: at most {MAX_NAME_LENGTH} characters.", param="name"
        )
    return name


async def create_audience(
    session: AsyncSession, clock: Clock, principal: Principal, body: AudienceCreate
) -> Audience:
    company_id = ensure_own_account(principal, body.account_id, "account_id")
    # The objects a body names are looked up first: another company's are a 404 whatever
    # else the body says, as an id that never existed.
    if body.source_audience_id is not None:
        await get_audience(session, company_id, body.source_audience_id, param="source_audience_id")
    if body.file_id is not None:
        raise await _refuse_file(session, company_id, body.file_id)
    if body.audience_type == "lookalike":
        raise _not_built("audience_type", "lookalike audiences")
    for param in ("source_audience_id", "count", "percentage"):
        if getattr(body, param) is not None:
            raise InvalidRequest(
                f"Invalid value for {param}: only lookalike audiences take it.", param=param
            )
    if body.source_type == "engagement" or body.engagement is not None:
        raise _not_built(
            "engagement" if body.engagement is not None else "source_type",
            "engagement audiences (they need a connected social account)",
        )
    if body.source_type == "people_filter" or body.filters is not None:
        raise _not_built(
            "filters" if body.filters is not None else "source_type",
            "audiences from Whop People filters",
        )
    if body.column_mapping is not None:
        raise InvalidRequest(
            "Invalid value for column_mapping: it maps the columns of a CSV file, which Adline "
            "does not read; send hashed people to add_people instead.",
            param="column_mapping",
        )
    if body.auto_refresh:
        raise InvalidRequest(
            "Invalid value for auto_refresh: only audiences from People filters refresh; an "
            "uploaded list is always false.",
            param="auto_refresh",
        )
    name = _name(body.name)
    if name is None:
        raise ParameterMissing("Missing required parameter: name.", param="name")
    now = clock.now()
    audience = Audience(
        id=new_id(ID_PREFIX),
        company_id=company_id,
        name=name,
        audience_type="custom",
        source_type="csv_upload",
        status="ready",
        auto_refresh=False,
        column_mapping=None,
        filters=None,
        total_rows=0,
        processed_rows=0,
        matched_rows=0,
        error_message=None,
        last_refreshed_at=None,
        created_at=now,
        updated_at=now,
        deleted_at=None,
    )
    session.add(audience)
    await session.flush()
    return audience


async def update_audience(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    audience_id: str,
    body: AudienceUpdate,
) -> Audience:
    audience = await get_audience(session, principal.company_id, audience_id, for_update=True)
    if body.filters is not None:
        raise InvalidRequest(
            "Invalid value for filters: only an audience with source_type people_filter and "
            f"auto_refresh true accepts filters; {audience.id} is an uploaded list.",
            param="filters",
        )
    name = _name(body.name)
    if name is not None and name != audience.name:
        audience.name = name
        audience.updated_at = clock.now()
        await session.flush()
    return audience


async def delete_audience(
    session: AsyncSession, clock: Clock, principal: Principal, audience_id: str
) -> None:
    """Refused while a live ad group names the audience: removing it from their targeting
    would widen (an include) or turn towards (an exclude) people the advertiser chose."""
    audience = await get_audience(session, principal.company_id, audience_id, for_update=True)
    groups = await repository.groups_naming(session, audience.company_id, audience.id)
    if groups:
        named = ", ".join(groups[:NAMED_GROUPS]) + (
            " and others" if len(groups) > NAMED_GROUPS else ""
        )
        raise AudienceInUse(
            f"The audience is targeted by ad groups ({named}); remove it from their audiences "
            "first.",
            param="id",
        )
    now = clock.now()
    audience.deleted_at = now
    audience.updated_at = now
    await session.flush()


def _hashed(value: str, param: str, kind: str) -> str:
    """A lowercase hex SHA-256, or a 400 naming the item (and what it looks like)."""
    if SHA256_HEX.fullmatch(value):
        return value
    if kind == "email" and RAW_EMAIL.fullmatch(value.strip()):
        looks = "a raw email address"
    elif kind == "phone" and RAW_PHONE.fullmatch(value.strip()):
        looks = "a raw phone number"
    elif SHA256_HEX.fullmatch(value.lower()):
        looks = "an uppercase hash"
    else:
        looks = "no SHA-256 hash"
    raise InvalidRequest(
        f"Invalid value for {param}: it looks like {looks}; send the lowercase hex SHA-256 of "
        f"the normalized {kind} (64 characters), never the {kind} itself.",
        param=param,
    )


def _identifiers(people: Sequence[PersonIn]) -> list[str]:
    """One hash per person, in order, each checked: the email's, or the phone's for a
    person sent without an email (the person's key, docs/audiences.md#people)."""
    if not people:
        raise InvalidRequest("Invalid value for people: send at least one person.", param="people")
    if len(people) > MAX_PEOPLE_PER_REQUEST:
        raise InvalidRequest(
            f"Invalid value for people: at most {MAX_PEOPLE_PER_REQUEST} people per request.",
            param="people",
        )
    keys = []
    for index, person in enumerate(people):
        hashes = {
            kind: _hashed(value, f"people[{index}].{kind}", kind)
            for kind in IDENTIFIERS
            if (value := getattr(person, kind)) is not None
        }
        if not hashes:
            raise ParameterMissing(
                f"Missing required parameter: people[{index}] needs an email or a phone hash.",
                param=f"people[{index}]",
            )
        keys.append(hashes.get("email") or hashes["phone"])
    return keys


async def add_people(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    audience_id: str,
    body: AudiencePeopleAdd,
) -> Audience:
    """Add hashed people; those the audience holds already stay as they are."""
    audience = await get_audience(session, principal.company_id, audience_id, for_update=True)
    if body.file_id is not None:
        raise await _refuse_file(session, audience.company_id, body.file_id)
    if body.people is None:
        raise ParameterMissing(
            "Missing required parameter: people (the hashed identifiers to add).", param="people"
        )
    keys = list(dict.fromkeys(_identifiers(body.people)))
    known = await repository.known_members(session, audience.id, keys)
    fresh = [key for key in keys if key not in known]
    if not fresh:
        return audience
    now = clock.now()
    rows: list[dict[str, object]] = [
        {
            "audience_id": audience.id,
            "identifier_hash": key,
            "company_id": audience.company_id,
            "matched": person_matched(key),
            "created_at": now,
        }
        for key in fresh
    ]
    await repository.add_members(session, rows)
    matched = sum(1 for row in rows if row["matched"])
    audience.total_rows += len(fresh)
    audience.processed_rows += len(fresh)
    audience.matched_rows += matched
    audience.last_refreshed_at = now
    audience.updated_at = now
    await session.flush()
    return audience


# --- what ad groups and estimates name ------------------------------------------------------


async def check_named_audiences(
    session: AsyncSession,
    company_id: str,
    audiences: Mapping[str, Any] | None,
    *,
    for_group: bool = False,
) -> dict[str, int]:
    """{id: matched people} of the audiences an ad group's `audiences` (stored shape) names;
    a 404 naming the item (`audiences.include[0]`) for one the company does not have. For a
    group being saved (`for_group`) they are locked against a concurrent delete, which
    would otherwise miss the group (delete refuses audiences in use)."""
    audiences = audiences or {}
    named: list[tuple[str, str]] = [
        (f"audiences.{side}[{index}]", audience_id)
        for side in ("include", "exclude")
        for index, audience_id in enumerate(audiences.get(side) or ())
    ]
    found = await repository.audiences_by_id(
        session, company_id, (a for _, a in named), share=for_group
    )
    for param, audience_id in named:
        if audience_id not in found:
            raise NotFound(f"No audience with id {audience_id}.", param=param)
    return {audience_id: audience.matched_rows for audience_id, audience in found.items()}
