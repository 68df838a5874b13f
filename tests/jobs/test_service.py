"""The jobs table's operations: enqueue in the caller's transaction, dedupe, claim, fenced
outcomes, pruning."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adline.core.clock import ManualClock
from adline.core.ids import random_base62
from adline.jobs import service
from adline.jobs.models import QUEUED, RUNNING, SUCCEEDED, Job

LEASE = timedelta(seconds=60)


def fresh_kind() -> str:
    return f"test.service.{random_base62(8)}"


async def jobs_of(sessionmaker: async_sessionmaker[AsyncSession], kind: str) -> list[Job]:
    async with sessionmaker() as session:
        return list(await session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id)))


class TestEnqueue:
    async def test_a_job_exists_only_if_the_callers_transaction_commits(
        self, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
    ) -> None:
        kind = fresh_kind()
        async with sessionmaker() as session:
            await service.enqueue(session, clock, kind, {"n": 1})
            await session.rollback()
        assert await jobs_of(sessionmaker, kind) == []
        async with sessionmaker() as session, session.begin():
            await service.enqueue(session, clock, kind, {"n": 2}, company_id="biz_x")
        [job] = await jobs_of(sessionmaker, kind)
        assert job.payload == {"n": 2}
        assert job.company_id == "biz_x"
        assert job.status == QUEUED
        assert job.run_at == job.created_at == clock.now()
        assert job.attempts == 0
        assert job.id.startswith("job_")

    async def test_a_dedupe_key_makes_a_second_enqueue_a_no_op(
        self, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
    ) -> None:
        kind = fresh_kind()
        key = f"{kind}:event-1"
        async with sessionmaker() as session, session.begin():
            await service.enqueue(session, clock, kind, {"first": True}, dedupe_key=key)
            await service.enqueue(session, clock, kind, {"second": True}, dedupe_key=key)
        async with sessionmaker() as session, session.begin():
            await service.enqueue(session, clock, kind, {"third": True}, dedupe_key=key)
            await service.enqueue(session, clock, kind, {"undeduped": True})
        jobs = await jobs_of(sessionmaker, kind)
        assert sorted(str(job.payload) for job in jobs) == sorted(
            [str({"first": True}), str({"undeduped": True})]
        )


class TestClaimAndOutcomes:
    async def test_a_claim_takes_due_jobs_only_oldest_first(
        self, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
    ) -> None:
        kind = fresh_kind()
        now = clock.now()
        async with sessionmaker() as session, session.begin():
            await service.enqueue(session, clock, kind, {"n": "later"}, run_at=now + LEASE)
            await service.enqueue(session, clock, kind, {"n": "new"})
            await service.enqueue(session, clock, kind, {"n": "old"}, run_at=now - LEASE)
        async with sessionmaker() as session, session.begin():
            claimed = await service.claim(session, clock, "w1", {kind}, lease=LEASE, limit=10)
        assert [job.payload["n"] for job in claimed] == ["old", "new"]
        assert all(job.attempt == 1 for job in claimed)
        async with sessionmaker() as session, session.begin():
            again = await service.claim(session, clock, "w2", {kind}, lease=LEASE, limit=10)
        assert again == []
        running = [job for job in await jobs_of(sessionmaker, kind) if job.status == RUNNING]
        assert {job.lease_owner for job in running} == {"w1"}
        assert {job.lease_expires_at for job in running} == {now + LEASE}

    async def test_an_expired_lease_is_claimed_again_and_the_old_owner_is_fenced_out(
        self, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
    ) -> None:
        kind = fresh_kind()
        async with sessionmaker() as session, session.begin():
            await service.enqueue(session, clock, kind, {})
        async with sessionmaker() as session, session.begin():
            [first] = await service.claim(session, clock, "w1", {kind}, lease=LEASE, limit=1)
        clock.advance(LEASE)
        async with sessionmaker() as session, session.begin():
            # Not yet: a lease holds up to its last instant.
            assert await service.claim(session, clock, "w2", {kind}, lease=LEASE, limit=1) == []
        clock.advance(timedelta(seconds=1))
        async with sessionmaker() as session, session.begin():
            [second] = await service.claim(session, clock, "w2", {kind}, lease=LEASE, limit=1)
        assert (first.id, first.attempt) == (second.id, 1)
        assert second.attempt == 2
        async with sessionmaker() as session, session.begin():
            assert not await service.renew_lease(session, clock, first.id, "w1", 1, LEASE)
            assert not await service.mark_succeeded(session, clock, first.id, "w1", 1)
            assert not await service.mark_failed(session, clock, first.id, "w1", 1, "late")
            assert not await service.reschedule(
                session, clock, first.id, "w1", 1, clock.now(), "late"
            )
            # The same owner with a stale attempt is fenced out too.
            assert not await service.mark_succeeded(session, clock, first.id, "w2", 1)
            assert await service.mark_succeeded(session, clock, first.id, "w2", 2)
        [job] = await jobs_of(sessionmaker, kind)
        assert job.status == SUCCEEDED
        assert job.finished_at == clock.now()
        assert job.lease_owner is None


class TestPrune:
    async def test_finished_jobs_go_after_their_retention_the_rest_stay(
        self, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
    ) -> None:
        kind = fresh_kind()
        async with sessionmaker() as session, session.begin():
            for name in ("succeeded", "failed", "queued"):
                await service.enqueue(
                    session, clock, kind, {"name": name}, dedupe_key=f"{kind}:{name}"
                )
        async with sessionmaker() as session, session.begin():
            claimed = await service.claim(session, clock, "w", {kind}, lease=LEASE, limit=3)
            by_name = {job.payload["name"]: job for job in claimed}
            await service.mark_succeeded(session, clock, by_name["succeeded"].id, "w", 1)
            await service.mark_failed(session, clock, by_name["failed"].id, "w", 1, "boom")
            await service.reschedule(
                session, clock, by_name["queued"].id, "w", 1, clock.now() + timedelta(days=90), ""
            )

        async def remaining_after(elapsed: timedelta) -> set[str]:
            at = ManualClock(clock.now() + elapsed)
            async with sessionmaker() as session, session.begin():
                await service.prune(
                    session, at, succeeded_for=timedelta(days=7), failed_for=timedelta(days=30)
                )
            return {job.payload["name"] for job in await jobs_of(sessionmaker, kind)}

        assert await remaining_after(timedelta(days=7)) == {"succeeded", "failed", "queued"}
        assert await remaining_after(timedelta(days=7, seconds=1)) == {"failed", "queued"}
        assert await remaining_after(timedelta(days=30, seconds=1)) == {"queued"}
        # A pruned key may be used again (a periodic slot never comes back, so no harm).
        async with sessionmaker() as session, session.begin():
            await service.enqueue(
                session, clock, kind, {"name": "again"}, dedupe_key=f"{kind}:succeeded"
            )
        assert {job.payload["name"] for job in await jobs_of(sessionmaker, kind)} == {
            "queued",
            "again",
        }
