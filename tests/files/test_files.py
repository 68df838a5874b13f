"""/files over HTTP, on both stores: create, the upload URLs, complete, retrieve, list, and
every refusal, each leaving the file as it was."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from fastapi import FastAPI

from adline.config import Settings
from adline.core.clock import ManualClock
from tests.conftest import Tenant
from tests.files.conftest import CHUNK_BYTES, MAX_UPLOAD_BYTES
from tests.files.helpers import jpeg, mp4, png, upload_file
from tests.helpers import assert_error


@pytest.fixture
async def uploader(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """No API key: what an upload URL is called with."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        yield http


async def create(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    answer = await client.post("/files", json={"filename": "spring.png", **body})
    assert answer.status_code == 200, answer.text
    created: dict[str, Any] = answer.json()
    return created


async def retrieve(client: httpx.AsyncClient, file_id: str) -> dict[str, Any]:
    answer = await client.get(f"/files/{file_id}")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def stored_keys(settings: Settings, prefix: str) -> list[str]:
    """The keys under `prefix` in the store the settings name."""
    if settings.files_store == "local":
        root = Path(settings.files_root)
        return sorted(
            path.relative_to(root).as_posix()
            for path in (root / prefix).rglob("*")
            if path.is_file()
        )
    listed = boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key_id,
        aws_secret_access_key=settings.s3_secret_access_key,
    ).list_objects_v2(Bucket=settings.s3_bucket, Prefix=settings.s3_prefix + prefix)
    return sorted(
        item["Key"].removeprefix(settings.s3_prefix) for item in listed.get("Contents", [])
    )


class TestCreate:
    async def test_the_answer_is_a_pending_file_with_its_upload_url(
        self, client: httpx.AsyncClient
    ) -> None:
        created = await create(client, visibility="public")
        assert created["upload_url"].startswith(
            f"http://adline.test/api/v1/files/{created['id']}/upload?token="
        )
        assert created["upload_headers"] == {"Content-Type": "image/png"}
        assert {k: created[k] for k in ("upload_status", "visibility", "size", "url")} == {
            "upload_status": "pending",
            "visibility": "public",
            "size": None,
            "url": None,
        }
        # The upload fields are only in the create's answer.
        assert "upload_url" not in await retrieve(client, created["id"])

    @pytest.mark.parametrize(
        ("body", "code", "param", "says"),
        [
            ({"filename": "terms.pdf"}, "parameter_invalid", "filename", "must end in one of"),
            ({"filename": "   "}, "parameter_invalid", "filename", "blank"),
            ({"filename": "a.png", "byte_size": 0}, "parameter_invalid", "byte_size", ""),
            (
                {"filename": "a.png", "byte_size": 31 * 1024**2},
                "parameter_invalid",
                "byte_size",
                "an image may be at most 31457280 bytes",
            ),
            (
                {"filename": "a.mp4", "byte_size": MAX_UPLOAD_BYTES + 1},
                "parameter_invalid",
                "byte_size",
                "create the file with multipart: true",
            ),
            ({"filename": "a.mp4", "multipart": True}, "parameter_missing", "byte_size", ""),
            (
                {"filename": "a.mp4", "multipart": True, "byte_size": CHUNK_BYTES},
                "parameter_invalid",
                "multipart",
                "larger than one part",
            ),
            (
                {"filename": "a.png", "visibility": "secret"},
                "parameter_invalid",
                "visibility",
                "",
            ),
        ],
    )
    async def test_refusals(
        self, client: httpx.AsyncClient, body: dict[str, Any], code: str, param: str, says: str
    ) -> None:
        error = assert_error(await client.post("/files", json=body), 400, code, param)
        assert says in error["message"]
        assert (await client.get("/files")).json()["data"] == []


class TestUpload:
    async def test_bytes_that_fail_a_check_leave_the_file_pending_for_another_try(
        self,
        client: httpx.AsyncClient,
        uploader: httpx.AsyncClient,
        files_settings: Settings,
        tenant: Tenant,
    ) -> None:
        created = await create(client)
        url = created["upload_url"]
        for content, says in [
            (jpeg(), "name promised image/png, but its bytes are image/jpeg"),
            (png(50, 1080), "width is 50 px"),
        ]:
            answer = await uploader.put(url, content=content)
            error = assert_error(answer, 400, "file_invalid", None)
            assert says in error["message"] and "stays pending" in error["message"]
            assert (await retrieve(client, created["id"]))["upload_status"] == "pending"
        ready = (await uploader.put(url, content=png(1080, 1080))).json()
        assert (ready["upload_status"], ready["width"], ready["height"]) == ("ready", 1080, 1080)
        # The refused uploads' bytes are gone: only the one that passed is stored.
        [key] = stored_keys(files_settings, f"{tenant.company_id}/{created['id']}/")
        assert key.startswith(f"{tenant.company_id}/{created['id']}/content-")
        assert_error(await uploader.put(url, content=png()), 409, "file_already_complete", None)

    async def test_the_declared_size_is_held_to(
        self, client: httpx.AsyncClient, uploader: httpx.AsyncClient
    ) -> None:
        created = await create(client, byte_size=len(png(1080, 1080)))
        answer = await uploader.put(created["upload_url"], content=png(1080, 1081))
        error = assert_error(answer, 400, "file_invalid", None)
        assert "was created with byte_size" in error["message"]
        ready = await uploader.put(created["upload_url"], content=png(1080, 1080))
        assert ready.json()["upload_status"] == "ready"

    async def test_the_token_is_the_credential_and_expires(
        self, client: httpx.AsyncClient, uploader: httpx.AsyncClient, clock: ManualClock
    ) -> None:
        created = await create(client)
        url = httpx.URL(created["upload_url"])
        forged = url.copy_set_param("token", "x" * 43)
        assert_error(await uploader.put(forged, content=png()), 403, "invalid_upload_token", None)
        assert_error(
            await uploader.put(url.copy_remove_param("token"), content=png()),
            403,
            "invalid_upload_token",
            None,
        )
        nowhere = str(url).replace(created["id"], "file_AAAAAAAAAAAAAA")
        assert_error(await uploader.put(nowhere, content=png()), 403, "invalid_upload_token", None)
        clock.advance(timedelta(hours=1))
        error = assert_error(
            await uploader.put(url, content=png()), 403, "invalid_upload_token", None
        )
        assert "expired" in error["message"]
        assert (await retrieve(client, created["id"]))["upload_status"] == "pending"

    async def test_an_upload_may_be_larger_than_a_json_body_but_not_than_its_cap(
        self, client: httpx.AsyncClient, uploader: httpx.AsyncClient
    ) -> None:
        big = mp4(media_bytes=MAX_UPLOAD_BYTES - 4096)  # over the 1 MiB JSON cap
        created = await create(client, filename="big.mp4")
        ready = (await uploader.put(created["upload_url"], content=big)).json()
        assert (ready["upload_status"], ready["size"]) == ("ready", len(big))

        too_big = mp4(media_bytes=MAX_UPLOAD_BYTES)
        second = await create(client, filename="bigger.mp4")
        answer = await uploader.put(second["upload_url"], content=too_big)
        assert_error(answer, 413, "body_too_large", None)

        async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: chunked
            for start in range(0, len(too_big), 256 * 1024):
                yield too_big[start : start + 256 * 1024]

        answer = await uploader.put(second["upload_url"], content=streamed())
        assert_error(answer, 413, "body_too_large", None)
        assert (await retrieve(client, second["id"]))["upload_status"] == "pending"


class TestMultipart:
    async def test_parts_and_complete_refusals(
        self, client: httpx.AsyncClient, uploader: httpx.AsyncClient
    ) -> None:
        video = mp4(media_bytes=2 * CHUNK_BYTES)
        created = await create(client, filename="clip.mp4", byte_size=len(video), multipart=True)
        urls = [part["url"] for part in created["multipart_upload_urls"]]
        assert len(urls) == 3
        single = str(httpx.URL(urls[0])).replace("/parts/1", "/upload")
        assert_error(await uploader.put(single, content=video), 400, "parameter_invalid", None)
        # Every part but the last is exactly the chunk size.
        short = await uploader.put(urls[0], content=video[: CHUNK_BYTES - 1])
        assert_error(short, 400, "parameter_invalid", "part_number")
        beyond = urls[0].replace("/parts/1", "/parts/4")
        assert_error(
            await uploader.put(beyond, content=b"x"), 400, "parameter_invalid", "part_number"
        )

        etags = []
        for number, url in enumerate(urls):
            part = video[number * CHUNK_BYTES : (number + 1) * CHUNK_BYTES]
            answer = await uploader.put(url, content=part)
            assert answer.status_code == 200, answer.text
            etags.append(answer.headers["ETag"])
        parts = [{"part_number": n + 1, "etag": etag} for n, etag in enumerate(etags)]
        upload_id = created["multipart_upload_id"]
        complete = f"/files/{created['id']}/complete"
        for body, param in [
            (
                {"multipart_parts": parts, "multipart_upload_id": "upload_other"},
                "multipart_upload_id",
            ),
            (
                {
                    "multipart_parts": [parts[1], parts[0], parts[2]],
                    "multipart_upload_id": upload_id,
                },
                "multipart_parts[0].part_number",
            ),
            (
                {
                    "multipart_parts": [*parts[:2], {"part_number": 3, "etag": '"0000"'}],
                    "multipart_upload_id": upload_id,
                },
                "multipart_parts[2].etag",
            ),
        ]:
            assert_error(await client.post(complete, json=body), 400, "parameter_invalid", param)
            assert (await retrieve(client, created["id"]))["upload_status"] == "pending"
        done = await client.post(
            complete, json={"multipart_parts": parts, "multipart_upload_id": upload_id}
        )
        assert done.json()["upload_status"] == "ready", done.text
        again = await client.post(
            complete, json={"multipart_parts": parts, "multipart_upload_id": upload_id}
        )
        assert_error(again, 409, "file_already_complete", None)

    async def test_assembled_bytes_are_checked(
        self, client: httpx.AsyncClient, uploader: httpx.AsyncClient
    ) -> None:
        not_a_video = b"\x00" * (CHUNK_BYTES + 10)
        created = await create(
            client, filename="clip.mov", byte_size=len(not_a_video), multipart=True
        )
        parts = []
        for number, part in enumerate(created["multipart_upload_urls"]):
            chunk = not_a_video[number * CHUNK_BYTES : (number + 1) * CHUNK_BYTES]
            answer = await uploader.put(part["url"], content=chunk)
            parts.append({"part_number": number + 1, "etag": answer.headers["ETag"]})
        body = {"multipart_parts": parts, "multipart_upload_id": created["multipart_upload_id"]}
        answer = await client.post(f"/files/{created['id']}/complete", json=body)
        error = assert_error(answer, 400, "file_invalid", None)
        assert "not a PNG, JPEG, GIF, WebP, MP4, MOV or MP3" in error["message"]
        assert (await retrieve(client, created["id"]))["upload_status"] == "pending"

    async def test_a_single_part_file_is_not_completed(self, client: httpx.AsyncClient) -> None:
        created = await create(client)
        body = {"multipart_parts": [{"part_number": 1, "etag": "x"}], "multipart_upload_id": "u"}
        answer = await client.post(f"/files/{created['id']}/complete", json=body)
        assert_error(answer, 400, "parameter_invalid", "multipart_upload_id")


class TestReading:
    async def test_another_companys_files_are_not_found(
        self, client: httpx.AsyncClient, other_client: httpx.AsyncClient
    ) -> None:
        mine = await upload_file(client)
        assert_error(
            await other_client.get(f"/files/{mine['id']}"), 404, "resource_not_found", "id"
        )
        body = {"multipart_parts": [{"part_number": 1, "etag": "x"}], "multipart_upload_id": "u"}
        complete = await other_client.post(f"/files/{mine['id']}/complete", json=body)
        assert_error(complete, 404, "resource_not_found", "id")
        listed = await other_client.get("/files", params={"file_ids": [mine["id"]]})
        assert listed.json()["data"] == []

    async def test_list_pages_and_batches(
        self, client: httpx.AsyncClient, clock: ManualClock
    ) -> None:
        ids = []
        for _ in range(3):
            ids.append((await create(client))["id"])
            clock.advance(timedelta(seconds=1))
        page = (await client.get("/files", params={"first": 2})).json()
        assert [f["id"] for f in page["data"]] == ids[:0:-1]
        assert page["page_info"]["has_next_page"] is True
        rest = await client.get("/files", params={"after": page["page_info"]["end_cursor"]})
        assert [f["id"] for f in rest.json()["data"]] == [ids[0]]
        batch = await client.get(
            "/files", params={"file_ids": [ids[0], ids[2], "file_AAAAAAAAAAAAAA"]}
        )
        assert [f["id"] for f in batch.json()["data"]] == [ids[2], ids[0]]
        whole = (await client.get("/files", params={"file_ids": ids})).json()
        assert [f["id"] for f in whole["data"]] == ids[::-1]
        assert whole["page_info"]["has_next_page"] is False
        two = (await client.get("/files", params={"file_ids": ids, "first": 2})).json()
        cursor = two["page_info"]["end_cursor"]
        back = await client.get("/files", params={"file_ids": ids, "before": cursor})
        assert [f["id"] for f in back.json()["data"]] == [ids[2]]
        on = await client.get("/files", params={"file_ids": ids, "after": cursor})
        assert [f["id"] for f in on.json()["data"]] == [ids[0]]
        too_many = await client.get("/files", params={"file_ids": ids * 84})
        assert_error(too_many, 400, "parameter_invalid", "file_ids")


class TestDownload:
    async def test_a_public_file_has_a_permanent_url(
        self, client: httpx.AsyncClient, uploader: httpx.AsyncClient
    ) -> None:
        created = await create(client, visibility="public")
        assert created["url"] is None  # nothing to download yet
        image = png(300, 200)
        ready = (await uploader.put(created["upload_url"], content=image)).json()
        assert ready["url"] == f"http://adline.test/api/v1/files/{created['id']}/content"
        answer = await uploader.get(ready["url"])  # no key
        assert (answer.status_code, answer.content) == (200, image)
        assert answer.headers["content-type"] == "image/png"
        assert (await retrieve(client, created["id"]))["url"] == ready["url"]

    async def test_a_private_file_has_a_signed_expiring_url(
        self,
        client: httpx.AsyncClient,
        uploader: httpx.AsyncClient,
        clock: ManualClock,
    ) -> None:
        first = await upload_file(client, content=png(400, 400))
        second = await upload_file(client)
        url = httpx.URL(first["url"])
        assert set(url.params) == {"expires", "signature"}
        answer = await uploader.get(url)
        assert (answer.status_code, answer.content) == (200, png(400, 400))

        # A wrong signature, another file's, none, or a pending file: as a file of no one.
        other = httpx.URL(second["url"])
        pending = await create(client)
        for wrong in [
            url.copy_set_param("signature", "0" * 64),
            url.copy_set_param("signature", other.params["signature"]),
            url.copy_remove_param("signature"),
            url.copy_set_param("expires", str(int(url.params["expires"]) + 1)),
            str(url).replace(first["id"], pending["id"]),
        ]:
            assert_error(await uploader.get(wrong), 404, "resource_not_found", "id")

        clock.advance(timedelta(hours=1))
        expired = await uploader.get(url)
        assert_error(expired, 403, "download_url_expired", None)
        fresh = (await retrieve(client, first["id"]))["url"]
        assert (await uploader.get(fresh)).content == png(400, 400)
