"""A worker process killed with SIGKILL in the middle of a job: after its lease runs out
another worker process runs the job again, and the job's effect (a row written in the
transaction that completes the job) exists exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.clock import SystemClock
from adline.core.db import create_sessionmaker
from adline.jobs import service
from adline.jobs.models import RUNNING, SUCCEEDED, Job
from tests.jobs.kill_worker import EFFECTS_TABLE, KIND

REPO = Path(__file__).resolve().parents[2]
LEASE_SECONDS = "2"


def start_worker(database_url: str, marker_dir: Path, worker_id: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.jobs.kill_worker",
            *(database_url, str(marker_dir)),
            *(worker_id, LEASE_SECONDS),
        ],
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), *sys.path])),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def wait_for(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def test_a_job_cut_off_by_sigkill_runs_again_and_takes_effect_once(
    engine: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    sessionmaker = create_sessionmaker(engine)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                f"CREATE TABLE IF NOT EXISTS {EFFECTS_TABLE} "
                "(job_id VARCHAR(32), worker_id VARCHAR(64), attempt INTEGER)"
            )
        )
        await connection.execute(text(f"DELETE FROM {EFFECTS_TABLE}"))
    async with sessionmaker() as session, session.begin():
        await service.enqueue(session, SystemClock(), KIND, {})

    async def job() -> Job:
        async with sessionmaker() as session:
            return (await session.scalars(select(Job).where(Job.kind == KIND))).one()

    async def effects() -> list[tuple[str, str, int]]:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(f"SELECT job_id, worker_id, attempt FROM {EFFECTS_TABLE}")
            )
            return [(row[0], row[1], row[2]) for row in rows]

    first = start_worker(database_url, tmp_path, "first")
    try:
        await wait_for(lambda: (tmp_path / "mid-job").exists(), "the first worker to be mid-job")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    cut_off = await job()
    assert (cut_off.status, cut_off.lease_owner, cut_off.attempts) == (RUNNING, "first", 1)
    assert await effects() == []  # the killed run's write never committed

    second = start_worker(database_url, tmp_path, "second")
    try:

        async def succeeded() -> bool:
            return (await job()).status == SUCCEEDED

        await wait_for(succeeded, "the second worker to finish the job")
    finally:
        second.terminate()
        _, stderr = second.communicate(timeout=20)
    finished = await job()
    assert finished.attempts == 2
    assert await effects() == [(finished.id, "second", 2)]
    assert second.returncode in (0, -signal.SIGTERM), stderr.decode()[-2000:]
