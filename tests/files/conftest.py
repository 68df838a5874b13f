"""The files tests run on both stores: the local directory and an S3 bucket served by a
moto server this session starts on a free port (the same HTTP API a MinIO answers)."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from fastapi import FastAPI
from moto.server import ThreadedMotoServer
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.app import create_app
from adline.config import Settings
from adline.core.clock import ManualClock

# Small parts, so that a multipart upload of a few hundred kilobytes has several.
CHUNK_BYTES = 64 * 1024
# One PUT's cap: above the JSON bodies' 1 MiB, far below the kinds' own limits.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
S3_CREDENTIALS = {"s3_access_key_id": "testing", "s3_secret_access_key": "testing"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def make_bucket(endpoint: str) -> str:
    name = f"adline-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket=name)
    return name


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest) -> str:
    store: str = request.param
    return store


@pytest.fixture
def files_settings(
    store: str, database_url: str, files_root: Path, request: pytest.FixtureRequest
) -> Settings:
    settings = Settings(
        database_url=database_url,
        rate_limit_per_second=0,
        address_rate_limit_per_second=0,
        files_root=str(files_root),
        files_multipart_chunk_bytes=CHUNK_BYTES,
        files_max_upload_bytes=MAX_UPLOAD_BYTES,
    )
    if store == "s3":
        endpoint: str = request.getfixturevalue("s3_endpoint")
        settings = Settings(
            **{
                **settings.__dict__,
                "files_store": "s3",
                "s3_bucket": make_bucket(endpoint),
                "s3_endpoint_url": endpoint,
                "s3_prefix": "adline/",
                **S3_CREDENTIALS,
            }
        )
    return settings


@pytest.fixture
def app(files_settings: Settings, engine: AsyncEngine, clock: ManualClock) -> FastAPI:
    return create_app(files_settings, clock=clock, engine=engine)
