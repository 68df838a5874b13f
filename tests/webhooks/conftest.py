"""Webhook fixtures: an app that may target this machine, a job runner for the deliveries
on the test's clock, and a real HTTP receiver that verifies every delivery with whop-sdk
2.6.0's own `unwrap`."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.app import create_app
from adline.config import Settings
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.jobs.runner import JobRunner
from adline.webhooks.events import DELIVER_JOB

RELEASE = Path(__file__).resolve().parents[2] / ".venv/clients/whop-sdk-2.6.0"


def load_unwrap() -> Callable[..., dict[str, Any]]:
    """`whop_sdk.lib.verify_webhook.unwrap` from the 2.6.0 release as installed for the
    client tests, loaded from its file (it needs only the standard library and
    standardwebhooks, the version that release pins)."""
    path = RELEASE / "whop_sdk/lib/verify_webhook.py"
    spec = importlib.util.spec_from_file_location("whop_sdk_2_6_0_verify_webhook", path)
    assert spec is not None and spec.loader is not None, f"missing {path}"
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    unwrap: Callable[..., dict[str, Any]] = module.unwrap
    return unwrap


UNWRAP = load_unwrap()


@dataclass
class Received:
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Receiver:
    """An HTTP endpoint on 127.0.0.1. It answers each request with the next status of
    `script` (then `default`), and keeps the deliveries whose signature verified with the
    secret in `secret`; `rejected` counts those that did not verify."""

    port: int = 0
    secret: str | None = None
    script: list[int] = field(default_factory=list)
    default: int = 200
    received: list[Received] = field(default_factory=list)
    rejected: int = 0
    requests: int = 0
    # Answers carry a Set-Cookie (which no later delivery may send back).
    sets_cookie: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def answer(self) -> int:
        return self.script.pop(0) if self.script else self.default

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        raw = await reader.readexactly(int(headers.get("content-length", "0")))
        self.requests += 1
        status = self.answer()
        try:
            body = UNWRAP(raw, headers=headers, key=self.secret)
        except Exception:
            self.rejected += 1
            status = 400
        else:
            self.received.append(Received(headers, body))
        reply = json.dumps({"ok": status < 300}).encode()
        writer.write(
            (
                f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n"
                + ("set-cookie: session=receiver-1; Path=/\r\n" if self.sets_cookie else "")
                + f"content-length: {len(reply)}\r\nconnection: close\r\n\r\n"
            ).encode()
            + reply
        )
        await writer.drain()
        writer.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    receiver.port = server.sockets[0].getsockname()[1]
    async with server:
        yield receiver
        server.close()


SETTINGS = {"webhooks_allow_private": True}


@pytest.fixture
def app(database_url: str, engine: AsyncEngine, clock: ManualClock) -> FastAPI:
    """The tests' app, allowed to send to the receiver on this machine."""
    return create_app(Settings(database_url=database_url, **SETTINGS), clock=clock, engine=engine)


@pytest.fixture
def runner(engine: AsyncEngine, clock: ManualClock) -> JobRunner:
    """Runs due delivery jobs on the test's clock (jitter drawn from a fixed seed)."""
    return JobRunner(
        create_sessionmaker(engine),
        clock,
        kinds={DELIVER_JOB},
        services={"settings": Settings(**SETTINGS), "rng": random.Random(7)},
    )
