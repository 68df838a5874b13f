"""The audience service called directly, without HTTP: a request that fails leaves the
session's transaction with nothing written; the checks ad groups make read the store."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.audiences import service
from adline.audiences.models import Audience, AudienceMember
from adline.audiences.schemas import AudienceCreate, AudiencePeopleAdd, PersonIn
from adline.auth.service import Principal
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.core.errors import InvalidRequest, NotFound
from adline.files.storage import LocalDiskStorage
from tests.audiences.helpers import sha256
from tests.conftest import Tenant


def principal_of(tenant: Tenant) -> Principal:
    return Principal(tenant.key_id, tenant.company_id, tenant.user_id, frozenset(), None)


async def test_add_people_and_the_groups_check(
    engine: AsyncEngine,
    clock: ManualClock,
    tenant: Tenant,
    other_tenant: Tenant,
    files_root: Path,
) -> None:
    me, them = principal_of(tenant), principal_of(other_tenant)
    storage = LocalDiskStorage(files_root)
    sessions = create_sessionmaker(engine)
    async with sessions() as session, session.begin():
        audience = await service.create_audience(
            session,
            clock,
            me,
            AudienceCreate(account_id=tenant.company_id, name="Direct"),
            storage,
        )
        hashes = [sha256(f"d{n}@example.com") for n in range(40)]
        body = AudiencePeopleAdd(people=[PersonIn(email=value) for value in hashes])
        await service.add_people(session, clock, me, audience.id, body, storage)
        assert audience.total_rows == 40
        sizes = await service.check_named_audiences(
            session, tenant.company_id, {"include": [audience.id], "exclude": []}
        )
        assert sizes == {audience.id: audience.matched_rows}
        with pytest.raises(NotFound) as theirs:
            await service.check_named_audiences(
                session, other_tenant.company_id, {"exclude": [audience.id]}
            )
        assert theirs.value.param == "audiences.exclude[0]"
        with pytest.raises(NotFound):
            await service.add_people(session, clock, them, audience.id, body, storage)

    async with sessions() as session:
        with pytest.raises(InvalidRequest) as raw:
            await service.add_people(
                session,
                clock,
                me,
                audience.id,
                AudiencePeopleAdd(
                    people=[PersonIn(email=sha256("new@x.io")), PersonIn(phone="5551234567")]
                ),
                storage,
            )
        assert raw.value.param == "people[1].phone"
        await session.rollback()

    async with sessions() as session:
        stored = await session.get(Audience, audience.id)
        assert stored is not None and stored.total_rows == 40
        members = await session.scalar(
            select(func.count()).where(AudienceMember.audience_id == audience.id)
        )
        assert members == 40
