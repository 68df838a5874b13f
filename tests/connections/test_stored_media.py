"""`StoredMedia`: what a connection's adapter reads to upload an ad's files to its network
(docs/networks-meta.md#media): the company's ready files, from the app's file store."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.connections.adapters import StoredMedia
from adline.core.db import create_sessionmaker
from adline.delivery.adapter import InvalidSpec
from tests.conftest import Tenant
from tests.files.helpers import png, upload_file


async def test_reads_a_ready_file_of_the_company(
    app: FastAPI, engine: AsyncEngine, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    image = png(320, 320)
    file = await upload_file(client, "spring.png", image)
    media = StoredMedia(
        create_sessionmaker(engine), lambda: app.state.file_storage, tenant.company_id
    )
    read = await media(file["id"])
    assert (read.id, read.filename, read.content_type, read.data) == (
        file["id"],
        "spring.png",
        "image/png",
        image,
    )
    assert read.is_image and not read.is_video


async def test_another_companys_or_an_unfinished_file_is_refused(
    app: FastAPI,
    engine: AsyncEngine,
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    tenant: Tenant,
) -> None:
    theirs = await upload_file(other_client, "theirs.png")
    pending = (await client.post("/files", json={"filename": "later.png"})).json()
    media = StoredMedia(
        create_sessionmaker(engine), lambda: app.state.file_storage, tenant.company_id
    )
    for file_id in (theirs["id"], pending["id"], "file_doesNotExist01"):
        with pytest.raises(InvalidSpec, match="not an uploaded file"):
            await media(file_id)
