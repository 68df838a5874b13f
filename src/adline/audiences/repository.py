"""Audience queries. Every statement starts from `readable_audiences` or names the
company, so another company's audiences are simply not found."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.ad_groups.models import AdGroup
from adline.audiences.models import Audience, AudienceMember

# Ids per IN list: far below both stores' bind-parameter limits.
CHUNK = 500


def readable_audiences(company_id: str) -> Select[Audience]:
    """The company's audiences that still exist: a deleted one reads as gone."""
    return select(Audience).where(Audience.company_id == company_id, Audience.deleted_at.is_(None))


async def find_audience(
    session: AsyncSession, company_id: str, audience_id: str, *, for_update: bool = False
) -> Audience | None:
    statement = readable_audiences(company_id).where(Audience.id == audience_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.scalars(statement)).first()


async def audiences_by_id(
    session: AsyncSession, company_id: str, audience_ids: Iterable[str], *, share: bool = False
) -> dict[str, Audience]:
    """The company's live audiences among `audience_ids`; `share` locks them against a
    concurrent delete (FOR SHARE) until the transaction ends."""
    wanted = sorted(set(audience_ids))
    found: dict[str, Audience] = {}
    for offset in range(0, len(wanted), CHUNK):
        chunk = wanted[offset : offset + CHUNK]
        statement = readable_audiences(company_id).where(Audience.id.in_(chunk))
        if share:
            statement = statement.with_for_update(read=True)
        found.update((row.id, row) for row in await session.scalars(statement))
    return found


async def matched_sizes(session: AsyncSession, audience_ids: Iterable[str]) -> dict[str, int]:
    """{id: matched people} of the audiences among `audience_ids`, whoever's they are: for
    the delivery worker, which describes every company's groups (the groups' own checks
    made sure each names its company's audiences)."""
    wanted = sorted(set(audience_ids))
    found: dict[str, int] = {}
    for offset in range(0, len(wanted), CHUNK):
        chunk = wanted[offset : offset + CHUNK]
        rows = await session.execute(
            select(Audience.id, Audience.matched_rows).where(Audience.id.in_(chunk))
        )
        found.update((audience_id, matched) for audience_id, matched in rows)
    return found


async def known_members(
    session: AsyncSession, audience_id: str, identifier_hashes: Iterable[str]
) -> set[str]:
    """Which of `identifier_hashes` the audience already holds."""
    wanted = sorted(set(identifier_hashes))
    known: set[str] = set()
    for offset in range(0, len(wanted), CHUNK):
        chunk = wanted[offset : offset + CHUNK]
        rows = await session.scalars(
            select(AudienceMember.identifier_hash).where(
                AudienceMember.audience_id == audience_id,
                AudienceMember.identifier_hash.in_(chunk),
            )
        )
        known.update(rows)
    return known


async def member_hashes(session: AsyncSession, audience_id: str) -> list[str]:
    """Every person's identifier hash of the audience, sorted: what a network adapter
    uploads (docs/networks-tiktok.md#audiences)."""
    rows = await session.scalars(
        select(AudienceMember.identifier_hash)
        .where(AudienceMember.audience_id == audience_id)
        .order_by(AudienceMember.identifier_hash)
    )
    return list(rows)


async def add_members(session: AsyncSession, rows: list[dict[str, object]]) -> None:
    for offset in range(0, len(rows), CHUNK):
        await session.execute(insert(AudienceMember), rows[offset : offset + CHUNK])


async def groups_naming(session: AsyncSession, company_id: str, audience_id: str) -> list[str]:
    """The company's live ad groups that include or exclude the audience, by id."""
    rows = await session.execute(
        select(AdGroup.id, AdGroup.audiences)
        .where(AdGroup.company_id == company_id, AdGroup.deleted_at.is_(None))
        .order_by(AdGroup.id)
    )
    return [
        group_id
        for group_id, audiences in rows
        if audience_id in ((audiences or {}).get("include") or ())
        or audience_id in ((audiences or {}).get("exclude") or ())
    ]
