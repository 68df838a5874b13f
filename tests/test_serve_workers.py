"""`adline serve --workers N`: N uvicorn processes on one PostgreSQL store, migrated and
bootstrapped once by the parent; SQLite refuses more than one (docs/deployment.md).

Which process answered is read from the operating system, not from the answer: the
server's end of a kept-alive connection is a socket that one worker process holds open
(/proc/net/tcp names the socket, /proc/<pid>/fd the process holding it)."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import secrets
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, make_url, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from adline.companies.models import Company
from adline.core.db import create_engine, create_sessionmaker
from tests.conftest import NEWEST_HEADER
from tests.test_serve import ADLINE, free_port, wait_until_serving


def worker_pids(parent: int) -> set[int]:
    """The worker processes uvicorn's supervisor `parent` started (multiprocessing's
    spawned children; its resource tracker, another child, is not one)."""
    return {
        pid
        for pid in child_pids(parent)
        if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    }


def alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def child_pids(parent: int) -> set[int]:
    """The live processes whose parent is `parent`."""
    children = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after its ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == parent and fields[0] != "Z":
            children.add(int(entry.name))
    return children


def server_socket_inode(server_port: int, client_port: int) -> int:
    """The inode of the server's end of the loopback connection from `client_port`."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        remote_port = int(fields[2].split(":")[1], 16)
        if (local_port, remote_port) == (server_port, client_port):
            return int(fields[9])
    raise AssertionError(f"no server socket for the connection from port {client_port}")


def holder(pids: set[int], inode: int) -> int:
    """Which of `pids` holds the socket `inode` open."""
    wanted = f"socket:[{inode}]"
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) == wanted:
                    return pid
            except OSError:
                continue
    raise AssertionError(f"no worker holds socket {inode}")


class Connection:
    """One kept-alive HTTP/1.1 connection to the server, and the worker that serves it."""

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.port = port
        self.headers = headers
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, path: str, body: object = None) -> tuple[int, object]:
        payload = None if body is None else json.dumps(body)
        self.http.request(method, f"/api/v1{path}", body=payload, headers=self.headers)
        answer = self.http.getresponse()
        return answer.status, json.loads(answer.read())

    def worker(self, pids: set[int]) -> int:
        """The process at the server's end (asked after a request: the connection is open)."""
        assert self.http.sock is not None
        client_port = self.http.sock.getsockname()[1]
        return holder(pids, server_socket_inode(self.port, client_port))

    def close(self) -> None:
        self.http.close()


@pytest.fixture
async def fresh_postgres(database_url: str) -> AsyncIterator[str]:
    """An empty database beside the test store's, on the same server, dropped afterwards:
    the parent's first start (migrations, demo company) is part of what is tested."""
    if database_url.startswith("sqlite"):
        pytest.skip("needs PostgreSQL: a new database beside the test store")
    name = f"adline_workers_{secrets.token_hex(4)}"
    admin = create_async_engine(database_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


def serve_two_workers(database_url: str, port: int, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [ADLINE, "serve", "--port", str(port), "--workers", "2"],
        env={
            **os.environ,
            "ADLINE_DATABASE_URL": database_url,
            "ADLINE_DELIVERY_INTERVAL": "0",
            # The demo key is read while the server runs.
            "PYTHONUNBUFFERED": "1",
        },
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


async def test_two_workers_serve_one_store_bootstrapped_once(
    fresh_postgres: str, tmp_path: Path
) -> None:
    port = free_port()
    process = serve_two_workers(fresh_postgres, port, tmp_path)
    connections: list[Connection] = []
    workers: set[int] = set()
    try:
        await asyncio.to_thread(wait_until_serving, process, f"http://127.0.0.1:{port}")
        workers = worker_pids(process.pid)
        assert len(workers) == 2, workers
        engine = create_engine(fresh_postgres)
        async with create_sessionmaker(engine)() as session:
            assert await session.scalar(select(func.count()).select_from(Company)) == 1
        await engine.dispose()

        key = await asyncio.to_thread(read_demo_key, process)
        # New connections until both workers have answered one: each goes to whichever
        # worker accepts it first. Opened a few at a time: one after another, an idle
        # worker that is always woken first can take every one of them.
        headers = {**NEWEST_HEADER, "Authorization": f"Bearer {key}"}
        served_by: dict[int, Connection] = {}

        async def connect() -> Connection:
            connection = Connection(port, headers)
            connections.append(connection)
            status, _ = await asyncio.to_thread(connection.request, "GET", "/ad_campaigns")
            assert status == 200
            return connection

        for _ in range(40):
            for connection in await asyncio.gather(*(connect() for _ in range(6))):
                served_by.setdefault(connection.worker(workers), connection)
            if len(served_by) == 2:
                break
        assert set(served_by) == workers, (
            f"{len(connections)} connections all served by {set(served_by)}"
        )

        # A write through one worker reads back through the other.
        writer, reader = (served_by[pid] for pid in sorted(workers))
        status, created = await asyncio.to_thread(
            writer.request,
            "POST",
            "/ad_campaigns",
            {"title": "Written by one", "objective": "sales", "platform": "meta"},
        )
        assert status == 200, created
        assert isinstance(created, dict)
        status, read = await asyncio.to_thread(
            reader.request, "GET", f"/ad_campaigns/{created['id']}"
        )
        assert status == 200, read
        assert isinstance(read, dict) and read["title"] == "Written by one"
        # Both connections were still kept alive by the same workers.
        assert writer.worker(workers) != reader.worker(workers)
    finally:
        for connection in connections:
            connection.close()
        process.terminate()
        rest, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    # The parent made the demo company and printed its key once, before the workers started.
    assert "API key" not in rest
    # The workers stopped with their supervisor.
    assert not [pid for pid in workers if alive(pid)]


def read_demo_key(process: subprocess.Popen[str]) -> str:
    """The API key line the parent printed at its first start (before serving)."""
    assert process.stdout is not None
    lines: list[str] = []
    while True:
        line = process.stdout.readline()
        assert line, f"no demo key printed: {lines}"
        lines.append(line)
        if line.strip().startswith("API key:"):
            return line.split(":", 1)[1].strip()


def test_several_workers_refused_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'adline.db'}"
    done = subprocess.run(
        [ADLINE, "serve", "--port", str(free_port()), "--workers", "2", "--database-url", url],
        env={**os.environ, "ADLINE_DELIVERY_INTERVAL": "0"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--workers above 1 needs PostgreSQL" in done.stderr
    # Refused before anything was written: not even the store's file.
    assert not (tmp_path / "adline.db").exists()


def migrate_together(database_url: str, count: int) -> list[tuple[int, str]]:
    """`count` `adline migrate` processes started at once: each one's exit code and stderr."""
    processes = [
        subprocess.Popen(
            [ADLINE, "migrate"],
            env={**os.environ, "ADLINE_DATABASE_URL": database_url},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    return [(process.wait(timeout=120), process.communicate()[1]) for process in processes]


async def test_processes_starting_together_migrate_one_at_a_time(fresh_postgres: str) -> None:
    """Servers and workers started at once on a new store each migrate it: one does, the
    others wait for it and find the schema at head (without the lock, all but one fail on
    the tables the first created)."""
    results = await asyncio.to_thread(migrate_together, fresh_postgres, 3)
    assert [code for code, _ in results] == [0, 0, 0], results
