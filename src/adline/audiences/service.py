"""Audience rules: create, list, update, delete and add people, and the checks ad groups
and reach estimates make of the audiences they name. Services only flush; the request owns
the transaction. Callable from tests without HTTP. See docs/audiences.md.

An audience is a customer list: people arrive as SHA-256 hashes of their email or phone
(never the raw values), deduplicated per audience, either in a customer CSV (a file uploaded
through POST /files, read through the files store with a column mapping) or in `people`.
Both go through the one check of an identifier (`_person_key`). The simulated
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
from adline.audiences.schemas import (
    AudienceCreate,
    AudiencePeopleAdd,
    AudienceUpdate,
    ColumnMappingIn,
    PersonIn,
)
from adline.auth.service import Principal, ensure_own_account
from adline.core.clock import Clock
from adline.core.errors import Conflict, InvalidRequest, NotFound, ParameterMissing
from adline.core.ids import is_well_formed_id, new_id
from adline.core.pagination import Direction, Page, PageRequest, paginate
from adline.core.timestamps import format_timestamp
from adline.delivery.audience import person_matched
from adline.files import service as files_service
from adline.files.media import MediaRefused
from adline.files.models import File
from adline.files.storage import FileStorage

ID_PREFIX = "adaud"
MAX_NAME_LENGTH = 255
# People per call (items of `people`, or data rows of a CSV): one request stays a bounded
# transaction, and a CSV is read no further than this.
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


def _column_mapping(mapping: ColumnMappingIn) -> dict[str, str]:
    """{identity field: CSV header} of the fields mapped; at least email or phone."""
    mapped = mapping.model_dump(exclude_none=True)
    for field, header in mapped.items():
        if not header.strip():
            raise InvalidRequest(
                f"Invalid value for column_mapping.{field}: name a column of the CSV's header "
                "row (or leave the field out).",
                param=f"column_mapping.{field}",
            )
    if not any(kind in mapped for kind in IDENTIFIERS):
        raise InvalidRequest(
            "Invalid value for column_mapping: map at least one of email or phone (the columns "
            "of hashed identifiers).",
            param="column_mapping",
        )
    return {field: header.strip() for field, header in mapped.items()}


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
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    body: AudienceCreate,
    storage: FileStorage,
) -> Audience:
    """A custom customer list; with `file_id` and `column_mapping`, holding the CSV's
    people from the start (all or nothing)."""
    company_id = ensure_own_account(principal, body.account_id, "account_id")
    # The objects a body names are looked up first: another company's are a 404 whatever
    # else the body says, as an id that never existed.
    if body.source_audience_id is not None:
        await get_audience(session, company_id, body.source_audience_id, param="source_audience_id")
    file = None
    if body.file_id is not None:
        file = await files_service.customer_list_file(session, company_id, body.file_id)
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
    mapping = None if body.column_mapping is None else _column_mapping(body.column_mapping)
    if body.auto_refresh:
        raise InvalidRequest(
            "Invalid value for auto_refresh: only audiences from People filters refresh; an "
            "uploaded list is always false.",
            param="auto_refresh",
        )
    name = _name(body.name)
    if name is None:
        raise ParameterMissing("Missing required parameter: name.", param="name")
    keys: list[str] = []
    if file is not None:
        if mapping is None:
            raise _mapping_missing("a customer CSV is read with it")
        # Read and checked before anything is stored: a refused file leaves no audience.
        keys = await _keys_from_file(storage, file, mapping, mapping_sent=True)
    now = clock.now()
    audience = Audience(
        id=new_id(ID_PREFIX),
        company_id=company_id,
        name=name,
        audience_type="custom",
        source_type="csv_upload",
        status="ready",
        auto_refresh=False,
        # Saved for add_people's later files (whop-sdk 2.6.0 sends only a file_id there).
        column_mapping=mapping,
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
    if keys:
        await _add_keys(session, clock, audience, keys)
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


def _hashed(value: str, kind: str, param: str, subject: str = "it") -> str:
    """A lowercase hex SHA-256, or a 400 naming the item (`param`, and `subject` in the
    message: a CSV's row and column) and what it looks like."""
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
        f"Invalid value for {param}: {subject} looks like {looks}; send the lowercase hex "
        f"SHA-256 of the normalized {kind} (64 characters), never the {kind} itself.",
        param=param,
    )


def _person_key(
    values: Mapping[str, str | None], named: Mapping[str, tuple[str, str]]
) -> str | None:
    """The rule for one person, whichever way they arrive (`people` or a CSV row): each
    identifier must be a hash (`_hashed`; `named[kind]` is the param and subject its error
    names), and the person is known by the email's hash, else the phone's
    (docs/audiences.md#people). None for a person with neither."""
    hashes = {
        kind: _hashed(value, kind, *named[kind])
        for kind in IDENTIFIERS
        if (value := values.get(kind)) is not None
    }
    if not hashes:
        return None
    return hashes.get("email") or hashes["phone"]


def _identifiers(people: Sequence[PersonIn]) -> list[str]:
    """One key per person of `people`, in order, each checked (`_person_key`)."""
    if not people:
        raise InvalidRequest("Invalid value for people: send at least one person.", param="people")
    if len(people) > MAX_PEOPLE_PER_REQUEST:
        raise InvalidRequest(
            f"Invalid value for people: at most {MAX_PEOPLE_PER_REQUEST} people per request.",
            param="people",
        )
    keys = []
    for index, person in enumerate(people):
        key = _person_key(
            {kind: getattr(person, kind) for kind in IDENTIFIERS},
            {kind: (f"people[{index}].{kind}", "it") for kind in IDENTIFIERS},
        )
        if key is None:
            raise ParameterMissing(
                f"Missing required parameter: people[{index}] needs an email or a phone hash.",
                param=f"people[{index}]",
            )
        keys.append(key)
    return keys


def _mapping_missing(why: str) -> ParameterMissing:
    return ParameterMissing(
        f"Missing required parameter: column_mapping ({why}): the CSV headers of the columns "
        'of hashed identifiers, e.g. {"email": "Email"}.',
        param="column_mapping",
    )


async def _keys_from_file(
    storage: FileStorage, file: File, mapping: Mapping[str, str], *, mapping_sent: bool
) -> list[str]:
    """One key per data row of a customer CSV, in order, each checked as `people` are
    (`_person_key`), naming the row and the column; at most `MAX_PEOPLE_PER_REQUEST` rows.
    Columns of the mapping's other fields (names, country, ltv) must exist but are not
    read. A column missing from the file is named as the request's `column_mapping.<field>`
    when the request sent the mapping (`mapping_sent`), else as its `file_id`."""
    reading = files_service.customer_list_rows(storage, file)
    keys: list[str] = []
    try:
        header = await anext(reading)
        columns: dict[str, int] = {}
        for field, name in mapping.items():
            if name not in header.cells:
                named = ", ".join(f'"{cell}"' for cell in header.cells if cell)
                param = f"column_mapping.{field}" if mapping_sent else "file_id"
                raise InvalidRequest(
                    f'Invalid value for {param}: file {file.id} has no column "{name}" (the '
                    f"column mapping's {field}); its header row names {named}.",
                    param=param,
                )
            columns[field] = header.cells.index(name)
        kinds = [kind for kind in IDENTIFIERS if kind in columns]
        async for row in reading:
            if len(keys) == MAX_PEOPLE_PER_REQUEST:
                raise InvalidRequest(
                    f"Invalid value for file_id: file {file.id} has more than "
                    f"{MAX_PEOPLE_PER_REQUEST} rows of people (row {row.number} is one too "
                    "many); split it into files of at most that many and add each.",
                    param="file_id",
                )
            where = {kind: f'row {row.number}, column "{mapping[kind]}"' for kind in kinds}
            key = _person_key(
                {kind: row.cells[columns[kind]] or None for kind in kinds},
                {kind: ("file_id", where[kind]) for kind in kinds},
            )
            if key is None:
                empty = " and ".join(f'"{mapping[kind]}"' for kind in kinds)
                raise InvalidRequest(
                    f"Invalid value for file_id: row {row.number} has no one: its {empty} "
                    f"{'cells are' if len(kinds) > 1 else 'cell is'} empty.",
                    param="file_id",
                )
            keys.append(key)
    except MediaRefused as refused:  # checked when it landed: only a changed store gets here
        raise InvalidRequest(
            f"Invalid value for file_id: file {file.id} is no valid customer list: "
            f"{refused.message}",
            param="file_id",
        ) from None
    finally:
        await reading.aclose()
    return keys


async def _add_keys(
    session: AsyncSession, clock: Clock, audience: Audience, keys: Sequence[str]
) -> Audience:
    """Add the people `keys` name (each once); those the audience holds already stay as
    they are, and an audience given no one new is left untouched."""
    keys = list(dict.fromkeys(keys))
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


async def add_people(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    audience_id: str,
    body: AudiencePeopleAdd,
    storage: FileStorage,
) -> Audience:
    """Add hashed people, from a customer CSV (`file_id`) or `people`, all or nothing;
    those the audience holds already stay as they are."""
    audience = await get_audience(session, principal.company_id, audience_id, for_update=True)
    if body.file_id is not None:
        file = await files_service.customer_list_file(session, audience.company_id, body.file_id)
        if body.people is not None:
            raise InvalidRequest(
                "Invalid value for people: send either file_id (a customer CSV) or people "
                "(hashed identifiers), not both.",
                param="people",
            )
        if body.column_mapping is not None:
            mapping = _column_mapping(body.column_mapping)
        elif audience.column_mapping:
            mapping = dict(audience.column_mapping)
        else:
            raise _mapping_missing(f"audience {audience.id} was created without one")
        keys = await _keys_from_file(
            storage, file, mapping, mapping_sent=body.column_mapping is not None
        )
        return await _add_keys(session, clock, audience, keys)
    if body.column_mapping is not None:
        raise InvalidRequest(
            "Invalid value for column_mapping: it maps the columns of a customer CSV; send it "
            "with file_id.",
            param="column_mapping",
        )
    if body.people is None:
        raise ParameterMissing(
            "Missing required parameter: file_id (a customer CSV uploaded through POST /files) "
            "or people (the hashed identifiers to add).",
            param="file_id",
        )
    return await _add_keys(session, clock, audience, _identifiers(body.people))


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
