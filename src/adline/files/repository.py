"""File queries. Every statement a caller's request runs starts from `readable_files`,
scoped to one company; only an upload, whose URL's token is its credential, finds a file by
id alone (`file_for_upload`)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.files.models import File


def readable_files(company_id: str) -> Select[File]:
    return select(File).where(File.company_id == company_id)


async def find_file(
    session: AsyncSession, company_id: str, file_id: str, *, for_update: bool = False
) -> File | None:
    """The company's file, or None (another company's is as missing as none)."""
    statement = readable_files(company_id).where(File.id == file_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.scalars(statement)).first()


async def file_for_upload(
    session: AsyncSession, file_id: str, *, for_update: bool = False
) -> File | None:
    """Any company's file by id: the upload URL's token, checked by the caller, says whose."""
    statement = select(File).where(File.id == file_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.scalars(statement)).first()


async def files_by_id(
    session: AsyncSession, company_id: str, ids: Iterable[str]
) -> dict[str, File]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.scalars(readable_files(company_id).where(File.id.in_(wanted)))
    return {row.id: row for row in rows}
